package app_test

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/app"
	"github.com/quell-ir/quell/internal/auth"
	"github.com/quell-ir/quell/internal/config"
)

func testConfig(t *testing.T) config.Config {
	t.Helper()
	cfg := config.Default()
	cfg.Data = filepath.Join(t.TempDir(), "data")
	cfg.Listen = "127.0.0.1:0"
	cfg.AllowUnsafeSync = true
	cfg.ShutdownTimeout = 10 * time.Second
	return cfg
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(body)
}

func TestStartServeStop(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	var out bytes.Buffer
	a, err := app.New(cfg, slog.New(slog.DiscardHandler), app.WithStdout(&out), app.WithVersion("test"))
	require.NoError(t, err)
	require.NoError(t, a.Start(t.Context()))

	url := a.URL()
	require.True(t, strings.HasPrefix(url, "http://127.0.0.1:"), url)
	require.NotContains(t, url, ":0", "the bound port is reported, not the configured 0")

	code, body := get(t, url+"/healthz")
	require.Equal(t, http.StatusOK, code, body)
	code, body = get(t, url+"/readyz")
	require.Equal(t, http.StatusOK, code, body)
	code, body = get(t, url+"/metrics")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, "go_goroutines", "Go runtime metrics are registered")
	require.Contains(t, body, "process_", "process metrics are registered")
	require.Contains(t, body, "quell_intake_alerts_new_total", "intake metrics are registered")
	require.Contains(t, body, "quell_intake_queued_requests 0", "the intake queue is exposed, and empty at rest")

	// The first start prints the URL and the generated admin password, once.
	banner := out.String()
	require.Contains(t, banner, "Quell is running at "+url)
	require.Contains(t, banner, "user name: admin")
	require.Contains(t, banner, "shown only this once")
	require.Contains(t, banner, "quell login --server "+url+" --username admin")

	ctx, cancel := context.WithTimeout(t.Context(), cfg.ShutdownTimeout)
	defer cancel()
	start := time.Now()
	require.NoError(t, a.Stop(ctx))
	require.Less(t, time.Since(start), cfg.ShutdownTimeout)
	require.NoError(t, a.Stop(ctx), "a second Stop is a no-op")

	_, err = http.Get(url + "/healthz")
	require.Error(t, err, "nothing listens after Stop")

	fi, err := os.Stat(cfg.Data)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o700), fi.Mode().Perm())

	// The generated password works: the admin exists with it.
	password := passwordFrom(t, banner)
	u, err := app.CreateUser(t.Context(), cfg.Data, "", auth.NewUser{Username: "admin", Password: password, Role: access.RoleAdmin}, nil)
	require.Error(t, err, "the admin exists already (%v)", u)

	// A second start on the same data prints the URL only.
	out.Reset()
	b, err := app.New(cfg, slog.New(slog.DiscardHandler), app.WithStdout(&out))
	require.NoError(t, err)
	require.NoError(t, b.Start(t.Context()))
	require.Contains(t, out.String(), "Quell is running at ")
	require.NotContains(t, out.String(), "password")
	require.NoError(t, b.Stop(ctx))
}

func passwordFrom(t *testing.T, banner string) string {
	t.Helper()
	for line := range strings.Lines(banner) {
		if p, ok := strings.CutPrefix(strings.TrimSpace(line), "password:"); ok {
			return strings.TrimSpace(p)
		}
	}
	t.Fatalf("no password in banner:\n%s", banner)
	return ""
}

func TestPasswordSetByConfig(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.Admin = config.Admin{User: "chief", Password: "set by the operator"}
	var out bytes.Buffer
	a, err := app.New(cfg, nil, app.WithStdout(&out))
	require.NoError(t, err)
	require.NoError(t, a.Start(t.Context()))
	t.Cleanup(func() { require.NoError(t, a.Stop(context.Background())) })
	require.Contains(t, out.String(), `Log in as "chief" with the password you set.`)
	require.NotContains(t, out.String(), "set by the operator")
}

func TestRunStopsOnCancel(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	a, err := app.New(cfg, nil, app.WithStdout(io.Discard))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()

	// Wait for the server to answer, then signal.
	deadline := time.Now().Add(10 * time.Second)
	for a.URL() == "" {
		require.True(t, time.Now().Before(deadline), "server did not start")
		time.Sleep(10 * time.Millisecond)
	}
	code, _ := get(t, a.URL()+"/readyz")
	require.Equal(t, http.StatusOK, code)
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(cfg.ShutdownTimeout + 5*time.Second):
		t.Fatal("Run did not return after the context was cancelled")
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.Log.Format = "xml"
	_, err := app.New(cfg, nil)
	require.ErrorContains(t, err, "log.format")
}

func TestListenConflict(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	a, err := app.New(cfg, nil, app.WithStdout(io.Discard))
	require.NoError(t, err)
	require.NoError(t, a.Start(t.Context()))
	t.Cleanup(func() { require.NoError(t, a.Stop(context.Background())) })

	cfg2 := testConfig(t)
	cfg2.Listen = a.Addr().String()
	b, err := app.New(cfg2, nil, app.WithStdout(io.Discard))
	require.NoError(t, err)
	err = b.Start(t.Context())
	require.ErrorContains(t, err, "listen on")
	require.NoError(t, b.Stop(context.Background()), "a failed start still releases the database")
}

func TestAdminVerbs(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := filepath.Join(t.TempDir(), "data")

	var out bytes.Buffer
	require.NoError(t, app.Migrate(ctx, dir, &out, nil))
	require.Regexp(t, `Quell schema: applied 1(, \d+)*; at version \d+`, out.String())
	require.Regexp(t, `Job queue schema: applied 1(, \d+)*; at version \d+`, out.String())

	out.Reset()
	require.NoError(t, app.Migrate(ctx, dir, &out, nil))
	require.Contains(t, out.String(), "Quell schema: up to date")
	require.Contains(t, out.String(), "Job queue schema: up to date")

	u, err := app.CreateUser(ctx, dir, "", auth.NewUser{Username: "Alice", Password: "a long enough password", Role: access.RoleLead}, nil)
	require.NoError(t, err)
	require.Equal(t, "alice", u.Username)
	_, err = app.CreateUser(ctx, dir, "", auth.NewUser{Username: "bob", Password: "   ", Role: access.RoleLead}, nil)
	require.Error(t, err, "blank passwords are refused")

	out.Reset()
	require.NoError(t, app.VerifyAudit(ctx, dir, &out, nil))
	require.Regexp(t, `^audit chain OK: [1-9]\d* records\n$`, out.String())
}

func TestVerifyAuditNeedsADatabase(t *testing.T) {
	t.Parallel()
	err := app.VerifyAudit(t.Context(), t.TempDir(), io.Discard, nil)
	require.ErrorContains(t, err, "no Quell database")
}

// A request in flight when the stop begins is answered before the server goes away.
func TestStopFinishesInFlightRequests(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	a, err := app.New(cfg, nil, app.WithStdout(io.Discard))
	require.NoError(t, err)
	require.NoError(t, a.Start(t.Context()))
	addr := a.Addr().String()

	// Send the headers only, asking to continue: the server answers 100 Continue when the
	// handler starts reading the body, so from then on the request is in flight.
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	body := `{"username": "admin", "password": "not the password"}`
	_, err = io.WriteString(conn, "POST /api/v1/auth/login HTTP/1.1\r\nHost: "+addr+"\r\n"+
		"Content-Type: application/json\r\nExpect: 100-continue\r\n"+
		"Content-Length: "+strconv.Itoa(len(body))+"\r\n\r\n")
	require.NoError(t, err)
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusContinue, resp.StatusCode)

	stopped := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
		defer cancel()
		stopped <- a.Stop(ctx)
	}()

	// The stop has begun once the listener refuses new connections.
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			break
		}
		c.Close()
		require.True(t, time.Now().Before(deadline), "the listener was not closed")
		time.Sleep(10 * time.Millisecond)
	}

	// Now send the body: the request is still answered, and only then does Stop return.
	_, err = io.WriteString(conn, body)
	require.NoError(t, err)
	resp, err = http.ReadResponse(br, nil)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.NoError(t, <-stopped)
}
