package casework

import (
	"context"
	"fmt"
	"time"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/audit"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
)

// TaskDueArgs is the durable job that checks a task when it falls due.
type TaskDueArgs struct {
	OrgID  string `json:"org_id"`
	TaskID string `json:"task_id"`
}

// Kind names the job.
func (TaskDueArgs) Kind() string { return "task_due" }

// AddTask adds a task to an incident. A task with a due time schedules a durable check at
// that time, enqueued in the same transaction.
func (s *Service) AddTask(ctx context.Context, p access.Principal, key string, req NewTask) (incident.Task, error) {
	var out incident.Task
	err := s.write(ctx, p, func(w *work) error {
		if err := w.canWrite(); err != nil {
			return err
		}
		inc, err := w.incident(key)
		if err != nil {
			return err
		}
		t := incident.Task{
			ID: NewID(), OrgID: p.OrgID, IncidentID: inc.ID, Phase: req.Phase, Title: req.Title,
			Description: req.Description, Role: req.Role, Status: req.Status, Required: req.Required,
			Origin: "manual", CreatedBy: actor(p), CreatedAt: w.now, UpdatedAt: w.now, Version: 1,
		}
		if t.Phase == "" {
			t.Phase = inc.Phase
		}
		if t.Status == "" {
			t.Status = incident.TaskTodo
		}
		if req.DueAt != nil {
			due := req.DueAt.UTC()
			t.DueAt = &due
		}
		if req.Assignee != "" {
			u, err := w.resolveUser("/assignee", req.Assignee)
			if err != nil {
				return err
			}
			t.Assignee = u.Username
		}
		if err := t.Validate(); err != nil {
			return err
		}
		if t.Status.Finished() {
			t.CompletedAt = &w.now
		}
		if err := w.tx.Tasks().Create(ctx, t); err != nil {
			return err
		}
		if err := w.scheduleDue(t); err != nil {
			return err
		}
		text := fmt.Sprintf("Task added to %s: %s", t.Phase, t.Title)
		if t.Required {
			text += " (required)"
		}
		if err := w.timeline(inc.ID, incident.KindTask, text, map[string]string{"task_id": t.ID}); err != nil {
			return err
		}
		if err := w.audit("task.create", "task", t.ID, inc.ID, t); err != nil {
			return err
		}
		out = t
		return nil
	})
	return out, err
}

func (w *work) scheduleDue(t incident.Task) error {
	if t.DueAt == nil || t.Status.Finished() {
		return nil
	}
	return w.tx.Jobs().Enqueue(w.ctx, TaskDueArgs{OrgID: t.OrgID, TaskID: t.ID}, store.JobOptions{ScheduledAt: *t.DueAt})
}

// ListTasks lists an incident's tasks in phase order.
func (s *Service) ListTasks(ctx context.Context, p access.Principal, key string) ([]incident.Task, error) {
	var out []incident.Task
	err := s.read(ctx, p, func(w *work) error {
		inc, err := w.incident(key)
		if err != nil {
			return err
		}
		out, err = w.tx.Tasks().ListByIncident(ctx, p.OrgID, inc.ID)
		return err
	})
	if out == nil {
		out = []incident.Task{}
	}
	return out, err
}

// FindTasks lists tasks across the incidents the principal may see.
func (s *Service) FindTasks(ctx context.Context, p access.Principal, f store.TaskFilter, incidentKey string) (store.Page[incident.Task], error) {
	var out store.Page[incident.Task]
	f.OrgID, f.VisibleTo = p.OrgID, visibleTo(p)
	err := s.read(ctx, p, func(w *work) error {
		if incidentKey != "" {
			inc, err := w.incident(incidentKey)
			if err != nil {
				return err
			}
			f.IncidentID = inc.ID
		}
		var err error
		if out, err = w.tx.Tasks().List(ctx, f); err != nil {
			return err
		}
		return w.fillIncidentKeys(out.Items)
	})
	if out.Items == nil {
		out.Items = []incident.Task{}
	}
	return out, err
}

// fillIncidentKeys names each task's incident by its key, for lists across incidents.
func (w *work) fillIncidentKeys(tasks []incident.Task) error {
	keys := map[string]string{}
	for i, t := range tasks {
		key, ok := keys[t.IncidentID]
		if !ok {
			inc, err := w.tx.Incidents().Get(w.ctx, w.p.OrgID, t.IncidentID)
			if err != nil {
				return err
			}
			key = inc.Key
			keys[t.IncidentID] = key
		}
		tasks[i].IncidentKey = key
	}
	return nil
}

func (w *work) task(id string) (incident.Task, incident.Incident, error) {
	t, err := w.tx.Tasks().Get(w.ctx, w.p.OrgID, id)
	if err != nil {
		return t, incident.Incident{}, err
	}
	inc, err := w.incidentByID(t.IncidentID)
	return t, inc, err
}

// GetTask returns a task of an incident the principal may see.
func (s *Service) GetTask(ctx context.Context, p access.Principal, id string) (incident.Task, error) {
	var out incident.Task
	err := s.read(ctx, p, func(w *work) error {
		t, inc, err := w.task(id)
		t.IncidentKey = inc.Key
		out = t
		return err
	})
	return out, err
}

// UpdateTask changes a task: status, assignee, due time and the rest.
func (s *Service) UpdateTask(ctx context.Context, p access.Principal, id string, patch TaskPatch, ifMatch int64) (incident.Task, error) {
	var out incident.Task
	err := s.write(ctx, p, func(w *work) error {
		if err := w.canWrite(); err != nil {
			return err
		}
		t, inc, err := w.task(id)
		if err != nil {
			return err
		}
		if err := checkVersion(t.Version, ifMatch, patch.Version); err != nil {
			return err
		}
		before := t
		if err := w.applyTaskPatch(&t, patch); err != nil {
			return err
		}
		if err := t.Validate(); err != nil {
			return err
		}
		diff := taskDiff(before, t)
		if len(diff) == 0 {
			out = before
			return nil
		}
		if t.Status.Finished() && !before.Status.Finished() {
			t.CompletedAt = &w.now
		} else if !t.Status.Finished() {
			t.CompletedAt = nil
		}
		t.UpdatedAt = w.now
		if err := w.tx.Tasks().Update(ctx, t, before.Version); err != nil {
			return err
		}
		t.Version = before.Version + 1
		if dueChanged(before, t) || (before.Status.Finished() && !t.Status.Finished()) {
			if err := w.scheduleDue(t); err != nil {
				return err
			}
		}
		if err := w.timeline(inc.ID, incident.KindTask, taskText(t, diff), map[string]any{"task_id": t.ID, "changes": diff}); err != nil {
			return err
		}
		if err := w.audit("task.update", "task", t.ID, inc.ID, diff); err != nil {
			return err
		}
		out = t
		return nil
	})
	return out, err
}

func (w *work) applyTaskPatch(t *incident.Task, p TaskPatch) error {
	if p.Title != nil {
		t.Title = *p.Title
	}
	if p.Description != nil {
		t.Description = *p.Description
	}
	if p.Phase != nil {
		t.Phase = *p.Phase
	}
	if p.Role != nil {
		t.Role = *p.Role
	}
	if p.Status != nil {
		t.Status = *p.Status
	}
	if p.Required != nil {
		t.Required = *p.Required
	}
	if p.ClearDue {
		t.DueAt = nil
	} else if p.DueAt != nil {
		due := p.DueAt.UTC()
		t.DueAt = &due
		t.OverdueNotedAt = nil
	}
	if p.Assignee != nil {
		if *p.Assignee == "" {
			t.Assignee = ""
		} else {
			u, err := w.resolveUser("/assignee", *p.Assignee)
			if err != nil {
				return err
			}
			t.Assignee = u.Username
		}
	}
	return nil
}

func dueChanged(a, b incident.Task) bool {
	if a.DueAt == nil || b.DueAt == nil {
		return a.DueAt != b.DueAt
	}
	return !a.DueAt.Equal(*b.DueAt)
}

func taskDiff(a, b incident.Task) audit.Diff {
	d := audit.Diff{}
	add := func(name string, x, y any, same bool) {
		if !same {
			d[name] = [2]any{x, y}
		}
	}
	add("title", a.Title, b.Title, a.Title == b.Title)
	add("description", a.Description, b.Description, a.Description == b.Description)
	add("phase", a.Phase, b.Phase, a.Phase == b.Phase)
	add("role", a.Role, b.Role, a.Role == b.Role)
	add("status", a.Status, b.Status, a.Status == b.Status)
	add("required", a.Required, b.Required, a.Required == b.Required)
	add("assignee", a.Assignee, b.Assignee, a.Assignee == b.Assignee)
	add("due_at", a.DueAt, b.DueAt, !dueChanged(a, b))
	return d
}

func taskText(t incident.Task, d audit.Diff) string {
	if s, ok := d["status"]; ok {
		return fmt.Sprintf("Task %q: %v → %v", t.Title, s[0], s[1])
	}
	if a, ok := d["assignee"]; ok && len(d) == 1 {
		if a[1] == "" {
			return fmt.Sprintf("Task %q unassigned", t.Title)
		}
		return fmt.Sprintf("Task %q assigned to %v", t.Title, a[1])
	}
	return fmt.Sprintf("Task %q updated", t.Title)
}

// NoteOverdueTasks puts every task that is past due and not yet noted on its incident's
// timeline, once per task, and returns how many it noted. It runs as the system.
func (s *Service) NoteOverdueTasks(ctx context.Context, limit int) (int, error) {
	var due []incident.Task
	if err := s.store.Read(ctx, func(tx store.Tx) error {
		var err error
		due, err = tx.Tasks().DueUnnoted(ctx, s.now().UTC(), limit)
		return err
	}); err != nil {
		return 0, err
	}
	noted := 0
	for _, t := range due {
		ok, err := s.noteOverdue(ctx, t.OrgID, t.ID)
		if err != nil {
			return noted, err
		}
		if ok {
			noted++
		}
	}
	return noted, nil
}

// NoteOverdueTask notes one task's lateness if it is overdue and not yet noted.
func (s *Service) NoteOverdueTask(ctx context.Context, orgID, taskID string) (bool, error) {
	return s.noteOverdue(ctx, orgID, taskID)
}

func (s *Service) noteOverdue(ctx context.Context, orgID, taskID string) (bool, error) {
	noted := false
	err := s.write(ctx, access.Principal{OrgID: orgID}, func(w *work) error {
		t, err := w.tx.Tasks().Get(ctx, orgID, taskID)
		if err != nil {
			return err
		}
		if !t.Overdue(w.now) || t.OverdueNotedAt != nil {
			return nil
		}
		ok, err := w.tx.Tasks().MarkOverdueNoted(ctx, orgID, taskID, w.now)
		if err != nil || !ok {
			return err
		}
		late := w.now.Sub(*t.DueAt).Round(time.Minute)
		text := fmt.Sprintf("Task %q is overdue: it was due %s (%s ago)", t.Title, t.DueAt.Format(time.RFC3339), late)
		if t.Assignee != "" {
			text += ", assigned to " + t.Assignee
		}
		if err := w.timeline(t.IncidentID, incident.KindTask, text, map[string]any{"task_id": t.ID, "due_at": t.DueAt}); err != nil {
			return err
		}
		noted = true
		return w.audit("task.overdue", "task", t.ID, t.IncidentID, map[string]any{"due_at": t.DueAt})
	})
	return noted, err
}
