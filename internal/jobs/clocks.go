package jobs

import (
	"context"
	"errors"
	"log/slog"

	"github.com/riverqueue/river"

	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/store"
)

// ClockWorker runs incident_clocks (casework.ClockArgs): when an incident's next SLA or
// obligation falls due, it puts each breach and missed deadline on the timeline once and
// schedules the next look, in the same transaction.
type ClockWorker struct {
	river.WorkerDefaults[casework.ClockArgs]
	Cases *casework.Service
	Log   *slog.Logger
}

// Work looks at the incident's clocks. An incident that is gone is nothing to do.
func (w *ClockWorker) Work(ctx context.Context, job *river.Job[casework.ClockArgs]) error {
	n, err := w.Cases.CheckClocks(ctx, job.Args.OrgID, job.Args.IncidentID)
	if errors.Is(err, store.ErrNotFound) {
		w.Log.DebugContext(ctx, "incident_clocks: incident is gone", "incident_id", job.Args.IncidentID)
		return nil
	}
	if err != nil {
		return err
	}
	if n > 0 {
		w.Log.InfoContext(ctx, "incident clocks: breaches noted", "incident_id", job.Args.IncidentID, "count", n)
	}
	return nil
}

// addClockWorker registers the clock worker and lets casework schedule its jobs.
func addClockWorker(workers *river.Workers, cases *casework.Service, log *slog.Logger) error {
	if err := river.AddWorkerSafely(workers, &ClockWorker{Cases: cases, Log: log}); err != nil {
		return err
	}
	cases.EnableClockTimers()
	return nil
}
