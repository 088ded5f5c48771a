package postgres

// The job queue in production is River on its pgx driver, sharing the store's pool; this test
// shows the two fit: River's tables migrate into the store's schema and a job enqueued in a
// Write exists if and only if the Write commits.

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/store"
)

type riverJob struct {
	Note string `json:"note"`
}

func (riverJob) Kind() string { return "quell_test" }

func TestRiverOnThePool(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := openTest(t, Options{})
	driver := riverpgxv5.New(s.Pool())
	migrator, err := rivermigrate.New(driver, nil)
	require.NoError(t, err)
	_, err = migrator.Migrate(ctx, rivermigrate.DirectionUp, nil)
	require.NoError(t, err)

	client, err := river.NewClient(driver, &river.Config{}) // insert only: no workers here
	require.NoError(t, err)
	s.SetJobInserter(func(ctx context.Context, tx pgx.Tx, args store.JobArgs, opts store.JobOptions) error {
		var ins *river.InsertOpts
		if !opts.ScheduledAt.IsZero() {
			ins = &river.InsertOpts{ScheduledAt: opts.ScheduledAt}
		}
		_, err := client.InsertTx(ctx, tx, args.(river.JobArgs), ins)
		return err
	})
	count := func() int {
		var n int
		require.NoError(t, s.Pool().QueryRow(ctx, "SELECT count(*) FROM river_job WHERE kind = 'quell_test'").Scan(&n))
		return n
	}
	err = s.Write(ctx, func(tx store.Tx) error {
		require.NoError(t, tx.Jobs().Enqueue(ctx, riverJob{Note: "rolled back"}, store.JobOptions{}))
		return errors.New("undo")
	})
	require.Error(t, err)
	require.Zero(t, count())
	require.NoError(t, s.Write(ctx, func(tx store.Tx) error {
		return tx.Jobs().Enqueue(ctx, riverJob{Note: "kept"}, store.JobOptions{ScheduledAt: testTime.AddDate(10, 0, 0)})
	}))
	require.Equal(t, 1, count())
}
