package store

import (
	"context"
	"time"
)

// Playbooks of an organisation (docs/playbooks.md): every version of every playbook the
// organisation saved, the playbooks applied to each incident, and the relative due times of
// playbook tasks whose phase has not started yet. The built-in library is not stored: it is
// served from the binary by the engines, as read-only versions.

// PlaybookVersion is one saved version of a playbook. A version is never changed: a change is
// a new version. ID and Version are the playbook's own id and version fields.
type PlaybookVersion struct {
	OrgID   string `json:"-"`
	ID      string `json:"id"`
	Version int    `json:"version"`
	Name    string `json:"name"`
	// Source is the YAML document as it was saved.
	Source    string    `json:"source,omitempty"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

// AppliedPlaybook records that a playbook version was applied to an incident. An incident has
// each version of a playbook applied at most once.
type AppliedPlaybook struct {
	ID         string `json:"id"`
	OrgID      string `json:"-"`
	IncidentID string `json:"incident_id"`
	PlaybookID string `json:"playbook_id"`
	Version    int    `json:"version"`
	Name       string `json:"name"`
	// Reason says why it was applied: "created" (the incident was opened), "type" (its type
	// changed) or "manual" (a person chose it).
	Reason    string    `json:"reason"`
	AppliedBy string    `json:"applied_by"`
	AppliedAt time.Time `json:"applied_at"`
	// Tasks is the number of tasks the application created.
	Tasks int `json:"tasks"`
}

// TaskDueSpec is the relative due time of a playbook task whose due time is not known yet:
// counted from the start of its phase, which has not started, or from the incident's
// detection, which is not known. It is removed once the due time is set.
type TaskDueSpec struct {
	OrgID      string
	TaskID     string
	IncidentID string
	// After is the duration; From is "phase_start" or "detection".
	After time.Duration
	From  string
}

// Playbooks stores playbook versions, applications and pending due times.
type Playbooks interface {
	// AddVersion stores a new version; ErrDuplicate when the organisation has that version
	// of that playbook already.
	AddVersion(ctx context.Context, v PlaybookVersion) error
	// Get returns a version of a playbook; version 0 returns the newest.
	Get(ctx context.Context, orgID, id string, version int) (PlaybookVersion, error)
	// Latest returns the newest version of each of the organisation's playbooks, by id.
	Latest(ctx context.Context, orgID string) ([]PlaybookVersion, error)
	// Versions lists every version of a playbook, newest first, without their sources.
	Versions(ctx context.Context, orgID, id string) ([]PlaybookVersion, error)

	// AddApplied records an application; ErrDuplicate when that version of that playbook was
	// already applied to the incident.
	AddApplied(ctx context.Context, a AppliedPlaybook) error
	// Applied lists the playbooks applied to an incident, oldest first.
	Applied(ctx context.Context, orgID, incidentID string) ([]AppliedPlaybook, error)

	// AddDueSpec keeps the relative due time of a task.
	AddDueSpec(ctx context.Context, s TaskDueSpec) error
	// DueSpecs lists the pending due times of an incident's tasks, by task id.
	DueSpecs(ctx context.Context, orgID, incidentID string) ([]TaskDueSpec, error)
	// DeleteDueSpec forgets a task's pending due time (no error when there is none).
	DeleteDueSpec(ctx context.Context, orgID, taskID string) error
}
