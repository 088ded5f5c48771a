package app_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/app"
	"github.com/quell-ir/quell/internal/auth"
)

// TestBackupWhileServing backs up a data directory while its server writes, restores the
// archive into a new directory and serves it: everything acknowledged before the backup began
// is there, the tokens work, the audit chain verifies.
func TestBackupWhileServing(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	cfg := testConfig(t)
	cfg.Admin.Password = seedPassword
	srv := startApp(t, cfg)
	s := seedInstallation(t, srv.URL())

	// A writer adds notes to INC-2 until told to stop, counting those acknowledged.
	var acked atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	stopWriter := sync.OnceFunc(func() { close(stop); wg.Wait() })
	t.Cleanup(stopWriter)
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			req, err := http.NewRequest("POST", srv.URL()+"/api/v1/incidents/INC-2/notes",
				strings.NewReader(`{"body": "progress note `+strconv.Itoa(i)+`"}`))
			if err != nil {
				t.Error(err)
				return
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+s.admin)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Errorf("note %d: %v", i, err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusCreated {
				t.Errorf("note %d: status %d", i, resp.StatusCode)
				return
			}
			acked.Add(1)
		}
	})
	require.Eventually(t, func() bool { return acked.Load() >= 5 }, 30*time.Second, 10*time.Millisecond)

	archive := filepath.Join(t.TempDir(), "quell.tar.gz")
	var out bytes.Buffer
	ackedBefore := acked.Load()
	m, err := app.Backup(ctx, cfg.Data, archive, &out, app.BackupOptions{QuellVersion: "test"})
	ackedAfter := acked.Load()
	require.NoError(t, err)
	require.Eventually(t, func() bool { return acked.Load() >= ackedAfter+3 }, 30*time.Second, 5*time.Millisecond,
		"the server keeps taking writes after the backup")
	stopWriter()
	require.Contains(t, out.String(), "backup written to "+archive)
	require.Regexp(t, `audit chain verified: [1-9]\d* records\n`, out.String())
	require.Equal(t, "quell-backup", m.Format)
	require.Len(t, m.Files, 1)
	require.Equal(t, app.DatabaseFile, m.Files[0].Path)
	fi, err := os.Stat(archive)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	// A second backup to the same file is refused.
	_, err = app.Backup(ctx, cfg.Data, archive, io.Discard, app.BackupOptions{})
	require.ErrorContains(t, err, "exists already")

	// Never into the data directory of a running server, even with --force.
	_, err = app.Restore(ctx, archive, cfg.Data, io.Discard, app.RestoreOptions{Force: true})
	require.ErrorContains(t, err, "in use by a running Quell server")

	// Into a new directory.
	restored := testConfig(t)
	out.Reset()
	_, err = app.Restore(ctx, archive, restored.Data, &out, app.RestoreOptions{})
	require.NoError(t, err, out.String())
	require.Contains(t, out.String(), "quell.db")
	require.Contains(t, out.String(), "checksum OK")
	require.Contains(t, out.String(), "audit chain verified: "+strconv.FormatInt(m.AuditRecords, 10)+" records")
	fi, err = os.Stat(restored.Data)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o700), fi.Mode().Perm())
	out.Reset()
	require.NoError(t, app.VerifyAudit(ctx, restored.Data, &out, nil))
	require.Equal(t, "audit chain OK: "+strconv.FormatInt(m.AuditRecords, 10)+" records\n", out.String())

	// A server on the restored directory serves the data with the tokens made before.
	node := startApp(t, restored)
	var inc struct{ Title string }
	require.Equal(t, http.StatusOK, requestJSON(t, "GET", node.URL()+"/api/v1/incidents/INC-1", s.reader, nil, &inc))
	require.Equal(t, "Ransomware on the file server", inc.Title)
	var notes []struct{ Body string }
	require.Equal(t, http.StatusOK, requestJSON(t, "GET", node.URL()+"/api/v1/incidents/INC-2/notes", s.admin, nil, &notes))
	progress := int64(len(notes) - 1) // less the seeded note
	require.GreaterOrEqual(t, progress, ackedBefore, "every note acknowledged before the backup began is in it")
	require.LessOrEqual(t, progress, ackedAfter, "no note acknowledged after the backup ended is in it")
	var hits []struct{ Kind string }
	require.Equal(t, http.StatusOK, requestJSON(t, "GET", node.URL()+"/api/v1/search?q="+s.word, s.admin, nil, &hits))
	require.NotEmpty(t, hits)

	// A non-empty directory is replaced only with --force, and never while served.
	_, err = app.Restore(ctx, archive, restored.Data, io.Discard, app.RestoreOptions{Force: true})
	require.ErrorContains(t, err, "in use")
	stopApp(t, node)
	_, err = app.Restore(ctx, archive, restored.Data, io.Discard, app.RestoreOptions{})
	require.ErrorContains(t, err, "is not empty")
	require.ErrorContains(t, err, "--force")
	out.Reset()
	_, err = app.Restore(ctx, archive, restored.Data, &out, app.RestoreOptions{Force: true})
	require.NoError(t, err)
	require.Contains(t, out.String(), "audit chain verified")
	for _, leftover := range []string{"quell.db-wal", "quell.db-shm", "quell.db-journal"} {
		_, err := os.Stat(filepath.Join(restored.Data, leftover))
		require.ErrorIs(t, err, os.ErrNotExist, leftover)
	}
	entries, err := os.ReadDir(restored.Data)
	require.NoError(t, err)
	require.Len(t, entries, 1, "no staging directory is left behind")
	node = startApp(t, restored)
	require.Equal(t, http.StatusOK, requestJSON(t, "GET", node.URL()+"/api/v1/me", s.reader, nil, nil))
}

// rewriteArchive copies a backup archive, letting edit change each entry's body (or drop the
// entry by returning nil) and append more.
func rewriteArchive(t *testing.T, src, dst string, edit func(name string, body []byte) []byte, extra map[string][]byte) {
	t.Helper()
	f, err := os.Open(src)
	require.NoError(t, err)
	defer f.Close()
	gz, err := gzip.NewReader(f)
	require.NoError(t, err)
	tr := tar.NewReader(gz)
	var buf bytes.Buffer
	gw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gw)
	put := func(name string, body []byte) {
		require.NoError(t, tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: int64(len(body)), Typeflag: tar.TypeReg}))
		_, err := tw.Write(body)
		require.NoError(t, err)
	}
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		body, err := io.ReadAll(tr)
		require.NoError(t, err)
		if body = edit(hdr.Name, body); body != nil {
			put(hdr.Name, body)
		}
	}
	for name, body := range extra {
		put(name, body)
	}
	require.NoError(t, tw.Close())
	require.NoError(t, gw.Close())
	require.NoError(t, os.WriteFile(dst, buf.Bytes(), 0o600))
}

// An archive that was altered or damaged is refused, naming the file, and nothing is restored.
func TestRestoreRefusesAlteredArchive(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	data := filepath.Join(t.TempDir(), "data")
	require.NoError(t, app.Migrate(ctx, data, io.Discard, nil))
	_, err := app.CreateUser(ctx, data, "", auth.NewUser{Username: "alice", Password: "a long enough password", Role: access.RoleLead}, nil)
	require.NoError(t, err)
	dir := t.TempDir()
	archive := filepath.Join(dir, "good.tar.gz")
	_, err = app.Backup(ctx, data, archive, io.Discard, app.BackupOptions{})
	require.NoError(t, err)

	// The untouched archive restores.
	_, err = app.Restore(ctx, archive, filepath.Join(dir, "ok"), io.Discard, app.RestoreOptions{})
	require.NoError(t, err)

	keep := func(_ string, b []byte) []byte { return b }
	cases := []struct {
		name  string
		edit  func(string, []byte) []byte
		extra map[string][]byte
		want  []string
	}{
		{"a changed byte", func(name string, b []byte) []byte {
			if name == "data/quell.db" {
				b = bytes.Clone(b)
				b[len(b)/2] ^= 0x01
			}
			return b
		}, nil, []string{"quell.db", "checksum"}},
		{"a truncated file", func(name string, b []byte) []byte {
			if name == "data/quell.db" {
				return b[:len(b)-100]
			}
			return b
		}, nil, []string{"quell.db", "bytes where the manifest says"}},
		{"a missing file", func(name string, b []byte) []byte {
			if name == "data/quell.db" {
				return nil
			}
			return b
		}, nil, []string{"quell.db listed in its manifest but missing"}},
		{"an added file", keep, map[string][]byte{"data/keys/extra.key": []byte("x")}, []string{"data/keys/extra.key is not listed"}},
		{"a manifest rewritten by hand", func(name string, b []byte) []byte {
			if name == "manifest.json" {
				var m map[string]any
				require.NoError(t, json.Unmarshal(b, &m))
				m["version"] = 99
				b, _ = json.Marshal(m)
			}
			return b
		}, nil, []string{"format version 99"}},
	}
	for _, tc := range cases {
		bad := filepath.Join(dir, "bad.tar.gz")
		rewriteArchive(t, archive, bad, tc.edit, tc.extra)
		target := filepath.Join(dir, "target")
		_, err := app.Restore(ctx, bad, target, io.Discard, app.RestoreOptions{})
		require.Error(t, err, tc.name)
		for _, w := range tc.want {
			require.ErrorContains(t, err, w, tc.name)
		}
		require.ErrorContains(t, err, "nothing was restored", tc.name)
		_, err = os.Stat(target)
		require.ErrorIs(t, err, os.ErrNotExist, "%s: the new data directory is not left behind", tc.name)
	}

	// A damaged database is replaced with --force, its stale log removed.
	damaged := filepath.Join(dir, "damaged")
	require.NoError(t, os.MkdirAll(damaged, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(damaged, app.DatabaseFile), bytes.Repeat([]byte("junk"), 4096), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(damaged, app.DatabaseFile+"-wal"), []byte("stale"), 0o600))
	_, err = app.Restore(ctx, archive, damaged, io.Discard, app.RestoreOptions{})
	require.ErrorContains(t, err, "not empty")
	_, err = app.Restore(ctx, archive, damaged, io.Discard, app.RestoreOptions{Force: true})
	require.NoError(t, err)
	_, err = os.Stat(filepath.Join(damaged, app.DatabaseFile+"-wal"))
	require.ErrorIs(t, err, os.ErrNotExist)
	require.NoError(t, app.VerifyAudit(ctx, damaged, io.Discard, nil))

	// Not an archive at all.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "junk.tar.gz"), []byte("junk"), 0o600))
	_, err = app.Restore(ctx, filepath.Join(dir, "junk.tar.gz"), filepath.Join(dir, "target"), io.Discard, app.RestoreOptions{})
	require.ErrorContains(t, err, "not a gzip file")
}
