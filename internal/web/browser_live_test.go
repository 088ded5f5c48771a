package web_test

import (
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/incident"
)

// TestBrowserLiveUpdateKeepsTyping has one responder writing a note while someone else changes
// the incident: the page shows the other person's changes without a reload, and the note being
// written keeps its text and the focus.
func TestBrowserLiveUpdateKeepsTyping(t *testing.T) {
	t.Parallel()
	ctx := tab(t)
	e := newEnv(t)
	s := e.seed()
	pw := e.addUser("cora", access.RoleResponder)
	signInBrowser(t, ctx, e, "cora", pw)
	run(t, ctx, "open the incident", chromedp.Navigate(e.srv.URL+"/incidents/"+s.key), chromedp.WaitVisible(css("#note-body")))
	waitFor(t, ctx, "live updates are on", `document.getElementById("live-status").dataset.state === "on"`)

	const draft = "Half-written: the sender also targeted HR"
	run(t, ctx, "start writing a note", chromedp.Click(css("#note-body")), chromedp.SendKeys(css("#note-body"), draft))

	// Someone else adds a task and a note, and moves a timeline entry's flag.
	e.api("POST", "/api/v1/incidents/"+s.key+"/tasks", e.admin, casework.NewTask{Phase: incident.PhaseIdentification,
		Title: "Rotate the finance mailbox credentials"}, http.StatusCreated, nil)
	waitFor(t, ctx, "the new task appears", contains("#tasks", "Rotate the finance mailbox credentials"))
	waitFor(t, ctx, "the timeline shows it too", contains("#timeline", "Rotate the finance mailbox credentials"))
	e.api("POST", "/api/v1/incidents/"+s.key+"/notes", e.admin, casework.NewNote{Body: "Someone else's note"}, http.StatusCreated, nil)
	waitFor(t, ctx, "the page says the part being edited waits", `document.getElementById("live-status").dataset.state === "partial"`)

	require.Equal(t, draft, value(t, ctx, "the draft is intact", chromedp.Value(css("#note-body"))))
	require.Equal(t, "note-body", value(t, ctx, "the focus stayed", chromedp.Evaluate[string](`document.activeElement.id`)))
	require.NotContains(t, textOf(t, ctx, "#notes .note"), "Someone else's note", "the region being written in was left alone")

	// Once the note is added, the notes region shows both.
	run(t, ctx, "add the note", chromedp.Click(css(`#notes .note-form button.button-primary`)))
	waitFor(t, ctx, "both notes show", `document.querySelectorAll("#notes article.note").length === 3`)
	requireNoInjection(t, ctx, "incident page after live updates")
}
