package postgres

import (
	"context"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/store/postgres/pgtest"
)

// rawPool opens a pool on dsn without migrating, closed when the test ends.
func rawPool(t *testing.T, dsn string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(t.Context(), dsn)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool
}

func versions(t *testing.T, pool *pgxpool.Pool) []int {
	t.Helper()
	rows, err := pool.Query(t.Context(), "SELECT version FROM schema_migrations ORDER BY version")
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

func tableExists(t *testing.T, pool *pgxpool.Pool, name string) bool {
	t.Helper()
	var ok bool
	require.NoError(t, pool.QueryRow(t.Context(), "SELECT to_regclass($1) IS NOT NULL", name).Scan(&ok))
	return ok
}

func TestMigrateEmbedded(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool := rawPool(t, pgtest.DSN(t))
	applied, err := Migrate(ctx, pool)
	require.NoError(t, err)
	require.NotEmpty(t, applied)
	require.Equal(t, SchemaVersion(), applied[len(applied)-1])
	require.Equal(t, applied, versions(t, pool))
	for _, table := range []string{"orgs", "incidents", "timeline", "audit_log", "audit_head", "incident_counters"} {
		require.True(t, tableExists(t, pool, table), table)
	}
	// Idempotent.
	applied, err = Migrate(ctx, pool)
	require.NoError(t, err)
	require.Empty(t, applied)

	// The chain starts at the genesis hash the audit package defines.
	var seq int64
	var hash string
	require.NoError(t, pool.QueryRow(ctx, "SELECT seq, hash FROM audit_head").Scan(&seq, &hash))
	require.Zero(t, seq)
	require.Equal(t, strings.Repeat("0", 64), hash)

	// search_words turns exactly the punctuation tsQuery splits at into spaces.
	var words string
	require.NoError(t, pool.QueryRow(ctx, "SELECT search_words($1)", "a"+asciiPunct+"é_b").Scan(&words))
	require.Equal(t, "a"+strings.Repeat(" ", len(asciiPunct))+"é b", words)
}

func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dsn := pgtest.DSN(t)
	// Nodes starting at once, each with its own pool: every Open succeeds and each migration is
	// applied once.
	const nodes = 6
	pools := make([]*pgxpool.Pool, nodes)
	for i := range pools {
		pools[i] = rawPool(t, dsn)
	}
	var wg sync.WaitGroup
	results := make([][]int, nodes)
	errs := make([]error, nodes)
	for i := range nodes {
		wg.Go(func() { results[i], errs[i] = Migrate(ctx, pools[i]) })
	}
	wg.Wait()
	count := map[int]int{}
	for i := range nodes {
		require.NoError(t, errs[i])
		for _, v := range results[i] {
			count[v]++
		}
	}
	for _, v := range versions(t, pools[0]) {
		require.Equal(t, 1, count[v], "version %d applied once", v)
	}
	require.Len(t, count, SchemaVersion())

	// Whole stores too.
	stores := make([]*Store, 3)
	for i := range stores {
		wg.Go(func() {
			var err error
			stores[i], err = Open(ctx, dsn, Options{MaxConns: 2})
			errs[i] = err
		})
	}
	wg.Wait()
	for i, s := range stores {
		require.NoError(t, errs[i])
		require.NoError(t, s.Close())
	}
}

func TestMigrationInOwnTransaction(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool := rawPool(t, pgtest.DSN(t))
	fsys := fstest.MapFS{
		"0001_first.sql":  {Data: []byte("CREATE TABLE first (x integer);")},
		"0002_broken.sql": {Data: []byte("CREATE TABLE second (x integer); INSERT INTO second VALUES (1); INSERT INTO missing VALUES (1);")},
		"0003_later.sql":  {Data: []byte("CREATE TABLE third (x integer);")},
		"README.md":       {Data: []byte("not a migration")},
	}
	applied, err := migrate(ctx, pool, fsys, nil)
	require.ErrorContains(t, err, "migration 2")
	require.ErrorContains(t, err, "0002_broken.sql")
	require.Equal(t, []int{1}, applied)
	require.Equal(t, []int{1}, versions(t, pool), "no version row for the broken migration")
	require.True(t, tableExists(t, pool, "first"))
	require.False(t, tableExists(t, pool, "second"), "no half schema")
	require.False(t, tableExists(t, pool, "third"), "nothing after the broken one")

	// Fixed, it applies from where it stopped.
	fsys["0002_broken.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE second (x integer);")}
	applied, err = migrate(ctx, pool, fsys, nil)
	require.NoError(t, err)
	require.Equal(t, []int{2, 3}, applied)
	require.Equal(t, []int{1, 2, 3}, versions(t, pool))
}

func TestMigrateRefusesNewerSchema(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dsn := pgtest.DSN(t)
	s, err := Open(ctx, dsn, Options{})
	require.NoError(t, err)
	_, err = s.Pool().Exec(ctx, "INSERT INTO schema_migrations (version) VALUES ($1)", SchemaVersion()+1)
	require.NoError(t, err)
	require.NoError(t, s.Close())

	_, err = Open(ctx, dsn, Options{})
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
		_, err := loadMigrations(fsys)
		require.Error(t, err, name)
		_, err = migrate(ctx, nil, fsys, nil)
		require.Error(t, err, name)
	}
}

func TestMissingSchema(t *testing.T) {
	t.Parallel()
	dsn, err := pgtest.WithSearchPath(pgtest.BaseDSN(t), "quell_no_such_schema")
	require.NoError(t, err)
	_, err = Open(t.Context(), dsn, Options{})
	require.ErrorContains(t, err, "no schema to create tables in")
	require.ErrorContains(t, err, "quell_no_such_schema")
}

// A migration numbered below one a database already has (two lines of work that landed in the
// other order) is still applied.
func TestMigrateFillsAGap(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool := rawPool(t, pgtest.DSN(t))
	fsys := fstest.MapFS{
		"0001_first.sql": {Data: []byte("CREATE TABLE first (x integer);")},
		"0003_third.sql": {Data: []byte("CREATE TABLE third (x integer);")},
	}
	applied, err := migrate(ctx, pool, fsys, nil)
	require.NoError(t, err)
	require.Equal(t, []int{1, 3}, applied)
	fsys["0002_second.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE second (x integer);")}
	applied, err = migrate(ctx, pool, fsys, nil)
	require.NoError(t, err)
	require.Equal(t, []int{2}, applied)
	require.Equal(t, []int{1, 2, 3}, versions(t, pool))
	require.True(t, tableExists(t, pool, "second"))
}
