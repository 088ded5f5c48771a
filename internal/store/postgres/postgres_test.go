package postgres

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/store"
	"github.com/quell-ir/quell/internal/store/postgres/pgtest"
	"github.com/quell-ir/quell/internal/store/storetest"
)

// openTest opens a store on a fresh schema, closed when the test ends.
func openTest(t testing.TB, opts Options) *Store {
	t.Helper()
	return openDSN(t, pgtest.DSN(t), opts)
}

// openDSN opens another store (another pool, as another node would) on dsn.
func openDSN(t testing.TB, dsn string, opts Options) *Store {
	t.Helper()
	if opts.MaxConns == 0 {
		opts.MaxConns = 4
	}
	s, err := Open(context.Background(), dsn, opts)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

func TestConformance(t *testing.T) {
	t.Parallel()
	pgtest.BaseDSN(t)
	storetest.Run(t, func(t *testing.T) store.Store { return openTest(t, Options{}) })
}

// TestConformanceDenseSearch runs the suite with every word taken as a common one (one match
// is many), so that searches and lists filtered by a search take the paths common words take
// on large data, and the lists' fall-back.
func TestConformanceDenseSearch(t *testing.T) {
	t.Parallel()
	pgtest.BaseDSN(t)
	storetest.Run(t, func(t *testing.T) store.Store { return openTest(t, Options{denseProbe: 1}) })
}

func TestDurabilityProblem(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		fsync, syncCommit string
		problem           string
	}{
		{"on", "on", ""},
		{"on", "local", ""},
		{"on", "remote_write", ""},
		{"on", "remote_apply", ""},
		{"off", "on", "fsync=off"},
		{"off", "off", "fsync=off"},
		{"on", "off", "synchronous_commit is off"},
	} {
		err := durabilityProblem(tt.fsync, tt.syncCommit)
		if tt.problem == "" {
			require.NoError(t, err, "fsync=%s synchronous_commit=%s", tt.fsync, tt.syncCommit)
			continue
		}
		require.ErrorContains(t, err, tt.problem, "fsync=%s synchronous_commit=%s", tt.fsync, tt.syncCommit)
	}
}

func TestOpenRefusesUnsafeSettings(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dsn := pgtest.DSN(t)
	// synchronous_commit is a session setting, so the connection string can turn it off; the
	// server's fsync cannot be changed from here, and its check is the same code path.
	unsafe, err := pgtest.WithParam(dsn, "synchronous_commit", "off")
	require.NoError(t, err)
	_, err = Open(ctx, unsafe, Options{})
	require.ErrorContains(t, err, "synchronous_commit is off")
	require.ErrorContains(t, err, "synchronous_commit=on to the connection string")

	s, err := Open(ctx, unsafe, Options{AllowUnsafeFsync: true})
	require.NoError(t, err)
	require.NoError(t, s.Close())
	s = openDSN(t, dsn, Options{})
	require.NoError(t, s.Ping(ctx))
}

type testJob struct{ Name string }

func (testJob) Kind() string { return "test" }

func TestJobs(t *testing.T) {
	t.Parallel()
	s := openTest(t, Options{})
	ctx := t.Context()
	job := testJob{Name: "notify"}

	err := s.Write(ctx, func(tx store.Tx) error { return tx.Jobs().Enqueue(ctx, job, store.JobOptions{}) })
	require.ErrorContains(t, err, "no job inserter")

	_, err = s.Pool().Exec(ctx, "CREATE TABLE test_jobs (kind text, name text, scheduled_at timestamptz)")
	require.NoError(t, err)
	s.SetJobInserter(func(ctx context.Context, tx pgx.Tx, args store.JobArgs, opts store.JobOptions) error {
		_, err := tx.Exec(ctx, "INSERT INTO test_jobs VALUES ($1, $2, $3)", args.Kind(), args.(testJob).Name, opts.ScheduledAt)
		return err
	})
	count := func() int {
		var n int
		require.NoError(t, s.Pool().QueryRow(ctx, "SELECT count(*) FROM test_jobs").Scan(&n))
		return n
	}
	// The job is in the Write's transaction: it exists if and only if the Write commits.
	err = s.Write(ctx, func(tx store.Tx) error {
		require.NoError(t, tx.Jobs().Enqueue(ctx, job, store.JobOptions{}))
		return errors.New("roll back")
	})
	require.Error(t, err)
	require.Zero(t, count())
	require.NoError(t, s.Write(ctx, func(tx store.Tx) error { return tx.Jobs().Enqueue(ctx, job, store.JobOptions{}) }))
	require.Equal(t, 1, count())

	err = s.Read(ctx, func(tx store.Tx) error { return tx.Jobs().Enqueue(ctx, job, store.JobOptions{}) })
	require.ErrorIs(t, err, errReadOnly, "no jobs from a Read")
	s.SetJobInserter(nil)
	err = s.Write(ctx, func(tx store.Tx) error { return tx.Jobs().Enqueue(ctx, job, store.JobOptions{}) })
	require.ErrorContains(t, err, "no job inserter")
}

func TestReadIsReadOnlySnapshot(t *testing.T) {
	t.Parallel()
	s := openTest(t, Options{})
	ctx := t.Context()
	org := access.Org{ID: "01ORG", Slug: "a", Name: "A", CreatedAt: time.Now()}

	// A write in a Read is refused as a programming error, not as an unavailable database.
	err := s.Read(ctx, func(tx store.Tx) error { return tx.Orgs().Create(ctx, org) })
	require.ErrorIs(t, err, errReadOnly)
	require.NotErrorIs(t, err, store.ErrUnavailable)

	// A Read sees one snapshot: a Write committed while it runs is not visible to it.
	require.NoError(t, s.Read(ctx, func(tx store.Tx) error {
		list, err := tx.Orgs().List(ctx)
		require.NoError(t, err)
		require.Empty(t, list)
		require.NoError(t, s.Write(ctx, func(tx store.Tx) error { return tx.Orgs().Create(ctx, org) }))
		list, err = tx.Orgs().List(ctx)
		require.NoError(t, err)
		require.Empty(t, list, "repeatable read")
		return nil
	}))
	list := get(t, s, func(tx store.Tx) ([]access.Org, error) { return tx.Orgs().List(ctx) })
	require.Len(t, list, 1)
}

// get reads one value in a Read and requires success.
func get[T any](t testing.TB, s *Store, fn func(tx store.Tx) (T, error)) T {
	t.Helper()
	var v T
	require.NoError(t, s.Read(context.Background(), func(tx store.Tx) error {
		var err error
		v, err = fn(tx)
		return err
	}))
	return v
}

func TestSplitTime(t *testing.T) {
	t.Parallel()
	for _, in := range []time.Time{
		time.Date(2025, 3, 14, 9, 26, 53, 589793238, time.UTC),
		time.Date(1969, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC),
		time.Date(2025, 3, 14, 9, 26, 53, 589793238, time.FixedZone("CEST", 2*3600)),
		time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC),
	} {
		at, ns := splitTime(in)
		require.Zero(t, at.Nanosecond()%1000, "%v", in)
		require.GreaterOrEqual(t, ns, int16(0))
		require.Less(t, ns, int16(1000))
		require.True(t, at.Add(time.Duration(ns)).Equal(in), "%v", in)
		got, err := parseCursorTime(cursorTime(in))
		require.NoError(t, err)
		require.True(t, got.Equal(in))
	}
}

func TestTSQuery(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":                 "",
		"   ":              "",
		`"`:                "",
		"* ( ) : 🔥":        "",
		"payroll":          `'payroll':*`,
		"payroll servers":  `'payroll' & 'servers':*`,
		`say "hi"`:         `'say' & 'hi':*`,
		"AND OR NOT":       `'AND' & 'OR' & 'NOT':*`,
		"title:x":          `'title x':*`,
		"203.0.113.7 beat": `'203 0 113 7' & 'beat':*`,
		`o'brien \x`:       `'o brien' & 'x':*`,
		"a:*|!b":           `'a b':*`,
		"Zürich \xff":      `'Zürich':*`,
		"pay\x00roll":      `'pay' & 'roll':*`,
		"a b c d e f g h i j k l m n o p q r": `'a' & 'b' & 'c' & 'd' & 'e' & 'f' & 'g' & 'h' & ` +
			`'i' & 'j' & 'k' & 'l' & 'm' & 'n' & 'o' & 'p':*`,
	} {
		require.Equal(t, want, tsQuery(in), "%q", in)
	}
	require.Len(t, tsQuery(strings.Repeat("é", 1000)), maxTermBytes+len("'':*"))

}
