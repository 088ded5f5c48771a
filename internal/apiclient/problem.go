package apiclient

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/quell-ir/quell/internal/incident"
)

// Problem is an error reported by the server: an RFC 9457 problem details object, or, when the
// server (or a proxy in front of it) answered with something else, the status and a short
// excerpt of the body.
type Problem struct {
	Type   string       `json:"type,omitempty"`
	Title  string       `json:"title,omitempty"`
	Status int          `json:"status"`
	Detail string       `json:"detail,omitempty"`
	Errors []FieldError `json:"errors,omitempty"`
	// Unmet lists the required tasks that stop an incident from leaving its phase; it is set
	// only when a phase change was refused for that reason.
	Unmet []incident.Task `json:"unmet,omitempty"`
}

// Error reads like `409 Conflict: required tasks are open (INC-3): unmet: "Isolate host"`,
// followed by any field errors as `pointer: detail`. Control characters the server sent are
// dropped, so that printing the error cannot drive the terminal.
func (p *Problem) Error() string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(p.Status))
	b.WriteByte(' ')
	b.WriteString(Clean(p.titleOrStatus()))
	if p.Detail != "" {
		b.WriteString(": ")
		b.WriteString(Clean(p.Detail))
	}
	if len(p.Unmet) > 0 {
		b.WriteString(": unmet: ")
		for i, t := range p.Unmet {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(strconv.Quote(Clean(t.Title)))
		}
	}
	for i, fe := range p.Errors {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(Clean(fe.String()))
	}
	return b.String()
}

func (p *Problem) titleOrStatus() string {
	if p.Title != "" {
		return p.Title
	}
	if t := http.StatusText(p.Status); t != "" {
		return t
	}
	return "HTTP error"
}

// String formats a field error as `pointer: detail` or `?parameter: detail`, or the detail
// alone when the error is about the whole request.
func (fe FieldError) String() string {
	switch {
	case fe.Pointer != "":
		return fe.Pointer + ": " + fe.Detail
	case fe.Parameter != "":
		return "?" + fe.Parameter + ": " + fe.Detail
	}
	return fe.Detail
}

// readProblem turns a non-2xx response into a *Problem.
func readProblem(resp *http.Response) *Problem {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	p := &Problem{Status: resp.StatusCode}
	mediaType, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	switch {
	case mediaType == "application/problem+json" || mediaType == "application/json":
		if err := json.Unmarshal(body, p); err == nil {
			// The status line is authoritative; a body claiming another status is not.
			p.Status = resp.StatusCode
			if p.Title != "" || p.Detail != "" || len(p.Errors) > 0 {
				return p
			}
		}
		*p = Problem{Status: resp.StatusCode, Detail: excerpt(string(body))}
	case mediaType == "text/html":
		p.Detail = excerpt(htmlText(string(body)))
	default:
		p.Detail = excerpt(string(body))
	}
	return p
}

// excerpt returns a short, printable, single-line piece of an error body.
func excerpt(s string) string {
	const max = 200
	s = strings.Join(strings.Fields(Clean(strings.ToValidUTF8(s, "?"))), " ")
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// htmlText returns the title of an HTML error page, or its text with the tags removed.
func htmlText(s string) string {
	lower := strings.ToLower(s)
	if i := strings.Index(lower, "<title>"); i >= 0 {
		if j := strings.Index(lower[i:], "</title>"); j > 0 {
			return s[i+len("<title>") : i+j]
		}
	}
	var b strings.Builder
	inTag := false
	for _, r := range s {
		switch {
		case r == '<':
			inTag = true
		case r == '>':
			inTag = false
			b.WriteByte(' ')
		case !inTag:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Clean removes what could drive a terminal from text that came from a server: control
// characters other than newline and tab, and the bidirectional overrides that can make text
// read differently from what it is.
func Clean(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case unicode.IsControl(r), r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
			return -1
		}
		return r
	}, s)
}

// StatusCode returns the HTTP status of a *Problem in err's chain, or 0.
func StatusCode(err error) int {
	var p *Problem
	if errors.As(err, &p) {
		return p.Status
	}
	return 0
}

// IsNotFound reports whether the server answered 404 Not Found.
func IsNotFound(err error) bool { return StatusCode(err) == http.StatusNotFound }

// IsConflict reports whether the change was refused because the object changed since it was
// read: 409 Conflict (stale version in the body, or a phase change blocked by open tasks) or
// 412 Precondition Failed (stale If-Match).
func IsConflict(err error) bool {
	s := StatusCode(err)
	return s == http.StatusConflict || s == http.StatusPreconditionFailed
}

// IsUnauthorized reports whether the server did not accept the credentials (401).
func IsUnauthorized(err error) bool { return StatusCode(err) == http.StatusUnauthorized }

// IsForbidden reports whether the caller may not do what it asked (403).
func IsForbidden(err error) bool { return StatusCode(err) == http.StatusForbidden }

// Blocked returns the required open tasks that stopped a phase change, if err is such a refusal.
func Blocked(err error) ([]incident.Task, bool) {
	var p *Problem
	if errors.As(err, &p) && len(p.Unmet) > 0 {
		return p.Unmet, true
	}
	return nil, false
}
