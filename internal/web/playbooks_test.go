package web_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
)

const webPlaybook = `id: supplier-outage
name: Supplier outage <b>bold</b>
version: 1
roles: [commander]
guidance:
  - title: Status page
    url: https://status.example.com/
phases:
  identification:
    steps:
      - id: call-supplier
        title: Call the supplier's <script>window.__xss=1</script> duty desk
        role: commander
        required: true
        due: 30m
  containment:
    steps:
      - id: switch-over
        title: Switch to the fallback supplier
        role: commander
        due: 2h
`

// TestPlaybookScreens: the list, the view (escaped), the editor's check with messages at
// their lines, a save, and applying on the incident page.
func TestPlaybookScreens(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	lead := e.signIn("lena", e.addUser("lena", access.RoleLead))
	rick := e.signIn("rick", e.addUser("rick", access.RoleResponder))

	list := rick.page("/playbooks")
	require.Contains(t, list, `id="pb-ransomware"`)
	require.Contains(t, list, "Built in")
	require.NotContains(t, list, `href="/playbooks/new"`, "a responder may not write playbooks")
	resp, _ := rick.get("/playbooks/ransomware/edit")
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	resp, _ = rick.post("/playbooks/ransomware", url.Values{"source": {"id: x"}, "action": {"save"}})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)

	view := rick.page("/playbooks/ransomware")
	require.Contains(t, view, `id="phase-containment"`)
	require.Contains(t, view, "Version 1")

	// A broken source is shown again with the message at its line.
	broken := strings.Replace(webPlaybook, "        role: commander\n        due: 2h", "        role: scribe\n        due: 2h", 1)
	resp, page := lead.post("/playbooks", url.Values{"source": {broken}, "action": {"save"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, page)
	line := 1 + strings.Count(broken[:strings.Index(broken, "role: scribe")], "\n")
	require.Regexp(t, fmt.Sprintf(`(?s)<li id="src-L%d"[^>]*>.*?<p class="lint-msg lint-error"[^>]*>Line %d, column \d+: error: [^<]*scribe`, line, line), page)
	require.Contains(t, page, fmt.Sprintf(`href="#src-L%d"`, line))
	require.NotContains(t, page, "<script>window.__xss", "the source is escaped")

	resp, page = lead.post("/playbooks", url.Values{"source": {webPlaybook}, "action": {"check"}})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, page, "No problems found.")
	resp, page = lead.post("/playbooks", url.Values{"source": {webPlaybook}, "action": {"save"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, page)
	require.Equal(t, "/playbooks/supplier-outage?saved=1", resp.Header.Get("Location"))

	view = rick.page("/playbooks/supplier-outage")
	require.Contains(t, view, "Supplier outage &lt;b&gt;bold&lt;/b&gt;")
	require.Contains(t, view, "Call the supplier&#39;s &lt;script&gt;")
	require.Contains(t, view, `<a href="https://status.example.com/" rel="noopener noreferrer">Status page</a>`)
	require.Contains(t, view, "due 30m after the phase starts")

	// The editor starts from the next version.
	edit := lead.page("/playbooks/supplier-outage/edit")
	require.Contains(t, html.UnescapeString(edit), "version: 2\n")

	// Applied on the incident page.
	var inc casework.IncidentDetail
	e.api("POST", "/api/v1/incidents", e.admin, casework.NewIncident{Title: "Payments down", Severity: incident.SeverityHigh}, http.StatusCreated, &inc)
	incPage := rick.page("/incidents/" + inc.Key)
	require.Contains(t, incPage, "No playbook has been applied.")
	require.Contains(t, incPage, `<option value="supplier-outage">`)
	resp, page = rick.post("/incidents/"+inc.Key+"/playbooks", url.Values{"playbook": {"supplier-outage"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, page)
	incPage = rick.page("/incidents/" + inc.Key)
	require.Contains(t, incPage, "supplier-outage version 1")
	require.Contains(t, incPage, "Switch to the fallback supplier")
	resp, page = rick.post("/incidents/"+inc.Key+"/playbooks", url.Values{"playbook": {"supplier-outage"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, page, "was applied already")
	resp, _ = rick.post("/incidents/"+inc.Key+"/playbooks", url.Values{"playbook": {"nope"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
}

// TestBrowserPlaybookEditAndApply edits a playbook in the browser, introduces an error, sees
// the lint message at its line, fixes it, saves, and applies the playbook to an incident,
// which gets its tasks.
func TestBrowserPlaybookEditAndApply(t *testing.T) {
	t.Parallel()
	ctx := tab(t)
	e := newEnv(t)
	pw := e.addUser("lena", access.RoleLead)
	var inc casework.IncidentDetail
	e.api("POST", "/api/v1/incidents", e.admin, casework.NewIncident{Title: "Supplier portal unreachable", Severity: incident.SeverityMedium}, http.StatusCreated, &inc)
	e.api("PUT", "/api/v1/playbooks/supplier-outage", e.admin, map[string]string{"source": webPlaybook}, http.StatusOK, nil)
	signInBrowser(t, ctx, e, "lena", pw)

	run(t, ctx, "open the editor", chromedp.Navigate(e.srv.URL+"/playbooks/supplier-outage/edit"), chromedp.WaitVisible(css("#pb-source")))
	src := value(t, ctx, "read the source", chromedp.Value(css("#pb-source")))
	require.Contains(t, src, "version: 2")
	broken := strings.Replace(src, "role: commander\n        due: 2h", "role: legal\n        due: 2h", 1)
	require.NotEqual(t, src, broken)
	line := 1 + strings.Count(broken[:strings.Index(broken, "role: legal")], "\n")

	run(t, ctx, "type the error and check", setSource(broken), chromedp.Click(css("#pb-check")),
		chromedp.WaitVisible(css("#lint-summary")))
	waitFor(t, ctx, "the message at its line", contains(fmt.Sprintf("#src-L%d .lint-msg", line), "legal"))
	require.Contains(t, textOf(t, ctx, fmt.Sprintf("#src-L%d", line)), "role: legal")
	require.Contains(t, textOf(t, ctx, "#lint-summary"), fmt.Sprintf("Line %d", line))
	requireNoInjection(t, ctx, "playbook editor")

	fixed := value(t, ctx, "read the source again", chromedp.Value(css("#pb-source")))
	require.Equal(t, broken, strings.ReplaceAll(fixed, "\r\n", "\n"), "the editor keeps what was typed")
	fixed = strings.Replace(fixed, "role: legal", "role: commander", 1)
	run(t, ctx, "fix and save", setSource(fixed), chromedp.Click(css("#pb-save")),
		chromedp.WaitVisible(css(`main[data-page="playbook"]`)))
	require.Contains(t, textOf(t, ctx, "#versions"), "Version 2")

	run(t, ctx, "open the incident", chromedp.Navigate(e.srv.URL+"/incidents/"+inc.Key), chromedp.WaitVisible(css("#playbooks")),
		chromedp.Click(css("#apply-playbook summary")), choose("#apply-playbook-id", "supplier-outage"),
		chromedp.Click(css(`#apply-playbook button[type=submit]`)), chromedp.WaitVisible(css("#playbooks .applied-playbook")))
	waitFor(t, ctx, "the playbook is applied", contains("#playbooks", "supplier-outage version 2"))
	waitFor(t, ctx, "its tasks are on the incident", contains("#tasks", "Switch to the fallback supplier"))
	requireNoInjection(t, ctx, "incident page")

	var tasks []incident.Task
	e.api("GET", "/api/v1/incidents/"+inc.Key+"/tasks", e.admin, nil, http.StatusOK, &tasks)
	require.Len(t, tasks, 2)
	var applied []store.AppliedPlaybook
	e.api("GET", "/api/v1/incidents/"+inc.Key+"/playbooks", e.admin, nil, http.StatusOK, &applied)
	require.Len(t, applied, 1)
	require.Equal(t, 2, applied[0].Version)
}

// setSource replaces the editor's text.
func setSource(src string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(function(){document.querySelector("#pb-source").value = %s;})()`, jsString(src)))
}
