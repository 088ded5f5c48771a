// Package jobs runs Quell's durable jobs with River on the SQLite database the store writes
// to. A use case enqueues a job in the same transaction as the write that causes it (through
// store.Jobs, which this package plugs into the driver with SetJobInserter), so the job exists
// if and only if the write committed. Workers then run the job at its time, retrying on
// failure, and survive restarts because the queue lives in the database.
//
// The jobs so far:
//
//   - task_due (casework.TaskDueArgs): enqueued when a task gets a due time, scheduled at that
//     time; puts the task's lateness on its incident's timeline if it is still open.
//   - overdue_sweep (SweepArgs): a periodic job, every minute and once at start, that notes
//     every overdue task not noted yet, catching tasks whose task_due job was lost or which
//     came due while no node was running.
//
// Both end in casework, which writes an overdue note at most once per task, however many
// times and in whatever order the two jobs run.
//
//   - incident_clocks (casework.ClockArgs): enqueued when an incident is created or its
//     milestones, severity, triggers or submissions change, scheduled at the next SLA or
//     obligation deadline; notes each breach once and schedules the next (clocks.go).
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/store"
)

// Host is what the job queue needs from the storage driver: the writer connection, which the
// queue shares (SQLite allows one writer), and the hook through which Tx.Jobs().Enqueue
// reaches the queue.
type Host interface {
	WriterDB() *sql.DB
	SetJobInserter(func(ctx context.Context, tx *sql.Tx, args store.JobArgs, opts store.JobOptions) error)
}

// Options tune a Service; zero values pick the defaults.
type Options struct {
	Logger *slog.Logger
	// SweepInterval is how often overdue_sweep runs (default one minute).
	SweepInterval time.Duration
	// SweepBatch is how many tasks one round of the sweep notes (default 200).
	SweepBatch int
	// MaxWorkers is how many jobs run at once (default 4).
	MaxWorkers int
	// FetchPollInterval is how often idle workers look for new jobs (default one second).
	FetchPollInterval time.Duration
	// HardStopGrace is how long Stop waits for cancelled jobs to return once its context is
	// done (default five seconds).
	HardStopGrace time.Duration
}

// Service owns the River client. New makes it ready to enqueue; Start begins working jobs.
type Service struct {
	client runner
	// sqliteClient is the client when the queue lives in SQLite, for Client.
	sqliteClient *river.Client[*sql.Tx]
	log          *slog.Logger
	grace        time.Duration

	mu      sync.Mutex
	started bool
}

// Migrate brings the job queue's tables in db up to date and returns the versions it applied.
func Migrate(ctx context.Context, db *sql.DB, log *slog.Logger) ([]int, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m, err := rivermigrate.New(riversqlite.New(db), &rivermigrate.Config{Logger: quiet(log)})
	if err != nil {
		return nil, fmt.Errorf("jobs: migrator: %w", err)
	}
	res, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return nil, fmt.Errorf("jobs: migrate queue tables: %w", err)
	}
	applied := make([]int, len(res.Versions))
	for i, v := range res.Versions {
		applied[i] = v.Version
	}
	return applied, nil
}

// SchemaVersion returns the newest job queue migration applied to db (0 for none).
func SchemaVersion(ctx context.Context, db *sql.DB) (int, error) {
	m, err := rivermigrate.New(riversqlite.New(db), &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return 0, fmt.Errorf("jobs: migrator: %w", err)
	}
	existing, err := m.ExistingVersions(ctx)
	if err != nil {
		return 0, fmt.Errorf("jobs: read queue schema version: %w", err)
	}
	v := 0
	for _, e := range existing {
		v = max(v, e.Version)
	}
	return v, nil
}

// New migrates the queue's tables, creates the River client on host's writer connection and
// sets host's job inserter, so writes may enqueue jobs from now on, even before Start.
func New(ctx context.Context, host Host, cases *casework.Service, opts Options) (*Service, error) {
	opts.defaults()
	log := opts.Logger.With("component", "jobs")
	db := host.WriterDB()
	applied, err := Migrate(ctx, db, opts.Logger)
	if err != nil {
		return nil, err
	}
	if len(applied) > 0 {
		log.Info("job queue schema migrated", "applied", applied)
	}

	cfg, err := riverConfig(cases, opts, log)
	if err != nil {
		return nil, err
	}
	// SQLite has no LISTEN/NOTIFY; River would emulate it by polling a table on the one
	// writer connection. Polling for jobs directly costs less.
	cfg.PollOnly = true
	client, err := river.NewClient(riversqlite.New(db), cfg)
	if err != nil {
		return nil, fmt.Errorf("jobs: new client: %w", err)
	}
	s := &Service{client: client, sqliteClient: client, log: log, grace: opts.HardStopGrace}
	host.SetJobInserter(func(ctx context.Context, tx *sql.Tx, args store.JobArgs, opts store.JobOptions) error {
		_, err := client.InsertTx(ctx, tx, args, insertOpts(opts))
		return wrapInsert(args, err)
	})
	return s, nil
}

// riverConfig is the River configuration with Quell's workers and periodic jobs.
func riverConfig(cases *casework.Service, opts Options, log *slog.Logger) (*river.Config, error) {
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &TaskDueWorker{Cases: cases, Log: log}); err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	if err := river.AddWorkerSafely(workers, &SweepWorker{Cases: cases, Batch: opts.SweepBatch, Log: log}); err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	if err := addClockWorker(workers, cases, log); err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	// River requires the cooldown between fetches not to exceed the poll interval.
	var cooldown time.Duration
	if opts.FetchPollInterval > 0 && opts.FetchPollInterval < 100*time.Millisecond {
		cooldown = opts.FetchPollInterval
	}
	return &river.Config{
		Logger:            quiet(opts.Logger),
		FetchCooldown:     cooldown,
		Workers:           workers,
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: opts.MaxWorkers}},
		FetchPollInterval: opts.FetchPollInterval,
		PeriodicJobs: []*river.PeriodicJob{
			river.NewPeriodicJob(river.PeriodicInterval(opts.SweepInterval),
				func() (river.JobArgs, *river.InsertOpts) { return SweepArgs{}, nil },
				&river.PeriodicJobOpts{ID: SweepArgs{}.Kind(), RunOnStart: true}),
		},
	}, nil
}

// defaults fills the zero options.
func (opts *Options) defaults() {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.SweepInterval <= 0 {
		opts.SweepInterval = time.Minute
	}
	if opts.SweepBatch <= 0 {
		opts.SweepBatch = 200
	}
	if opts.MaxWorkers <= 0 {
		opts.MaxWorkers = 4
	}
	if opts.HardStopGrace <= 0 {
		opts.HardStopGrace = 5 * time.Second
	}
}

// runner is what the service needs of a River client, whatever its database.
type runner interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	StopAndCancel(ctx context.Context) error
}

// insertOpts turns Quell's job options into River's.
func insertOpts(opts store.JobOptions) *river.InsertOpts {
	// A time already past would still park the job as scheduled until River's scheduler next
	// runs (every few seconds); leave it out so the job is available at once.
	if !opts.ScheduledAt.IsZero() && opts.ScheduledAt.After(time.Now()) {
		return &river.InsertOpts{ScheduledAt: opts.ScheduledAt}
	}
	return nil
}

func wrapInsert(args store.JobArgs, err error) error {
	if err != nil {
		return fmt.Errorf("jobs: enqueue %s: %w", args.Kind(), err)
	}
	return nil
}

// Start begins working jobs and running the periodic ones. It returns once the workers are
// running; they stop with Stop, not with ctx.
func (s *Service) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return nil
	}
	// River stops hard when the context given to Start is cancelled; the service's life is
	// governed by Stop instead.
	if err := s.client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("jobs: start: %w", err)
	}
	s.started = true
	s.log.Info("job workers started")
	return nil
}

// Stop stops fetching jobs and waits for running ones to finish. When ctx ends first, the
// running jobs are cancelled and given a short grace to return.
func (s *Service) Stop(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.started {
		return nil
	}
	err := s.client.Stop(ctx)
	if err != nil && ctx.Err() != nil {
		s.log.Warn("jobs still running at the shutdown deadline; cancelling them")
		hard, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.grace)
		defer cancel()
		err = errors.Join(err, s.client.StopAndCancel(hard))
	}
	s.started = false
	if err != nil {
		return fmt.Errorf("jobs: stop: %w", err)
	}
	s.log.Info("job workers stopped")
	return nil
}

// Client returns the River client of a SQLite queue, for tests and tools that inspect it; nil
// on PostgreSQL.
func (s *Service) Client() *river.Client[*sql.Tx] { return s.sqliteClient }

// quiet keeps River's routine start and stop messages out of the log unless it is at debug
// level; warnings and errors still show.
func quiet(log *slog.Logger) *slog.Logger {
	if log.Enabled(context.Background(), slog.LevelDebug) {
		return log.With("component", "river")
	}
	return slog.New(minLevel{Handler: log.Handler(), min: slog.LevelWarn}).With("component", "river")
}

type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(attrs []slog.Attr) slog.Handler {
	return minLevel{Handler: h.Handler.WithAttrs(attrs), min: h.min}
}

func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{Handler: h.Handler.WithGroup(name), min: h.min}
}
