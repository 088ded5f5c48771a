package postgres

import (
	"context"
	"strconv"
	"time"

	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
)

type taskRepo struct{ *tx }

var taskCols = `t.id, t.org_id, t.incident_id, t.phase, t.title, t.description, t.role, t.assignee, t.status,
	t.required, ` + tc("t.due_at") + ", t.origin, " + tc("t.overdue_noted_at") + ", " + tc("t.completed_at") +
	", t.created_by, " + tc("t.created_at") + ", " + tc("t.updated_at") + ", t.version"

func scanTask(s rowScanner) (incident.Task, error) {
	var t incident.Task
	err := s.Scan(dest(&t.ID, &t.OrgID, &t.IncidentID, &t.Phase, &t.Title, &t.Description, &t.Role, &t.Assignee,
		&t.Status, &t.Required, tcolPtr(&t.DueAt), &t.Origin, tcolPtr(&t.OverdueNotedAt), tcolPtr(&t.CompletedAt),
		&t.CreatedBy, tcol(&t.CreatedAt), tcol(&t.UpdatedAt), &t.Version)...)
	return t, err
}

// unfinished is the condition on alias t that keeps tasks that still need work
// (incident.TaskStatus.Finished is false).
const unfinished = "t.status NOT IN ('done', 'skipped')"

// taskFields sets the columns an update may change.
func taskFields(c *cols, t incident.Task) *cols {
	return c.set("phase", string(t.Phase)).set("phase_rank", t.Phase.Index()).set("title", t.Title).
		set("description", t.Description).set("role", string(t.Role)).set("assignee", t.Assignee).
		set("status", string(t.Status)).set("required", t.Required).setTimePtr("due_at", t.DueAt).
		set("origin", t.Origin).setTimePtr("overdue_noted_at", t.OverdueNotedAt).
		setTimePtr("completed_at", t.CompletedAt).setTime("updated_at", t.UpdatedAt)
}

func (r taskRepo) Create(ctx context.Context, t incident.Task) error {
	c := taskFields((&cols{}).set("id", t.ID).set("org_id", t.OrgID).set("incident_id", t.IncidentID).
		set("created_by", t.CreatedBy).setTime("created_at", t.CreatedAt).set("version", t.Version), t)
	_, err := r.exec(ctx, c.insert("tasks"), c.args...)
	return err
}

func (r taskRepo) Get(ctx context.Context, orgID, id string) (incident.Task, error) {
	return scanOne(ctx, r.tx, scanTask, "SELECT "+taskCols+" FROM tasks t WHERE t.org_id = $1 AND t.id = $2", orgID, id)
}

// Update writes every field but the id, organisation, incident and creation fields.
func (r taskRepo) Update(ctx context.Context, t incident.Task, expectVersion int64) error {
	c := taskFields(&cols{}, t).set("version", expectVersion+1)
	q := "UPDATE tasks SET " + c.assignments() + " WHERE org_id = " + c.args.add(t.OrgID) +
		" AND id = " + c.args.add(t.ID) + " AND version = " + c.args.add(expectVersion)
	return r.updateVersioned(ctx, "tasks", "org_id = $1 AND id = $2", []any{t.OrgID, t.ID}, q, c.args...)
}

// ListByIncident returns an incident's tasks in phase order, then creation (id) order.
func (r taskRepo) ListByIncident(ctx context.Context, orgID, incidentID string) ([]incident.Task, error) {
	return scanList(ctx, r.tx, scanTask, "SELECT "+taskCols+` FROM tasks t
		WHERE t.org_id = $1 AND t.incident_id = $2 ORDER BY t.phase_rank, t.id`, orgID, incidentID)
}

// List returns a page of tasks in id (creation) order.
func (r taskRepo) List(ctx context.Context, f store.TaskFilter) (store.Page[incident.Task], error) {
	var page store.Page[incident.Task]
	w := &where{}
	w.add("t.org_id = " + w.arg(f.OrgID))
	if f.IncidentID != "" {
		w.add("t.incident_id = " + w.arg(f.IncidentID))
	}
	if f.Assignee != "" {
		w.add("t.assignee = " + w.arg(f.Assignee))
	}
	in(w, "t.status", f.Statuses)
	if f.DueBefore != nil {
		at, ns := splitTime(*f.DueBefore)
		w.add("t.due_at IS NOT NULL AND (t.due_at, t.due_at_ns) < (" + w.arg(at) + ", " + w.arg(ns) + ") AND " + unfinished)
	}
	if f.VisibleTo != "" {
		w.add("EXISTS (SELECT 1 FROM incidents i WHERE i.org_id = t.org_id AND i.id = t.incident_id AND " +
			visibleTo("i", w.arg(f.VisibleTo)) + ")")
	}
	if f.Cursor != "" {
		parts, err := store.DecodeCursor(f.Cursor, 1)
		if err != nil {
			return page, err
		}
		w.add("t.id > " + w.arg(parts[0]))
	}
	limit := store.ClampLimit(f.Limit)
	items, err := scanList(ctx, r.tx, scanTask, "SELECT "+taskCols+" FROM tasks t"+w.sql()+
		" ORDER BY t.id LIMIT "+strconv.Itoa(limit+1), w.args...)
	if err != nil {
		return page, err
	}
	if len(items) > limit {
		items = items[:limit]
		page.Next = store.EncodeCursor(items[limit-1].ID)
	}
	page.Items = nonNil(items)
	return page, nil
}

// DueUnnoted returns, across organisations, unfinished tasks due before now whose lateness is
// not noted yet, oldest due first.
func (r taskRepo) DueUnnoted(ctx context.Context, now time.Time, limit int) ([]incident.Task, error) {
	at, ns := splitTime(now)
	return scanList(ctx, r.tx, scanTask, "SELECT "+taskCols+` FROM tasks t
		WHERE t.due_at IS NOT NULL AND t.overdue_noted_at IS NULL AND `+unfinished+`
		AND (t.due_at, t.due_at_ns) < ($1, $2) ORDER BY t.due_at, t.due_at_ns, t.id LIMIT $3`, at, ns, store.ClampLimit(limit))
}

// MarkOverdueNoted sets overdue_noted_at once; it reports false when it was already set. It
// bumps the task's version, so an update made from a copy read before it is a conflict
// instead of clearing the mark. Two nodes marking the same task at once: the second waits for
// the first and then finds the mark set.
func (r taskRepo) MarkOverdueNoted(ctx context.Context, orgID, id string, at time.Time) (bool, error) {
	us, ns := splitTime(at)
	tag, err := r.exec(ctx, `UPDATE tasks SET overdue_noted_at = $1, overdue_noted_at_ns = $2, version = version + 1
		WHERE org_id = $3 AND id = $4 AND overdue_noted_at IS NULL`, us, ns, orgID, id)
	if err != nil {
		return false, err
	}
	if tag.RowsAffected() == 1 {
		return true, nil
	}
	if _, err := r.Get(ctx, orgID, id); err != nil {
		return false, err
	}
	return false, nil
}
