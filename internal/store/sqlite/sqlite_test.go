package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/store"
	"github.com/quell-ir/quell/internal/store/storetest"
)

// openTest opens a fresh database in a temporary directory, closed when the test ends.
func openTest(t testing.TB, opts Options) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "quell.db"), opts)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store { return openTest(t, Options{}) })
}

// TestConformanceCommonWords runs the suite with every full-text filter taking the path meant
// for words that match many incidents.
func TestConformanceCommonWords(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store { return openTest(t, Options{listDrivenMax: -1}) })
}

func pragmas(t *testing.T, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (journal string, sync, fk, queryOnly int) {
	t.Helper()
	ctx := t.Context()
	require.NoError(t, q.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&journal))
	require.NoError(t, q.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync))
	require.NoError(t, q.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk))
	require.NoError(t, q.QueryRowContext(ctx, "PRAGMA query_only").Scan(&queryOnly))
	return
}

func TestPragmas(t *testing.T) {
	t.Parallel()
	s := openTest(t, Options{ReaderConns: 2})
	ctx := t.Context()

	// Every connection of the reader pool, including ones opened later.
	var conns []*sql.Conn
	for range 2 {
		c, err := s.reader.Conn(ctx)
		require.NoError(t, err)
		conns = append(conns, c)
		journal, sync, fk, qo := pragmas(t, c)
		require.Equal(t, "wal", journal)
		require.Equal(t, 2, sync, "synchronous=FULL")
		require.Equal(t, 1, fk)
		require.Equal(t, 1, qo, "readers are query_only")
	}
	for _, c := range conns {
		require.NoError(t, c.Close())
	}

	// Inside a Write, on the writer connection.
	require.NoError(t, s.Write(ctx, func(tx store.Tx) error {
		journal, sync, fk, qo := pragmas(t, sqlTxOf(tx))
		require.Equal(t, "wal", journal)
		require.Equal(t, 2, sync)
		require.Equal(t, 1, fk)
		require.Equal(t, 0, qo)
		return nil
	}))
	// Inside a Read.
	require.NoError(t, s.Read(ctx, func(tx store.Tx) error {
		_, sync, fk, qo := pragmas(t, sqlTxOf(tx))
		require.Equal(t, 2, sync)
		require.Equal(t, 1, fk)
		require.Equal(t, 1, qo)
		return nil
	}))

	// AllowUnsafeSync relaxes synchronous to NORMAL, nothing else.
	u := openTest(t, Options{AllowUnsafeSync: true})
	require.NoError(t, u.Write(ctx, func(tx store.Tx) error {
		journal, sync, fk, _ := pragmas(t, sqlTxOf(tx))
		require.Equal(t, "wal", journal)
		require.Equal(t, 1, sync)
		require.Equal(t, 1, fk)
		return nil
	}))
}

func TestReaderCannotWrite(t *testing.T) {
	t.Parallel()
	s := openTest(t, Options{})
	ctx := t.Context()
	_, err := s.reader.ExecContext(ctx, "INSERT INTO orgs (id, slug, name, created_at) VALUES ('x', 'x', 'x', 'x')")
	require.Error(t, err)
	require.ErrorContains(t, err, "readonly")
	err = s.Read(ctx, func(tx store.Tx) error {
		return tx.Orgs().Create(ctx, access.Org{ID: "x", Slug: "x", Name: "x"})
	})
	require.Error(t, err)
	var n int
	require.NoError(t, s.writer.QueryRowContext(ctx, "SELECT count(*) FROM orgs").Scan(&n))
	require.Zero(t, n)
}

func TestConcurrentWrites(t *testing.T) {
	t.Parallel()
	s := openTest(t, Options{})
	ctx := t.Context()
	// A second store on the same file stands for another process: its writes contend for
	// the file lock and must wait (busy_timeout), not fail.
	other, err := Open(ctx, s.Path(), Options{})
	require.NoError(t, err)
	defer other.Close()

	const goroutines, each = 16, 10
	var wg sync.WaitGroup
	errs := make(chan error, 2*goroutines*each)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db := s
			if g%2 == 1 {
				db = other
			}
			for i := range each {
				errs <- db.Write(ctx, func(tx store.Tx) error {
					return tx.Orgs().Create(ctx, access.Org{ID: fmt.Sprintf("o-%d-%d", g, i),
						Slug: fmt.Sprintf("org-%d-%d", g, i), Name: "x", CreatedAt: time.Now()})
				})
				// Reads interleave with the writes.
				errs <- db.Read(ctx, func(tx store.Tx) error { _, err := tx.Orgs().List(ctx); return err })
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	var n int
	require.NoError(t, s.reader.QueryRowContext(ctx, "SELECT count(*) FROM orgs").Scan(&n))
	require.Equal(t, goroutines*each, n)
}

func TestBusyIsUnavailable(t *testing.T) {
	t.Parallel()
	s := openTest(t, Options{busyTimeout: 50 * time.Millisecond})
	ctx := t.Context()
	// Another connection holds the write lock.
	locker, err := sql.Open("sqlite", dsn(s.Path(), Options{busyTimeout: time.Millisecond}, false))
	require.NoError(t, err)
	defer locker.Close()
	lockTx, err := locker.BeginTx(ctx, nil)
	require.NoError(t, err)
	defer lockTx.Rollback()

	err = s.Write(ctx, func(store.Tx) error { return nil })
	require.ErrorIs(t, err, store.ErrUnavailable)
	// Readers are not blocked by a writer.
	require.NoError(t, s.Read(ctx, func(tx store.Tx) error { _, err := tx.Orgs().List(ctx); return err }))

	require.NoError(t, lockTx.Rollback())
	require.NoError(t, s.Write(ctx, func(store.Tx) error { return nil }))
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

	_, err = s.writer.ExecContext(ctx, "CREATE TABLE test_jobs (kind TEXT, name TEXT, scheduled_at TEXT)")
	require.NoError(t, err)
	s.SetJobInserter(func(ctx context.Context, tx *sql.Tx, args store.JobArgs, opts store.JobOptions) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO test_jobs VALUES (?, ?, ?)", args.Kind(), args.(testJob).Name, tm(opts.ScheduledAt))
		return err
	})
	count := func() int {
		var n int
		require.NoError(t, s.reader.QueryRowContext(ctx, "SELECT count(*) FROM test_jobs").Scan(&n))
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
	require.Error(t, err, "no jobs from a Read")
	require.Same(t, s.writer, s.WriterDB())
}

func TestFTSQuery(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":                "",
		"   ":             "",
		`"`:               "",
		"* ( ) :":         "",
		"payroll":         `"payroll"*`,
		"payroll servers": `"payroll" AND "servers"*`,
		`say "hi"`:        `"say" AND """hi"""*`,
		"AND OR NOT":      `"AND" AND "OR" AND "NOT"*`,
		"title:x":         `"title:x"*`,
		"NEAR/2 a":        `"NEAR/2" AND "a"*`,
		"Zürich \xff":     `"Zürich"*`,
		"pay\x00roll":     `"pay" AND "roll"*`,
		"a b c d e f g h i j k l m n o p q r": `"a" AND "b" AND "c" AND "d" AND "e" AND "f" AND "g" AND "h" AND ` +
			`"i" AND "j" AND "k" AND "l" AND "m" AND "n" AND "o" AND "p"*`,
	} {
		require.Equal(t, want, ftsQuery(in), "%q", in)
	}
}

// sqlTxOf returns the database/sql transaction behind a store.Tx of this driver.
func sqlTxOf(st store.Tx) *sql.Tx { return st.(*tx).sqlTx }

func TestSnippet(t *testing.T) {
	t.Parallel()
	var ws []string
	for i := 1; i <= 30; i++ {
		ws = append(ws, fmt.Sprintf("w%d", i))
	}
	words30 := strings.Join(ws, " ")
	long := "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty"
	for _, c := range []struct {
		query string
		texts []string
		want  string
	}{
		{"payroll", []string{"Ransomware on payroll servers", ""}, "Ransomware on payroll servers"},
		{"PAYROLL", []string{"no match here", "the Payroll, servers"}, "the Payroll, servers"},
		{"fourt", []string{long}, "…five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty"},
		{"two", []string{long}, "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen…"},
		{"nine two", []string{long}, "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen…"},
		{"eleven", []string{long}, "…five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty"},
		{"w15", []string{words30}, "…w11 w12 w13 w14 w15 w16 w17 w18 w19 w20 w21 w22 w23 w24 w25 w26…"},
		{"zurich", []string{"short", "Zürich office\nflooded"}, "Zürich office flooded"},
		{"tw", []string{"the first"}, "the first"},
		{"x", []string{"", ""}, ""},
	} {
		require.Equal(t, c.want, snippet(searchWords(c.query), c.texts...), "%q in %q", c.query, c.texts)
	}
}

func TestOddPath(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "a b?c#d%20é")
	require.NoError(t, os.Mkdir(dir, 0o700))
	path := filepath.Join(dir, "q?.db")
	s, err := Open(t.Context(), path, Options{})
	require.NoError(t, err)
	require.NoError(t, s.Write(t.Context(), func(tx store.Tx) error {
		return tx.Orgs().Create(t.Context(), access.Org{ID: "o", Slug: "o", Name: "o"})
	}))
	require.NoError(t, s.Close())
	_, err = os.Stat(path)
	require.NoError(t, err, "the database is at the path given")
}
