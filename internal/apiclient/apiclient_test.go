package apiclient_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/apiclient"
	"github.com/quell-ir/quell/internal/asset"
	"github.com/quell-ir/quell/internal/auth"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
)

// seen is what the test server received.
type seen struct {
	method, path, rawPath string
	query                 url.Values
	header                http.Header
	body                  string
}

// server answers every request with status, content type and body, and records the request.
func server(t *testing.T, status int, contentType, reply string) (*apiclient.Client, *seen) {
	t.Helper()
	got := &seen{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		*got = seen{method: r.Method, path: r.URL.Path, rawPath: r.URL.EscapedPath(), query: r.URL.Query(), header: r.Header.Clone(), body: string(b)}
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, reply)
	}))
	t.Cleanup(srv.Close)
	c, err := apiclient.New(srv.URL+"/", "s3cret", apiclient.WithVersion("1.2.3"))
	require.NoError(t, err)
	return c, got
}

func TestNewValidatesURL(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"", "quell.example.com", "ftp://u:p@quell.example.com", "https://", "https://u:p@quell.example.com", "https://quell.example.com/?x=1"} {
		_, err := apiclient.New(bad, "t")
		require.Error(t, err, bad)
		require.NotContains(t, err.Error(), "u:p", "credentials must not be echoed")
	}
	_, err := apiclient.New("https://quell.example.com", "qk_abc\n")
	require.ErrorContains(t, err, "line breaks")
	c, err := apiclient.New("https://quell.example.com/ir/", "t")
	require.NoError(t, err)
	require.Equal(t, "https://quell.example.com/ir", c.BaseURL())
}

func TestRequestsCarryHeaders(t *testing.T) {
	t.Parallel()
	c, got := server(t, http.StatusOK, "application/json", `{"user":{"id":"u1","username":"alice"},"role":"lead","org_slug":"default"}`)
	me, err := c.Me(context.Background())
	require.NoError(t, err)
	require.Equal(t, "alice", me.User.Username)
	require.Equal(t, access.RoleLead, me.Role)
	require.Equal(t, "GET", got.method)
	require.Equal(t, "/api/v1/me", got.path)
	require.Equal(t, "Bearer s3cret", got.header.Get("Authorization"))
	require.Equal(t, "quell-cli/1.2.3", got.header.Get("User-Agent"))
	require.Contains(t, got.header.Get("Accept"), "application/problem+json")
	require.Empty(t, got.header.Get("Content-Type"), "no body, no content type")
	require.Empty(t, got.header.Get("If-Match"))
}

func TestNoTokenNoAuthorization(t *testing.T) {
	t.Parallel()
	got := &seen{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.header = r.Header.Clone()
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"id":"t1","name":"cli","scope":"write","prefix":"qk_ab","secret":"qk_abcdef"}`)
	}))
	t.Cleanup(srv.Close)
	c, err := apiclient.New(srv.URL, "")
	require.NoError(t, err)
	tok, err := c.CreateLoginToken(context.Background(), auth.TokenLoginRequest{
		LoginRequest: auth.LoginRequest{Username: "alice", Password: "pw"}, Name: "cli"})
	require.NoError(t, err)
	require.Equal(t, "qk_abcdef", tok.Secret)
	require.Equal(t, access.ScopeWrite, tok.Scope)
	_, present := got.header["Authorization"]
	require.False(t, present)
	require.Equal(t, "quell-cli/dev", got.header.Get("User-Agent"))
}

func ptr[T any](v T) *T { return &v }

// TestRoutes checks, for each method, the request it sends and the decoding of the answer.
func TestRoutes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	due := time.Date(2025, 3, 1, 14, 0, 0, 0, time.UTC)
	incidentJSON := `{"id":"01J","key":"INC-3","number":3,"title":"Ransomware on FS01","severity":"critical","phase":"containment","version":7,"assignments":[{"role":"commander","user_id":"u1","username":"alice"}]}`
	taskJSON := `{"id":"t1","incident_id":"01J","phase":"containment","title":"Isolate host","status":"todo","required":true,"version":2}`
	cases := []struct {
		name        string
		call        func(c *apiclient.Client) (any, error)
		method      string
		path        string
		query       url.Values
		ifMatch     string
		body        string
		status      int
		reply       string
		check       func(t *testing.T, got any)
		contentType string
	}{
		{
			name: "list incidents with filters",
			call: func(c *apiclient.Client) (any, error) {
				return c.ListIncidents(ctx, apiclient.IncidentQuery{
					Phases: []incident.Phase{incident.PhaseContainment, incident.PhaseInvestigation}, Severities: []incident.Severity{incident.SeverityHigh},
					Assignee: "me", Status: "open", Query: "fs01", Sort: "priority", ListOptions: apiclient.ListOptions{Cursor: "abc", Limit: 20}})
			},
			method: "GET", path: "/api/v1/incidents",
			query:  url.Values{"phase": {"containment", "investigation"}, "severity": {"high"}, "assignee": {"me"}, "status": {"open"}, "q": {"fs01"}, "sort": {"priority"}, "cursor": {"abc"}, "limit": {"20"}},
			status: 200, reply: `{"items":[{"key":"INC-3","title":"x"}],"next":"n2"}`,
			check: func(t *testing.T, got any) {
				p := got.(store.Page[incident.Incident])
				require.Equal(t, "n2", p.Next)
				require.Equal(t, "INC-3", p.Items[0].Key)
			},
		},
		{
			name: "create incident",
			call: func(c *apiclient.Client) (any, error) {
				return c.CreateIncident(ctx, casework.NewIncident{Title: "Phish", Severity: incident.SeverityHigh, Type: incident.TypePhishing, Tags: []string{"email"}})
			},
			method: "POST", path: "/api/v1/incidents",
			body:   `{"title":"Phish","severity":"high","type":"phishing","tags":["email"]}`,
			status: 201, reply: incidentJSON,
			check: func(t *testing.T, got any) {
				d := got.(casework.IncidentDetail)
				require.Equal(t, "INC-3", d.Key)
				require.Equal(t, int64(7), d.Version)
				require.Equal(t, "alice", d.Assignments[0].Username)
			},
		},
		{
			name: "update incident with If-Match",
			call: func(c *apiclient.Client) (any, error) {
				return c.UpdateIncident(ctx, "INC-3", casework.IncidentPatch{Title: ptr("New title")}, 7)
			},
			method: "PATCH", path: "/api/v1/incidents/INC-3", ifMatch: `"7"`,
			body: `{"title":"New title"}`, status: 200, reply: incidentJSON,
		},
		{
			name: "change phase",
			call: func(c *apiclient.Client) (any, error) {
				return c.ChangePhase(ctx, "INC-3", casework.PhaseRequest{To: incident.PhaseClosed, Reason: "done", Resolution: incident.ResolutionBenign})
			},
			method: "POST", path: "/api/v1/incidents/INC-3/phase",
			body: `{"to":"closed","reason":"done","resolution":"benign"}`, status: 200, reply: incidentJSON,
		},
		{
			name:   "phase history",
			call:   func(c *apiclient.Client) (any, error) { return c.ListPhaseChanges(ctx, "INC-3") },
			method: "GET", path: "/api/v1/incidents/INC-3/phases", status: 200,
			reply: `[{"id":"p1","from":"identification","to":"containment","direction":"forward","reason":"r"}]`,
			check: func(t *testing.T, got any) {
				require.Equal(t, incident.Forward, got.([]incident.PhaseChange)[0].Direction)
			},
		},
		{
			name: "set milestone",
			call: func(c *apiclient.Client) (any, error) {
				return c.SetMilestone(ctx, "INC-3", incident.MilestoneDetected, casework.MilestoneRequest{At: &due, Reason: "SIEM"})
			},
			method: "PUT", path: "/api/v1/incidents/INC-3/milestones/detected_at",
			body: `{"at":"2025-03-01T14:00:00Z","reason":"SIEM"}`, status: 200, reply: incidentJSON,
		},
		{
			name:   "milestone corrections",
			call:   func(c *apiclient.Client) (any, error) { return c.ListMilestoneCorrections(ctx, "INC-3") },
			method: "GET", path: "/api/v1/incidents/INC-3/milestones", status: 200, reply: `[]`,
		},
		{
			name: "assign role",
			call: func(c *apiclient.Client) (any, error) {
				return c.AssignRole(ctx, "INC-3", incident.RoleScribe, casework.RoleRequest{User: "bob"})
			},
			method: "PUT", path: "/api/v1/incidents/INC-3/roles/scribe", body: `{"user":"bob"}`, status: 200, reply: incidentJSON,
		},
		{
			name:   "unassign role",
			call:   func(c *apiclient.Client) (any, error) { return c.UnassignRole(ctx, "INC-3", incident.RoleScribe) },
			method: "DELETE", path: "/api/v1/incidents/INC-3/roles/scribe", status: 200, reply: incidentJSON,
		},
		{
			name:   "members",
			call:   func(c *apiclient.Client) (any, error) { return c.ListMembers(ctx, "INC-3") },
			method: "GET", path: "/api/v1/incidents/INC-3/members", status: 200, reply: `["u1","u2"]`,
			check: func(t *testing.T, got any) { require.Equal(t, []string{"u1", "u2"}, got) },
		},
		{
			name:   "add member",
			call:   func(c *apiclient.Client) (any, error) { return nil, c.AddMember(ctx, "INC-3", "bob") },
			method: "PUT", path: "/api/v1/incidents/INC-3/members/bob", status: 204,
		},
		{
			name:   "remove member",
			call:   func(c *apiclient.Client) (any, error) { return nil, c.RemoveMember(ctx, "INC-3", "bob") },
			method: "DELETE", path: "/api/v1/incidents/INC-3/members/bob", status: 204,
		},
		{
			name:   "incident tasks",
			call:   func(c *apiclient.Client) (any, error) { return c.ListIncidentTasks(ctx, "INC-3") },
			method: "GET", path: "/api/v1/incidents/INC-3/tasks", status: 200, reply: "[" + taskJSON + "]",
			check: func(t *testing.T, got any) { require.True(t, got.([]incident.Task)[0].Required) },
		},
		{
			name: "create task",
			call: func(c *apiclient.Client) (any, error) {
				return c.CreateTask(ctx, "INC-3", casework.NewTask{Phase: incident.PhaseContainment, Title: "Isolate host", Required: true, DueAt: &due})
			},
			method: "POST", path: "/api/v1/incidents/INC-3/tasks",
			body: `{"phase":"containment","title":"Isolate host","required":true,"due_at":"2025-03-01T14:00:00Z"}`, status: 201, reply: taskJSON,
		},
		{
			name: "my overdue tasks",
			call: func(c *apiclient.Client) (any, error) {
				return c.ListTasks(ctx, apiclient.TaskQuery{Assignee: "me", Statuses: []incident.TaskStatus{incident.TaskTodo, incident.TaskBlocked}, Overdue: true, Incident: "INC-3"})
			},
			method: "GET", path: "/api/v1/tasks",
			query:  url.Values{"assignee": {"me"}, "status": {"todo", "blocked"}, "overdue": {"true"}, "incident": {"INC-3"}},
			status: 200, reply: `{"items":[` + taskJSON + `]}`,
		},
		{
			name:   "get task",
			call:   func(c *apiclient.Client) (any, error) { return c.GetTask(ctx, "t1") },
			method: "GET", path: "/api/v1/tasks/t1", status: 200, reply: taskJSON,
		},
		{
			name: "update task",
			call: func(c *apiclient.Client) (any, error) {
				s := incident.TaskDone
				return c.UpdateTask(ctx, "t1", casework.TaskPatch{Status: &s, ClearDue: true}, 2)
			},
			method: "PATCH", path: "/api/v1/tasks/t1", ifMatch: `"2"`,
			body: `{"status":"done","clear_due":true}`, status: 200, reply: taskJSON,
		},
		{
			name:   "notes",
			call:   func(c *apiclient.Client) (any, error) { return c.ListNotes(ctx, "INC-3") },
			method: "GET", path: "/api/v1/incidents/INC-3/notes", status: 200,
			reply: `[{"id":"n1","body":"**x**","body_html":"<p><strong>x</strong></p>","version":1}]`,
			check: func(t *testing.T, got any) {
				n := got.([]casework.NoteDetail)[0]
				require.Equal(t, "**x**", n.Body)
				require.Contains(t, n.BodyHTML, "<strong>")
			},
		},
		{
			name: "create note",
			call: func(c *apiclient.Client) (any, error) {
				return c.CreateNote(ctx, "INC-3", casework.NewNote{Body: "hello"})
			},
			method: "POST", path: "/api/v1/incidents/INC-3/notes", body: `{"body":"hello"}`, status: 201, reply: `{"id":"n1"}`,
		},
		{
			name:   "get note",
			call:   func(c *apiclient.Client) (any, error) { return c.GetNote(ctx, "n1") },
			method: "GET", path: "/api/v1/notes/n1", status: 200, reply: `{"id":"n1"}`,
		},
		{
			name: "update note",
			call: func(c *apiclient.Client) (any, error) {
				return c.UpdateNote(ctx, "n1", casework.NotePatch{Body: "v2"}, 1)
			},
			method: "PATCH", path: "/api/v1/notes/n1", ifMatch: `"1"`, body: `{"body":"v2"}`, status: 200, reply: `{"id":"n1"}`,
		},
		{
			name:   "note revisions",
			call:   func(c *apiclient.Client) (any, error) { return c.ListNoteRevisions(ctx, "n1") },
			method: "GET", path: "/api/v1/notes/n1/revisions", status: 200, reply: `[{"note_id":"n1","version":1,"body":"v1"}]`,
		},
		{
			name: "timeline",
			call: func(c *apiclient.Client) (any, error) {
				return c.ListTimeline(ctx, "INC-3", apiclient.TimelineQuery{Kinds: []incident.EntryKind{incident.KindManual}, FlaggedOnly: true, ListOptions: apiclient.ListOptions{Limit: 5}})
			},
			method: "GET", path: "/api/v1/incidents/INC-3/timeline",
			query:  url.Values{"kind": {"manual"}, "flagged": {"true"}, "limit": {"5"}},
			status: 200, reply: `{"items":[{"id":"e1","kind":"manual","text":"x","event_at":"2025-03-01T14:00:00Z","event_zone":"Europe/Paris"}]}`,
			check: func(t *testing.T, got any) {
				e := got.(store.Page[incident.Entry]).Items[0]
				require.Equal(t, "Europe/Paris", e.EventZone)
				require.True(t, e.EventAt.Equal(due))
			},
		},
		{
			name: "add timeline entry",
			call: func(c *apiclient.Client) (any, error) {
				return c.AddTimelineEntry(ctx, "INC-3", casework.NewEntry{EventAt: &due, EventZone: "Europe/Paris", Text: "beacon", Technique: "T1071", Flagged: true})
			},
			method: "POST", path: "/api/v1/incidents/INC-3/timeline",
			body:   `{"event_at":"2025-03-01T14:00:00Z","event_zone":"Europe/Paris","text":"beacon","technique":"T1071","flagged":true}`,
			status: 201, reply: `{"id":"e1"}`,
		},
		{
			name: "flag timeline entry",
			call: func(c *apiclient.Client) (any, error) {
				return c.UpdateTimelineEntry(ctx, "e1", casework.EntryPatch{Flagged: ptr(false)})
			},
			method: "PATCH", path: "/api/v1/timeline/e1", body: `{"flagged":false}`, status: 200, reply: `{"id":"e1"}`,
		},
		{
			name: "assets",
			call: func(c *apiclient.Client) (any, error) {
				return c.ListAssets(ctx, apiclient.AssetQuery{Kind: asset.KindHost, Query: "fs"})
			},
			method: "GET", path: "/api/v1/assets", query: url.Values{"kind": {"host"}, "q": {"fs"}},
			status: 200, reply: `{"items":[{"id":"a1","name":"fs01","kind":"host","criticality":4}]}`,
		},
		{
			name: "create asset",
			call: func(c *apiclient.Client) (any, error) {
				return c.CreateAsset(ctx, casework.NewAsset{Kind: asset.KindHost, Name: "fs01", Criticality: 4,
					Identifiers: []asset.Identifier{{Type: asset.IDIP, Value: "10.0.0.5"}}})
			},
			method: "POST", path: "/api/v1/assets",
			body:   `{"kind":"host","name":"fs01","criticality":4,"identifiers":[{"type":"ip","value":"10.0.0.5"}]}`,
			status: 201, reply: `{"id":"a1"}`,
		},
		{
			name:   "get asset",
			call:   func(c *apiclient.Client) (any, error) { return c.GetAsset(ctx, "a1") },
			method: "GET", path: "/api/v1/assets/a1", status: 200, reply: `{"id":"a1"}`,
		},
		{
			name: "update asset",
			call: func(c *apiclient.Client) (any, error) {
				return c.UpdateAsset(ctx, "a1", casework.AssetPatch{Criticality: ptr(3)}, 4)
			},
			method: "PATCH", path: "/api/v1/assets/a1", ifMatch: `"4"`, body: `{"criticality":3}`, status: 200, reply: `{"id":"a1"}`,
		},
		{
			name:   "asset incidents",
			call:   func(c *apiclient.Client) (any, error) { return c.ListAssetIncidents(ctx, "a1") },
			method: "GET", path: "/api/v1/assets/a1/incidents", status: 200, reply: `[{"incident_key":"INC-3","status":"contained"}]`,
		},
		{
			name:   "incident assets",
			call:   func(c *apiclient.Client) (any, error) { return c.ListIncidentAssets(ctx, "INC-3") },
			method: "GET", path: "/api/v1/incidents/INC-3/assets", status: 200, reply: `[]`,
		},
		{
			name: "link asset",
			call: func(c *apiclient.Client) (any, error) {
				return c.LinkAsset(ctx, "INC-3", "a1", casework.LinkRequest{Status: asset.LinkContained, Note: "isolated"})
			},
			method: "PUT", path: "/api/v1/incidents/INC-3/assets/a1", body: `{"status":"contained","note":"isolated"}`,
			status: 200, reply: `{"asset_id":"a1","status":"contained"}`,
			check: func(t *testing.T, got any) { require.Equal(t, asset.LinkContained, got.(asset.Link).Status) },
		},
		{
			name:   "unlink asset",
			call:   func(c *apiclient.Client) (any, error) { return nil, c.UnlinkAsset(ctx, "INC-3", "a1") },
			method: "DELETE", path: "/api/v1/incidents/INC-3/assets/a1", status: 204,
		},
		{
			name: "audit",
			call: func(c *apiclient.Client) (any, error) {
				return c.ListAudit(ctx, apiclient.AuditQuery{Incident: "INC-3", After: 41, Limit: 2})
			},
			method: "GET", path: "/api/v1/audit", query: url.Values{"incident": {"INC-3"}, "after": {"41"}, "limit": {"2"}},
			status: 200, reply: `{"items":[{"seq":42,"action":"incident.create"}],"next":"42"}`,
		},
		{
			name:   "search",
			call:   func(c *apiclient.Client) (any, error) { return c.Search(ctx, "mimikatz & co", 10) },
			method: "GET", path: "/api/v1/search", query: url.Values{"q": {"mimikatz & co"}, "limit": {"10"}},
			status: 200, reply: `[{"kind":"note","incident_key":"INC-3","snippet":"found mimikatz"}]`,
		},
		{
			name:   "orgs",
			call:   func(c *apiclient.Client) (any, error) { return c.ListOrgs(ctx) },
			method: "GET", path: "/api/v1/orgs", status: 200, reply: `[{"id":"o1","slug":"default"}]`,
		},
		{
			name: "create org",
			call: func(c *apiclient.Client) (any, error) {
				return c.CreateOrg(ctx, auth.NewOrg{Slug: "acme", Name: "Acme"})
			},
			method: "POST", path: "/api/v1/orgs", body: `{"slug":"acme","name":"Acme"}`, status: 201, reply: `{"id":"o2"}`,
		},
		{
			name:   "switch org",
			call:   func(c *apiclient.Client) (any, error) { return c.SwitchOrg(ctx, auth.OrgSwitch{Org: "acme"}) },
			method: "POST", path: "/api/v1/me/org", body: `{"org":"acme"}`, status: 200, reply: `{"org_slug":"acme"}`,
		},
		{
			name: "change password",
			call: func(c *apiclient.Client) (any, error) {
				return nil, c.ChangePassword(ctx, auth.PasswordChange{Current: "a", New: "b"})
			},
			method: "POST", path: "/api/v1/me/password", body: `{"current":"a","new":"b"}`, status: 204,
		},
		{
			name: "session login",
			call: func(c *apiclient.Client) (any, error) {
				return c.Login(ctx, auth.LoginRequest{Username: "alice", Password: "pw", Org: "acme"})
			},
			method: "POST", path: "/api/v1/auth/login", body: `{"username":"alice","password":"pw","org":"acme"}`, status: 200, reply: `{}`,
		},
		{
			name:   "session logout",
			call:   func(c *apiclient.Client) (any, error) { return nil, c.Logout(ctx) },
			method: "POST", path: "/api/v1/auth/logout", status: 204,
		},
		{
			name:   "users",
			call:   func(c *apiclient.Client) (any, error) { return c.ListUsers(ctx) },
			method: "GET", path: "/api/v1/users", status: 200, reply: `[{"user_id":"u1","username":"alice","role":"admin"}]`,
		},
		{
			name: "create user",
			call: func(c *apiclient.Client) (any, error) {
				return c.CreateUser(ctx, auth.NewUser{Username: "bob", Password: "pw", Role: access.RoleResponder})
			},
			method: "POST", path: "/api/v1/users", body: `{"username":"bob","password":"pw","role":"responder"}`, status: 201, reply: `{"id":"u2"}`,
		},
		{
			name:   "get user by name",
			call:   func(c *apiclient.Client) (any, error) { return c.GetUser(ctx, "bob") },
			method: "GET", path: "/api/v1/users/bob", status: 200, reply: `{"id":"u2","username":"bob","role":"responder"}`,
			check: func(t *testing.T, got any) {
				u := got.(auth.UserDetail)
				require.Equal(t, "bob", u.Username)
				require.Equal(t, access.RoleResponder, u.Role)
			},
		},
		{
			name: "disable user",
			call: func(c *apiclient.Client) (any, error) {
				return c.UpdateUser(ctx, "bob", auth.UserPatch{Disabled: ptr(true)}, 3)
			},
			method: "PATCH", path: "/api/v1/users/bob", ifMatch: `"3"`, body: `{"disabled":true}`, status: 200, reply: `{"id":"u2","disabled":true}`,
		},
		{
			name:   "tokens",
			call:   func(c *apiclient.Client) (any, error) { return c.ListTokens(ctx) },
			method: "GET", path: "/api/v1/tokens", status: 200, reply: `[{"id":"t1","scope":"read"}]`,
		},
		{
			name: "create token",
			call: func(c *apiclient.Client) (any, error) {
				return c.CreateToken(ctx, auth.NewToken{Name: "ci", Scope: access.ScopeRead, ExpiresInDays: 30})
			},
			method: "POST", path: "/api/v1/tokens", body: `{"name":"ci","scope":"read","expires_in_days":30}`, status: 201, reply: `{"id":"t2","secret":"qk_x"}`,
		},
		{
			name:   "revoke token",
			call:   func(c *apiclient.Client) (any, error) { return nil, c.RevokeToken(ctx, "t2") },
			method: "DELETE", path: "/api/v1/tokens/t2", status: 204,
		},
		{
			name:   "healthz",
			call:   func(c *apiclient.Client) (any, error) { return nil, c.Healthz(ctx) },
			method: "GET", path: "/healthz", status: 200, reply: "ok\n", contentType: "text/plain",
		},
		{
			name:   "readyz",
			call:   func(c *apiclient.Client) (any, error) { return nil, c.Readyz(ctx) },
			method: "GET", path: "/readyz", status: 200, reply: "ok\n", contentType: "text/plain",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ct := tc.contentType
			if ct == "" && tc.reply != "" {
				ct = "application/json"
			}
			c, got := server(t, tc.status, ct, tc.reply)
			out, err := tc.call(c)
			require.NoError(t, err)
			require.Equal(t, tc.method, got.method)
			require.Equal(t, tc.path, got.path)
			if tc.query == nil {
				tc.query = url.Values{}
			}
			require.Equal(t, tc.query, got.query)
			require.Equal(t, tc.ifMatch, got.header.Get("If-Match"))
			if tc.body == "" {
				require.Empty(t, got.body)
			} else {
				require.Equal(t, "application/json", got.header.Get("Content-Type"))
				require.JSONEq(t, tc.body, got.body)
			}
			if tc.check != nil {
				tc.check(t, out)
			}
		})
	}
}

func TestPathSegmentsAreEscaped(t *testing.T) {
	t.Parallel()
	c, got := server(t, http.StatusOK, "application/json", `{"id":"x"}`)
	_, err := c.GetUser(context.Background(), "a/b?c")
	require.NoError(t, err)
	require.Equal(t, "/api/v1/users/a%2Fb%3Fc", got.rawPath)
	require.Empty(t, got.query)
}

func TestBasePathPrefix(t *testing.T) {
	t.Parallel()
	got := ""
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.URL.Path
		_, _ = io.WriteString(w, `[]`)
	}))
	t.Cleanup(srv.Close)
	c, err := apiclient.New(srv.URL+"/quell/", "t")
	require.NoError(t, err)
	_, err = c.ListOrgs(context.Background())
	require.NoError(t, err)
	require.Equal(t, "/quell/api/v1/orgs", got)
}

// newBlockingServer answers nothing until block is closed or the client goes away.
func newBlockingServer(t *testing.T, block <-chan struct{}) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
