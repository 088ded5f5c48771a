package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/audit"
	"github.com/quell-ir/quell/internal/auth"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/httpapi"
	"github.com/quell-ir/quell/internal/intake"
	"github.com/quell-ir/quell/internal/jobs"
	"github.com/quell-ir/quell/internal/store"
	"github.com/quell-ir/quell/internal/store/sqlite"
)

// env is a real Quell API on a real SQLite database in a temporary directory.
type env struct {
	t       testing.TB
	ctx     context.Context
	store   *sqlite.Store
	auth    *auth.Service
	cases   *casework.Service
	handler http.Handler
	srv     *httptest.Server
	clock   *clock
	// admin is the bootstrap admin's API token.
	admin  string
	intake *intake.Service
}

// clock is a test clock that moves one second forward each time it is read, so that every
// recorded time is distinct and in order.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

const adminPassword = "correct horse battery staple"

func newEnv(t testing.TB) *env {
	t.Helper()
	return newEnvWith(t, auth.Options{MaxFailuresPerAccount: 1000, MaxFailuresPerAddress: 1000}, httpapi.Config{})
}

// newEnvWith builds an env with the given auth and API settings.
func newEnvWith(t testing.TB, authOpts auth.Options, apiCfg httpapi.Config) *env {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "quell.db"), sqlite.Options{Logger: log})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	clk := &clock{t: time.Now().UTC().Add(-24 * time.Hour).Truncate(time.Second)}
	cases := casework.New(st, casework.Options{Now: clk.Now, Logger: log, CheckSource: intake.CheckSource})
	if apiCfg.Intake == nil {
		in := intake.New(st, intake.Options{Logger: log})
		in.Start()
		t.Cleanup(func() { _ = in.Close(context.Background()) })
		apiCfg.Intake = in
	}
	authOpts.Logger = log
	authn := auth.New(st, authOpts)
	q, err := jobs.New(ctx, st, cases, jobs.Options{Logger: log})
	require.NoError(t, err)
	_ = q
	res, err := authn.Bootstrap(ctx, "admin", adminPassword)
	require.NoError(t, err)
	require.True(t, res.Created)
	apiCfg.Version = "test"
	api := httpapi.New(apiCfg, st, cases, authn, log)
	e := &env{t: t, ctx: ctx, store: st, auth: authn, cases: cases, handler: api.Handler(), clock: clk, intake: apiCfg.Intake}
	e.srv = httptest.NewServer(e.handler)
	t.Cleanup(e.srv.Close)
	e.admin = e.tokenFor("admin", adminPassword, access.ScopeAdmin)
	return e
}

// tokenFor signs a user in through the API and returns a new API token.
func (e *env) tokenFor(username, password string, scope access.Scope) string {
	e.t.Helper()
	var tok auth.CreatedToken
	e.call("POST", "/api/v1/auth/token", "", auth.TokenLoginRequest{
		LoginRequest: auth.LoginRequest{Username: username, Password: password}, Name: "test", Scope: scope,
	}, http.StatusCreated, &tok)
	return tok.Secret
}

// addUser creates a user with a role through the API (as the admin) and returns a token.
func (e *env) addUser(username string, role access.Role) (access.User, string) {
	e.t.Helper()
	var u access.User
	pw := username + "-password-123"
	e.call("POST", "/api/v1/users", e.admin, auth.NewUser{Username: username, Password: pw, Role: role}, http.StatusCreated, &u)
	scope := access.ScopeWrite
	switch role {
	case access.RoleViewer:
		scope = access.ScopeRead
	case access.RoleAdmin:
		scope = access.ScopeAdmin
	}
	return u, e.tokenFor(username, pw, scope)
}

// request sends a request and returns the response with its body read.
func (e *env) request(method, path, token string, body any, header ...string) (*http.Response, []byte) {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = bytes.NewReader([]byte(b))
	default:
		j, err := json.Marshal(b)
		require.NoError(e.t, err)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(e.ctx, method, e.srv.URL+path, rd)
	require.NoError(e.t, err)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := e.srv.Client().Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	return resp, data
}

// call sends a request, requires the status, and decodes the body into out (if not nil).
func (e *env) call(method, path, token string, body any, status int, out any) *http.Response {
	e.t.Helper()
	resp, data := e.request(method, path, token, body)
	require.Equal(e.t, status, resp.StatusCode, "%s %s: %s", method, path, data)
	if out != nil {
		require.NoError(e.t, json.Unmarshal(data, out), "%s %s: %s", method, path, data)
	}
	return resp
}

// problem decodes a problem document.
func problem(t testing.TB, data []byte) httpapi.Problem {
	t.Helper()
	var p httpapi.Problem
	require.NoError(t, json.Unmarshal(data, &p), "%s", data)
	return p
}

// verifyChain walks the whole audit chain in the database.
func (e *env) verifyChain() int64 {
	e.t.Helper()
	v := audit.NewVerifier()
	require.NoError(e.t, e.store.Read(e.ctx, func(tx store.Tx) error {
		return tx.Audit().Walk(e.ctx, v.Check)
	}))
	return v.Count
}
