package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/store/postgres/pgtest"
)

// buildQuell compiles the quell binary once per test run.
func buildQuell(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "quell")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	return bin
}

// server is a quell serve process.
type server struct {
	cmd *exec.Cmd
	url string
}

const crashAdminPassword = "crash-test-password-1"

// startServer runs quell serve on data and waits until it prints its URL.
func startServer(t *testing.T, bin, data, db string) *server {
	t.Helper()
	args := []string{"serve", "--data", data, "--listen", "127.0.0.1:0", "--log-level", "error"}
	if db != "" {
		args = append(args, "--db", db)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "QUELL_ADMIN_PASSWORD="+crashAdminPassword)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = io.Discard
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "Quell is running at "); ok {
				urls <- strings.TrimSpace(u)
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case u := <-urls:
		return &server{cmd: cmd, url: u}
	case <-time.After(60 * time.Second):
		t.Fatal("quell serve did not start")
	}
	return nil
}

func call(t *testing.T, method, url, token string, body any, out any) int {
	t.Helper()
	b, err := json.Marshal(body)
	require.NoError(t, err)
	req, err := http.NewRequest(method, url, bytes.NewReader(b))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	if out != nil {
		require.NoError(t, json.NewDecoder(resp.Body).Decode(out))
	}
	return resp.StatusCode
}

// TestWritesSurviveSIGKILL posts alerts from several senders, and notes to an incident, while
// the server is killed with SIGKILL at random moments and restarted: every alert that got a
// 202 is there afterwards exactly once, every acknowledged note is there with its timeline
// entry, and the audit chain still verifies. It runs on SQLite and, when
// QUELL_TEST_POSTGRES_DSN is set, on PostgreSQL.
func TestWritesSurviveSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills real servers")
	}
	bin := buildQuell(t)
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); crashIntake(t, bin, "") })
	t.Run("postgres", func(t *testing.T) { t.Parallel(); crashIntake(t, bin, pgtest.DSN(t)) })
}

func crashIntake(t *testing.T, bin, db string) {
	data := filepath.Join(t.TempDir(), "data")
	srv := startServer(t, bin, data, db)

	var tok struct{ Secret string }
	require.Equal(t, http.StatusCreated, call(t, "POST", srv.url+"/api/v1/auth/token", "",
		map[string]string{"username": "admin", "password": crashAdminPassword, "name": "crash", "scope": "admin"}, &tok))
	var src struct{ Token string }
	require.Equal(t, http.StatusCreated, call(t, "POST", srv.url+"/api/v1/intake-sources", tok.Secret,
		map[string]string{"name": "crash", "format": "quell"}, &src))

	var (
		mu    sync.Mutex
		ack   = map[string]string{} // source_ref → alert id of every 202
		n     int
		sends int
	)
	// Incident updates under the same kills: each note is written with its timeline entry and
	// audit record in one transaction, so afterwards every acknowledged note is there and no
	// note is there without its entry (or the other way round).
	require.Equal(t, http.StatusCreated, call(t, "POST", srv.url+"/api/v1/incidents", tok.Secret,
		map[string]string{"title": "Crash test", "severity": "low", "type": "other"}, nil))
	var notesMu sync.Mutex
	notes := map[string]bool{} // body of every note that got a 201
	client := &http.Client{Timeout: 5 * time.Second}
	for round := range 4 {
		if round > 0 {
			srv = startServer(t, bin, data, db)
		}
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for w := range 6 {
			wg.Go(func() {
				for ctx.Err() == nil {
					mu.Lock()
					n++
					batch := 1 + (n % 5)
					refs := make([]string, batch)
					alerts := make([]map[string]string, batch)
					for i := range batch {
						refs[i] = fmt.Sprintf("r%d-w%d-%d-%d", round, w, n, i)
						alerts[i] = map[string]string{"source": "crash", "title": "crash test " + refs[i], "source_ref": refs[i],
							"fingerprint": refs[i]}
					}
					sends++
					mu.Unlock()
					b, _ := json.Marshal(alerts)
					req, _ := http.NewRequest("POST", srv.url+"/api/v1/alerts", bytes.NewReader(b))
					req.Header.Set("Authorization", "Bearer "+src.Token)
					req.Header.Set("Content-Type", "application/json")
					resp, err := client.Do(req)
					if err != nil {
						return // the server is gone
					}
					var receipt struct {
						Alerts []struct{ ID, Outcome string }
					}
					decErr := json.NewDecoder(resp.Body).Decode(&receipt)
					resp.Body.Close()
					if resp.StatusCode != http.StatusAccepted || decErr != nil {
						continue
					}
					mu.Lock()
					for i, it := range receipt.Alerts {
						ack[refs[i]] = it.ID
					}
					mu.Unlock()
				}
			})
		}
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				body := fmt.Sprintf("note r%d-%d", round, i)
				b, _ := json.Marshal(map[string]string{"body": body})
				req, _ := http.NewRequest("POST", srv.url+"/api/v1/incidents/INC-1/notes", bytes.NewReader(b))
				req.Header.Set("Authorization", "Bearer "+tok.Secret)
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					return
				}
				resp.Body.Close()
				if resp.StatusCode == http.StatusCreated {
					notesMu.Lock()
					notes[body] = true
					notesMu.Unlock()
				}
			}
		})
		time.Sleep(time.Duration(300+rand.IntN(700)) * time.Millisecond)
		require.NoError(t, srv.cmd.Process.Signal(syscall.SIGKILL))
		_ = srv.cmd.Wait()
		cancel()
		wg.Wait()
	}
	require.NotEmpty(t, ack, "some alerts were acknowledged")

	srv = startServer(t, bin, data, db)
	seen := map[string]int{}
	ids := map[string]string{}
	cursor := ""
	for {
		var page struct {
			Items []struct {
				ID        string `json:"id"`
				SourceRef string `json:"source_ref"`
			}
			Next string
		}
		require.Equal(t, http.StatusOK, call(t, "GET", srv.url+"/api/v1/alerts?limit=500&cursor="+cursor, tok.Secret, nil, &page))
		for _, a := range page.Items {
			seen[a.SourceRef]++
			ids[a.SourceRef] = a.ID
		}
		if page.Next == "" {
			break
		}
		cursor = page.Next
	}
	for ref, id := range ack {
		require.Equal(t, 1, seen[ref], "acknowledged alert %s is stored exactly once", ref)
		require.Equal(t, id, ids[ref], "under the id its 202 gave")
	}
	for ref, c := range seen {
		require.Equal(t, 1, c, "alert %s is stored once", ref)
	}
	t.Logf("%d requests sent, %d alerts acknowledged, %d stored", sends, len(ack), len(seen))

	var stored []struct{ Body string }
	require.Equal(t, http.StatusOK, call(t, "GET", srv.url+"/api/v1/incidents/INC-1/notes", tok.Secret, nil, &stored))
	storedNotes := map[string]bool{}
	for _, n := range stored {
		storedNotes[n.Body] = true
	}
	for body := range notes {
		require.True(t, storedNotes[body], "acknowledged note %q is stored", body)
	}
	entries := 0
	cursor = ""
	for {
		var page struct {
			Items []struct{ Kind, Text string }
			Next  string
		}
		require.Equal(t, http.StatusOK, call(t, "GET", srv.url+"/api/v1/incidents/INC-1/timeline?kind=note&limit=500&cursor="+cursor, tok.Secret, nil, &page))
		entries += len(page.Items)
		if page.Next == "" {
			break
		}
		cursor = page.Next
	}
	require.Equal(t, len(stored), entries, "every note has its timeline entry and no entry is without its note")
	t.Logf("%d notes acknowledged, %d stored", len(notes), len(stored))

	require.NoError(t, srv.cmd.Process.Signal(syscall.SIGTERM))
	_ = srv.cmd.Wait()
	verify := []string{"audit", "verify", "--data", data}
	if db != "" {
		verify = append(verify, "--db", db)
	}
	out, err := exec.Command(bin, verify...).CombinedOutput()
	require.NoError(t, err, string(out))
}
