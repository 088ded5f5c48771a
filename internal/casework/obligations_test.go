package casework_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/casework"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/obligation"
	"github.com/quell-ir/quell/internal/store"
	"github.com/quell-ir/quell/internal/store/sqlite"
)

type clockFixture struct {
	st    *sqlite.Store
	cases *casework.Service
	admin access.Principal

	mu   sync.Mutex
	now  time.Time
	jobs []queued
}

// queued is a job the store was asked to enqueue.
type queued struct {
	args store.JobArgs
	at   time.Time
}

func (f *clockFixture) queued(kind string) []queued {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []queued
	for _, j := range f.jobs {
		if j.args.Kind() == kind {
			out = append(out, j)
		}
	}
	return out
}

func (f *clockFixture) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *clockFixture) set(t time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = t
}

func newClockFixture(t *testing.T) *clockFixture {
	t.Helper()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "quell.db"), sqlite.Options{AllowUnsafeSync: true})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, st.Close()) })
	org := access.Org{ID: casework.NewID(), Slug: "default", Name: "Default"}
	require.NoError(t, st.Write(ctx, func(tx store.Tx) error { return tx.Orgs().Create(ctx, org) }))
	f := &clockFixture{st: st, now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	st.SetJobInserter(func(_ context.Context, _ *sql.Tx, args store.JobArgs, opts store.JobOptions) error {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.jobs = append(f.jobs, queued{args: args, at: opts.ScheduledAt})
		return nil
	})
	f.cases = casework.New(st, casework.Options{Now: f.Now})
	f.cases.EnableClockTimers()
	f.admin = access.Principal{OrgID: org.ID, Role: access.RoleAdmin, Username: "dana"}
	return f
}

func (f *clockFixture) incident(t *testing.T, mod ...func(*casework.NewIncident)) incident.Incident {
	t.Helper()
	req := casework.NewIncident{Title: "Customer records exposed", Severity: incident.SeverityHigh}
	for _, m := range mod {
		m(&req)
	}
	inc, err := f.cases.CreateIncident(t.Context(), f.admin, req)
	require.NoError(t, err)
	return inc.Incident
}

func obligationStatus(t *testing.T, c casework.IncidentClocks, id string) obligation.Status {
	t.Helper()
	for _, st := range c.Obligations {
		if st.Rule.ID == id {
			return st
		}
	}
	t.Fatalf("no obligation %s", id)
	return obligation.Status{}
}

func obligationTasks(t *testing.T, f *clockFixture, key string) map[string]incident.Task {
	t.Helper()
	tasks, err := f.cases.ListTasks(t.Context(), f.admin, key)
	require.NoError(t, err)
	out := map[string]incident.Task{}
	for _, task := range tasks {
		out[task.Origin] = task
	}
	return out
}

func TestGDPRTriggerCreatesTaskAndSubmissionMeetsIt(t *testing.T) {
	t.Parallel()
	f := newClockFixture(t)
	ctx := t.Context()
	inc := f.incident(t)

	confirmed := f.Now().Add(-2 * time.Hour) // backdated: decided two hours ago
	trig, err := f.cases.RecordTrigger(ctx, f.admin, inc.Key, casework.NewTrigger{
		Name: obligation.TriggerPersonalDataBreachConfirmed, At: &confirmed, Note: "DPO confirmed"})
	require.NoError(t, err)
	require.Equal(t, confirmed, trig.At)
	require.Equal(t, "dana", trig.RecordedBy)

	tasks := obligationTasks(t, f, inc.Key)
	task, ok := tasks["obligation:gdpr-art33"]
	require.True(t, ok, "a task for art. 33: %v", tasks)
	require.Len(t, tasks, 1, "one task, for art. 33 only")
	require.Equal(t, incident.RoleLegal, task.Role)
	require.True(t, task.Required)
	require.Equal(t, inc.Phase, task.Phase)
	require.NotNil(t, task.DueAt)
	require.Equal(t, confirmed.Add(72*time.Hour), *task.DueAt, "due 72 hours after the trigger")
	require.Contains(t, task.Title, "GDPR")
	require.Contains(t, task.Description, "Article 33")

	c, err := f.cases.Clocks(ctx, f.admin, inc.Key)
	require.NoError(t, err)
	st := obligationStatus(t, c, "gdpr-art33")
	require.Equal(t, obligation.StateDue, st.State)
	require.Equal(t, confirmed.Add(72*time.Hour), st.Deadline)
	require.Equal(t, obligation.StateNotStarted, obligationStatus(t, c, "gdpr-art34").State)
	require.Len(t, c.Triggers, 1)
	require.Equal(t, obligation.Disclaimer, c.Disclaimer)

	// The same trigger twice is a conflict, not a second clock or a second task.
	_, err = f.cases.RecordTrigger(ctx, f.admin, inc.Key, casework.NewTrigger{Name: obligation.TriggerPersonalDataBreachConfirmed})
	require.ErrorIs(t, err, store.ErrDuplicate)

	// Logging the submission marks the obligation met (on time) and finishes the task.
	f.set(f.Now().Add(24 * time.Hour))
	sub, err := f.cases.LogSubmission(ctx, f.admin, inc.Key, casework.NewSubmission{Obligation: "gdpr-art33",
		Summary: "Form DPA-1 with the initial facts", Reference: "DPA-2026-117"})
	require.NoError(t, err)
	require.Contains(t, sub.Recipient, "supervisory authority", "the rule's recipient by default")
	c, err = f.cases.Clocks(ctx, f.admin, inc.Key)
	require.NoError(t, err)
	st = obligationStatus(t, c, "gdpr-art33")
	require.Equal(t, obligation.StateMet, st.State)
	require.False(t, st.Late)
	require.Len(t, c.Submissions, 1)
	task = obligationTasks(t, f, inc.Key)["obligation:gdpr-art33"]
	require.Equal(t, incident.TaskDone, task.Status)

	// Trigger, submission and task are on the timeline and in the audit log.
	page, err := f.cases.ListTimeline(ctx, f.admin, inc.Key, store.TimelineFilter{Limit: store.MaxLimit})
	require.NoError(t, err)
	var texts []string
	for _, e := range page.Items {
		texts = append(texts, e.Text)
	}
	require.Contains(t, texts, "Trigger recorded: personal_data_breach_confirmed at "+confirmed.Format(time.RFC3339)+": DPO confirmed")
	require.Contains(t, texts, "Submitted for GDPR personal data breach notification to the supervisory authority to "+sub.Recipient+" (reference DPA-2026-117)")
	var actions []string
	require.NoError(t, f.st.Read(ctx, func(tx store.Tx) error {
		recs, err := tx.Audit().List(ctx, store.AuditFilter{OrgID: f.admin.OrgID, IncidentID: inc.ID})
		for _, r := range recs {
			actions = append(actions, r.Action)
		}
		return err
	}))
	require.Contains(t, actions, "obligation.trigger")
	require.Contains(t, actions, "obligation.submission")
}

func TestNIS2FinalReportStartsAfterNotification(t *testing.T) {
	t.Parallel()
	f := newClockFixture(t)
	ctx := t.Context()
	inc := f.incident(t)
	_, err := f.cases.RecordTrigger(ctx, f.admin, inc.Key, casework.NewTrigger{Name: obligation.TriggerSignificantIncidentAware})
	require.NoError(t, err)

	c, err := f.cases.Clocks(ctx, f.admin, inc.Key)
	require.NoError(t, err)
	require.Equal(t, obligation.StateDue, obligationStatus(t, c, "nis2-art23-early-warning").State)
	require.Equal(t, obligation.StateDue, obligationStatus(t, c, "nis2-art23-notification").State)
	final := obligationStatus(t, c, "nis2-art23-final-report")
	require.Equal(t, obligation.StateNotStarted, final.State)
	require.NotEmpty(t, final.Waiting)
	tasks := obligationTasks(t, f, inc.Key)
	require.Contains(t, tasks, "obligation:nis2-art23-early-warning")
	require.Contains(t, tasks, "obligation:nis2-art23-notification")
	require.NotContains(t, tasks, "obligation:nis2-art23-final-report", "no task before its clock starts")

	f.set(f.Now().Add(48 * time.Hour))
	_, err = f.cases.LogSubmission(ctx, f.admin, inc.Key, casework.NewSubmission{Obligation: "nis2-art23-notification"})
	require.NoError(t, err)
	c, err = f.cases.Clocks(ctx, f.admin, inc.Key)
	require.NoError(t, err)
	final = obligationStatus(t, c, "nis2-art23-final-report")
	require.Equal(t, obligation.StateDue, final.State)
	require.Equal(t, f.Now(), final.StartedAt)
	require.Equal(t, f.Now().AddDate(0, 1, 0), final.Deadline, "one month after the notification")
	tasks = obligationTasks(t, f, inc.Key)
	require.Contains(t, tasks, "obligation:nis2-art23-final-report", "the final report's task once its clock runs")
	require.Equal(t, final.Deadline, *tasks["obligation:nis2-art23-final-report"].DueAt)
	// The early warning was never sent: its deadline has passed.
	require.Equal(t, obligation.StateOverdue, obligationStatus(t, c, "nis2-art23-early-warning").State)
}

func TestClockRecordsValidateAndCheckAccess(t *testing.T) {
	t.Parallel()
	f := newClockFixture(t)
	ctx := t.Context()
	inc := f.incident(t)
	secret := f.incident(t, func(r *casework.NewIncident) { r.Restricted = true })

	for name, req := range map[string]casework.NewTrigger{
		"unknown":  {Name: "moon_phase"},
		"detected": {Name: obligation.TriggerIncidentDetected},
		"future":   {Name: obligation.TriggerClassifiedMajor, At: new(f.Now().Add(time.Hour))},
	} {
		_, err := f.cases.RecordTrigger(ctx, f.admin, inc.Key, req)
		require.Error(t, err, name)
	}
	_, err := f.cases.LogSubmission(ctx, f.admin, inc.Key, casework.NewSubmission{Obligation: "no-such-rule"})
	require.Error(t, err)

	viewer := access.Principal{OrgID: f.admin.OrgID, Role: access.RoleViewer, Username: "vic", UserID: casework.NewID()}
	_, err = f.cases.RecordTrigger(ctx, viewer, inc.Key, casework.NewTrigger{Name: obligation.TriggerClassifiedMajor})
	require.ErrorIs(t, err, access.ErrForbidden)
	_, err = f.cases.LogSubmission(ctx, viewer, inc.Key, casework.NewSubmission{Obligation: "gdpr-art33"})
	require.ErrorIs(t, err, access.ErrForbidden)
	_, err = f.cases.Clocks(ctx, viewer, inc.Key)
	require.NoError(t, err, "a viewer may read the clocks")

	outsider := access.Principal{OrgID: f.admin.OrgID, Role: access.RoleResponder, Username: "olga", UserID: casework.NewID()}
	_, err = f.cases.Clocks(ctx, outsider, secret.Key)
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = f.cases.RecordTrigger(ctx, outsider, secret.Key, casework.NewTrigger{Name: obligation.TriggerClassifiedMajor})
	require.ErrorIs(t, err, store.ErrNotFound)
}

// SLA breaches are put on the timeline once, however many times the clocks are looked at.
func TestSLABreachNotedOnce(t *testing.T) {
	t.Parallel()
	f := newClockFixture(t)
	ctx := t.Context()
	inc := f.incident(t, func(r *casework.NewIncident) { r.Severity = incident.SeverityCritical })

	// Opening the incident scheduled a look at its clocks when the acknowledge target passes.
	jobs := f.queued("incident_clocks")
	require.Len(t, jobs, 1)
	require.Equal(t, inc.DetectedAt.Add(15*time.Minute), jobs[0].at)
	require.Equal(t, casework.ClockArgs{OrgID: f.admin.OrgID, IncidentID: inc.ID, At: jobs[0].at}, jobs[0].args)

	n, err := f.cases.CheckClocks(ctx, f.admin.OrgID, inc.ID)
	require.NoError(t, err)
	require.Zero(t, n, "nothing is due yet")
	require.Len(t, f.queued("incident_clocks"), 1, "the job for that time is queued already")

	f.set(f.Now().Add(15*time.Minute + time.Second))
	var counts []int
	for range 3 {
		n, err = f.cases.CheckClocks(ctx, f.admin.OrgID, inc.ID)
		require.NoError(t, err)
		counts = append(counts, n)
	}
	require.Equal(t, []int{1, 0, 0}, counts, "the acknowledge breach is noted on the first run only")
	jobs = f.queued("incident_clocks")
	require.Len(t, jobs, 2, "the next look is scheduled once")
	require.Equal(t, inc.DetectedAt.Add(4*time.Hour), jobs[1].at, "at the contain target")
	f.set(f.Now().Add(5 * time.Hour))
	n, err = f.cases.CheckClocks(ctx, f.admin.OrgID, inc.ID)
	require.NoError(t, err)
	require.Equal(t, 1, n, "the contain target passed too")

	page, err := f.cases.ListTimeline(ctx, f.admin, inc.Key, store.TimelineFilter{Limit: store.MaxLimit})
	require.NoError(t, err)
	breaches := map[string]int{}
	for _, e := range page.Items {
		if len(e.Text) > 13 && e.Text[:13] == "SLA breached:" {
			breaches[e.Text]++
			require.Equal(t, "system", e.Actor)
		}
	}
	require.Len(t, breaches, 2, "acknowledge and contain: %v", breaches)
	for text, count := range breaches {
		require.Equal(t, 1, count, text)
	}
	c, err := f.cases.Clocks(ctx, f.admin, inc.Key)
	require.NoError(t, err)
	require.Equal(t, obligation.SLABreached, c.SLAs[0].State)
	require.Equal(t, inc.DetectedAt.Add(15*time.Minute), c.SLAs[0].BreachedAt)
}
