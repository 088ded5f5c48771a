package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/app"
	"github.com/quell-ir/quell/internal/auth"
	"github.com/quell-ir/quell/internal/config"
)

const adminPassword = "correct horse battery staple"

// env is a real Quell server (the app's own handler: API and UI) on a real SQLite database
// in a temporary directory, served by httptest.
type env struct {
	t   testing.TB
	app *app.App
	srv *httptest.Server
	// admin is an API token of the bootstrap admin, for setting things up quickly.
	admin string
	// data is the server's data directory.
	data string
}

func newEnv(t testing.TB) *env {
	t.Helper()
	return newEnvWith(t, func(*config.Config) {})
}

func newEnvWith(t testing.TB, tune func(*config.Config)) *env {
	t.Helper()
	cfg := config.Default()
	cfg.Data = filepath.Join(t.TempDir(), "data")
	cfg.Listen = "127.0.0.1:0"
	cfg.AllowUnsafeSync = true
	cfg.Admin = config.Admin{User: "admin", Password: adminPassword}
	tune(&cfg)
	a, err := app.New(cfg, slog.New(slog.DiscardHandler), app.WithStdout(io.Discard), app.WithVersion("test"))
	require.NoError(t, err)
	e := &env{t: t, app: a, srv: httptest.NewServer(a.Handler()), data: cfg.Data}
	t.Cleanup(e.srv.Close)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, a.Stop(ctx))
	})
	var tok auth.CreatedToken
	e.api("POST", "/api/v1/auth/token", "", auth.TokenLoginRequest{
		LoginRequest: auth.LoginRequest{Username: "admin", Password: adminPassword}, Name: "setup", Scope: access.ScopeAdmin,
	}, http.StatusCreated, &tok)
	e.admin = tok.Secret
	return e
}

// api calls the JSON API, requires the status and decodes the answer into out (if not nil).
func (e *env) api(method, path, token string, body any, want int, out any) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(e.t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	require.NoError(e.t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.srv.Client().Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	require.Equal(e.t, want, resp.StatusCode, "%s %s: %s", method, path, data)
	if out != nil {
		require.NoError(e.t, json.Unmarshal(data, out), "%s %s: %s", method, path, data)
	}
}

// addUser creates a user with a role and returns the password.
func (e *env) addUser(name string, role access.Role) string {
	e.t.Helper()
	pw := name + " has a long password"
	e.api("POST", "/api/v1/users", e.admin, auth.NewUser{Username: name, Password: pw, Role: role}, http.StatusCreated, nil)
	return pw
}

// browserless is a signed-in person using the UI with a plain HTTP client: cookies are kept,
// redirects are not followed, so tests see every response.
type browserless struct {
	e *env
	c *http.Client
}

func (e *env) anonymous() *browserless {
	jar, err := cookiejar.New(nil)
	require.NoError(e.t, err)
	return &browserless{e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// signIn signs a user in through the login form.
func (e *env) signIn(username, password string) *browserless {
	e.t.Helper()
	b := e.anonymous()
	resp, body := b.post("/login", url.Values{"username": {username}, "password": {password}})
	require.Equal(e.t, http.StatusSeeOther, resp.StatusCode, body)
	return b
}

func (b *browserless) do(req *http.Request) (*http.Response, string) {
	b.e.t.Helper()
	resp, err := b.c.Do(req)
	require.NoError(b.e.t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(b.e.t, err)
	return resp, string(data)
}

func (b *browserless) get(path string) (*http.Response, string) {
	b.e.t.Helper()
	req, err := http.NewRequest("GET", b.e.srv.URL+path, nil)
	require.NoError(b.e.t, err)
	return b.do(req)
}

// post sends a form as a same-origin browser would (Sec-Fetch-Site: same-origin), plus any
// extra header pairs; an empty value removes a header.
func (b *browserless) post(path string, form url.Values, header ...string) (*http.Response, string) {
	b.e.t.Helper()
	req, err := http.NewRequest("POST", b.e.srv.URL+path, strings.NewReader(form.Encode()))
	require.NoError(b.e.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for i := 0; i+1 < len(header); i += 2 {
		if header[i+1] == "" {
			req.Header.Del(header[i])
		} else {
			req.Header.Set(header[i], header[i+1])
		}
	}
	return b.do(req)
}

// page gets a page and requires it to be there.
func (b *browserless) page(path string) string {
	b.e.t.Helper()
	resp, body := b.get(path)
	require.Equal(b.e.t, http.StatusOK, resp.StatusCode, "GET %s: %s", path, body)
	return body
}
