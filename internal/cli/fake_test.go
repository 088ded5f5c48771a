package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/asset"
	"github.com/quell-ir/quell/internal/audit"
	"github.com/quell-ir/quell/internal/auth"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
)

// The tests run the commands against fakeAPI, a small stand-in for the HTTP API with canned
// answers, and check what the commands sent and printed. The API itself is tested in httpapi.

var testNow = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

const testSecret = "qk_live_secret"

// request is one request the fake received.
type request struct {
	Method, Path string
	Query        map[string][]string
	Header       http.Header
	Body         string
}

type fakeAPI struct {
	t   *testing.T
	srv *httptest.Server
	mux *http.ServeMux

	mu       sync.Mutex
	requests []request
}

func newFakeAPI(t *testing.T) *fakeAPI {
	t.Helper()
	f := &fakeAPI{t: t, mux: http.NewServeMux()}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.requests = append(f.requests, request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(), Body: string(b)})
		f.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(b))
		if r.URL.Path != "/api/v1/auth/token" && r.Header.Get("Authorization") != "Bearer "+testSecret {
			problem(w, http.StatusUnauthorized, "Unauthorized", "missing or unknown token", nil)
			return
		}
		f.mux.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	f.routes()
	return f
}

func (f *fakeAPI) URL() string { return f.srv.URL }

// handle answers method+path with status and the JSON of v.
func (f *fakeAPI) handle(pattern string, status int, v any) {
	f.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) { reply(w, status, v) })
}

// last returns the last request with this method and path.
func (f *fakeAPI) last(method, path string) request {
	f.t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.requests) - 1; i >= 0; i-- {
		if r := f.requests[i]; r.Method == method && r.Path == path {
			return r
		}
	}
	f.t.Fatalf("no %s %s among %d requests", method, path, len(f.requests))
	return request{}
}

func (f *fakeAPI) count(method, path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.requests {
		if r.Method == method && r.Path == path {
			n++
		}
	}
	return n
}

func reply(w http.ResponseWriter, status int, v any) {
	if v == nil {
		w.WriteHeader(status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func problem(w http.ResponseWriter, status int, title, detail string, extra map[string]any) {
	body := map[string]any{"type": "about:blank", "title": title, "status": status, "detail": detail}
	for k, v := range extra {
		body[k] = v
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func ptrTime(t time.Time) *time.Time { return &t }

var sampleIncident = casework.IncidentDetail{
	Incident: incident.Incident{
		ID: "01JINC3", Number: 3, Key: "INC-3", Title: "Ransomware on FS01", Summary: "Files encrypted on \\\\fs01\\share.",
		Type: incident.TypeRansomware, Severity: incident.SeverityCritical, Priority: incident.P1,
		Phase: incident.PhaseContainment, TLP: incident.TLPAmber, Tags: []string{"fileserver", "lockbit"},
		CustomFields: map[string]string{"ticket": "CHG-1234"},
		Milestones: incident.Milestones{
			DetectedAt:     ptrTime(testNow.Add(-5 * time.Hour)),
			AcknowledgedAt: ptrTime(testNow.Add(-4 * time.Hour)),
		},
		CreatedBy: "user:u1", CreatedAt: testNow.Add(-5 * time.Hour), UpdatedAt: testNow.Add(-time.Hour), Version: 7,
	},
	Assignments: []incident.Assignment{{Role: incident.RoleCommander, UserID: "u1", Username: "alice", AssignedAt: testNow.Add(-4 * time.Hour)}},
}

var sampleTask = incident.Task{ID: "01JTASK1", IncidentID: "01JINC3", Phase: incident.PhaseContainment, Title: "Isolate FS01",
	Status: incident.TaskTodo, Required: true, Assignee: "bob", DueAt: ptrTime(testNow.Add(-time.Hour)), Version: 2}

// routes installs the canned answers most tests need.
func (f *fakeAPI) routes() {
	me := auth.Me{User: access.User{ID: "u1", Username: "alice"}, OrgSlug: "default", Role: access.RoleLead}
	f.handle("GET /api/v1/me", 200, me)
	f.mux.HandleFunc("POST /api/v1/auth/token", func(w http.ResponseWriter, r *http.Request) {
		var req auth.TokenLoginRequest
		_ = json.NewDecoder(r.Body).Decode(&req)
		if req.Username != "alice" || req.Password != "correct horse" {
			problem(w, 401, "Unauthorized", "wrong user name or password", nil)
			return
		}
		reply(w, 201, auth.CreatedToken{Token: access.Token{ID: "tok1", Name: req.Name, Scope: access.ScopeWrite, Prefix: "qk_live"}, Secret: testSecret})
	})
	f.handle("DELETE /api/v1/tokens/{id}", 204, nil)
	f.handle("GET /api/v1/tokens", 200, []access.Token{{ID: "tok1", Name: "laptop", Scope: access.ScopeWrite, Prefix: "qk_live", CreatedAt: testNow.Add(-48 * time.Hour)}})
	f.handle("POST /api/v1/tokens", 201, auth.CreatedToken{Token: access.Token{ID: "tok2", Name: "ci", Scope: access.ScopeRead}, Secret: "qk_new_secret_shown_once"})

	f.mux.HandleFunc("GET /api/v1/incidents", func(w http.ResponseWriter, r *http.Request) {
		second := sampleIncident.Incident
		second.Key, second.Title, second.Severity, second.Priority, second.Phase = "INC-4", "Phishing wave", incident.SeverityMedium, incident.P3, incident.PhaseIdentification
		second.Type = incident.TypePhishing
		second.CreatedAt = testNow.Add(-26 * time.Hour)
		switch r.URL.Query().Get("cursor") {
		case "":
			reply(w, 200, store.Page[incident.Incident]{Items: []incident.Incident{sampleIncident.Incident}, Next: "page2"})
		case "page2":
			reply(w, 200, store.Page[incident.Incident]{Items: []incident.Incident{second}})
		default:
			problem(w, 400, "Bad Request", "bad cursor", nil)
		}
	})
	f.handle("POST /api/v1/incidents", 201, sampleIncident)
	f.mux.HandleFunc("GET /api/v1/incidents/{key}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("key") != "INC-3" {
			problem(w, 404, "Not Found", "no incident "+r.PathValue("key"), nil)
			return
		}
		reply(w, 200, sampleIncident)
	})
	f.mux.HandleFunc("PATCH /api/v1/incidents/{key}", func(w http.ResponseWriter, r *http.Request) {
		d := sampleIncident
		d.Version++
		reply(w, 200, d)
	})
	f.mux.HandleFunc("POST /api/v1/incidents/{key}/phase", func(w http.ResponseWriter, r *http.Request) {
		var req casework.PhaseRequest
		_ = json.NewDecoder(r.Body).Decode(&req)
		if req.To != incident.PhaseClosed && !req.Override {
			problem(w, 409, "Conflict", "required tasks are open (INC-3)", map[string]any{"unmet": []incident.Task{sampleTask}})
			return
		}
		d := sampleIncident
		d.Phase, d.Resolution = req.To, req.Resolution
		reply(w, 200, d)
	})
	f.handle("PUT /api/v1/incidents/{key}/roles/{role}", 200, sampleIncident)
	f.handle("DELETE /api/v1/incidents/{key}/roles/{role}", 200, sampleIncident)
	f.handle("GET /api/v1/incidents/{key}/tasks", 200, []incident.Task{sampleTask})
	f.handle("POST /api/v1/incidents/{key}/tasks", 201, sampleTask)
	f.handle("GET /api/v1/tasks", 200, store.Page[incident.Task]{Items: []incident.Task{sampleTask}})
	f.handle("GET /api/v1/tasks/{id}", 200, sampleTask)
	f.mux.HandleFunc("PATCH /api/v1/tasks/{id}", func(w http.ResponseWriter, r *http.Request) {
		var p casework.TaskPatch
		_ = json.NewDecoder(r.Body).Decode(&p)
		t := sampleTask
		if p.Status != nil {
			t.Status = *p.Status
		}
		reply(w, 200, t)
	})
	f.handle("POST /api/v1/incidents/{key}/notes", 201, casework.NoteDetail{Note: incident.Note{ID: "01JNOTE1"}})
	f.handle("GET /api/v1/incidents/{key}/notes", 200, []casework.NoteDetail{{Note: incident.Note{ID: "01JNOTE1", Author: "user:u1",
		Body: "Called the ISP.\n\x1b[2JBlock in place.", CreatedAt: testNow, Version: 1}}})
	f.handle("POST /api/v1/incidents/{key}/timeline", 201, incident.Entry{ID: "01JENTRY", EventAt: testNow, EventZone: "Europe/Paris"})
	fs01 := asset.Asset{ID: "01JASSET", Kind: asset.KindHost, Name: "fs01", Criticality: 4, Version: 5,
		Identifiers: []asset.Identifier{{Type: asset.IDIP, Value: "10.0.0.5"}}}
	f.handle("POST /api/v1/assets", 201, fs01)
	f.handle("GET /api/v1/assets/{id}", 200, fs01)
	f.handle("PATCH /api/v1/assets/{id}", 200, fs01)
	f.handle("GET /api/v1/assets/{id}/incidents", 200, []asset.Link{{IncidentKey: "INC-3", AssetID: "01JASSET", Status: asset.LinkContained, UpdatedAt: testNow}})
	f.handle("PUT /api/v1/incidents/{key}/assets/{id}", 200, asset.Link{AssetID: "01JASSET", AssetName: "fs01", Status: asset.LinkCompromised})
	f.handle("DELETE /api/v1/incidents/{key}/assets/{id}", 204, nil)
	f.mux.HandleFunc("GET /api/v1/audit", func(w http.ResponseWriter, r *http.Request) {
		rec := func(seq int64, action string) audit.Record {
			return audit.Record{Seq: seq, At: testNow, Actor: "alice", Action: action, ObjectType: "incident", ObjectID: "01JINC3", IncidentID: "01JINC3"}
		}
		if r.URL.Query().Get("after") == "" {
			reply(w, 200, store.Page[audit.Record]{Items: []audit.Record{rec(1, "incident.create"), rec(2, "incident.update")}, Next: "2"})
			return
		}
		reply(w, 200, store.Page[audit.Record]{Items: []audit.Record{rec(3, "incident.phase")}})
	})
	f.handle("GET /api/v1/search", 200, []store.SearchHit{{Kind: "note", IncidentKey: "INC-3", Title: "Ransomware on FS01", Snippet: "ran mimikatz on fs01"}})
	f.mux.HandleFunc("POST /api/v1/users", func(w http.ResponseWriter, r *http.Request) {
		problem(w, 422, "Unprocessable Entity", "the request has invalid fields", map[string]any{
			"errors": []map[string]string{{"pointer": "/username", "detail": "is taken"}, {"pointer": "/email", "detail": "is not an e-mail address"}}})
	})
	f.handle("GET /api/v1/users/{id}", 200, auth.UserDetail{User: access.User{ID: "u2", Username: "bob", Version: 3}, Role: access.RoleResponder})
	f.handle("PATCH /api/v1/users/{id}", 200, auth.UserDetail{User: access.User{ID: "u2", Username: "bob", Disabled: true, Version: 4}, Role: access.RoleResponder})
}

// harness runs commands as a user would, with its own configuration directory and environment.
type harness struct {
	t       *testing.T
	api     *fakeAPI
	env     map[string]string
	dir     string
	console *fakeConsole
}

type fakeConsole struct {
	terminal bool
	password string
	reads    int
}

func (f *fakeConsole) IsTerminal(io.Reader) bool { return f.terminal }
func (f *fakeConsole) ReadPassword(io.Reader) (string, error) {
	f.reads++
	return f.password, nil
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	return &harness{t: t, api: newFakeAPI(t), env: map[string]string{}, dir: t.TempDir(), console: &fakeConsole{}}
}

// loggedIn stores a login for the fake server, as `quell login` would.
func (h *harness) loggedIn() *harness {
	h.t.Helper()
	r := h.run("correct horse\n", "login", "--server", h.api.URL(), "--username", "alice", "--password-stdin")
	require.Equal(h.t, 0, r.code, r.stderr)
	return h
}

func (h *harness) configFile() string { return filepath.Join(h.dir, "quell", "config.json") }

type result struct {
	stdout, stderr string
	code           int
}

func (h *harness) run(stdin string, argv ...string) result {
	h.t.Helper()
	var out, errb bytes.Buffer
	root := newRoot("1.0.0-test", &out, &errb, deps{
		getenv:    func(k string) string { return h.env[k] },
		configDir: func() (string, error) { return h.dir, nil },
		hostname:  func() (string, error) { return "testhost", nil },
		now:       func() time.Time { return testNow },
		console:   h.console,
	})
	root.SetIn(strings.NewReader(stdin))
	root.SetArgs(argv)
	code := Execute(context.Background(), root)
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}
