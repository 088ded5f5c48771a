package jobs

import (
	"context"
	"errors"
	"log/slog"

	"github.com/riverqueue/river"

	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/store"
)

// TaskDueWorker runs task_due: it notes a task's lateness when its due time has come.
type TaskDueWorker struct {
	river.WorkerDefaults[casework.TaskDueArgs]
	Cases *casework.Service
	Log   *slog.Logger
}

// Work notes the task if it is overdue and not noted yet. A task that was deleted since the
// job was enqueued is nothing to do, not an error to retry.
func (w *TaskDueWorker) Work(ctx context.Context, job *river.Job[casework.TaskDueArgs]) error {
	noted, err := w.Cases.NoteOverdueTask(ctx, job.Args.OrgID, job.Args.TaskID)
	if errors.Is(err, store.ErrNotFound) {
		w.Log.DebugContext(ctx, "task_due: task is gone", "task_id", job.Args.TaskID)
		return nil
	}
	if err != nil {
		return err
	}
	if noted {
		w.Log.InfoContext(ctx, "task overdue noted", "task_id", job.Args.TaskID)
	}
	return nil
}

// SweepArgs is the periodic sweep for overdue tasks.
type SweepArgs struct{}

// Kind names the job.
func (SweepArgs) Kind() string { return "overdue_sweep" }

// InsertOpts gives a sweep few attempts: the next one comes within the sweep interval anyway.
func (SweepArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 3} }

// maxSweepRounds bounds one sweep; whatever is left waits for the next.
const maxSweepRounds = 50

// SweepWorker runs overdue_sweep.
type SweepWorker struct {
	river.WorkerDefaults[SweepArgs]
	Cases *casework.Service
	// Batch is how many tasks one round notes.
	Batch int
	Log   *slog.Logger
}

// Work notes overdue tasks in rounds of Batch until a round comes back short.
func (w *SweepWorker) Work(ctx context.Context, _ *river.Job[SweepArgs]) error {
	total := 0
	for range maxSweepRounds {
		n, err := w.Cases.NoteOverdueTasks(ctx, w.Batch)
		total += n
		if err != nil {
			return err
		}
		if n < w.Batch {
			break
		}
	}
	if total > 0 {
		w.Log.InfoContext(ctx, "overdue tasks noted", "count", total)
	}
	return nil
}
