package sqlite

import (
	"context"
	"strconv"
	"time"

	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
)

type taskRepo struct{ *tx }

const taskCols = `t.id, t.org_id, t.incident_id, t.phase, t.title, t.description, t.role, t.assignee, t.status,
	t.required, t.due_at, t.origin, t.overdue_noted_at, t.completed_at, t.created_by, t.created_at, t.updated_at,
	t.version`

func scanTask(s rowScanner) (incident.Task, error) {
	var t incident.Task
	err := s.Scan(&t.ID, &t.OrgID, &t.IncidentID, &t.Phase, &t.Title, &t.Description, &t.Role, &t.Assignee,
		&t.Status, &t.Required, timePtrCol{&t.DueAt}, &t.Origin, timePtrCol{&t.OverdueNotedAt},
		timePtrCol{&t.CompletedAt}, &t.CreatedBy, timeCol{&t.CreatedAt}, timeCol{&t.UpdatedAt}, &t.Version)
	return t, err
}

// finishedStatuses are the task statuses that need no more work (incident.TaskStatus.Finished).
const finishedStatuses = "('done', 'skipped')"

func (r taskRepo) Create(ctx context.Context, t incident.Task) error {
	_, err := r.exec(ctx, `INSERT INTO tasks (id, org_id, incident_id, phase, phase_rank, title, description, role,
		assignee, status, required, due_at, origin, overdue_noted_at, completed_at, created_by, created_at,
		updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.OrgID, t.IncidentID, string(t.Phase), t.Phase.Index(), t.Title, t.Description, string(t.Role),
		t.Assignee, string(t.Status), boolInt(t.Required), tmPtr(t.DueAt), t.Origin, tmPtr(t.OverdueNotedAt),
		tmPtr(t.CompletedAt), t.CreatedBy, tm(t.CreatedAt), tm(t.UpdatedAt), t.Version)
	return err
}

func (r taskRepo) Get(ctx context.Context, orgID, id string) (incident.Task, error) {
	return scanOne(ctx, r.tx, scanTask, "SELECT "+taskCols+" FROM tasks t WHERE t.org_id = ? AND t.id = ?", orgID, id)
}

// Update writes every field but the id, organisation, incident and creation fields.
func (r taskRepo) Update(ctx context.Context, t incident.Task, expectVersion int64) error {
	return r.updateVersioned(ctx, "tasks", "org_id = ? AND id = ?", []any{t.OrgID, t.ID}, `UPDATE tasks SET
		phase = ?, phase_rank = ?, title = ?, description = ?, role = ?, assignee = ?, status = ?, required = ?,
		due_at = ?, origin = ?, overdue_noted_at = ?, completed_at = ?, updated_at = ?, version = ?
		WHERE org_id = ? AND id = ? AND version = ?`,
		string(t.Phase), t.Phase.Index(), t.Title, t.Description, string(t.Role), t.Assignee, string(t.Status),
		boolInt(t.Required), tmPtr(t.DueAt), t.Origin, tmPtr(t.OverdueNotedAt), tmPtr(t.CompletedAt),
		tm(t.UpdatedAt), expectVersion+1, t.OrgID, t.ID, expectVersion)
}

// ListByIncident returns an incident's tasks in phase order, then creation (id) order.
func (r taskRepo) ListByIncident(ctx context.Context, orgID, incidentID string) ([]incident.Task, error) {
	return scanList(ctx, r.tx, scanTask, "SELECT "+taskCols+` FROM tasks t
		WHERE t.org_id = ? AND t.incident_id = ? ORDER BY t.phase_rank, t.id`, orgID, incidentID)
}

// List returns a page of tasks in id (creation) order.
func (r taskRepo) List(ctx context.Context, f store.TaskFilter) (store.Page[incident.Task], error) {
	var page store.Page[incident.Task]
	w := &where{}
	w.add("t.org_id = ?", f.OrgID)
	if f.IncidentID != "" {
		w.add("t.incident_id = ?", f.IncidentID)
	}
	if f.Assignee != "" {
		w.add("t.assignee = ?", f.Assignee)
	}
	in(w, "t.status", f.Statuses)
	if f.DueBefore != nil {
		w.add("t.due_at IS NOT NULL AND t.due_at < ? AND t.status NOT IN "+finishedStatuses, tm(*f.DueBefore))
	}
	if f.VisibleTo != "" {
		v := &where{}
		visibleTo(v, "i", f.VisibleTo)
		w.add("EXISTS (SELECT 1 FROM incidents i WHERE i.org_id = t.org_id AND i.id = t.incident_id AND "+
			v.conds[0]+")", v.args...)
	}
	if f.Cursor != "" {
		parts, err := store.DecodeCursor(f.Cursor, 1)
		if err != nil {
			return page, err
		}
		w.add("t.id > ?", parts[0])
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
	page.Items = items
	if page.Items == nil {
		page.Items = []incident.Task{}
	}
	return page, nil
}

// DueUnnoted returns, across organisations, unfinished tasks due before now whose lateness is
// not noted yet, oldest due first.
func (r taskRepo) DueUnnoted(ctx context.Context, now time.Time, limit int) ([]incident.Task, error) {
	return scanList(ctx, r.tx, scanTask, "SELECT "+taskCols+` FROM tasks t
		WHERE t.due_at IS NOT NULL AND t.overdue_noted_at IS NULL AND t.status NOT IN `+finishedStatuses+`
		AND t.due_at < ? ORDER BY t.due_at, t.id LIMIT ?`, tm(now), store.ClampLimit(limit))
}

// MarkOverdueNoted sets overdue_noted_at once; it reports false when it was already set. It
// bumps the task's version, so an update made from a copy read before it is a conflict
// instead of clearing the mark.
func (r taskRepo) MarkOverdueNoted(ctx context.Context, orgID, id string, at time.Time) (bool, error) {
	res, err := r.exec(ctx, `UPDATE tasks SET overdue_noted_at = ?, version = version + 1
		WHERE org_id = ? AND id = ? AND overdue_noted_at IS NULL`, tm(at), orgID, id)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, mapErr(err)
	}
	if n == 1 {
		return true, nil
	}
	if _, err := r.Get(ctx, orgID, id); err != nil {
		return false, err
	}
	return false, nil
}
