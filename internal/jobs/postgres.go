package jobs

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/store"
)

// PostgresHost is a PostgreSQL store as the job queue needs it: its pool, and where to plug the
// function that enqueues a job in a write's transaction.
type PostgresHost interface {
	Pool() *pgxpool.Pool
	SetJobInserter(func(ctx context.Context, tx pgx.Tx, args store.JobArgs, opts store.JobOptions) error)
}

// migrationLockKey is the advisory lock the job queue's migrations run under ("quelljob").
const migrationLockKey int64 = 0x7175656c6c6a6f62

// NewPostgres is New for a queue in PostgreSQL. Several nodes may share the queue: River hands
// each job to one of them, elects one leader for the periodic jobs, and wakes idle workers with
// LISTEN/NOTIFY.
func NewPostgres(ctx context.Context, host PostgresHost, cases *casework.Service, opts Options) (*Service, error) {
	opts.defaults()
	log := opts.Logger.With("component", "jobs")
	driver := riverpgxv5.New(host.Pool())
	// Nodes starting together would race to create the queue's tables: one migrates at a time.
	lock, err := host.Pool().Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	defer lock.Release()
	if _, err := lock.Exec(ctx, "SELECT pg_advisory_lock($1)", migrationLockKey); err != nil {
		return nil, fmt.Errorf("jobs: wait for other nodes' migrations: %w", err)
	}
	defer func() {
		_, _ = lock.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrationLockKey)
	}()
	m, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: quiet(opts.Logger)})
	if err != nil {
		return nil, fmt.Errorf("jobs: migrator: %w", err)
	}
	res, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return nil, fmt.Errorf("jobs: migrate queue tables: %w", err)
	}
	if len(res.Versions) > 0 {
		log.Info("job queue schema migrated", "applied", len(res.Versions))
	}
	cfg, err := riverConfig(cases, opts, log)
	if err != nil {
		return nil, err
	}
	client, err := river.NewClient(driver, cfg)
	if err != nil {
		return nil, fmt.Errorf("jobs: new client: %w", err)
	}
	host.SetJobInserter(func(ctx context.Context, tx pgx.Tx, args store.JobArgs, opts store.JobOptions) error {
		_, err := client.InsertTx(ctx, tx, args, insertOpts(opts))
		return wrapInsert(args, err)
	})
	return &Service{client: client, log: log, grace: opts.HardStopGrace}, nil
}
