package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/store/postgres/pgtest"
)

// newDataDir makes a data directory with a user in it.
func newDataDir(t *testing.T) string {
	t.Helper()
	data := filepath.Join(t.TempDir(), "data")
	code, _, errOut := quell(t, "a long enough password\n", "user", "create", "--data", data,
		"--username", "alice", "--role", "lead", "--password-stdin")
	require.Equal(t, 0, code, errOut)
	return data
}

func TestBackupAndRestoreCommands(t *testing.T) {
	t.Parallel()
	data := newDataDir(t)
	archive := filepath.Join(t.TempDir(), "quell.tar.gz")

	code, out, errOut := quell(t, "", "backup", "--data", data, "--to", archive)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "backup written to "+archive)
	require.Regexp(t, `audit chain verified: [1-9]\d* records`, out)

	code, _, errOut = quell(t, "", "backup", "--data", data)
	require.Equal(t, 2, code, "--to is required")
	require.Contains(t, errOut, "to")

	restored := filepath.Join(t.TempDir(), "restored")
	code, out, errOut = quell(t, "", "restore", "--from", archive, "--data", restored)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "restored "+archive)
	require.Contains(t, out, "audit chain verified")

	code, out, errOut = quell(t, "", "audit", "verify", "--data", restored)
	require.Equal(t, 0, code, errOut)
	require.Regexp(t, `^audit chain OK: [1-9]\d* records\n$`, out)

	code, _, errOut = quell(t, "", "restore", "--from", archive, "--data", restored)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "not empty")
	code, _, errOut = quell(t, "", "restore", "--from", archive, "--data", restored, "--force")
	require.Equal(t, 0, code, errOut)
}

func TestBackupRefusesPostgres(t *testing.T) {
	t.Parallel()
	for _, verb := range [][]string{{"backup", "--to", "x.tar.gz"}, {"restore", "--from", "x.tar.gz"}} {
		var out, errOut bytes.Buffer
		code := run(t.Context(), append(verb, "--data", t.TempDir()), env{
			stdin: strings.NewReader(""), stdout: &out, stderr: &errOut,
			getenv: func(k string) string {
				if k == "QUELL_DB" {
					return "postgres://quell@db.invalid/quell"
				}
				return ""
			},
		})
		require.Equal(t, 1, code, verb[0])
		require.Contains(t, errOut.String(), "pg_dump", verb[0])
	}
}

func TestMigrateToNeedsFrom(t *testing.T) {
	t.Parallel()
	code, _, errOut := quell(t, "", "migrate", "--to", "postgres://quell@db.invalid/quell")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "--to needs --from")
	code, _, errOut = quell(t, "", "migrate", "--from", t.TempDir(), "--to", "mysql://secret@db/quell")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "not a PostgreSQL URL")
	require.NotContains(t, errOut, "secret", "the URL's credentials are not shown")
	code, _, errOut = quell(t, "", "migrate", "--from", t.TempDir())
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "--from needs --to")
}

func TestMigrateFromSQLiteToPostgres(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	data := newDataDir(t)
	code, out, errOut := quell(t, "", "migrate", "--from", data, "--to", dsn)
	require.Equal(t, 0, code, errOut)
	require.Regexp(t, `(?m)^  users +1$`, out)
	require.Regexp(t, `audit chain verified: [1-9]\d* records\n$`, out)

	code, _, errOut = quell(t, "", "migrate", "--from", data, "--to", dsn)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "already holds Quell data")
}
