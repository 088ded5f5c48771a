package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"
)

// rawDB opens a writer pool on a fresh file without migrating it.
func rawDB(t *testing.T) *sql.DB {
	t.Helper()
	opts := Options{busyTimeout: defaultBusyTimeout}
	db, err := sql.Open("sqlite", dsn(filepath.Join(t.TempDir(), "raw.db"), opts, false))
	require.NoError(t, err)
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

func versions(t *testing.T, db *sql.DB) []int {
	t.Helper()
	rows, err := db.Query("SELECT version FROM schema_migrations ORDER BY version")
	require.NoError(t, err)
	defer rows.Close()
	var out []int
	for rows.Next() {
		var v int
		require.NoError(t, rows.Scan(&v))
		out = append(out, v)
	}
	require.NoError(t, rows.Err())
	return out
}

func tableExists(t *testing.T, db *sql.DB, name string) bool {
	t.Helper()
	var n int
	require.NoError(t, db.QueryRow("SELECT count(*) FROM sqlite_schema WHERE name = ?", name).Scan(&n))
	return n > 0
}

func TestMigrateEmbedded(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := rawDB(t)
	applied, err := Migrate(ctx, db)
	require.NoError(t, err)
	require.NotEmpty(t, applied)
	require.Equal(t, SchemaVersion(), applied[len(applied)-1])
	require.Equal(t, applied, versions(t, db))
	for _, table := range []string{"orgs", "incidents", "timeline", "audit_log", "incidents_fts", "timeline_fts"} {
		require.True(t, tableExists(t, db, table), table)
	}
	// Idempotent.
	applied, err = Migrate(ctx, db)
	require.NoError(t, err)
	require.Empty(t, applied)

	var fkProblems int
	require.NoError(t, db.QueryRow("SELECT count(*) FROM pragma_foreign_key_check").Scan(&fkProblems))
	require.Zero(t, fkProblems)
}

func TestOpenMigratesOnce(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "q.db")
	s, err := Open(ctx, path, Options{})
	require.NoError(t, err)
	want := versions(t, s.writer)
	require.NoError(t, s.Close())

	s, err = Open(ctx, path, Options{})
	require.NoError(t, err)
	defer s.Close()
	require.Equal(t, want, versions(t, s.writer), "reopening applies nothing again")
}

func TestMigrationInOwnTransaction(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := rawDB(t)
	fsys := fstest.MapFS{
		"0001_first.sql":  {Data: []byte("CREATE TABLE first (x INTEGER);")},
		"0002_broken.sql": {Data: []byte("CREATE TABLE second (x INTEGER); INSERT INTO second VALUES (1); INSERT INTO missing VALUES (1);")},
		"0003_later.sql":  {Data: []byte("CREATE TABLE third (x INTEGER);")},
		"README.md":       {Data: []byte("not a migration")},
	}
	applied, err := migrate(ctx, db, fsys, nil)
	require.ErrorContains(t, err, "migration 2")
	require.Equal(t, []int{1}, applied)
	require.Equal(t, []int{1}, versions(t, db), "no version row for the broken migration")
	require.True(t, tableExists(t, db, "first"))
	require.False(t, tableExists(t, db, "second"), "no half schema")
	require.False(t, tableExists(t, db, "third"), "nothing after the broken one")

	// Fixed, it applies from where it stopped.
	fsys["0002_broken.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE second (x INTEGER);")}
	applied, err = migrate(ctx, db, fsys, nil)
	require.NoError(t, err)
	require.Equal(t, []int{2, 3}, applied)
	require.Equal(t, []int{1, 2, 3}, versions(t, db))
}

func TestMigrateRefusesNewerSchema(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "q.db")
	s, err := Open(ctx, path, Options{})
	require.NoError(t, err)
	_, err = s.writer.Exec("INSERT INTO schema_migrations (version, applied_at) VALUES (?, 'later')", SchemaVersion()+1)
	require.NoError(t, err)
	require.NoError(t, s.Close())

	_, err = Open(ctx, path, Options{})
	require.ErrorContains(t, err, "newer quell")
}

func TestMigrationNames(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for name, fsys := range map[string]fstest.MapFS{
		"bad name":       {"first.sql": {Data: []byte("SELECT 1")}},
		"zero version":   {"0000_zero.sql": {Data: []byte("SELECT 1")}},
		"shared version": {"0001_a.sql": {Data: []byte("SELECT 1")}, "01_b.sql": {Data: []byte("SELECT 1")}},
	} {
		_, err := migrate(ctx, rawDB(t), fsys, nil)
		require.Error(t, err, name)
	}
}
