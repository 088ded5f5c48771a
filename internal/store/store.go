// Package store is the storage port: the interfaces every storage driver implements, one per
// aggregate, and the errors they return. Engines depend on this package, never on a driver.
//
// All work happens inside a transaction: Store.Read runs a function on a read-only snapshot,
// Store.Write runs it in a read-write transaction that commits when the function returns nil
// and rolls back otherwise. A mutation, its timeline entry, its audit record and any job it
// enqueues are written in the same Write, so either all of them happen or none does.
//
// Every method that reads or changes an organisation's data takes that organisation's id and
// must never touch another's. Drivers live in store/sqlite and store/postgres; store/storetest
// holds the conformance suite every driver must pass.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/asset"
	"github.com/quell-ir/quell/internal/audit"
	"github.com/quell-ir/quell/internal/incident"
)

// Errors every driver returns, wrapped or as they are.
var (
	// ErrNotFound: no such object in that organisation.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the object changed since the version the caller read.
	ErrConflict = errors.New("version conflict")
	// ErrDuplicate: a unique key (user name, slug) is taken.
	ErrDuplicate = errors.New("already exists")
	// ErrPrecondition: the version named by an If-Match header is not the current one.
	ErrPrecondition = errors.New("precondition failed")
	// ErrUnavailable: the database cannot take the request now (locked, disk full, down).
	ErrUnavailable = errors.New("storage unavailable")
)

// Store opens transactions.
type Store interface {
	// Read runs fn in a read-only transaction.
	Read(ctx context.Context, fn func(Tx) error) error
	// Write runs fn in a read-write transaction; fn's error rolls everything back.
	Write(ctx context.Context, fn func(Tx) error) error
	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	// Close releases the database.
	Close() error
}

// Tx gives access to each aggregate within one transaction.
type Tx interface {
	Orgs() Orgs
	Users() Users
	Sessions() Sessions
	Tokens() Tokens
	Incidents() Incidents
	Tasks() Tasks
	Notes() Notes
	Timeline() Timeline
	Assets() Assets
	Audit() AuditLog
	Search() Search
	Jobs() Jobs
	Alerts() Alerts
	Silences() Silences
	IntakeSources() IntakeSources
	Idempotency() Idempotency
	Correlation() Correlation
	Obligations() Obligations
	Plans() Plans
	People() People
	Playbooks() Playbooks
}

// Page is one page of a list and the cursor of the next page ("" on the last page).
type Page[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next,omitempty"`
}

// MaxLimit bounds every list's page size; DefaultLimit is used when none is given.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// ClampLimit returns a page size within bounds.
func ClampLimit(n int) int {
	switch {
	case n <= 0:
		return DefaultLimit
	case n > MaxLimit:
		return MaxLimit
	}
	return n
}

// Orgs stores organisations.
type Orgs interface {
	Create(ctx context.Context, o access.Org) error
	Get(ctx context.Context, id string) (access.Org, error)
	GetBySlug(ctx context.Context, slug string) (access.Org, error)
	List(ctx context.Context) ([]access.Org, error)
}

// Users stores users and their memberships.
type Users interface {
	Create(ctx context.Context, u access.User) error
	Get(ctx context.Context, id string) (access.User, error)
	// GetByUsername matches the user name case-insensitively.
	GetByUsername(ctx context.Context, username string) (access.User, error)
	// Update writes u if its stored version is expectVersion, and bumps the version.
	Update(ctx context.Context, u access.User, expectVersion int64) error
	Count(ctx context.Context) (int, error)
	// SetMembership adds the user to the organisation or changes the role there.
	SetMembership(ctx context.Context, m access.Membership) error
	RemoveMembership(ctx context.Context, userID, orgID string) error
	Membership(ctx context.Context, userID, orgID string) (access.Membership, error)
	// Memberships lists the organisations a user belongs to.
	Memberships(ctx context.Context, userID string) ([]access.Membership, error)
	// Members lists the users of an organisation with their roles, by user name.
	Members(ctx context.Context, orgID string) ([]access.Membership, error)
}

// Sessions stores browser sessions by the hash of their secret.
type Sessions interface {
	Create(ctx context.Context, s access.Session) error
	Get(ctx context.Context, id string) (access.Session, error)
	Touch(ctx context.Context, id string, lastSeen, expires time.Time) error
	SetOrg(ctx context.Context, id, orgID string) error
	Delete(ctx context.Context, id string) error
	DeleteForUser(ctx context.Context, userID string) error
	DeleteExpired(ctx context.Context, now time.Time) (int, error)
}

// Tokens stores API tokens by the hash of their secret.
type Tokens interface {
	Create(ctx context.Context, t access.Token) error
	GetByHash(ctx context.Context, hash string) (access.Token, error)
	Get(ctx context.Context, orgID, id string) (access.Token, error)
	// List returns an organisation's tokens; with userID set, only that user's.
	List(ctx context.Context, orgID, userID string) ([]access.Token, error)
	Revoke(ctx context.Context, orgID, id string, at time.Time) error
	Touch(ctx context.Context, id string, at time.Time) error
}

// IncidentSort orders incident lists.
type IncidentSort string

// Incident list orders; each is newest or worst first.
const (
	SortCreated  IncidentSort = "created"
	SortUpdated  IncidentSort = "updated"
	SortSeverity IncidentSort = "severity"
	SortPriority IncidentSort = "priority"
)

// IncidentFilter selects incidents. Zero fields do not filter.
type IncidentFilter struct {
	OrgID      string
	Phases     []incident.Phase
	Severities []incident.Severity
	Types      []incident.Type
	// Open keeps incidents not closed (true) or only closed ones (false).
	Open *bool
	// Assignee (a user id) keeps incidents where this user holds a role or is assigned a task.
	// Tasks name their assignee by user name (incident.Task.Assignee), so drivers match tasks
	// through the users table.
	Assignee string
	Tag      string
	// Query is full-text search over the incident's title, summary, tasks, notes and timeline.
	Query string
	// VisibleTo, when set, hides restricted incidents of which this user is not a member.
	// Leave it empty for admins.
	VisibleTo string
	Sort      IncidentSort
	Cursor    string
	Limit     int
}

// Incidents stores incidents, their phase history, role assignments and members.
type Incidents interface {
	// NextNumber reserves the next incident number of the organisation (1, 2, 3, …).
	NextNumber(ctx context.Context, orgID string) (int64, error)
	Create(ctx context.Context, inc incident.Incident) error
	Get(ctx context.Context, orgID, id string) (incident.Incident, error)
	GetByNumber(ctx context.Context, orgID string, number int64) (incident.Incident, error)
	// Update writes inc if its stored version is expectVersion (else ErrConflict); the stored
	// version becomes expectVersion+1.
	Update(ctx context.Context, inc incident.Incident, expectVersion int64) error
	List(ctx context.Context, f IncidentFilter) (Page[incident.Incident], error)
	// Count counts the incidents f selects, ignoring Cursor and Limit.
	Count(ctx context.Context, f IncidentFilter) (int, error)

	AddPhaseChange(ctx context.Context, orgID string, pc incident.PhaseChange) error
	PhaseChanges(ctx context.Context, orgID, incidentID string) ([]incident.PhaseChange, error)
	AddMilestoneCorrection(ctx context.Context, orgID string, mc incident.MilestoneCorrection) error
	MilestoneCorrections(ctx context.Context, orgID, incidentID string) ([]incident.MilestoneCorrection, error)

	// SetAssignment gives a role to a user, replacing whoever held it.
	SetAssignment(ctx context.Context, orgID string, a incident.Assignment) error
	RemoveAssignment(ctx context.Context, orgID, incidentID string, role incident.Role) error
	// Assignments lists the roles held on an incident, with user names filled in.
	Assignments(ctx context.Context, orgID, incidentID string) ([]incident.Assignment, error)

	// AddMember gives a user need-to-know access to an incident (idempotent).
	AddMember(ctx context.Context, orgID, incidentID, userID string) error
	RemoveMember(ctx context.Context, orgID, incidentID, userID string) error
	IsMember(ctx context.Context, orgID, incidentID, userID string) (bool, error)
	Members(ctx context.Context, orgID, incidentID string) ([]string, error)
}

// TaskFilter selects tasks across incidents. Zero fields do not filter.
type TaskFilter struct {
	OrgID      string
	IncidentID string
	// Assignee is a user name, as incident.Task.Assignee holds it.
	Assignee string
	Statuses []incident.TaskStatus
	// DueBefore keeps unfinished tasks due before this time.
	DueBefore *time.Time
	VisibleTo string
	Cursor    string
	Limit     int
}

// Tasks stores incident tasks.
type Tasks interface {
	Create(ctx context.Context, t incident.Task) error
	Get(ctx context.Context, orgID, id string) (incident.Task, error)
	Update(ctx context.Context, t incident.Task, expectVersion int64) error
	// ListByIncident returns all tasks of an incident in phase order, then creation order.
	ListByIncident(ctx context.Context, orgID, incidentID string) ([]incident.Task, error)
	List(ctx context.Context, f TaskFilter) (Page[incident.Task], error)
	// DueUnnoted returns, across all organisations, unfinished tasks due before now whose
	// lateness is not on the timeline yet, oldest due first.
	DueUnnoted(ctx context.Context, now time.Time, limit int) ([]incident.Task, error)
	// MarkOverdueNoted records that the task's lateness was put on the timeline; it reports
	// false when another run already did (so the entry is written once).
	MarkOverdueNoted(ctx context.Context, orgID, id string, at time.Time) (bool, error)
}

// Notes stores notes and their revisions.
type Notes interface {
	Create(ctx context.Context, n incident.Note) error
	Get(ctx context.Context, orgID, id string) (incident.Note, error)
	// Update stores the note's previous body as a revision and writes n if its stored version
	// is expectVersion.
	Update(ctx context.Context, n incident.Note, editor string, expectVersion int64) error
	List(ctx context.Context, orgID, incidentID string) ([]incident.Note, error)
	Revisions(ctx context.Context, orgID, noteID string) ([]incident.NoteRevision, error)
}

// TimelineFilter selects timeline entries of one incident, ordered by event time then id.
type TimelineFilter struct {
	OrgID       string
	IncidentID  string
	Kinds       []incident.EntryKind
	FlaggedOnly bool
	Cursor      string
	Limit       int
}

// Timeline stores timeline entries.
type Timeline interface {
	Add(ctx context.Context, e incident.Entry) error
	Get(ctx context.Context, orgID, id string) (incident.Entry, error)
	SetFlag(ctx context.Context, orgID, id string, flagged bool) error
	List(ctx context.Context, f TimelineFilter) (Page[incident.Entry], error)
}

// AssetFilter selects assets.
type AssetFilter struct {
	OrgID string
	Kind  asset.Kind
	// Query matches name, owner and identifier values (prefix, case-insensitive).
	Query  string
	Cursor string
	Limit  int
}

// Assets stores the inventory and the links between assets and incidents.
type Assets interface {
	Create(ctx context.Context, a asset.Asset) error
	Get(ctx context.Context, orgID, id string) (asset.Asset, error)
	Update(ctx context.Context, a asset.Asset, expectVersion int64) error
	List(ctx context.Context, f AssetFilter) (Page[asset.Asset], error)
	// FindByIdentifier returns the assets carrying an identifier (value in canonical form).
	FindByIdentifier(ctx context.Context, orgID string, id asset.Identifier) ([]asset.Asset, error)
	// MatchIdentifiers finds, for many identifiers at once, the assets carrying each; an
	// identifier no asset carries is absent from the map.
	MatchIdentifiers(ctx context.Context, orgID string, ids []asset.Identifier) (map[asset.Identifier][]AssetRef, error)
	// Link links an asset to an incident or changes the link's status.
	Link(ctx context.Context, orgID string, l asset.Link) error
	Unlink(ctx context.Context, orgID, incidentID, assetID string) error
	// Links lists an incident's assets, with asset name and criticality filled in.
	Links(ctx context.Context, orgID, incidentID string) ([]asset.Link, error)
	// IncidentsOf lists the incidents an asset was part of, with incident keys filled in.
	IncidentsOf(ctx context.Context, orgID, assetID string) ([]asset.Link, error)
}

// AssetRef names an asset and its criticality, for matching alerts to the inventory.
type AssetRef struct {
	ID          string
	Criticality int
}

// AuditFilter selects audit records, oldest first. Zero fields do not filter.
type AuditFilter struct {
	OrgID      string
	IncidentID string
	// AfterSeq is the cursor: records with a larger sequence number.
	AfterSeq int64
	Limit    int
}

// AuditLog stores the hash chain of audit records.
type AuditLog interface {
	// Append seals r after the current head of the chain (audit.Record.Seal) and stores it. It
	// must serialise with every other Append so the chain stays linear.
	Append(ctx context.Context, r *audit.Record) error
	List(ctx context.Context, f AuditFilter) ([]audit.Record, error)
	// Walk calls fn on every record in sequence order, stopping at fn's first error.
	Walk(ctx context.Context, fn func(audit.Record) error) error
}

// SearchHit is one match of a full-text search.
type SearchHit struct {
	Kind        string `json:"kind"` // incident, task, note, timeline
	IncidentID  string `json:"incident_id"`
	IncidentKey string `json:"incident_key"`
	ObjectID    string `json:"object_id"`
	Title       string `json:"title"`
	// Snippet is plain text around the match; clients must escape it.
	Snippet string `json:"snippet"`
}

// SearchQuery is a full-text search within one organisation.
type SearchQuery struct {
	OrgID     string
	Query     string
	VisibleTo string
	Limit     int
}

// Search is full-text search over incidents, tasks, notes and timeline entries.
type Search interface {
	Search(ctx context.Context, q SearchQuery) ([]SearchHit, error)
}

// JobArgs is the payload of a durable job; Kind names the worker that runs it.
// It has the shape of river.JobArgs.
type JobArgs interface{ Kind() string }

// JobOptions tune one enqueued job.
type JobOptions struct {
	// ScheduledAt delays the job; zero runs it as soon as possible.
	ScheduledAt time.Time
}

// Jobs enqueues durable jobs in the current transaction: the job exists if and only if the
// transaction commits.
type Jobs interface {
	Enqueue(ctx context.Context, args JobArgs, opts JobOptions) error
}
