package store

import (
	"context"
	"time"

	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/plan"
)

// The incident response plan and the people it names (docs/plan.md): the plan's versions,
// the organisation's contacts and teams, and the rosters that say who can fill an incident
// role when.

// PlanVersion is one version of an organisation's plan. Versions are numbered 1, 2, 3, … per
// organisation and never change once written, except for their approval.
type PlanVersion struct {
	OrgID     string       `json:"-"`
	Number    int          `json:"version"`
	Content   plan.Content `json:"content"`
	CreatedBy string       `json:"created_by"`
	CreatedAt time.Time    `json:"created_at"`
	// ApprovedBy and ApprovedAt are set once the version is approved; NextReview is then
	// when the plan is due for review.
	ApprovedBy string     `json:"approved_by,omitempty"`
	ApprovedAt *time.Time `json:"approved_at,omitempty"`
	NextReview *time.Time `json:"next_review,omitempty"`
}

// Approved reports whether the version was approved.
func (v PlanVersion) Approved() bool { return v.ApprovedAt != nil }

// Plans stores the versions of organisations' plans.
type Plans interface {
	// AddVersion writes a new version; ErrDuplicate when its number is taken.
	AddVersion(ctx context.Context, v PlanVersion) error
	// Version returns one version; ErrNotFound when there is none of that number.
	Version(ctx context.Context, orgID string, number int) (PlanVersion, error)
	// Latest returns the newest version, approved or not; ErrNotFound when there is none.
	Latest(ctx context.Context, orgID string) (PlanVersion, error)
	// InForce returns the newest approved version; ErrNotFound when none was approved.
	InForce(ctx context.Context, orgID string) (PlanVersion, error)
	// Versions lists every version, newest first.
	Versions(ctx context.Context, orgID string) ([]PlanVersion, error)
	// Approve records the approval of a version not yet approved: ErrNotFound when there is
	// no such version, ErrConflict when it is already approved.
	Approve(ctx context.Context, orgID string, number int, by string, at, nextReview time.Time) error
}

// ChannelKind is how a contact is reached.
type ChannelKind string

// Channels of a contact.
const (
	ChannelEmail ChannelKind = "email"
	ChannelPhone ChannelKind = "phone"
	ChannelChat  ChannelKind = "chat"
)

// ChannelKinds lists every channel kind.
var ChannelKinds = []ChannelKind{ChannelEmail, ChannelPhone, ChannelChat}

// Channel is one way to reach a contact.
type Channel struct {
	Kind  ChannelKind `json:"kind"`
	Value string      `json:"value"`
	// Label says which one it is, such as "mobile" or "24/7 hotline".
	Label string `json:"label,omitempty"`
}

// Contact is a person or a desk the organisation calls on in an incident: one of its own
// people or an outside party such as the DPO, legal counsel, the insurer or the national CSIRT.
type Contact struct {
	ID    string `json:"id"`
	OrgID string `json:"-"`
	Name  string `json:"name"`
	Title string `json:"title,omitempty"`
	// Organisation is the contact's employer or body (for an external contact).
	Organisation string    `json:"organisation,omitempty"`
	External     bool      `json:"external"`
	Channels     []Channel `json:"channels"`
	Notes        string    `json:"notes,omitempty"`
	Version      int64     `json:"version"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	// ArchivedAt is set once the contact was removed; it is kept for the plans and rosters
	// that name it.
	ArchivedAt *time.Time `json:"archived_at,omitempty"`
}

// Team is a named group of contacts.
type Team struct {
	ID          string `json:"id"`
	OrgID       string `json:"-"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Members are contact ids.
	Members    []string   `json:"members"`
	Version    int64      `json:"version"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	ArchivedAt *time.Time `json:"archived_at,omitempty"`
}

// Roster says who can fill an incident role from Starts (inclusive) to Ends (exclusive).
type Roster struct {
	ID     string        `json:"id"`
	OrgID  string        `json:"-"`
	Role   incident.Role `json:"role"`
	Starts time.Time     `json:"starts"`
	Ends   time.Time     `json:"ends"`
	// Contacts are contact ids; Users are user names of Quell users who can be assigned.
	Contacts   []string   `json:"contacts"`
	Users      []string   `json:"users"`
	Note       string     `json:"note,omitempty"`
	Version    int64      `json:"version"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	ArchivedAt *time.Time `json:"archived_at,omitempty"`
}

// RosterFilter selects rosters; zero fields do not filter. Archived rosters are left out
// unless Archived is set.
type RosterFilter struct {
	Role incident.Role
	// At keeps the rosters in effect at that time.
	At       time.Time
	Archived bool
}

// People stores an organisation's contacts, teams and rosters. Updates follow the rule of
// Incidents.Update: the stored version must be expectVersion (else ErrConflict) and becomes
// expectVersion+1. Nothing is deleted: removing sets ArchivedAt through an update.
type People interface {
	CreateContact(ctx context.Context, c Contact) error
	Contact(ctx context.Context, orgID, id string) (Contact, error)
	UpdateContact(ctx context.Context, c Contact, expectVersion int64) error
	// Contacts lists contacts by name, then id; archived ones only when archived is set.
	Contacts(ctx context.Context, orgID string, archived bool) ([]Contact, error)

	CreateTeam(ctx context.Context, t Team) error
	Team(ctx context.Context, orgID, id string) (Team, error)
	UpdateTeam(ctx context.Context, t Team, expectVersion int64) error
	// Teams lists teams by name, then id; archived ones only when archived is set.
	Teams(ctx context.Context, orgID string, archived bool) ([]Team, error)

	CreateRoster(ctx context.Context, r Roster) error
	Roster(ctx context.Context, orgID, id string) (Roster, error)
	UpdateRoster(ctx context.Context, r Roster, expectVersion int64) error
	// Rosters lists the rosters f selects by start, then id.
	Rosters(ctx context.Context, orgID string, f RosterFilter) ([]Roster, error)
}
