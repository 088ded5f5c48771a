package web_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/asset"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/httpsec"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/web"
)

// seeded names what seed made.
type seeded struct {
	key     string // an incident with a bit of everything
	taskID  string
	noteID  string
	entryID string
	assetID string
}

// seed fills the database through the API with an incident that has tasks, a note, a
// backdated timeline entry, a commander and a linked asset.
func (e *env) seed() seeded {
	e.t.Helper()
	var s seeded
	var a asset.Asset
	e.api("POST", "/api/v1/assets", e.admin, casework.NewAsset{Kind: asset.KindHost, Name: "mail-gw-01", Criticality: 3,
		Owner: "messaging team", Identifiers: []asset.Identifier{{Type: asset.IDIP, Value: "10.0.4.12"}}}, http.StatusCreated, &a)
	s.assetID = a.ID
	var d casework.IncidentDetail
	e.api("POST", "/api/v1/incidents", e.admin, casework.NewIncident{Title: "Credential phishing against finance",
		Summary: "Fourteen people received it; two clicked.", Type: incident.TypePhishing, Severity: incident.SeverityHigh,
		Tags: []string{"bec", "finance"}}, http.StatusCreated, &d)
	s.key = d.Key
	var t incident.Task
	due := time.Now().Add(2 * time.Hour)
	e.api("POST", "/api/v1/incidents/"+s.key+"/tasks", e.admin, casework.NewTask{Phase: incident.PhaseIdentification,
		Title: "Collect the message headers", Required: true, Assignee: "admin", DueAt: &due}, http.StatusCreated, &t)
	s.taskID = t.ID
	e.api("POST", "/api/v1/incidents/"+s.key+"/tasks", e.admin, casework.NewTask{Phase: incident.PhaseContainment,
		Title: "Block the sender domain"}, http.StatusCreated, nil)
	var n casework.NoteDetail
	e.api("POST", "/api/v1/incidents/"+s.key+"/notes", e.admin, casework.NewNote{Body: "Sender rotated through **three** look-alike domains."}, http.StatusCreated, &n)
	s.noteID = n.ID
	e.api("PATCH", "/api/v1/notes/"+s.noteID, e.admin, casework.NotePatch{Body: "Sender rotated through **four** look-alike domains."}, http.StatusOK, nil)
	at := time.Date(2026, 3, 2, 8, 15, 0, 0, time.FixedZone("", 3600))
	var entry incident.Entry
	e.api("POST", "/api/v1/incidents/"+s.key+"/timeline", e.admin, casework.NewEntry{EventAt: &at, Text: "First report to the service desk",
		Flagged: true, Technique: "T1566"}, http.StatusCreated, &entry)
	s.entryID = entry.ID
	e.api("PUT", "/api/v1/incidents/"+s.key+"/roles/commander", e.admin, casework.RoleRequest{User: "admin"}, http.StatusOK, nil)
	e.api("PUT", "/api/v1/incidents/"+s.key+"/assets/"+s.assetID, e.admin, casework.LinkRequest{Status: asset.LinkCompromised}, http.StatusOK, nil)
	return s
}

// pageName is the page template a response was rendered from (the main element's data-page).
var pageName = regexp.MustCompile(`<main id="main" tabindex="-1" data-page="([a-z-]+)">`)

// requireSafeMarkup fails on anything in a page that the Content-Security-Policy would have to
// stop: inline script, inline style, event handler attributes, javascript: addresses.
func requireSafeMarkup(t *testing.T, where, body string) {
	t.Helper()
	z := html.NewTokenizer(strings.NewReader(body))
	for {
		switch z.Next() {
		case html.ErrorToken:
			require.ErrorIs(t, z.Err(), io.EOF, "%s: the page does not parse", where)
			return
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			require.NotEqual(t, "style", tok.Data, "%s: a <style> element", where)
			src := ""
			for _, a := range tok.Attr {
				key := strings.ToLower(a.Key)
				require.NotEqual(t, "style", key, "%s: a style attribute on <%s>", where, tok.Data)
				require.False(t, strings.HasPrefix(key, "on"), "%s: an event handler attribute %s on <%s>", where, key, tok.Data)
				if key == "href" || key == "src" || key == "action" || key == "formaction" {
					require.False(t, strings.HasPrefix(strings.ToLower(strings.TrimSpace(a.Val)), "javascript:"),
						"%s: a javascript: address on <%s>", where, tok.Data)
				}
				if key == "src" {
					src = a.Val
				}
			}
			if tok.Data == "script" {
				require.NotEmpty(t, src, "%s: an inline <script>", where)
				require.True(t, strings.HasPrefix(src, "/static/"), "%s: a script from elsewhere: %s", where, src)
			}
		}
	}
}

func TestTemplatesCompile(t *testing.T) {
	t.Parallel()
	_, err := web.New(web.Config{}, nil, nil, nil)
	require.NoError(t, err, "every template parses and every partial it calls exists")
}

// TestEveryPageRenders visits every page of the UI, as an admin and as a viewer, and checks
// that each one renders with safe markup, and that no page template was left unvisited.
func TestEveryPageRenders(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.seed()
	e.addUser("vera", access.RoleViewer)
	admin := e.signIn("admin", adminPassword)
	viewer := e.signIn("vera", "vera has a long password")
	var restricted casework.IncidentDetail
	e.api("POST", "/api/v1/incidents", e.admin, casework.NewIncident{Title: "Need to know", Severity: incident.SeverityMedium, Restricted: true},
		http.StatusCreated, &restricted)
	e.api("PUT", "/api/v1/incidents/"+restricted.Key+"/members/vera", e.admin, nil, http.StatusNoContent, nil)
	at := time.Now().Add(-time.Hour)
	e.api("PUT", "/api/v1/incidents/"+s.key+"/milestones/contained_at", e.admin, casework.MilestoneRequest{At: &at, Reason: "EDR isolated the host"},
		http.StatusOK, nil)

	al := e.ingest(nil, alertSet()...)

	rendered := map[string]bool{}
	visit := func(who *browserless, path string, status int) {
		t.Helper()
		resp, body := who.get(path)
		require.Equal(t, status, resp.StatusCode, "GET %s: %s", path, body)
		requireSafeMarkup(t, path, body)
		m := pageName.FindStringSubmatch(body)
		require.NotNil(t, m, "GET %s: no page name", path)
		rendered[m[1]] = true
	}
	pages := []string{
		"/", "/incidents", "/incidents?status=all&sort=priority&severity=high&phase=identification&type=phishing&assignee=me&tag=bec&q=phishing",
		"/incidents/new", "/incidents/" + s.key, "/incidents/" + s.key + "?kind=note&kind=manual", "/incidents/" + s.key + "/edit",
		"/tasks/" + s.taskID, "/notes/" + s.noteID, "/assets", "/assets?q=mail&kind=host", "/assets/new", "/assets/" + s.assetID,
		"/assets/" + s.assetID + "/edit", "/search?q=phishing", "/account", "/admin/users", "/admin/users/admin", "/admin/settings",
		"/admin/orgs", "/admin/audit", "/admin/audit?after=5", "/incidents/" + restricted.Key,
		"/alerts", "/alerts?status=all&silenced=any&severity=high&source=suricata&q=beacon&observable=203.0.113.7",
		"/alerts/" + al[2].ID, "/silences", "/silences?alert=" + al[2].ID, "/admin/intake",
		"/playbooks", "/playbooks/ransomware", "/playbooks/ransomware?version=1", "/playbooks/new", "/playbooks/ransomware/edit",
		"/plan", "/plan/edit", "/contacts", "/teams", "/rosters", "/rosters?role=commander",
	}
	for _, p := range pages {
		visit(admin, p, http.StatusOK)
	}
	for _, p := range []string{"/", "/incidents", "/incidents/" + s.key, "/tasks/" + s.taskID, "/notes/" + s.noteID, "/assets/" + s.assetID, "/account",
		"/incidents/" + restricted.Key, "/alerts", "/alerts/" + al[2].ID, "/silences"} {
		visit(viewer, p, http.StatusOK)
	}
	visit(e.anonymous(), "/login", http.StatusOK)
	visit(admin, "/no/such/page", http.StatusNotFound)

	names := web.PageNames()
	slices.Sort(names)
	var missed []string
	for _, n := range names {
		if !rendered[n] {
			missed = append(missed, n)
		}
	}
	require.Empty(t, missed, "page templates no test rendered")
}

// TestSecurityHeadersOnEveryResponse checks pages, static files, errors, redirects and the
// API behind the same server.
func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.seed()
	anon := e.anonymous()
	admin := e.signIn("admin", adminPassword)
	type probe struct {
		name   string
		status int
		resp   func() *http.Response
	}
	get := func(b *browserless, path string) func() *http.Response {
		return func() *http.Response { r, _ := b.get(path); return r }
	}
	post := func(b *browserless, path string, form url.Values, header ...string) func() *http.Response {
		return func() *http.Response { r, _ := b.post(path, form, header...); return r }
	}
	probes := []probe{
		{"login page", http.StatusOK, get(anon, "/login")},
		{"redirect to login", http.StatusSeeOther, get(anon, "/incidents")},
		{"stylesheet", http.StatusOK, get(anon, "/static/app.css")},
		{"htmx", http.StatusOK, get(anon, "/static/htmx.min.js")},
		{"missing static file", http.StatusNotFound, get(anon, "/static/missing.js")},
		{"failed login", http.StatusUnauthorized, post(anon, "/login", url.Values{"username": {"admin"}, "password": {"wrong password"}})},
		{"dashboard", http.StatusOK, get(admin, "/")},
		{"incident page", http.StatusOK, get(admin, "/incidents/"+s.key)},
		{"unknown incident", http.StatusNotFound, get(admin, "/incidents/INC-9999")},
		{"unknown page", http.StatusNotFound, get(admin, "/nowhere")},
		{"redirect after a change", http.StatusSeeOther, post(admin, "/incidents/"+s.key+"/notes", url.Values{"body": {"a note"}})},
		{"form shown again", http.StatusUnprocessableEntity, post(admin, "/incidents", url.Values{"title": {""}, "severity": {"high"}})},
		{"cross-origin post", http.StatusForbidden, post(admin, "/incidents", url.Values{"title": {"x"}}, "Sec-Fetch-Site", "cross-site")},
		{"API", http.StatusUnauthorized, get(anon, "/api/v1/me")},
		{"health", http.StatusOK, get(anon, "/healthz")},
	}
	for _, p := range probes {
		resp := p.resp()
		require.Equal(t, p.status, resp.StatusCode, p.name)
		h := resp.Header
		require.Equal(t, httpsec.ContentSecurityPolicy, h.Get("Content-Security-Policy"), p.name)
		require.Equal(t, "nosniff", h.Get("X-Content-Type-Options"), p.name)
		require.Equal(t, "DENY", h.Get("X-Frame-Options"), p.name)
		require.Equal(t, "no-referrer", h.Get("Referrer-Policy"), p.name)
		require.Equal(t, "same-origin", h.Get("Cross-Origin-Opener-Policy"), p.name)
		require.NotEmpty(t, h.Get("Permissions-Policy"), p.name)
	}
	require.Contains(t, httpsec.ContentSecurityPolicy, "script-src 'self';")
	require.Contains(t, httpsec.ContentSecurityPolicy, "style-src 'self';")
	require.NotContains(t, httpsec.ContentSecurityPolicy, "unsafe-inline")
	require.NotContains(t, httpsec.ContentSecurityPolicy, "unsafe-eval")
}
