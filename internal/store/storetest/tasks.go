package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
)

func testTasks(t *testing.T, e *env) {
	ctx := e.ctx
	a, b := e.org("a"), e.org("b")
	inc := e.incident(a.ID, "tasks")
	other := e.incident(a.ID, "other")

	full := incident.Task{ID: e.id(), OrgID: a.ID, IncidentID: inc.ID, Phase: incident.PhaseContainment,
		Title: "Isolate fs-01", Description: "Use the EDR **network containment**.", Role: incident.RoleTechnicalLead,
		Assignee: "01BOB", Status: incident.TaskInProgress, Required: true, DueAt: ptr(at(30).In(cest)),
		Origin: "playbook:ransomware/isolate", OverdueNotedAt: ptr(at(31)), CompletedAt: ptr(at(32)),
		CreatedBy: "user:alice", CreatedAt: at(1).In(cest), UpdatedAt: at(2), Version: 1}
	bare := incident.Task{ID: e.id(), OrgID: a.ID, IncidentID: inc.ID, Phase: incident.PhaseIdentification,
		Title: "Triage", Status: incident.TaskTodo, Origin: "manual", CreatedBy: "system", CreatedAt: at(3),
		UpdatedAt: at(3), Version: 1}
	e.write(func(tx store.Tx) error {
		require.NoError(t, tx.Tasks().Create(ctx, full))
		return tx.Tasks().Create(ctx, bare)
	})
	full.DueAt, full.CreatedAt = ptr(full.DueAt.UTC()), full.CreatedAt.UTC()
	got := get(e, func(tx store.Tx) (incident.Task, error) { return tx.Tasks().Get(ctx, a.ID, full.ID) })
	require.Equal(t, full, got)
	got = get(e, func(tx store.Tx) (incident.Task, error) { return tx.Tasks().Get(ctx, a.ID, bare.ID) })
	require.Equal(t, bare, got)
	require.Nil(t, got.DueAt)

	// Update writes every changeable field.
	upd := full
	upd.Phase, upd.Title, upd.Description = incident.PhaseResponse, "Reimage fs-01", "From golden image."
	upd.Role, upd.Assignee, upd.Status, upd.Required = "", "", incident.TaskDone, false
	upd.DueAt, upd.Origin, upd.OverdueNotedAt, upd.CompletedAt = nil, "manual", nil, ptr(at(50))
	upd.UpdatedAt = at(50)
	e.write(func(tx store.Tx) error { return tx.Tasks().Update(ctx, upd, 1) })
	upd.Version = 2
	got = get(e, func(tx store.Tx) (incident.Task, error) { return tx.Tasks().Get(ctx, a.ID, full.ID) })
	require.Equal(t, upd, got)
	require.ErrorIs(t, e.writeErr(func(tx store.Tx) error { return tx.Tasks().Update(ctx, upd, 1) }), store.ErrConflict)
	unknown := upd
	unknown.ID = e.id()
	require.ErrorIs(t, e.writeErr(func(tx store.Tx) error { return tx.Tasks().Update(ctx, unknown, 2) }), store.ErrNotFound)
	foreign := upd
	foreign.OrgID = b.ID
	require.ErrorIs(t, e.writeErr(func(tx store.Tx) error { return tx.Tasks().Update(ctx, foreign, 2) }), store.ErrNotFound)

	// ListByIncident: phase order, then creation order.
	r1 := e.task(inc, "recover 1", func(t *incident.Task) { t.Phase = incident.PhaseRecovery })
	i1 := e.task(inc, "identify 1")
	r2 := e.task(inc, "recover 2", func(t *incident.Task) { t.Phase = incident.PhaseRecovery })
	c1 := e.task(inc, "contain 1", func(t *incident.Task) { t.Phase = incident.PhaseContainment })
	e.task(other, "elsewhere")
	list := get(e, func(tx store.Tx) ([]incident.Task, error) { return tx.Tasks().ListByIncident(ctx, a.ID, inc.ID) })
	require.Equal(t, []string{bare.ID, i1.ID, c1.ID, upd.ID, r1.ID, r2.ID}, ids(list, taskID))
	require.Equal(t, upd, list[3])

	// Another organisation sees none of it and cannot add to it.
	e.notFound(func(tx store.Tx) error { _, err := tx.Tasks().Get(ctx, b.ID, full.ID); return err })
	e.notFound(func(tx store.Tx) error { _, err := tx.Tasks().Get(ctx, a.ID, e.id()); return err })
	list = get(e, func(tx store.Tx) ([]incident.Task, error) { return tx.Tasks().ListByIncident(ctx, b.ID, inc.ID) })
	require.Empty(t, list)
	err := e.writeErr(func(tx store.Tx) error {
		x := bare
		x.ID, x.OrgID = e.id(), b.ID
		return tx.Tasks().Create(ctx, x)
	})
	require.ErrorIs(t, err, store.ErrNotFound, "a task on another organisation's incident")
	err = e.writeErr(func(tx store.Tx) error {
		x := bare
		x.ID, x.IncidentID = e.id(), e.id()
		return tx.Tasks().Create(ctx, x)
	})
	require.ErrorIs(t, err, store.ErrNotFound, "a task on no incident")
	require.ErrorIs(t, e.writeErr(func(tx store.Tx) error { return tx.Tasks().Create(ctx, bare) }), store.ErrDuplicate)
}

func taskID(t incident.Task) string { return t.ID }

// walkTasks lists every page of f and returns the ids in order.
func walkTasks(t *testing.T, e *env, f store.TaskFilter) []string {
	t.Helper()
	out := []string{}
	for pages := 0; ; pages++ {
		require.Less(t, pages, 1000, "pagination does not end")
		page := get(e, func(tx store.Tx) (store.Page[incident.Task], error) { return tx.Tasks().List(e.ctx, f) })
		out = append(out, ids(page.Items, taskID)...)
		if page.Next == "" {
			return out
		}
		f.Cursor = page.Next
	}
}

func testTaskList(t *testing.T, e *env) {
	a, b := e.org("a"), e.org("b")
	alice, bob := e.user("alice"), e.user("bob")
	open := e.incident(a.ID, "open")
	secret := e.incident(a.ID, "secret", func(i *incident.Incident) { i.Restricted = true })
	e.write(func(tx store.Tx) error { return tx.Incidents().AddMember(e.ctx, a.ID, secret.ID, alice.ID) })
	inB := e.incident(b.ID, "b")

	due := func(m int) func(*incident.Task) { return func(t *incident.Task) { t.DueAt = ptr(at(m)) } }
	status := func(s incident.TaskStatus) func(*incident.Task) { return func(t *incident.Task) { t.Status = s } }
	assignee := func(u string) func(*incident.Task) { return func(t *incident.Task) { t.Assignee = u } }
	t1 := e.task(open, "t1", assignee(alice.ID), due(10))
	t2 := e.task(secret, "t2", assignee(bob.ID), due(-10), status(incident.TaskBlocked))
	t3 := e.task(open, "t3", due(-10), status(incident.TaskDone))
	t4 := e.task(open, "t4", assignee(bob.ID), status(incident.TaskInProgress))
	t5 := e.task(secret, "t5", due(-5), status(incident.TaskSkipped))
	t6 := e.task(open, "t6", due(-1))
	e.task(inB, "b1", assignee(bob.ID), due(-10))

	check := func(name string, f store.TaskFilter, want ...incident.Task) {
		t.Helper()
		if f.OrgID == "" {
			f.OrgID = a.ID
		}
		for _, limit := range []int{0, 1, 2} {
			f.Limit = limit
			require.Equal(t, ids(want, taskID), walkTasks(t, e, f), "%s (limit %d)", name, limit)
		}
	}
	check("all, by id", store.TaskFilter{}, t1, t2, t3, t4, t5, t6)
	check("incident", store.TaskFilter{IncidentID: secret.ID}, t2, t5)
	check("assignee", store.TaskFilter{Assignee: bob.ID}, t2, t4)
	check("statuses", store.TaskFilter{Statuses: []incident.TaskStatus{incident.TaskDone, incident.TaskBlocked}}, t2, t3)
	check("due before: unfinished only", store.TaskFilter{DueBefore: ptr(at(0))}, t2, t6)
	check("due before, later", store.TaskFilter{DueBefore: ptr(at(11))}, t1, t2, t6)
	check("visible to member", store.TaskFilter{VisibleTo: alice.ID}, t1, t2, t3, t4, t5, t6)
	check("visible to non-member", store.TaskFilter{VisibleTo: bob.ID}, t1, t3, t4, t6)
	check("assignee, visible", store.TaskFilter{Assignee: bob.ID, VisibleTo: bob.ID}, t4)
	check("org B", store.TaskFilter{OrgID: b.ID, IncidentID: open.ID})
	check("another org's incident", store.TaskFilter{OrgID: b.ID, IncidentID: open.ID, Assignee: alice.ID})

	page := get(e, func(tx store.Tx) (store.Page[incident.Task], error) {
		return tx.Tasks().List(e.ctx, store.TaskFilter{OrgID: a.ID, Limit: 2})
	})
	require.Equal(t, []incident.Task{t1, t2}, page.Items, "pages hold full tasks")
	err := e.readErr(func(tx store.Tx) error {
		_, err := tx.Tasks().List(e.ctx, store.TaskFilter{OrgID: a.ID, Cursor: "not a cursor"})
		return err
	})
	require.Error(t, err)
}

func testTasksOverdue(t *testing.T, e *env) {
	ctx := e.ctx
	a, b := e.org("a"), e.org("b")
	incA, incB := e.incident(a.ID, "a"), e.incident(b.ID, "b")
	due := func(m int) func(*incident.Task) { return func(t *incident.Task) { t.DueAt = ptr(at(m)) } }

	late30 := e.task(incA, "late 30", due(-30))
	late20 := e.task(incA, "late 20", due(-20), func(t *incident.Task) { t.Status = incident.TaskBlocked })
	lateB := e.task(incB, "late 25 in B", due(-25), func(t *incident.Task) { t.Status = incident.TaskInProgress })
	e.task(incA, "done", due(-40), func(t *incident.Task) { t.Status = incident.TaskDone })
	e.task(incA, "skipped", due(-40), func(t *incident.Task) { t.Status = incident.TaskSkipped })
	e.task(incA, "noted", due(-50), func(t *incident.Task) { t.OverdueNotedAt = ptr(at(-49)) })
	e.task(incA, "not yet", due(10))
	e.task(incA, "no due time")

	dueUnnoted := func(now time.Time, limit int) []string {
		list := get(e, func(tx store.Tx) ([]incident.Task, error) { return tx.Tasks().DueUnnoted(ctx, now, limit) })
		return ids(list, taskID)
	}
	require.Equal(t, []string{late30.ID, lateB.ID, late20.ID}, dueUnnoted(at(0), 10), "across organisations, oldest due first")
	require.Equal(t, []string{late30.ID, lateB.ID}, dueUnnoted(at(0), 2))
	require.Equal(t, []string{late30.ID}, dueUnnoted(at(-26), 10))

	mark := func(orgID, id string) (bool, error) {
		var changed bool
		err := e.writeErr(func(tx store.Tx) error {
			var err error
			changed, err = tx.Tasks().MarkOverdueNoted(ctx, orgID, id, at(1))
			return err
		})
		return changed, err
	}
	changed, err := mark(a.ID, late30.ID)
	require.NoError(t, err)
	require.True(t, changed)
	changed, err = mark(a.ID, late30.ID)
	require.NoError(t, err)
	require.False(t, changed, "noted once only")
	got := get(e, func(tx store.Tx) (incident.Task, error) { return tx.Tasks().Get(ctx, a.ID, late30.ID) })
	require.Equal(t, ptr(at(1)), got.OverdueNotedAt)
	require.Equal(t, []string{lateB.ID, late20.ID}, dueUnnoted(at(0), 10))

	// An update from a copy read before the mark cannot silently clear it.
	err = e.writeErr(func(tx store.Tx) error { return tx.Tasks().Update(ctx, late30, late30.Version) })
	require.ErrorIs(t, err, store.ErrConflict)

	_, err = mark(a.ID, lateB.ID)
	require.ErrorIs(t, err, store.ErrNotFound, "another organisation's task")
	_, err = mark(a.ID, e.id())
	require.ErrorIs(t, err, store.ErrNotFound)
	require.Equal(t, []string{lateB.ID, late20.ID}, dueUnnoted(at(0), 10))

	// Finishing a task takes it out.
	late20.Status = incident.TaskDone
	e.write(func(tx store.Tx) error { return tx.Tasks().Update(ctx, late20, late20.Version) })
	require.Equal(t, []string{lateB.ID}, dueUnnoted(at(0), 10))
}
