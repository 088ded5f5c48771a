package incident

import (
	"slices"
	"strings"
	"time"

	"github.com/quell-ir/quell/internal/validation"
)

// TaskStatus is where a task stands.
type TaskStatus string

// Task statuses.
const (
	TaskTodo       TaskStatus = "todo"
	TaskInProgress TaskStatus = "in_progress"
	TaskBlocked    TaskStatus = "blocked"
	TaskDone       TaskStatus = "done"
	TaskSkipped    TaskStatus = "skipped"
)

// TaskStatuses lists every task status.
var TaskStatuses = []TaskStatus{TaskTodo, TaskInProgress, TaskBlocked, TaskDone, TaskSkipped}

// Valid reports whether s is a known status.
func (s TaskStatus) Valid() bool { return slices.Contains(TaskStatuses, s) }

// Finished reports whether the task needs no more work (done or skipped).
func (s TaskStatus) Finished() bool { return s == TaskDone || s == TaskSkipped }

// MaxTaskDescription bounds a task's Markdown description.
const MaxTaskDescription = 20000

// Task is a piece of work on an incident, in one phase.
type Task struct {
	ID         string `json:"id"`
	OrgID      string `json:"-"`
	IncidentID string `json:"incident_id"`
	// IncidentKey (INC-n) is filled in when tasks are listed across incidents.
	IncidentKey string     `json:"incident_key,omitempty"`
	Phase       Phase      `json:"phase"`
	Title       string     `json:"title"`
	Description string     `json:"description"`
	Role        Role       `json:"role,omitempty"`
	Assignee    string     `json:"assignee,omitempty"`
	Status      TaskStatus `json:"status"`
	Required    bool       `json:"required"`
	DueAt       *time.Time `json:"due_at,omitempty"`
	// Origin is "manual" or names the playbook step the task came from.
	Origin string `json:"origin"`
	// OverdueNotedAt is set once the task's lateness has been put on the timeline.
	OverdueNotedAt *time.Time `json:"overdue_noted_at,omitempty"`
	CompletedAt    *time.Time `json:"completed_at,omitempty"`
	CreatedBy      string     `json:"created_by"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	Version        int64      `json:"version"`
}

// Validate checks a task's fields before it is stored.
func (t *Task) Validate() error {
	var err error
	if t.Title, err = CheckTitle("/title", t.Title); err != nil {
		return err
	}
	if len(t.Description) > MaxTaskDescription {
		return validation.Errorf("/description", "at most %d characters", MaxTaskDescription)
	}
	if !t.Phase.Valid() || t.Phase == PhaseClosed {
		return validation.Errorf("/phase", "must be one of the working phases identification … review")
	}
	if t.Role != "" && !t.Role.Valid() {
		return validation.Errorf("/role", "must be one of %v", Roles)
	}
	if !t.Status.Valid() {
		return validation.Errorf("/status", "must be one of %v", TaskStatuses)
	}
	t.Origin = strings.TrimSpace(t.Origin)
	if t.Origin == "" {
		t.Origin = "manual"
	}
	return nil
}

// Overdue reports whether the task is past its due time at now and still open.
func (t Task) Overdue(now time.Time) bool {
	return t.DueAt != nil && !t.Status.Finished() && now.After(*t.DueAt)
}

// UnmetExitCriteria returns the required, unfinished tasks of the given phases: the tasks that
// stop those phases from being left going forward.
func UnmetExitCriteria(tasks []Task, phases []Phase) []Task {
	var unmet []Task
	for _, t := range tasks {
		if t.Required && !t.Status.Finished() && slices.Contains(phases, t.Phase) {
			unmet = append(unmet, t)
		}
	}
	return unmet
}
