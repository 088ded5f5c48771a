package casework

import (
	"encoding/json"
	"time"

	"github.com/quell-ir/quell/internal/asset"
	"github.com/quell-ir/quell/internal/incident"
)

// The request types below are the JSON bodies of the HTTP API and the arguments of the use
// cases. Pointer fields in patches mean "leave as is" when nil.

// NewIncident opens an incident.
type NewIncident struct {
	Title        string            `json:"title"`
	Summary      string            `json:"summary,omitempty"`
	Type         incident.Type     `json:"type,omitempty"`
	Severity     incident.Severity `json:"severity"`
	TLP          incident.TLP      `json:"tlp,omitempty"`
	Restricted   bool              `json:"restricted,omitempty"`
	Tags         []string          `json:"tags,omitempty"`
	CustomFields map[string]string `json:"custom_fields,omitempty"`
	OccurredAt   *time.Time        `json:"occurred_at,omitempty"`
	DetectedAt   *time.Time        `json:"detected_at,omitempty"`
	ReportedAt   *time.Time        `json:"reported_at,omitempty"`
}

// IncidentPatch changes an incident's descriptive fields. Version, when not zero, must be the
// version the client read.
type IncidentPatch struct {
	Title      *string            `json:"title,omitempty"`
	Summary    *string            `json:"summary,omitempty"`
	Type       *incident.Type     `json:"type,omitempty"`
	Severity   *incident.Severity `json:"severity,omitempty"`
	TLP        *incident.TLP      `json:"tlp,omitempty"`
	Restricted *bool              `json:"restricted,omitempty"`
	Tags       *[]string          `json:"tags,omitempty"`
	// CustomFields, when given, replaces all custom fields; {} removes them all.
	CustomFields *map[string]string `json:"custom_fields,omitempty"`
	Version      int64              `json:"version,omitempty"`
}

// PhaseRequest moves an incident to another phase. Override, allowed to the incident commander
// and admins, moves on although required tasks are open; the reason is then recorded with the
// list of open tasks. Resolution is required when moving to closed.
type PhaseRequest struct {
	To         incident.Phase      `json:"to"`
	Reason     string              `json:"reason"`
	Override   bool                `json:"override,omitempty"`
	Resolution incident.Resolution `json:"resolution,omitempty"`
	Version    int64               `json:"version,omitempty"`
}

// MilestoneRequest sets or corrects a milestone; At null clears it. The reason is kept.
type MilestoneRequest struct {
	At     *time.Time `json:"at"`
	Reason string     `json:"reason"`
}

// RoleRequest gives an incident role to a user, named by user name or id.
type RoleRequest struct {
	User string `json:"user"`
}

// NewTask adds a task to an incident. Assignee is a user name or id.
type NewTask struct {
	Phase       incident.Phase      `json:"phase"`
	Title       string              `json:"title"`
	Description string              `json:"description,omitempty"`
	Role        incident.Role       `json:"role,omitempty"`
	Assignee    string              `json:"assignee,omitempty"`
	Required    bool                `json:"required,omitempty"`
	DueAt       *time.Time          `json:"due_at,omitempty"`
	Status      incident.TaskStatus `json:"status,omitempty"`
}

// TaskPatch changes a task. Assignee "" unassigns; ClearDue removes the due time.
type TaskPatch struct {
	Title       *string              `json:"title,omitempty"`
	Description *string              `json:"description,omitempty"`
	Phase       *incident.Phase      `json:"phase,omitempty"`
	Role        *incident.Role       `json:"role,omitempty"`
	Assignee    *string              `json:"assignee,omitempty"`
	Status      *incident.TaskStatus `json:"status,omitempty"`
	Required    *bool                `json:"required,omitempty"`
	DueAt       *time.Time           `json:"due_at,omitempty"`
	ClearDue    bool                 `json:"clear_due,omitempty"`
	Version     int64                `json:"version,omitempty"`
}

// NewNote adds a Markdown note.
type NewNote struct {
	Body string `json:"body"`
}

// NotePatch replaces a note's body; the old body is kept as a revision.
type NotePatch struct {
	Body    string `json:"body"`
	Version int64  `json:"version,omitempty"`
}

// NewEntry adds a timeline entry. EventAt may be in the past (backdated); the offset it is
// written with, or EventZone (an IANA zone name) when given, is kept for display.
type NewEntry struct {
	EventAt   *time.Time         `json:"event_at,omitempty"`
	EventZone string             `json:"event_zone,omitempty"`
	Kind      incident.EntryKind `json:"kind,omitempty"`
	Text      string             `json:"text"`
	Technique string             `json:"technique,omitempty"`
	Flagged   bool               `json:"flagged,omitempty"`
	Details   json.RawMessage    `json:"details,omitempty"`
}

// EntryPatch flags or unflags a timeline entry.
type EntryPatch struct {
	Flagged *bool `json:"flagged"`
}

// NewAsset adds an asset to the inventory.
type NewAsset struct {
	Kind               asset.Kind           `json:"kind"`
	Name               string               `json:"name"`
	Description        string               `json:"description,omitempty"`
	Identifiers        []asset.Identifier   `json:"identifiers,omitempty"`
	Criticality        int                  `json:"criticality"`
	Owner              string               `json:"owner,omitempty"`
	DataClassification asset.Classification `json:"data_classification,omitempty"`
	PersonalData       bool                 `json:"personal_data,omitempty"`
}

// AssetPatch changes an asset.
type AssetPatch struct {
	Kind               *asset.Kind           `json:"kind,omitempty"`
	Name               *string               `json:"name,omitempty"`
	Description        *string               `json:"description,omitempty"`
	Identifiers        *[]asset.Identifier   `json:"identifiers,omitempty"`
	Criticality        *int                  `json:"criticality,omitempty"`
	Owner              *string               `json:"owner,omitempty"`
	DataClassification *asset.Classification `json:"data_classification,omitempty"`
	PersonalData       *bool                 `json:"personal_data,omitempty"`
	Version            int64                 `json:"version,omitempty"`
}

// LinkRequest links an asset to an incident, or changes the link's status.
type LinkRequest struct {
	Status asset.LinkStatus `json:"status"`
	Note   string           `json:"note,omitempty"`
}

// IncidentDetail is an incident with the roles held on it.
type IncidentDetail struct {
	incident.Incident
	Assignments []incident.Assignment `json:"assignments"`
}

// NoteDetail is a note with its body rendered as sanitised HTML.
type NoteDetail struct {
	incident.Note
	BodyHTML string `json:"body_html"`
}
