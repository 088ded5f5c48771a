package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"syscall"

	"github.com/quell-ir/quell/internal/apiclient"
)

// describeError turns an error into the lines printed on stderr: what went wrong, the server's
// field errors one per line, and a hint at what to do.
func describeError(err error) string {
	var b strings.Builder
	var (
		se *setupError
		te *apiclient.TransportError
		p  *apiclient.Problem
	)
	switch {
	case errors.As(err, &se):
		fmt.Fprintf(&b, "quell: %s\n", apiclient.Clean(se.msg))
		if se.hint != "" {
			fmt.Fprintln(&b, se.hint)
		}
	case errors.As(err, &te):
		fmt.Fprintf(&b, "quell: cannot reach the Quell server at %s: %s\n", te.Server, transportReason(te.Err))
		fmt.Fprintln(&b, "Check that the server is running and the URL is right. Set the server with --server URL,")
		fmt.Fprintln(&b, "the QUELL_SERVER environment variable, or `quell login --server URL`.")
	case errors.As(err, &p):
		describeProblem(&b, err, p)
	default:
		fmt.Fprintf(&b, "quell: %s\n", apiclient.Clean(err.Error()))
	}
	return b.String()
}

func transportReason(err error) string {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, context.DeadlineExceeded):
		return "no answer in time"
	case errors.Is(err, context.Canceled):
		return "interrupted"
	}
	return apiclient.Clean(err.Error())
}

func describeProblem(b *strings.Builder, err error, p *apiclient.Problem) {
	// Keep the context a command added around the problem ("INC-3: …").
	prefix := strings.TrimSuffix(err.Error(), p.Error())
	if prefix == err.Error() {
		prefix = ""
	}
	title := p.Title
	if title == "" {
		title = http.StatusText(p.Status)
	}
	line := fmt.Sprintf("%s%d %s", prefix, p.Status, title)
	if p.Detail != "" {
		line += ": " + p.Detail
	}
	fmt.Fprintf(b, "quell: %s\n", apiclient.Clean(line))
	for _, fe := range p.Errors {
		fmt.Fprintf(b, "  %s\n", oneLine(fe.String()))
	}
	if len(p.Unmet) > 0 {
		fmt.Fprintf(b, "\nRequired tasks still open (%d):\n", len(p.Unmet))
		t := newSubTable(b, "ID", "PHASE", "STATUS", "ASSIGNEE", "TITLE")
		for _, task := range p.Unmet {
			t.row(task.ID, string(task.Phase), string(task.Status), task.Assignee, task.Title)
		}
		t.flush()
		fmt.Fprintln(b, "\nFinish or skip them (quell task done ID, quell task update ID --status skipped), or, as the")
		fmt.Fprintln(b, "incident commander or an admin, move on anyway with --override; the reason and the open tasks")
		fmt.Fprintln(b, "are recorded.")
		return
	}
	switch p.Status {
	case http.StatusUnauthorized:
		fmt.Fprintln(b, "The server did not accept the token: run `quell login` again, or check QUELL_TOKEN.")
	case http.StatusForbidden:
		fmt.Fprintln(b, "Your role, or the scope of your token, does not allow this.")
	case http.StatusPreconditionFailed:
		fmt.Fprintln(b, "It was changed by someone else since it was read: look at it again and retry.")
	case http.StatusTooManyRequests:
		fmt.Fprintln(b, "Too many attempts: wait a little and try again.")
	}
}
