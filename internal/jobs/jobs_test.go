package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/auth"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/jobs"
	"github.com/quell-ir/quell/internal/store"
	"github.com/quell-ir/quell/internal/store/sqlite"
)

// clock is a settable clock for casework.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

type fixture struct {
	store *sqlite.Store
	cases *casework.Service
	jobs  *jobs.Service
	clock *clock
	admin access.Principal
}

func newFixture(t *testing.T, opts jobs.Options) *fixture {
	t.Helper()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "quell.db"), sqlite.Options{AllowUnsafeSync: true})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, st.Close()) })

	clk := &clock{now: time.Now().UTC()}
	cases := casework.New(st, casework.Options{Now: clk.Now})
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	js, err := jobs.New(ctx, st, cases, opts)
	require.NoError(t, err)

	authn := auth.New(st, auth.Options{})
	res, err := authn.Bootstrap(ctx, "admin", "a long enough test password")
	require.NoError(t, err)
	require.True(t, res.Created)

	var admin access.Principal
	require.NoError(t, st.Read(ctx, func(tx store.Tx) error {
		org, err := tx.Orgs().GetBySlug(ctx, access.DefaultOrgSlug)
		if err != nil {
			return err
		}
		u, err := tx.Users().GetByUsername(ctx, "admin")
		if err != nil {
			return err
		}
		admin = access.Principal{UserID: u.ID, Username: u.Username, OrgID: org.ID, Role: access.RoleAdmin}
		return nil
	}))
	return &fixture{store: st, cases: cases, jobs: js, clock: clk, admin: admin}
}

// addTask opens an incident with one task due at due.
func (f *fixture) addTask(t *testing.T, title string, due time.Time) (incident.Incident, incident.Task) {
	t.Helper()
	ctx := t.Context()
	inc, err := f.cases.CreateIncident(ctx, f.admin, casework.NewIncident{Title: "Phishing wave " + title, Severity: incident.SeverityHigh})
	require.NoError(t, err)
	task, err := f.cases.AddTask(ctx, f.admin, inc.Key, casework.NewTask{Title: title, DueAt: &due})
	require.NoError(t, err)
	return inc.Incident, task
}

// queued lists the jobs of a kind in the queue, in any state.
func (f *fixture) queued(t *testing.T, kind string) []*rivertype.JobRow {
	t.Helper()
	res, err := f.jobs.Client().JobList(t.Context(), river.NewJobListParams().Kinds(kind).First(100))
	require.NoError(t, err)
	return res.Jobs
}

// overdueNotes counts the overdue entries on an incident's timeline.
func (f *fixture) overdueNotes(t *testing.T, inc incident.Incident) int {
	t.Helper()
	page, err := f.cases.ListTimeline(t.Context(), f.admin, inc.Key, store.TimelineFilter{Limit: store.MaxLimit})
	require.NoError(t, err)
	n := 0
	for _, e := range page.Items {
		if strings.Contains(e.Text, "is overdue") {
			n++
		}
	}
	return n
}

func TestAddTaskEnqueuesTaskDueInTheSameTransaction(t *testing.T) {
	t.Parallel()
	f := newFixture(t, jobs.Options{})
	due := f.clock.Now().Add(time.Hour).Truncate(time.Millisecond)
	_, task := f.addTask(t, "Reset mailbox passwords", due)

	queued := f.queued(t, "task_due")
	require.Len(t, queued, 1)
	require.Equal(t, rivertype.JobStateScheduled, queued[0].State)
	require.WithinDuration(t, due, queued[0].ScheduledAt, time.Millisecond)
	var args casework.TaskDueArgs
	require.NoError(t, json.Unmarshal(queued[0].EncodedArgs, &args))
	require.Equal(t, casework.TaskDueArgs{OrgID: f.admin.OrgID, TaskID: task.ID}, args)
}

func TestRolledBackWriteLeavesNoJob(t *testing.T) {
	t.Parallel()
	f := newFixture(t, jobs.Options{})
	ctx := t.Context()
	boom := errors.New("boom")
	err := f.store.Write(ctx, func(tx store.Tx) error {
		if err := tx.Jobs().Enqueue(ctx, casework.TaskDueArgs{OrgID: "o", TaskID: "rolled-back"}, store.JobOptions{}); err != nil {
			return err
		}
		return boom
	})
	require.ErrorIs(t, err, boom)
	require.Empty(t, f.queued(t, "task_due"))
}

var discard = slog.New(slog.DiscardHandler)

// job wraps args as River hands them to a worker. The workers are driven directly: each does
// its own storage transactions, so it must not run inside one (as rivertest.Worker would).
func job[T river.JobArgs](args T) *river.Job[T] {
	return &river.Job[T]{JobRow: &rivertype.JobRow{ID: 1, Kind: args.Kind(), Attempt: 1}, Args: args}
}

// The sweep and the task_due job may both see the same overdue task, in any order and any
// number of times; the timeline gets one entry.
func TestOverdueNotedOnceByWorkers(t *testing.T) {
	t.Parallel()
	f := newFixture(t, jobs.Options{})
	ctx := t.Context()
	start := f.clock.Now()
	inc, task := f.addTask(t, "Collect proxy logs", start.Add(30*time.Minute))
	other, _ := f.addTask(t, "Brief legal", start.Add(3*time.Hour))

	sweep := &jobs.SweepWorker{Cases: f.cases, Batch: 1, Log: discard}
	due := &jobs.TaskDueWorker{Cases: f.cases, Log: discard}
	args := casework.TaskDueArgs{OrgID: f.admin.OrgID, TaskID: task.ID}

	// Before the due time, neither job notes anything.
	require.NoError(t, sweep.Work(ctx, job(jobs.SweepArgs{})))
	require.NoError(t, due.Work(ctx, job(args)))
	require.Zero(t, f.overdueNotes(t, inc))

	// An hour later the first task is late: the sweep notes it, then the due job finds it noted.
	f.clock.Set(start.Add(time.Hour))
	require.NoError(t, sweep.Work(ctx, job(jobs.SweepArgs{})))
	require.Equal(t, 1, f.overdueNotes(t, inc))
	require.NoError(t, due.Work(ctx, job(args)))
	require.Equal(t, 1, f.overdueNotes(t, inc))
	require.Zero(t, f.overdueNotes(t, other), "a task not yet due is left alone")

	// Repeated sweeps, later still, change nothing for the first task and note the second
	// once, even with a batch size of one.
	for i := range 3 {
		f.clock.Set(start.Add(time.Duration(4+i) * time.Hour))
		require.NoError(t, sweep.Work(ctx, job(jobs.SweepArgs{})))
		require.NoError(t, due.Work(ctx, job(args)))
	}
	require.Equal(t, 1, f.overdueNotes(t, inc))
	require.Equal(t, 1, f.overdueNotes(t, other))

	got, err := f.cases.GetTask(ctx, f.admin, task.ID)
	require.NoError(t, err)
	require.NotNil(t, got.OverdueNotedAt)
}

func TestOverdueNotedOnceTheDueJobFirst(t *testing.T) {
	t.Parallel()
	f := newFixture(t, jobs.Options{})
	ctx := t.Context()
	start := f.clock.Now()
	inc, task := f.addTask(t, "Rotate VPN keys", start.Add(time.Minute))
	f.clock.Set(start.Add(2 * time.Minute))

	due := &jobs.TaskDueWorker{Cases: f.cases, Log: discard}
	sweep := &jobs.SweepWorker{Cases: f.cases, Batch: 10, Log: discard}
	for range 2 {
		require.NoError(t, due.Work(ctx, job(casework.TaskDueArgs{OrgID: f.admin.OrgID, TaskID: task.ID})))
		require.NoError(t, sweep.Work(ctx, job(jobs.SweepArgs{})))
	}
	require.Equal(t, 1, f.overdueNotes(t, inc))
}

func TestTaskDueForMissingTaskIsNotAnError(t *testing.T) {
	t.Parallel()
	f := newFixture(t, jobs.Options{})
	due := &jobs.TaskDueWorker{Cases: f.cases, Log: discard}
	require.NoError(t, due.Work(t.Context(), job(casework.TaskDueArgs{OrgID: f.admin.OrgID, TaskID: "01J0000000000000000000000"})))
}

// With the River client running, a task whose due time has passed is noted once by the jobs
// River works on its own: the task_due job and the sweep that runs on start.
func TestServiceRunsJobs(t *testing.T) {
	t.Parallel()
	f := newFixture(t, jobs.Options{FetchPollInterval: 50 * time.Millisecond})
	ctx := t.Context()
	now := f.clock.Now()
	inc, task := f.addTask(t, "Isolate laptop", now.Add(-time.Minute))

	events, cancel := f.jobs.Client().Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
	defer cancel()
	require.NoError(t, f.jobs.Start(ctx))

	seen := map[string]bool{}
	deadline := time.After(30 * time.Second)
	for !seen["task_due"] || !seen["overdue_sweep"] {
		select {
		case ev := <-events:
			require.Equal(t, river.EventKindJobCompleted, ev.Kind, "job %s failed: %v", ev.Job.Kind, ev.Job.Errors)
			seen[ev.Job.Kind] = true
		case <-deadline:
			t.Fatalf("jobs did not complete in time; completed so far: %v", seen)
		}
	}
	require.Equal(t, 1, f.overdueNotes(t, inc))

	stopCtx, stop := context.WithTimeout(ctx, 10*time.Second)
	defer stop()
	require.NoError(t, f.jobs.Stop(stopCtx))
	require.NoError(t, f.jobs.Stop(stopCtx), "a second Stop is a no-op")

	got, err := f.cases.GetTask(ctx, f.admin, task.ID)
	require.NoError(t, err)
	require.NotNil(t, got.OverdueNotedAt)

	// Writes still enqueue after the workers stopped (the job waits for the next start).
	_, later := f.addTask(t, "Write the report", now.Add(time.Hour))
	var scheduled []*rivertype.JobRow
	for _, j := range f.queued(t, "task_due") {
		if j.State == rivertype.JobStateScheduled {
			scheduled = append(scheduled, j)
		}
	}
	require.Len(t, scheduled, 1)
	require.Contains(t, string(scheduled[0].EncodedArgs), later.ID)
}

func TestMigrateIsIdempotent(t *testing.T) {
	t.Parallel()
	f := newFixture(t, jobs.Options{})
	applied, err := jobs.Migrate(t.Context(), f.store.WriterDB(), nil)
	require.NoError(t, err)
	require.Empty(t, applied, "New already applied every migration")
}
