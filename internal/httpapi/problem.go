package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/auth"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/playbook"
	"github.com/quell-ir/quell/internal/store"
	"github.com/quell-ir/quell/internal/validation"
)

// Problem is an RFC 9457 problem document.
type Problem struct {
	Type     string       `json:"type"`
	Title    string       `json:"title"`
	Status   int          `json:"status"`
	Detail   string       `json:"detail,omitempty"`
	Instance string       `json:"instance,omitempty"`
	Errors   []FieldError `json:"errors,omitempty"`
	// Unmet lists the required tasks that block a phase exit.
	Unmet []incident.Task `json:"unmet,omitempty"`
	// Messages are the lint messages of a refused playbook.
	Messages []playbook.Message `json:"messages,omitempty"`
	// retryAfter, in seconds, becomes a Retry-After header.
	retryAfter int
}

// FieldError points at one bad field (a JSON Pointer into the body) or query parameter.
type FieldError struct {
	Pointer   string `json:"pointer,omitempty"`
	Parameter string `json:"parameter,omitempty"`
	Detail    string `json:"detail"`
}

// ProblemExitCriteria is the problem type of a blocked phase exit, for clients that want to recognise it.
const ProblemExitCriteria = "urn:quell:problem:exit-criteria-unmet"

// statusError is an error that carries its own status and public detail.
type statusError struct {
	status int
	detail string
	// retryAfter, in seconds, becomes a Retry-After header when set.
	retryAfter int
}

func (e *statusError) Error() string { return e.detail }

func httpError(status int, format string, args ...any) error {
	return &statusError{status: status, detail: fmt.Sprintf(format, args...)}
}

// problemFor maps an error to the problem the client sees. Only errors Quell wrote for the
// client carry their text; anything else is a 500 with a generic detail (and is logged).
func problemFor(err error) Problem {
	newP := func(status int, detail string) Problem {
		return Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail}
	}
	var (
		verr    *validation.Error
		blocked *casework.ExitBlockedError
		limited *auth.RateLimitedError
		serr    *statusError
		maxErr  *http.MaxBytesError
		pbErr   *playbook.InvalidError
	)
	switch {
	case errors.As(err, &pbErr):
		p := newP(http.StatusBadRequest, publicText(pbErr))
		p.Messages = pbErr.Messages
		return p
	case errors.As(err, &verr):
		p := newP(http.StatusBadRequest, "The request has a field that is not valid.")
		fe := FieldError{Pointer: verr.Pointer, Detail: verr.Detail}
		if name, ok := strings.CutPrefix(verr.Pointer, "?"); ok {
			fe = FieldError{Parameter: name, Detail: verr.Detail}
		}
		if fe.Pointer == "" && fe.Parameter == "" {
			p.Detail = verr.Detail
		}
		p.Errors = []FieldError{fe}
		return p
	case errors.As(err, &blocked):
		p := newP(http.StatusConflict, blocked.Error()+". Finish or skip them, or override as incident commander with a reason.")
		p.Type, p.Title, p.Unmet = ProblemExitCriteria, "Exit criteria not met", blocked.Unmet
		return p
	case errors.As(err, &limited):
		p := newP(http.StatusTooManyRequests, "Too many failed logins. Wait before trying again.")
		p.retryAfter = int(math.Ceil(limited.RetryAfter.Seconds()))
		return p
	case errors.As(err, &serr):
		p := newP(serr.status, serr.detail)
		p.retryAfter = serr.retryAfter
		return p
	case errors.As(err, &maxErr):
		return newP(http.StatusRequestEntityTooLarge, fmt.Sprintf("The request body is larger than %d bytes.", maxErr.Limit))
	case errors.Is(err, auth.ErrBadCredentials):
		return newP(http.StatusUnauthorized, "Invalid user name or password.")
	case errors.Is(err, auth.ErrUnauthenticated):
		return newP(http.StatusUnauthorized, "Sign in or send an API token as a Bearer token.")
	case errors.Is(err, access.ErrForbidden):
		return newP(http.StatusForbidden, publicText(err))
	case errors.Is(err, store.ErrNotFound):
		return newP(http.StatusNotFound, "The requested object does not exist.")
	case errors.Is(err, store.ErrPrecondition):
		return newP(http.StatusPreconditionFailed, publicText(err)+". Read the object again and retry.")
	case errors.Is(err, store.ErrConflict):
		return newP(http.StatusConflict, "The object was changed by someone else since you read it. Read it again and retry.")
	case errors.Is(err, store.ErrDuplicate):
		return newP(http.StatusConflict, "An object with this name already exists.")
	case errors.Is(err, store.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		p := newP(http.StatusServiceUnavailable, "Storage is unavailable right now. Retry shortly.")
		p.retryAfter = 2
		return p
	}
	return newP(http.StatusInternalServerError, "Something went wrong on the server. The error was logged.")
}

// publicText is the text of an error Quell wrote for the client, with the sentinel's own
// text left as the prefix it already is.
func publicText(err error) string {
	s := err.Error()
	if s == "" {
		return ""
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func (s *Server) writeProblem(w http.ResponseWriter, r *http.Request, err error) {
	p := problemFor(err)
	p.Instance = r.URL.Path
	if p.Status >= 500 && p.Status != http.StatusServiceUnavailable {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if p.retryAfter > 0 {
		w.Header().Set("Retry-After", fmt.Sprint(p.retryAfter))
	}
	if p.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="quell"`)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}
