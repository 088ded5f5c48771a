package app_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	// Registers the "sqlite" driver, to check the database file after the fault.
	_ "modernc.org/sqlite"

	"github.com/quell-ir/quell/internal/app"
	"github.com/quell-ir/quell/internal/config"
	"github.com/quell-ir/quell/internal/store/postgres/pgtest"
)

// faultServer starts a server on cfg with an admin and an intake source, and returns its URL,
// the admin's token and the source's token.
func faultServer(t *testing.T, cfg config.Config) (*app.App, string, string) {
	t.Helper()
	cfg.Admin.Password = "fault-password-123"
	a, err := app.New(cfg, slog.New(slog.DiscardHandler), app.WithStdout(io.Discard))
	require.NoError(t, err)
	require.NoError(t, a.Start(t.Context()))
	t.Cleanup(func() { _ = a.Stop(context.Background()) })
	var tok struct{ Secret string }
	require.Equal(t, http.StatusCreated, apiCall(t, "POST", a.URL()+"/api/v1/auth/token", "",
		map[string]string{"username": "admin", "password": "fault-password-123", "name": "t", "scope": "admin"}, &tok))
	var src struct{ Token string }
	require.Equal(t, http.StatusCreated, apiCall(t, "POST", a.URL()+"/api/v1/intake-sources", tok.Secret,
		map[string]string{"name": "faults", "format": "quell"}, &src))
	return a, tok.Secret, src.Token
}

// answer is the outcome of one intake post.
type answer struct {
	status     int
	retryAfter string
	start, end time.Time
	refs       []string
	ids        []string
}

// postAlerts sends a batch of alerts with unique refs and returns what came back.
func postAlerts(url, token string, n int, seq *atomic.Int64) answer {
	alerts := make([]map[string]string, n)
	ans := answer{start: time.Now()}
	for i := range alerts {
		ref := fmt.Sprintf("fault-%d", seq.Add(1))
		ans.refs = append(ans.refs, ref)
		alerts[i] = map[string]string{"source": "faults", "title": "fault " + ref, "source_ref": ref, "fingerprint": ref}
	}
	b, _ := json.Marshal(alerts)
	req, _ := http.NewRequest("POST", url+"/api/v1/alerts", bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	client := &http.Client{Timeout: 20 * time.Second}
	resp, err := client.Do(req)
	ans.end = time.Now()
	if err != nil {
		return ans
	}
	defer resp.Body.Close()
	ans.status, ans.retryAfter = resp.StatusCode, resp.Header.Get("Retry-After")
	var r struct{ Alerts []struct{ ID string } }
	if resp.StatusCode == http.StatusAccepted && json.NewDecoder(resp.Body).Decode(&r) == nil {
		for _, it := range r.Alerts {
			ans.ids = append(ans.ids, it.ID)
		}
	}
	return ans
}

// storedRefs lists the source refs of every stored alert with how often each is there.
func storedRefs(t *testing.T, url, token string) map[string]int {
	t.Helper()
	seen := map[string]int{}
	cursor := ""
	for {
		var page struct {
			Items []struct {
				SourceRef string `json:"source_ref"`
			}
			Next string
		}
		require.Equal(t, http.StatusOK, apiCall(t, "GET", url+"/api/v1/alerts?limit=500&cursor="+cursor, token, nil, &page))
		for _, a := range page.Items {
			seen[a.SourceRef]++
		}
		if page.Next == "" {
			return seen
		}
		cursor = page.Next
	}
}

// TestDiskFullSQLite fills the file system under a SQLite data directory (a small tmpfs): intake
// answers 503 with Retry-After, never 202 for what it could not write and never a 500; the
// database stays intact; once space returns, intake takes alerts again without a restart.
func TestDiskFullSQLite(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs needs root")
	}
	dir := filepath.Join(t.TempDir(), "small")
	require.NoError(t, os.MkdirAll(dir, 0o700))
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
	cfg := testConfig(t)
	cfg.Data = filepath.Join(dir, "data")
	cfg.AllowUnsafeSync = false
	a, admin, src := faultServer(t, cfg)

	var seq atomic.Int64
	var acked []answer
	full := false
	for range 2000 {
		ans := postAlerts(a.URL(), src, 200, &seq)
		require.Contains(t, []int{http.StatusAccepted, http.StatusServiceUnavailable}, ans.status)
		if ans.status == http.StatusServiceUnavailable {
			require.NotEmpty(t, ans.retryAfter)
			full = true
			break
		}
		acked = append(acked, ans)
	}
	require.True(t, full, "the disk filled up")
	// The failed transaction left the write-ahead log longer than its last commit, and SQLite
	// writes the next one over that space: a smaller batch may fit there and be committed,
	// rightly with a 202. A batch as large as the one that failed cannot.
	for range 3 {
		ans := postAlerts(a.URL(), src, 200, &seq)
		require.Equal(t, http.StatusServiceUnavailable, ans.status, "still full")
	}

	// Space returns; intake recovers by itself.
	out, err := exec.Command("mount", "-o", "remount,size=256m", dir).CombinedOutput()
	require.NoError(t, err, string(out))
	require.Eventually(t, func() bool {
		return postAlerts(a.URL(), src, 10, &seq).status == http.StatusAccepted
	}, 30*time.Second, 100*time.Millisecond)
	seen := storedRefs(t, a.URL(), admin)
	for _, ans := range acked {
		for _, ref := range ans.refs {
			require.Equal(t, 1, seen[ref], "acknowledged alert %s is stored once", ref)
		}
	}
	require.NoError(t, a.Stop(t.Context()))
	db, err := sql.Open("sqlite", filepath.Join(cfg.Data, app.DatabaseFile))
	require.NoError(t, err)
	defer db.Close()
	var check string
	require.NoError(t, db.QueryRow("PRAGMA integrity_check").Scan(&check))
	require.Equal(t, "ok", check)
	require.NoError(t, app.VerifyAudit(t.Context(), cfg.Data, io.Discard, nil))
}

// TestPostgresRestart stops PostgreSQL hard (immediate shutdown) under intake load and starts it
// again: while it is down intake answers 503 with Retry-After, never 202; afterwards intake
// recovers by itself and every acknowledged alert is there exactly once. It stops the shared
// server, so it runs only when QUELL_TEST_PG_RESTART=1 names this machine's cluster as free to
// restart (.ci/run runs it on its own, after the other tests).
func TestPostgresRestart(t *testing.T) {
	if os.Getenv("QUELL_TEST_PG_RESTART") != "1" {
		t.Skip("restarts PostgreSQL: set QUELL_TEST_PG_RESTART=1 to run it, alone")
	}
	version := pgVersion(t)
	cfg := testConfig(t)
	cfg.DB = pgtest.DSN(t)
	a, admin, src := faultServer(t, cfg)

	var (
		seq     atomic.Int64
		mu      sync.Mutex
		answers []answer
		stop    = make(chan struct{})
		wg      sync.WaitGroup
	)
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				ans := postAlerts(a.URL(), src, 20, &seq)
				mu.Lock()
				answers = append(answers, ans)
				mu.Unlock()
				if ans.status != http.StatusAccepted {
					time.Sleep(50 * time.Millisecond)
				}
			}
		})
	}
	time.Sleep(time.Second)
	pgctl(t, version, "stop", "-m", "immediate")
	down := time.Now()
	time.Sleep(3 * time.Second)
	up := time.Now()
	pgctl(t, version, "start")
	var recovered bool
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) && !recovered {
		time.Sleep(200 * time.Millisecond)
		mu.Lock()
		for _, ans := range answers {
			if ans.start.After(up) && ans.status == http.StatusAccepted {
				recovered = true
			}
		}
		mu.Unlock()
	}
	close(stop)
	wg.Wait()
	require.True(t, recovered, "intake took alerts again after PostgreSQL came back")

	duringOutage := 0
	for _, ans := range answers {
		require.NotEqual(t, 0, ans.status, "every request got an answer")
		require.True(t, ans.status == http.StatusAccepted || ans.status == http.StatusServiceUnavailable,
			"status %d", ans.status)
		if ans.start.After(down) && ans.end.Before(up) {
			duringOutage++
			require.Equal(t, http.StatusServiceUnavailable, ans.status, "no 202 while PostgreSQL is down")
			require.NotEmpty(t, ans.retryAfter)
		}
	}
	require.Positive(t, duringOutage, "requests were answered during the outage")
	seen := storedRefs(t, a.URL(), admin)
	for _, ans := range answers {
		if ans.status != http.StatusAccepted {
			continue
		}
		for _, ref := range ans.refs {
			require.Equal(t, 1, seen[ref], "acknowledged alert %s is stored once", ref)
		}
	}
}

func pgVersion(t *testing.T) string {
	entries, err := os.ReadDir("/etc/postgresql")
	if err != nil || len(entries) == 0 {
		t.Skip("no local PostgreSQL cluster to restart")
	}
	return entries[0].Name()
}

func pgctl(t *testing.T, version string, args ...string) {
	t.Helper()
	out, err := exec.Command("pg_ctlcluster", append([]string{"--skip-systemctl-redirect", version, "main"}, args...)...).CombinedOutput()
	require.NoError(t, err, strings.TrimSpace(string(out)))
}
