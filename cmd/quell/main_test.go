package main

import (
	"bytes"
	"database/sql"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	// Registers the "sqlite" database/sql driver, to edit the database behind Quell's back.
	_ "modernc.org/sqlite"
)

// quell runs the command line in-process and returns the exit code and what it printed.
func quell(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(t.Context(), args, env{
		stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut,
		getenv: func(string) string { return "" },
	})
	return code, out.String(), errOut.String()
}

func TestMigrateThenUserCreate(t *testing.T) {
	t.Parallel()
	data := filepath.Join(t.TempDir(), "data")

	code, out, errOut := quell(t, "", "migrate", "--data", data)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "Quell schema: applied 1")
	require.Contains(t, out, "Job queue schema: applied")

	code, out, errOut = quell(t, "a long enough password\n", "user", "create", "--data", data,
		"--username", "alice", "--role", "lead", "--password-stdin")
	require.Equal(t, 0, code, errOut)
	require.Regexp(t, `^created user alice \(\w+\) with role lead\n$`, out)

	code, _, errOut = quell(t, "", "user", "create", "--data", data, "--username", "bob", "--role", "lead")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "--password-stdin")

	code, _, errOut = quell(t, "   \n", "user", "create", "--data", data, "--username", "bob", "--password-stdin")
	require.Equal(t, 1, code, "a blank password is refused")
	require.NotEmpty(t, errOut)

	code, _, errOut = quell(t, "", "user", "create", "--data", data, "--password", "x")
	require.Equal(t, 2, code, "a missing required flag is a usage error")
	require.Contains(t, errOut, "username")

	code, out, errOut = quell(t, "", "audit", "verify", "--data", data)
	require.Equal(t, 0, code, errOut)
	require.Regexp(t, `^audit chain OK: \d+ records\n$`, out)
}

// An audit row edited directly in the database file breaks the chain at that row, and
// `quell audit verify` says which.
func TestAuditVerifyNamesTheTamperedRecord(t *testing.T) {
	t.Parallel()
	data := filepath.Join(t.TempDir(), "data")
	for _, name := range []string{"alice", "bob", "carol", "dave"} {
		code, _, errOut := quell(t, "a long enough password\n", "user", "create", "--data", data,
			"--username", name, "--role", "responder", "--password-stdin")
		require.Equal(t, 0, code, errOut)
	}
	code, out, errOut := quell(t, "", "audit", "verify", "--data", data)
	require.Equal(t, 0, code, errOut)
	m := regexp.MustCompile(`audit chain OK: (\d+) records`).FindStringSubmatch(out)
	require.NotNil(t, m, out)
	require.NotEqual(t, "0", m[1])

	// Pick a record in the middle of the chain and change what it says was changed.
	db, err := sql.Open("sqlite", "file:"+filepath.Join(data, "quell.db"))
	require.NoError(t, err)
	defer db.Close()
	var total, seq int64
	var id string
	require.NoError(t, db.QueryRow("SELECT count(*) FROM audit_log").Scan(&total))
	require.GreaterOrEqual(t, total, int64(3))
	require.NoError(t, db.QueryRow("SELECT seq, id FROM audit_log ORDER BY seq LIMIT 1 OFFSET ?", total/2).Scan(&seq, &id))
	res, err := db.Exec(`UPDATE audit_log SET changes = '{"username":"mallory","role":"admin"}' WHERE seq = ?`, seq)
	require.NoError(t, err)
	n, err := res.RowsAffected()
	require.NoError(t, err)
	require.Equal(t, int64(1), n)
	require.NoError(t, db.Close())

	code, out, errOut = quell(t, "", "audit", "verify", "--data", data)
	require.Equal(t, 1, code, "verify fails:\n%s%s", out, errOut)
	want := "audit chain BROKEN at record " + itoa(seq) + " (" + id + "): contents do not match the record's hash"
	require.Contains(t, out, want)
	require.Contains(t, errOut, "record "+itoa(seq))
}

func TestAuditVerifyWithoutDatabase(t *testing.T) {
	t.Parallel()
	code, _, errOut := quell(t, "", "audit", "verify", "--data", t.TempDir())
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "no Quell database")
}

func TestServeRejectsBadConfig(t *testing.T) {
	t.Parallel()
	code, _, errOut := quell(t, "", "serve", "--data", t.TempDir(), "--log-format", "xml")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, `log.format: "xml"`)
}

func TestVersion(t *testing.T) {
	t.Parallel()
	code, out, _ := quell(t, "", "--version")
	require.Equal(t, 0, code)
	require.Contains(t, out, "dev")
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
