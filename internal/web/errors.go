package web

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/auth"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/store"
	"github.com/quell-ir/quell/internal/validation"
)

// pageError is an error that carries the status and the words the person sees. Its message is
// written by us, never taken from the request.
type pageError struct {
	status  int
	title   string
	message string
}

func (e *pageError) Error() string { return e.message }

var (
	errNoPage = &pageError{http.StatusNotFound, "Page not found",
		"There is no page at this address. It may have moved, or the link may be incomplete."}
	errCrossOrigin = &pageError{http.StatusForbidden, "Request refused",
		"This change came from another site, so it was refused. Make it from Quell's own pages."}
)

// forbidden is a 403 with a message written by us.
func forbidden(format string, args ...any) error {
	return &pageError{http.StatusForbidden, "Not allowed", fmt.Sprintf(format, args...)}
}

// badRequest is a 400 with a message written by us.
func badRequest(format string, args ...any) error {
	return &pageError{http.StatusBadRequest, "Something in the request is not right", fmt.Sprintf(format, args...)}
}

// errorPage is what the error template shows.
type errorPage struct {
	Status  int
	Title   string
	Message string
	// Items lists things the person should know, such as the tasks that block a phase exit.
	Items []string
}

// describe maps an error to the page the person sees. Only messages Quell wrote reach the page;
// anything unexpected is a 500 with a generic message (and is logged by fail).
func describe(err error) errorPage {
	var (
		perr    *pageError
		verr    *validation.Error
		blocked *casework.ExitBlockedError
		limited *auth.RateLimitedError
		maxErr  *http.MaxBytesError
	)
	switch {
	case errors.As(err, &perr):
		return errorPage{Status: perr.status, Title: perr.title, Message: perr.message}
	case errors.As(err, &verr):
		return errorPage{Status: http.StatusBadRequest, Title: "Something in the request is not right",
			Message: sentence(fieldName(verr.Pointer), verr.Detail)}
	case errors.As(err, &blocked):
		p := errorPage{Status: http.StatusConflict, Title: "Exit criteria not met",
			Message: "These required tasks are still open. Finish or skip them, or override as incident commander with a reason."}
		for _, t := range blocked.Unmet {
			p.Items = append(p.Items, t.Title)
		}
		return p
	case errors.As(err, &limited):
		minutes := int(math.Ceil(limited.RetryAfter.Minutes()))
		return errorPage{Status: http.StatusTooManyRequests, Title: "Too many attempts",
			Message: fmt.Sprintf("Too many failed sign-ins. Wait %d minute(s) and try again.", max(minutes, 1))}
	case errors.As(err, &maxErr):
		return errorPage{Status: http.StatusRequestEntityTooLarge, Title: "Too much text",
			Message: "What you sent is larger than the server accepts. Shorten it and try again."}
	case errors.Is(err, auth.ErrUnauthenticated), errors.Is(err, auth.ErrBadCredentials):
		return errorPage{Status: http.StatusUnauthorized, Title: "Please sign in", Message: "Your session has ended. Sign in again."}
	case errors.Is(err, access.ErrForbidden):
		return errorPage{Status: http.StatusForbidden, Title: "Not allowed", Message: publicText(err)}
	case errors.Is(err, store.ErrNotFound):
		return errorPage{Status: http.StatusNotFound, Title: "Not found",
			Message: "This does not exist, or you do not have access to it."}
	case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrPrecondition):
		return errorPage{Status: http.StatusConflict, Title: "Changed by someone else",
			Message: "Someone changed this while you were working on it. Go back, reload, and make your change again."}
	case errors.Is(err, store.ErrDuplicate):
		return errorPage{Status: http.StatusConflict, Title: "Already exists", Message: "Something with this name already exists."}
	case errors.Is(err, store.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		return errorPage{Status: http.StatusServiceUnavailable, Title: "Busy",
			Message: "The database is not answering right now. Wait a moment and try again."}
	}
	return errorPage{Status: http.StatusInternalServerError, Title: "Something went wrong",
		Message: "Something went wrong on the server. It has been logged. Try again, and tell your administrator if it keeps happening."}
}

// publicText is the text of an error Quell wrote for people (the role messages of access
// errors), with its first letter upper-cased.
func publicText(err error) string {
	s := err.Error()
	if s == "" {
		return ""
	}
	return strings.ToUpper(s[:1]) + s[1:] + "."
}

// sentence joins a field name and a validation detail into one readable sentence.
func sentence(field, detail string) string {
	if field == "" {
		return strings.ToUpper(detail[:min(1, len(detail))]) + detail[min(1, len(detail)):] + "."
	}
	return strings.ToUpper(field[:1]) + field[1:] + ": " + detail + "."
}

// fail writes the page for an error. A person who is not signed in is sent to the login page
// and brought back afterwards.
func (srv *Server) fail(w http.ResponseWriter, r *http.Request, rq *request, err error) {
	if errors.Is(err, auth.ErrUnauthenticated) && rq.p.UserID == "" && r.URL.Path != "/live" {
		target := "/login"
		if r.Method == http.MethodGet && r.URL.Path != "/" {
			target += "?next=" + url.QueryEscape(localPath(r.URL.RequestURI(), "/"))
		}
		if isHTMX(r) {
			w.Header().Set("HX-Redirect", target)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
		return
	}
	p := describe(err)
	if p.Status >= 500 && p.Status != http.StatusServiceUnavailable {
		srv.log.Error("page failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if p.Status == http.StatusServiceUnavailable || p.Status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "5")
	}
	if r.URL.Path == "/live" {
		http.Error(w, p.Title, p.Status)
		return
	}
	srv.render(w, r, rq, p.Status, "error", p.Title, p)
}
