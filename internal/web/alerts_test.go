package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/alert"
	"github.com/quell-ir/quell/internal/asset"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/httpsec"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/web"
)

// soon is a time two days ahead as the silence form takes it (UTC, the zone of a client
// without the time zone cookie).
func soon() string { return time.Now().UTC().Add(48 * time.Hour).Format("2006-01-02T15:04") }

// rowsOf lists the ids of the alert rows of a queue page, in order.
func rowsOf(page string) []string {
	var ids []string
	for _, m := range regexp.MustCompile(`<tr id="alert-([0-9A-Z]+)"`).FindAllStringSubmatch(page, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

// TestAlertQueue checks the queue's default view, each filter in the address, and its pages.
func TestAlertQueue(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.signIn("admin", adminPassword)
	as := e.ingest(func(i int, a *alert.Alert) {
		switch i {
		case 0:
			a.SilenceID = "01SILENCE"
		case 1:
			a.Status, a.Verdict = alert.StatusDismissed, alert.VerdictBenign
		case 2:
			a.Status = alert.StatusTriaged
		}
	}, alertSet()...)

	page := admin.page("/alerts")
	requireSafeMarkup(t, "/alerts", page)
	require.Equal(t, []string{as[5].ID, as[4].ID, as[3].ID, as[2].ID}, rowsOf(page),
		"newest first; new and triaged only; silenced ones hidden")
	require.Contains(t, page, "4 alerts match.")
	require.Contains(t, page, `<a href="/alerts"`, "the main navigation has Alerts")
	require.Contains(t, page, `<a href="/alerts" aria-current="page">Alerts</a>`)
	require.Contains(t, page, `name="status" value="new" checked`, "the default statuses show as ticked")
	require.Contains(t, page, `name="status" value="triaged" checked`)
	row := page[strings.Index(page, `<tr id="alert-`+as[2].ID):]
	row = row[:strings.Index(row, "</tr>")]
	for _, want := range []string{"ET MALWARE Cobalt Strike Beacon Observed", "sev-high", "prio", ">suricata<", "astatus-triaged", `href="/alerts/` + as[2].ID + `"`,
		`href="/silences?alert=` + as[2].ID + `#new-silence"`, `type="checkbox" name="id" value="` + as[2].ID + `"`} {
		require.Contains(t, row, want)
	}

	cases := map[string][]string{
		"/alerts?silenced=yes":                                                 {as[0].ID},
		"/alerts?silenced=any&status=new":                                      {as[5].ID, as[4].ID, as[3].ID, as[0].ID},
		"/alerts?status=dismissed":                                             {as[1].ID},
		"/alerts?status=all&silenced=any":                                      {as[5].ID, as[4].ID, as[3].ID, as[2].ID, as[1].ID, as[0].ID},
		"/alerts?source=suricata":                                              {as[4].ID, as[2].ID},
		"/alerts?source=SURICATA":                                              {as[4].ID, as[2].ID},
		"/alerts?severity=high":                                                {as[5].ID, as[2].ID},
		"/alerts?severity=high&severity=informational":                         {as[5].ID, as[4].ID, as[2].ID},
		"/alerts?q=powershell":                                                 {as[5].ID},
		"/alerts?q=" + as[3].Fingerprint:                                       {as[3].ID},
		"/alerts?observable=203.0.113.7":                                       {as[2].ID},
		"/alerts?observable=10.20.0.15&source=suricata&severity=informational": {as[4].ID},
	}
	for path, want := range cases {
		require.Equal(t, want, rowsOf(admin.page(path)), path)
	}
	page = admin.page("/alerts?silenced=yes")
	require.Contains(t, page, `href="/silences#sil-01SILENCE"`, "a silenced alert is marked and links to its silence")
	require.Contains(t, admin.page("/alerts?status=dismissed"), ">Benign</span>", "the verdict shows")

	const probe = `zz<script>probe</script>zz`
	page = admin.page("/alerts?status=" + url.QueryEscape(probe) + "&severity=" + url.QueryEscape(probe) + "&silenced=" +
		url.QueryEscape(probe) + "&source=" + url.QueryEscape(probe) + "&cursor=" + url.QueryEscape(probe))
	require.NotContains(t, page, "probe", "unknown filter values are not repeated")
	require.Contains(t, page, "were not understood and were left out: status, severity, source, silenced, page.")
	require.Equal(t, []string{as[5].ID, as[4].ID, as[3].ID, as[2].ID}, rowsOf(page), "the defaults apply instead")

	// Pages: 55 more alerts make two pages of 50 and 11.
	more := make([]alert.Input, 55)
	for i := range more {
		more[i] = alert.Input{Source: "generic", Title: fmt.Sprintf("Batch alert %02d", i)}
	}
	e.ingest(nil, more...)
	page = admin.page("/alerts?source=generic")
	require.Len(t, rowsOf(page), 50)
	require.Contains(t, page, "50 alerts shown; more on the next page.")
	next := regexp.MustCompile(`<a href="([^"]+)" rel="next">`).FindStringSubmatch(page)
	require.NotNil(t, next)
	nextURL := strings.ReplaceAll(next[1], "&amp;", "&")
	require.Contains(t, nextURL, "source=generic", "the filters carry over to the next page")
	page = admin.page(nextURL)
	require.Len(t, rowsOf(page), 5)
	require.Contains(t, page, "5 more alerts on this last page.")
	require.Contains(t, page, ">First page</a>")
}

// TestAlertTriage promotes, attaches and dismisses alerts through the queue's form and the
// alert page's, and checks the messages of a triage that cannot be done.
func TestAlertTriage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.addUser("cora", access.RoleResponder)
	cora := e.signIn("cora", "cora has a long password")
	as := e.ingest(nil, alertSet()...)
	back := "/alerts?severity=high&severity=medium"

	resp, page := cora.post("/alerts", url.Values{"action": {"promote"}, "back": {back}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, page, "Select at least one alert first.")
	require.Equal(t, []string{as[5].ID, as[3].ID, as[2].ID, as[1].ID}, rowsOf(page), "the queue comes back with its filters")

	resp, page = cora.post("/alerts", url.Values{"id": {as[2].ID, as[5].ID}, "action": {"dismiss"}, "back": {back}, "title": {"kept"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, fieldError(t, page, "tri-verdict"), "Is required to dismiss")
	require.Contains(t, page, `value="`+as[2].ID+`" id="sel-`+as[2].ID+`" checked`, "the selection is kept")
	require.Contains(t, page, `id="tri-title" name="title" type="text" maxlength="300" value="kept"`, "what was typed is kept")

	resp, page = cora.post("/alerts", url.Values{"id": {as[2].ID}, "action": {"attach"}, "incident": {"INC-404"}, "back": {back}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Equal(t, "No incident you can see has this key.", fieldError(t, page, "tri-incident"))

	resp, page = cora.post("/alerts", url.Values{"id": {as[2].ID, "01NOSUCHALERT"}, "action": {"promote"}, "back": {back}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, page, "Selected alert 2 of 2: no such alert.")

	// Promote two alerts to a new incident.
	resp, _ = cora.post("/alerts", url.Values{"id": {as[2].ID, as[5].ID}, "action": {"promote"}, "title": {"Beacon from fs01"},
		"type": {"malware"}, "incident": {"ignored"}, "verdict": {"benign"}, "back": {back}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/incidents/INC-1", resp.Header.Get("Location"))
	var d casework.IncidentDetail
	e.api("GET", "/api/v1/incidents/INC-1", e.admin, nil, http.StatusOK, &d)
	require.Equal(t, "Beacon from fs01", d.Title)
	require.Equal(t, incident.TypeMalware, d.Type)
	require.Equal(t, incident.SeverityHigh, d.Severity, "the worst severity of the alerts")
	for _, id := range []string{as[2].ID, as[5].ID} {
		a := e.alertOf(id)
		require.Equal(t, alert.StatusPromoted, a.Status)
		require.Equal(t, d.ID, a.IncidentID)
		require.Empty(t, a.Verdict, "the dismiss verdict was not sent with a promotion")
	}
	timeline := cora.page("/incidents/INC-1")
	require.Contains(t, timeline, "Alert from suricata: ET MALWARE Cobalt Strike Beacon Observed")
	require.Contains(t, timeline, "Alert from elastic: Unusual PowerShell from svc-backup on fs01")
	page = cora.page("/alerts?status=promoted")
	require.Contains(t, page, `<a class="inc-key" href="/incidents/INC-1">INC-1</a>`, "the queue links the incident by its key")

	// Attach one more from the alert's own page.
	resp, _ = cora.post("/alerts/"+as[1].ID, url.Values{"action": {"attach"}, "incident": {"inc-1"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/incidents/INC-1", resp.Header.Get("Location"))
	require.Equal(t, d.ID, e.alertOf(as[1].ID).IncidentID)
	resp, page = cora.post("/alerts/"+as[1].ID, url.Values{"action": {"promote"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, "an alert that belongs to an incident is not promoted again")
	require.Contains(t, page, "The alert already belongs to an incident.")
	require.Contains(t, page, `data-page="alert"`)

	// Dismiss two with a verdict: back to the queue, which says so.
	resp, _ = cora.post("/alerts", url.Values{"id": {as[0].ID, as[3].ID}, "action": {"dismiss"}, "verdict": {"false_positive"},
		"reason": {"maintenance window"}, "back": {"/alerts?status=new"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	loc := resp.Header.Get("Location")
	require.True(t, strings.HasPrefix(loc, "/alerts?"), loc)
	page = cora.page(loc)
	require.Contains(t, page, "2 alerts dismissed.")
	require.Equal(t, []string{as[4].ID}, rowsOf(page))
	require.Equal(t, alert.VerdictFalsePositive, e.alertOf(as[3].ID).Verdict)

	// A back address elsewhere is not followed.
	resp, _ = cora.post("/alerts", url.Values{"id": {as[4].ID}, "action": {"dismiss"}, "verdict": {"duplicate"}, "back": {"https://evil.example/alerts"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.True(t, strings.HasPrefix(resp.Header.Get("Location"), "/alerts?"), resp.Header.Get("Location"))

	// Dismiss from the alert's page: back to the alert.
	more := e.ingest(nil, alert.Input{Source: "falco", Title: "Unexpected outbound connection"})
	resp, _ = cora.post("/alerts/"+more[0].ID, url.Values{"action": {"dismiss"}, "verdict": {"true_positive"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/alerts/"+more[0].ID, resp.Header.Get("Location"))
	require.Contains(t, cora.page("/alerts/"+more[0].ID), "Verdict: True positive")
}

// TestAlertPage checks what an alert's page shows.
func TestAlertPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.signIn("admin", adminPassword)
	var fs01 asset.Asset
	e.api("POST", "/api/v1/assets", e.admin, casework.NewAsset{Kind: asset.KindHost, Name: "fs01", Criticality: 4}, http.StatusCreated, &fs01)
	var d casework.IncidentDetail
	e.api("POST", "/api/v1/incidents", e.admin, casework.NewIncident{Title: "Beaconing from the file server", Severity: incident.SeverityHigh},
		http.StatusCreated, &d)
	in := suricataAlert("ET MALWARE Cobalt Strike Beacon Observed", "10.20.0.15", "203.0.113.7", incident.SeverityHigh)
	in.SourceRef, in.Description = "1234/1:2024217", "Beacon to a known C2 address"
	text := alert.Input{Source: "syslog", Title: "sshd: Failed password for root", Raw: []byte("<34>Oct 11 22:14:15 fs01 sshd[42]: Failed password for root")}
	long := alert.Input{Source: "email", Title: "Reported phishing", Raw: []byte(`{"subject": "` + strings.Repeat("x", alert.DefaultMaxRaw) + `"}`)}
	as := e.ingest(func(i int, a *alert.Alert) {
		if i == 0 {
			a.AssetIDs, a.IncidentID, a.Status, a.Count = []string{fs01.ID, "01GONEASSET"}, d.ID, alert.StatusPromoted, 7
		}
	}, in, text, long)

	page := admin.page("/alerts/" + as[0].ID)
	requireSafeMarkup(t, "alert page", page)
	for _, want := range []string{
		"<h1>ET MALWARE Cobalt Strike Beacon Observed</h1>", "sev-high", "astatus-promoted", "Seen 7 times",
		"<code>1234/1:2024217</code>", "<code>" + as[0].Fingerprint + "</code>", "Beacon to a known C2 address",
		`<th scope="row"><code>alert.category</code></th><td>A Network Trojan was detected</td>`,
		`<th scope="row"><code>host</code></th><td>ids-dmz-01</td>`,
		`<code>203.0.113.7</code></a></td>`, "<td>Destination</td>", "<td>Source</td>", "<td>IPv4</td>",
		`href="/alerts?observable=203.0.113.7&amp;status=all&amp;silenced=any"`,
		`<a href="/assets/` + fs01.ID + `">fs01</a>`, `<a href="/assets/01GONEASSET"><code>01GONEASSET</code></a>`,
		`<a class="inc-key" href="/incidents/` + d.Key + `">` + d.Key + `</a>`, "Beaconing from the file server",
		"(JSON, indented)", "\n  &#34;event_type&#34;: &#34;alert&#34;,\n", "\n  &#34;alert&#34;: {\n    &#34;signature&#34;",
		`action="/alerts/` + as[0].ID + `"`, `href="/silences?alert=` + as[0].ID + `&amp;by=host#new-silence"`, "(host = ids-dmz-01)",
	} {
		require.Contains(t, page, want)
	}
	require.NotContains(t, page, "Truncated")

	page = admin.page("/alerts/" + as[1].ID)
	require.Contains(t, page, "(text)")
	require.Contains(t, page, "<code>&lt;34&gt;Oct 11 22:14:15 fs01 sshd[42]: Failed password for root</code>")
	require.Contains(t, page, "Not part of an incident.")

	page = admin.page("/alerts/" + as[2].ID)
	require.Contains(t, page, `<span class="badge truncated">Truncated</span>`)
	require.Contains(t, page, "only its beginning is shown")

	resp, _ := admin.get("/alerts/01NOSUCHALERT")
	require.Equal(t, http.StatusNotFound, resp.StatusCode)

	// An alert of a restricted incident is not found for a responder who is not a member.
	var secret casework.IncidentDetail
	e.api("POST", "/api/v1/incidents", e.admin, casework.NewIncident{Title: "Need to know", Severity: incident.SeverityHigh, Restricted: true},
		http.StatusCreated, &secret)
	hidden := e.ingest(func(_ int, a *alert.Alert) { a.IncidentID, a.Status = secret.ID, alert.StatusPromoted },
		alert.Input{Source: "falco", Title: "Secret alert"})
	e.addUser("rick", access.RoleResponder)
	rick := e.signIn("rick", "rick has a long password")
	resp, _ = rick.get("/alerts/" + hidden[0].ID)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	require.NotContains(t, rick.page("/alerts?status=all&silenced=any"), "Secret alert")
	require.Contains(t, admin.page("/alerts?status=all&silenced=any"), "Secret alert")
}

// TestViewerSeesNoTriageControls checks that a viewer reads the alert screens without any
// control that changes something, and that the forms posted anyway are refused.
func TestViewerSeesNoTriageControls(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.addUser("vera", access.RoleViewer)
	e.addUser("rick", access.RoleResponder)
	vera := e.signIn("vera", "vera has a long password")
	rick := e.signIn("rick", "rick has a long password")
	as := e.ingest(nil, alertSet()...)
	admin := e.signIn("admin", adminPassword)
	resp, _ := admin.post("/silences", url.Values{"matcher_name": {"source"}, "matcher_op": {"="}, "matcher_value": {"falco"},
		"ends_at": {soon()}, "reason": {"noisy"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	silenceID := strings.TrimPrefix(resp.Header.Get("Location"), "/silences#sil-")

	for _, path := range []string{"/alerts", "/alerts?status=all&silenced=any", "/alerts/" + as[2].ID, "/silences", "/silences?alert=" + as[2].ID} {
		page := vera.page(path)
		requireSafeMarkup(t, path, page)
		main := page[strings.Index(page, "<main"):]
		require.NotContains(t, main, `method="post"`, "%s: a viewer has no forms that change things", path)
		require.NotContains(t, main, `type="checkbox" name="id"`, path)
		require.NotContains(t, main, "/silences?alert=", path)
		require.NotContains(t, main, `name="action"`, path)
	}
	require.Contains(t, vera.page("/alerts"), "Cobalt Strike", "but the viewer reads the queue")
	require.Contains(t, vera.page("/silences"), "noisy", "and the silences")
	require.NotContains(t, vera.page("/alerts"), `href="/admin/intake"`, "intake sources are for admins")

	forms := map[string]url.Values{
		"/alerts":                            {"id": {as[2].ID}, "action": {"promote"}},
		"/alerts/" + as[2].ID:                {"action": {"dismiss"}, "verdict": {"benign"}},
		"/silences":                          {"matcher_name": {"source"}, "matcher_value": {"x"}, "ends_at": {soon()}, "reason": {"x"}},
		"/silences/" + silenceID + "/expire": {},
		"/admin/intake":                      {"name": {"forced-by-viewer"}, "format": {"quell"}},
	}
	for path, form := range forms {
		resp, page := vera.post(path, form)
		require.Equal(t, http.StatusForbidden, resp.StatusCode, "POST %s: %s", path, page)
		require.Contains(t, page, "Not allowed", path)
	}
	require.Equal(t, alert.StatusNew, e.alertOf(as[2].ID).Status, "the forced triage changed nothing")
	require.Contains(t, admin.page("/silences"), `<span class="badge sil-state sil-active">Active</span>`, "the silence still holds")

	for _, who := range []*browserless{vera, rick} {
		resp, _ := who.get("/admin/intake")
		require.Equal(t, http.StatusForbidden, resp.StatusCode, "intake sources are for admins only")
		resp, _ = who.post("/admin/intake", url.Values{"name": {"forced-by-viewer"}, "format": {"quell"}})
		require.Equal(t, http.StatusForbidden, resp.StatusCode)
	}
	require.NotContains(t, admin.page("/admin/intake"), "forced-by-viewer")
}

// TestAlertScreensSecurityHeaders sends a request to every route of the alert screens (and one
// that fails) and checks the security headers of each answer.
func TestAlertScreensSecurityHeaders(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	as := e.ingest(nil, alertSet()...)
	admin := e.signIn("admin", adminPassword)
	resp, _ := admin.post("/admin/intake", url.Values{"name": {"probe"}, "format": {"falco"}})
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	resp, _ = admin.post("/silences", url.Values{"matcher_name": {"source"}, "matcher_value": {"falco"}, "ends_at": {soon()}, "reason": {"x"}})
	silenceID := strings.TrimPrefix(resp.Header.Get("Location"), "/silences#sil-")
	page := admin.page("/admin/intake")
	srcID := regexp.MustCompile(`id="src-([0-9A-Z]+)"`).FindStringSubmatch(page)[1]

	fill := strings.NewReplacer("{id}", as[0].ID)
	checked := 0
	for _, rt := range web.Routes() {
		method, pattern, _ := strings.Cut(rt, " ")
		if !strings.HasPrefix(pattern, "/alerts") && !strings.HasPrefix(pattern, "/silences") && !strings.HasPrefix(pattern, "/admin/intake") {
			continue
		}
		path := fill.Replace(pattern)
		switch pattern {
		case "/silences/{id}/expire":
			path = "/silences/" + silenceID + "/expire"
		case "/admin/intake/{id}/revoke":
			path = "/admin/intake/" + srcID + "/revoke"
		}
		var resp *http.Response
		if method == "GET" {
			resp, _ = admin.get(path)
		} else {
			resp, _ = admin.post(path, url.Values{"action": {"nothing"}})
		}
		require.Less(t, resp.StatusCode, 500, rt)
		h := resp.Header
		require.Equal(t, httpsec.ContentSecurityPolicy, h.Get("Content-Security-Policy"), rt)
		require.Equal(t, "nosniff", h.Get("X-Content-Type-Options"), rt)
		require.Equal(t, "DENY", h.Get("X-Frame-Options"), rt)
		require.Equal(t, "no-referrer", h.Get("Referrer-Policy"), rt)
		checked++
	}
	require.Equal(t, 10, checked, "every route of the alert screens was tried")
	resp, _ = admin.get("/alerts/01NOSUCHALERT")
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	require.Equal(t, httpsec.ContentSecurityPolicy, resp.Header.Get("Content-Security-Policy"))
	resp, _ = admin.post("/alerts", url.Values{"id": {as[0].ID}, "action": {"promote"}}, "Sec-Fetch-Site", "cross-site")
	require.Equal(t, http.StatusForbidden, resp.StatusCode, "triage from another site is refused")
	require.Equal(t, alert.StatusNew, e.alertOf(as[0].ID).Status)
}
