package store

import (
	"context"
	"time"
)

// The regulatory and SLA clocks of incidents (docs/obligations.md): the triggers recorded on an
// incident, the log of what was submitted to whom, the notices already given (so that a breach
// or a missed deadline is put on the timeline once), and the time each incident's clocks must
// next be looked at.

// ObligationTrigger is one event recorded on an incident that starts regulatory clocks, such
// as personal_data_breach_confirmed. An incident records each trigger name once.
type ObligationTrigger struct {
	ID         string `json:"id"`
	OrgID      string `json:"-"`
	IncidentID string `json:"incident_id"`
	Name       string `json:"name"`
	// At is when the event happened; it may be earlier than RecordedAt.
	At         time.Time `json:"at"`
	RecordedBy string    `json:"recorded_by"`
	RecordedAt time.Time `json:"recorded_at"`
	Note       string    `json:"note,omitempty"`
}

// ObligationSubmission is one entry of an incident's submission log: what was sent to whom
// and when, to meet an obligation (or update a report).
type ObligationSubmission struct {
	ID         string `json:"id"`
	OrgID      string `json:"-"`
	IncidentID string `json:"incident_id"`
	// Obligation is the id of the rule the submission answers.
	Obligation  string    `json:"obligation"`
	SubmittedAt time.Time `json:"submitted_at"`
	Recipient   string    `json:"recipient"`
	// Summary says what was sent; Reference is the recipient's case number or the like.
	Summary    string    `json:"summary,omitempty"`
	Reference  string    `json:"reference,omitempty"`
	RecordedBy string    `json:"recorded_by"`
	RecordedAt time.Time `json:"recorded_at"`
}

// Obligations stores the clocks' records of incidents.
type Obligations interface {
	// AddTrigger records a trigger; ErrDuplicate when the incident has one of that name.
	AddTrigger(ctx context.Context, t ObligationTrigger) error
	// Triggers lists an incident's triggers by time, then id.
	Triggers(ctx context.Context, orgID, incidentID string) ([]ObligationTrigger, error)
	// AddSubmission logs a submission.
	AddSubmission(ctx context.Context, s ObligationSubmission) error
	// Submissions lists an incident's submissions by time, then id.
	Submissions(ctx context.Context, orgID, incidentID string) ([]ObligationSubmission, error)
	// MarkNoticed records that the notice named item (such as "sla:contain" or
	// "obligation:gdpr-art33") was given on the incident; it reports false when it already
	// was, so that each notice is given once.
	MarkNoticed(ctx context.Context, orgID, incidentID, item string, at time.Time) (bool, error)
	// Noticed returns the notices given on an incident, by item.
	Noticed(ctx context.Context, orgID, incidentID string) (map[string]time.Time, error)
	// NextCheck returns when the incident's clocks are next to be looked at; ok is false when
	// no check is scheduled.
	NextCheck(ctx context.Context, orgID, incidentID string) (at time.Time, ok bool, err error)
	// SetNextCheck records when the incident's clocks are next to be looked at; the zero time
	// clears it.
	SetNextCheck(ctx context.Context, orgID, incidentID string, at time.Time) error
}
