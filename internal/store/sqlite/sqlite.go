// Package sqlite is the SQLite driver of the storage port (package store), built on the pure Go
// modernc.org/sqlite, so a Quell installation is one binary and one database file.
//
// The database is opened twice: one writer pool of a single connection, whose transactions
// begin with BEGIN IMMEDIATE so that writers queue in the process instead of failing on a
// lock, and a pool of read-only connections for Store.Read, which in WAL mode never wait for
// the writer. The pragmas (WAL, synchronous=FULL, foreign keys, busy timeout) are in the DSN
// so every pooled connection gets them.
//
// The schema is made by numbered SQL files embedded from migrations/, each applied in its own
// transaction together with its row in schema_migrations. SQL lives beside the aggregate it
// serves: orgs.go, users.go, incidents.go, tasks.go and so on, one file per concern.
//
// A Write must not start another Write (the writer pool has one connection, so it would wait
// for itself); starting a Read inside a Write is fine.
//
// The query planner's statistics are refreshed at Open, after the migrations, and then every
// hour while the store is open (PRAGMA optimize, which analyses only the tables whose size
// changed a lot since their last analysis), so that plans keep up with a database that grows
// from nothing.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	// Registers the "sqlite" database/sql driver.
	_ "modernc.org/sqlite"

	"github.com/quell-ir/quell/internal/store"
)

// Options tune Open. The zero value is the production setting.
type Options struct {
	// ReaderConns is the size of the read-only connection pool (default 4).
	ReaderConns int
	// Logger receives start-up messages such as applied migrations (default: discarded).
	Logger *slog.Logger
	// AllowUnsafeSync lowers synchronous from FULL to NORMAL: in WAL mode the database stays
	// consistent, but the last commits before a power failure may be lost. Only for tests,
	// benchmarks and throwaway data, never for acknowledged data.
	AllowUnsafeSync bool

	// listDrivenMax overrides defaultListDrivenMax; negative is 0. Tests lower it.
	listDrivenMax int
	// busyTimeout overrides how long a connection waits for a lock another process holds
	// (default 10s); tests shorten it.
	busyTimeout time.Duration
	// optimizeEvery overrides how often the planner's statistics are refreshed (default
	// hourly); tests shorten it.
	optimizeEvery time.Duration
}

const (
	defaultBusyTimeout   = 10 * time.Second
	defaultOptimizeEvery = time.Hour
)

// JobInserter writes a durable job into the given transaction (the job queue's InsertTx).
type JobInserter func(ctx context.Context, tx *sql.Tx, args store.JobArgs, opts store.JobOptions) error

// Store is a SQLite database; it implements store.Store.
type Store struct {
	path   string
	writer *sql.DB
	reader *sql.DB
	log    *slog.Logger
	jobs   atomic.Pointer[JobInserter]

	listDrivenMax int
	// writerStmts are the statements prepared on the writer, kept across transactions.
	writerStmts *stmtCache

	// stop ends the statistics refresh that Open starts; done is closed when it has ended.
	stop      context.CancelFunc
	done      chan struct{}
	closeOnce sync.Once
}

var _ store.Store = (*Store)(nil)

// Open opens or creates the database file at path, brings its schema up to date and returns
// the store.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if path == "" {
		return nil, errors.New("sqlite: no database path")
	}
	if opts.ReaderConns <= 0 {
		opts.ReaderConns = 4
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.busyTimeout <= 0 {
		opts.busyTimeout = defaultBusyTimeout
	}
	if opts.optimizeEvery <= 0 {
		opts.optimizeEvery = defaultOptimizeEvery
	}
	switch {
	case opts.listDrivenMax == 0:
		opts.listDrivenMax = defaultListDrivenMax
	case opts.listDrivenMax < 0:
		opts.listDrivenMax = 0
	}
	s := &Store{path: path, log: opts.Logger, listDrivenMax: opts.listDrivenMax}

	writer, err := sql.Open("sqlite", dsn(path, opts, false))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open writer: %w", err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	writer.SetConnMaxIdleTime(0)
	s.writer = writer
	if err := writer.PingContext(ctx); err != nil {
		writer.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, mapErr(err))
	}

	if _, err := migrate(ctx, writer, migrationFiles(), s.log); err != nil {
		writer.Close()
		return nil, err
	}
	// Statistics for what the migrations made and for tables that grew since the last start.
	s.optimize(ctx)
	s.writerStmts = newStmtCache(writer)

	reader, err := sql.Open("sqlite", dsn(path, opts, true))
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("sqlite: open readers: %w", err)
	}
	reader.SetMaxOpenConns(opts.ReaderConns)
	reader.SetMaxIdleConns(opts.ReaderConns)
	reader.SetConnMaxIdleTime(5 * time.Minute)
	s.reader = reader
	if err := reader.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: open readers of %s: %w", path, mapErr(err))
	}
	var refreshCtx context.Context
	refreshCtx, s.stop = context.WithCancel(context.Background())
	s.done = make(chan struct{})
	go s.refreshStatistics(refreshCtx, opts.optimizeEvery)
	return s, nil
}

// optimize refreshes the query planner's statistics of the tables whose size changed a lot
// since they were last analysed, or that never were (PRAGMA optimize, checking every table,
// since reads run on other connections than the writer), reading a bounded sample of each. It
// is cheap when nothing changed; a failure is logged, as the store works without statistics.
func (s *Store) optimize(ctx context.Context) {
	if _, err := s.writer.ExecContext(ctx, "PRAGMA analysis_limit = 1000; PRAGMA optimize = 0x10002"); err != nil && ctx.Err() == nil {
		s.log.Warn("database optimize failed", "err", err)
	}
}

// refreshStatistics runs optimize at every interval until ctx ends (at Close), on the writer
// connection: between Writes, which it waits for like any writer.
func (s *Store) refreshStatistics(ctx context.Context, interval time.Duration) {
	defer close(s.done)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			s.optimize(ctx)
		}
	}
}

// dsn builds the connection string: the pragmas go in it so every pooled connection runs them.
func dsn(path string, opts Options, readOnly bool) string {
	sync := "FULL"
	if opts.AllowUnsafeSync {
		sync = "NORMAL"
	}
	q := []string{
		"_pragma=busy_timeout(" + strconv.FormatInt(opts.busyTimeout.Milliseconds(), 10) + ")",
		"_pragma=journal_mode(WAL)",
		"_pragma=synchronous(" + sync + ")",
		"_pragma=foreign_keys(1)",
		// Truncate the write-ahead log after a checkpoint when it grew beyond 64 MiB, so the
		// data directory stays near the size of the data.
		"_pragma=journal_size_limit(67108864)",
		// Statement journals and temporary b-trees in memory: every INSERT inside a
		// transaction keeps a statement journal (for its own rollback), and on disk those
		// page copies were a write system call each.
		"_pragma=temp_store(2)",
	}
	if readOnly {
		q = append(q, "_pragma=query_only(1)")
	} else {
		q = append(q, "_txlock=immediate")
	}
	return "file:" + escapePath(path) + "?" + strings.Join(q, "&")
}

// escapePath makes a file path safe inside a SQLite URI filename.
func escapePath(p string) string {
	u := url.URL{Path: p}
	return strings.ReplaceAll(u.EscapedPath(), "?", "%3F")
}

// Path returns the database file's path.
func (s *Store) Path() string { return s.path }

// WriterDB returns the writer pool, for the job queue that shares the writer's connection.
func (s *Store) WriterDB() *sql.DB { return s.writer }

// SetJobInserter sets how Tx.Jobs().Enqueue writes a job: f receives the Write's transaction.
func (s *Store) SetJobInserter(f func(ctx context.Context, tx *sql.Tx, args store.JobArgs, opts store.JobOptions) error) {
	if f == nil {
		s.jobs.Store(nil)
		return
	}
	ji := JobInserter(f)
	s.jobs.Store(&ji)
}

// Read runs fn in a read-only transaction on a reader connection.
func (s *Store) Read(ctx context.Context, fn func(store.Tx) error) error {
	return s.run(ctx, s.reader, &sql.TxOptions{ReadOnly: true}, false, fn)
}

// Write runs fn in a write transaction (BEGIN IMMEDIATE) on the writer connection; it commits
// when fn returns nil and rolls back otherwise.
func (s *Store) Write(ctx context.Context, fn func(store.Tx) error) error {
	return s.run(ctx, s.writer, nil, true, fn)
}

func (s *Store) run(ctx context.Context, db *sql.DB, opts *sql.TxOptions, write bool, fn func(store.Tx) error) (err error) {
	if write && s.writerStmts != nil {
		s.writerStmts.prepare(ctx)
	}
	sqlTx, err := db.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", mapErr(err))
	}
	done := false
	defer func() {
		if !done {
			// fn panicked: undo, then let the panic go on.
			_ = sqlTx.Rollback()
		}
	}()
	err = fn(&tx{sqlTx: sqlTx, store: s, write: write})
	done = true
	if err != nil {
		if rbErr := sqlTx.Rollback(); rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) {
			s.log.Warn("rollback failed", "err", rbErr)
		}
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit: %w", mapErr(err))
	}
	return nil
}

// Ping checks that both pools answer.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.writer.PingContext(ctx); err != nil {
		return mapErr(err)
	}
	if err := s.reader.PingContext(ctx); err != nil {
		return mapErr(err)
	}
	return nil
}

// Close stops the statistics refresh and closes both pools.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		if s.stop != nil {
			s.stop()
			<-s.done
		}
	})
	var errs []error
	if s.reader != nil {
		errs = append(errs, s.reader.Close())
	}
	if s.writerStmts != nil {
		s.writerStmts.close()
	}
	if s.writer != nil {
		// Let SQLite refresh planner statistics before the last connection goes.
		_, _ = s.writer.Exec("PRAGMA optimize")
		errs = append(errs, s.writer.Close())
	}
	return errors.Join(errs...)
}
