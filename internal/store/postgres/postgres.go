// Package postgres is the PostgreSQL driver of the storage port (package store), built on pgx
// and its connection pool, for installations that run several Quell nodes on one database.
//
// # Transactions and concurrency
//
// Store.Read runs in a REPEATABLE READ, READ ONLY transaction: every statement of one Read
// sees the same snapshot, as a Read on SQLite does.
//
// Store.Write runs in a READ COMMITTED transaction. Unlike SQLite, whose single writer
// connection serialises every Write, Writes here run side by side, on one node or several; the
// port's guarantees are kept by the statements themselves rather than by retrying whole
// transactions (which SERIALIZABLE would need, and which the port cannot do safely since a
// Write's function may have effects outside the database):
//
//   - Updates are guarded by "version = expected" in the UPDATE itself. Under READ COMMITTED
//     an UPDATE that finds its row locked waits, then re-checks its condition on the newest
//     version of the row, so a stale version is reported as store.ErrConflict, never lost.
//   - Incident numbers come from one counter row per organisation, incremented with
//     INSERT … ON CONFLICT DO UPDATE … RETURNING: the row stays locked until the Write ends, so
//     numbers never collide across nodes, and a rolled-back number is handed out again.
//   - AuditLog.Append locks the one row of audit_head (SELECT … FOR UPDATE) and moves it to
//     the new record, so appends from every node form one linear chain. The lock is held until
//     the Write commits: audited Writes append as late as they can.
//   - A note's edit locks the note before keeping its old body as a revision.
//   - Uniqueness and references are constraints: store.ErrDuplicate and store.ErrNotFound.
//
// Deadlocks and lock or statement timeouts surface as store.ErrUnavailable (sessions wait at
// most 10s for a lock unless the DSN sets lock_timeout), as do a server that cannot be reached
// or is restarting, out of disk or read-only. A Write whose commit fails that way may or may
// not have committed. Once a statement fails, PostgreSQL refuses the rest of the transaction:
// a Write's function must return the error. Every Read and Write holds a connection of the
// pool until it ends, so a Write must not wait for another Read or Write to finish.
//
// # Schema
//
// The schema lives in the first schema of the connection's search_path (set it with
// search_path=… in the DSN to keep Quell apart from other applications). It is made by
// numbered SQL files embedded from migrations/, each applied in its own transaction together
// with its row in schema_migrations, under a transaction-scoped advisory lock, so nodes that
// start at once apply each migration once. SQL lives beside the aggregate it serves: orgs.go,
// users.go, incidents.go, tasks.go and so on.
//
// Times keep their nanoseconds, as on SQLite (an audit record's hash covers its time): each is
// a timestamptz column, to the microsecond, beside a smallint column of the nanoseconds below.
//
// # Full-text search
//
// Incidents, tasks, notes and timeline entries carry a generated tsvector column with a GIN
// index, in the 'simple' configuration (words lower-cased, not stemmed), which the search
// endpoint reads. The full-text filter of incident lists reads a search document per incident
// instead (incident_search, or the bounded parts of an incident with a long timeline in
// incident_search_parts), kept by triggers (migrations/0002_incident_search.sql). What users
// type is turned into a tsquery that always parses, the last word matching as a prefix;
// searches are planned for the words searched, and bound the work a common word costs
// (search.go).
//
// # Durability
//
// Open refuses a server that would lose acknowledged data on a crash (fsync=off, or
// synchronous_commit=off for Quell's sessions) unless Options.AllowUnsafeFsync is set.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/quell-ir/quell/internal/store"
)

// Options tune Open. The zero value is the production setting.
type Options struct {
	// MaxConns bounds the connection pool (default: the DSN's pool_max_conns, else pgxpool's
	// default of four or the number of CPUs, whichever is more).
	MaxConns int
	// Logger receives start-up messages such as applied migrations (default: discarded).
	Logger *slog.Logger
	// AllowUnsafeFsync lets Quell run on a server configured to lose recent commits on a
	// crash (fsync=off, synchronous_commit=off). Only for tests, benchmarks and throwaway
	// data, never for acknowledged data.
	AllowUnsafeFsync bool

	// denseProbe overrides how many matching incidents make a list's search common, and how
	// many matches in one table make a word common to Search (see denseProbe and Search in
	// search.go); tests lower it to take those paths on little data.
	denseProbe int
}

// JobInserter writes a durable job into the given transaction (the job queue's InsertTx).
type JobInserter func(ctx context.Context, tx pgx.Tx, args store.JobArgs, opts store.JobOptions) error

// Store is a PostgreSQL database; it implements store.Store.
type Store struct {
	pool                    *pgxpool.Pool
	log                     *slog.Logger
	jobs                    atomic.Pointer[JobInserter]
	denseProbe, searchProbe int // see Options.denseProbe; searchProbe 0 is Search's own measure
}

var _ store.Store = (*Store)(nil)

// sessionDefaults are the settings of Quell's sessions unless the DSN names them.
var sessionDefaults = map[string]string{
	"application_name": "quell",
	// A Write that waits this long for a lock (another node's transaction on the same row, or
	// on the audit chain's head) gives up with store.ErrUnavailable, as SQLite's busy timeout.
	"lock_timeout": "10s",
	// A transaction left open and idle this long (a node hung while holding locks) is ended by
	// the server, so that the other nodes do not wait for it forever.
	"idle_in_transaction_session_timeout": "60s",
	// A scan may otherwise start where another one of the same table is, so that which rows
	// come first varies; search ranks the first matches it finds of a common word.
	"synchronize_seqscans": "off",
}

// Open connects to the database dsn names (a postgres:// URL or key=value pairs), checks that
// the server keeps acknowledged data, brings the schema up to date and returns the store.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = int32(min(opts.MaxConns, 1<<20))
	}
	for name, value := range sessionDefaults {
		if cfg.ConnConfig.RuntimeParams[name] == "" {
			cfg.ConnConfig.RuntimeParams[name] = value
		}
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	s := &Store{pool: pool, log: opts.Logger, denseProbe: denseProbe}
	if opts.denseProbe > 0 {
		s.denseProbe, s.searchProbe = opts.denseProbe, opts.denseProbe
	}
	if err := s.checkDurability(ctx, opts.AllowUnsafeFsync); err != nil {
		pool.Close()
		return nil, err
	}
	applied, err := migrate(ctx, pool, migrationFiles(), s.log)
	if err != nil {
		pool.Close()
		return nil, err
	}
	if len(applied) > 0 {
		s.log.Info("database schema migrated", "database", cfg.ConnConfig.Database, "applied", applied)
	}
	return s, nil
}

// checkDurability reads the server's settings as Quell's sessions see them and refuses the
// unsafe ones unless allowed.
func (s *Store) checkDurability(ctx context.Context, allowUnsafe bool) error {
	var fsync, syncCommit, fullPageWrites string
	err := s.pool.QueryRow(ctx, `SELECT current_setting('fsync'), current_setting('synchronous_commit'),
		current_setting('full_page_writes')`).Scan(&fsync, &syncCommit, &fullPageWrites)
	if err != nil {
		return fmt.Errorf("postgres: connect: %w", mapErr(err))
	}
	if fullPageWrites == "off" {
		s.log.Warn("PostgreSQL runs with full_page_writes=off: a crash can leave torn pages unless the file system " +
			"writes pages atomically (as ZFS does)")
	}
	if err := durabilityProblem(fsync, syncCommit); err != nil {
		if !allowUnsafe {
			return err
		}
		s.log.Warn("running on unsafe PostgreSQL settings because it was allowed", "problem", err)
	}
	return nil
}

// durabilityProblem explains why the settings fsync and synchronous_commit (as SHOW reports
// them) would lose acknowledged data, or returns nil when they do not.
func durabilityProblem(fsync, syncCommit string) error {
	if fsync != "on" {
		return fmt.Errorf("postgres: the server runs with fsync=%s, so a crash or power loss can lose or corrupt "+
			"data Quell has acknowledged: set fsync=on in postgresql.conf (or allow unsafe storage for a throwaway "+
			"installation)", fsync)
	}
	if syncCommit == "off" {
		return errors.New("postgres: synchronous_commit is off for Quell's sessions, so a crash can lose the last " +
			"transactions Quell has acknowledged: set synchronous_commit=on on the server or the database, or add " +
			"synchronous_commit=on to the connection string (or allow unsafe storage for a throwaway installation)")
	}
	return nil
}

// Pool returns the connection pool, for the job queue (River's riverpgxv5 driver) and tools.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// SetJobInserter sets how Tx.Jobs().Enqueue writes a job: f receives the Write's transaction.
func (s *Store) SetJobInserter(f func(ctx context.Context, tx pgx.Tx, args store.JobArgs, opts store.JobOptions) error) {
	if f == nil {
		s.jobs.Store(nil)
		return
	}
	ji := JobInserter(f)
	s.jobs.Store(&ji)
}

var (
	readOpts  = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
	writeOpts = pgx.TxOptions{IsoLevel: pgx.ReadCommitted, AccessMode: pgx.ReadWrite}
)

// Read runs fn in a REPEATABLE READ, READ ONLY transaction.
func (s *Store) Read(ctx context.Context, fn func(store.Tx) error) error {
	return s.run(ctx, readOpts, false, fn)
}

// Write runs fn in a READ COMMITTED transaction; it commits when fn returns nil and rolls back
// otherwise. See the package documentation for how concurrent Writes are kept apart.
func (s *Store) Write(ctx context.Context, fn func(store.Tx) error) error {
	return s.run(ctx, writeOpts, true, fn)
}

func (s *Store) run(ctx context.Context, opts pgx.TxOptions, write bool, fn func(store.Tx) error) error {
	pgTx, err := s.pool.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("postgres: begin: %w", mapErr(err))
	}
	done := false
	defer func() {
		if !done {
			// fn panicked: undo, then let the panic go on.
			s.rollback(ctx, pgTx)
		}
	}()
	err = fn(&tx{pgTx: pgTx, store: s, write: write})
	done = true
	if err != nil {
		s.rollback(ctx, pgTx)
		return err
	}
	if err := pgTx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: commit: %w", mapErr(err))
	}
	return nil
}

// rollback ends a transaction that will not commit, even when ctx is already done (pgx closes
// the connection if it cannot roll back).
func (s *Store) rollback(ctx context.Context, pgTx pgx.Tx) {
	rbCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := pgTx.Rollback(rbCtx); err != nil && !errors.Is(err, pgx.ErrTxClosed) {
		s.log.Warn("rollback failed", "err", err)
	}
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	return mapErr(s.pool.Ping(ctx))
}

// Close closes the pool, waiting for connections in use to be released.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}
