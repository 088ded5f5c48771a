package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/asset"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/incident"
)

// xssCorpus is what an attacker can put into an alert or a note: each line tries another way
// to run script, and every one of them sets window.__xss if it runs.
var xssCorpus = []string{
	`<script>window.__xss="script"</script>`,
	`<SCRIPT SRC=data:text/javascript,window.__xss="src"></SCRIPT>`,
	`<img src=x onerror="window.__xss='img'">`,
	`<svg onload="window.__xss='svg'"></svg>`,
	`<svg><script>window.__xss="svg-script"</script></svg>`,
	`"><script>window.__xss="attr-dq"</script>`,
	`'><img src=x onerror=window.__xss='attr-sq'>`,
	`" autofocus onfocus="window.__xss='onfocus'" x="`,
	`<a href="javascript:window.__xss='href'">click me</a>`,
	`[markdown link](javascript:window.__xss='md')`,
	`![markdown image](x" onerror="window.__xss='md-img')`,
	`<iframe src="javascript:window.__xss='iframe'"></iframe>`,
	`<details open ontoggle="window.__xss='toggle'">`,
	`<body onload="window.__xss='body'">`,
	`<math><mtext><table><mglyph><style><img src=x onerror="window.__xss='mxss'">`,
	`<style>@import "data:,*{}";</style><div style="background:url(javascript:window.__xss='css')">`,
	`<meta http-equiv="refresh" content="0;url=javascript:window.__xss='meta'">`,
	`</textarea><script>window.__xss="textarea"</script>`,
	`</title><script>window.__xss="title"</script>`,
	`{{.}} ${window.__xss="template"} #{7*7}`,
	`xsspayload marker`,
}

// TestBrowserXSSPayloadsNeverRun puts the corpus into every place people and alerts write text
// (an incident's title and summary, a task, a timeline entry, an asset, and a note written in
// the browser) and opens every page that shows it. On each page no injected script may have
// run, no injected element or handler may exist, and the policy must have had nothing to block:
// the payloads are shown as text.
func TestBrowserXSSPayloadsNeverRun(t *testing.T) {
	t.Parallel()
	ctx := tab(t)
	e := newEnv(t)
	pw := e.addUser("cora", access.RoleResponder)
	corpus := strings.Join(xssCorpus, "\n")
	title := `"><img src=x onerror="window.__xss='title'"><script>window.__xss="title2"</script> xsspayload`

	var d casework.IncidentDetail
	e.api("POST", "/api/v1/incidents", e.admin, casework.NewIncident{Title: title, Summary: corpus, Severity: incident.SeverityHigh,
		CustomFields: map[string]string{"source": `<script>window.__xss="custom"</script>`}}, http.StatusCreated, &d)
	var task incident.Task
	e.api("POST", "/api/v1/incidents/"+d.Key+"/tasks", e.admin, casework.NewTask{Title: title, Description: corpus, Assignee: "cora"},
		http.StatusCreated, &task)
	e.api("POST", "/api/v1/incidents/"+d.Key+"/timeline", e.admin, casework.NewEntry{Kind: incident.KindAlert, Text: corpus}, http.StatusCreated, nil)
	var a asset.Asset
	e.api("POST", "/api/v1/assets", e.admin, casework.NewAsset{Kind: asset.KindHost, Name: title, Owner: xssCorpus[2], Description: corpus,
		Criticality: 2}, http.StatusCreated, &a)
	e.api("PUT", "/api/v1/incidents/"+d.Key+"/assets/"+a.ID, e.admin, casework.LinkRequest{Status: asset.LinkSuspected, Note: xssCorpus[0]}, http.StatusOK, nil)

	signInBrowser(t, ctx, e, "cora", pw)
	requireNoInjection(t, ctx, "dashboard")

	// The note is written in the browser, previewed, then added.
	run(t, ctx, "open the incident", chromedp.Navigate(e.srv.URL+"/incidents/"+d.Key), chromedp.WaitVisible(css("#note-body")))
	requireNoInjection(t, ctx, "incident page")
	run(t, ctx, "write the note",
		chromedp.SetValue(css("#note-body"), corpus),
		chromedp.Click(css(`#notes button[name="preview"]`)),
	)
	waitFor(t, ctx, "the preview shows", `!!document.querySelector("#notes .preview")`)
	requireNoInjection(t, ctx, "note preview")
	note := value(t, ctx, "the note text is kept", chromedp.Value(css("#note-body")))
	require.Equal(t, corpus, strings.ReplaceAll(note, "\r\n", "\n"))
	run(t, ctx, "add the note", chromedp.Click(css(`#notes .note-form button.button-primary`)))
	waitFor(t, ctx, "the note is listed", `document.querySelectorAll("#notes article.note").length === 1`)
	requireNoInjection(t, ctx, "incident page with the note")

	text := textOf(t, ctx, "main")
	require.Contains(t, text, `<script>window.__xss="title2"</script>`, "the title is shown as text")
	require.Contains(t, text, `<svg onload="window.__xss='svg'"></svg>`, "the summary is shown as text")

	var notes []casework.NoteDetail
	e.api("GET", "/api/v1/incidents/"+d.Key+"/notes", e.admin, nil, http.StatusOK, &notes)
	require.Len(t, notes, 1)
	require.Equal(t, corpus, notes[0].Body, "the note was stored as written")

	pages := []string{
		"/incidents/" + d.Key,
		"/incidents/" + d.Key + "?kind=note&kind=alert",
		"/incidents?status=all",
		"/incidents?" + url.Values{"q": {"xsspayload"}, "status": {"all"}}.Encode(),
		"/",
		"/search?" + url.Values{"q": {"xsspayload"}}.Encode(),
		"/search?" + url.Values{"q": {`"><script>window.__xss=1</script>`}}.Encode(),
		"/tasks/" + task.ID,
		"/notes/" + notes[0].ID,
		"/assets",
		"/assets/" + a.ID,
		"/assets/" + a.ID + "/edit",
		"/incidents/" + d.Key + "/edit",
	}
	for _, p := range pages {
		run(t, ctx, "open "+p, chromedp.Navigate(e.srv.URL+p), chromedp.WaitVisible(css("main")))
		requireNoInjection(t, ctx, p)
	}
	run(t, ctx, "search", chromedp.Navigate(e.srv.URL+"/search?"+url.Values{"q": {"xsspayload"}}.Encode()), chromedp.WaitVisible(css(".hits")))
	require.GreaterOrEqual(t, value(t, ctx, "count the hits", chromedp.Evaluate[int](`document.querySelectorAll(".hit").length`)), 3,
		"the search finds the payloads, so the search page really shows them")
}
