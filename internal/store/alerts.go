package store

import (
	"context"
	"time"

	"github.com/quell-ir/quell/internal/alert"
)

// The intake aggregates: alerts, silences, intake sources, idempotency keys and the keys that
// correlate alerts with incidents. docs/intake.md describes how the intake engine uses them.

// AlertFilter selects alerts, newest last-seen first. Zero fields do not filter.
type AlertFilter struct {
	OrgID      string
	Status     []alert.Status
	Severity   []alert.Severity
	Source     string
	IncidentID string
	// Silenced selects silenced alerts (true) or alerts no silence muted (false).
	Silenced *bool
	// Query matches title or fingerprint, case-insensitively, as a substring.
	Query string
	// Observable selects alerts carrying this observable value.
	Observable string
	Cursor     string
	Limit      int
}

// IngestItem is one alert for IngestMany, standing for N folded copies.
type IngestItem struct {
	Alert alert.Alert
	N     int
}

// IngestResult says where an IngestItem landed.
type IngestResult struct {
	ID      string
	Created bool
}

// Alerts stores alerts.
//
// Every write through Ingest also marks the alert pending correlation; Pending and
// MarkCorrelated let the correlation worker take them in order.
type Alerts interface {
	// Ingest stores a received alert that stands for n folded copies (n ≥ 1). When an open
	// alert (alert.Status.Open) with the same organisation, source and fingerprint exists, its
	// count grows by n, its last-seen time moves forward to a.LastSeen (never back), its
	// severity rises to a's if higher, and its id is returned with created false. Otherwise a
	// is inserted as it is and created is true. A repeat does not make an alert pending again.
	Ingest(ctx context.Context, a alert.Alert, n int) (id string, created bool, err error)
	// IngestMany is Ingest for many alerts, in order, with one result per item; drivers for a
	// database across the network send them in one round trip.
	IngestMany(ctx context.Context, items []IngestItem) ([]IngestResult, error)
	// Bump is Ingest's fast path for a repeat whose open alert id is known: it adds n to the
	// count and moves last-seen forward. ok is false when that alert is no longer open.
	Bump(ctx context.Context, orgID, id string, n int, lastSeen time.Time, severity alert.Severity) (ok bool, err error)
	// FindBySourceRef returns the id of the alert a source already sent under its own id ref.
	FindBySourceRef(ctx context.Context, orgID, source, ref string) (string, error)
	// FindBySourceRefs is FindBySourceRef for many refs of one source: it maps each ref that is
	// stored to its alert's id (the newest, should a ref be stored twice).
	FindBySourceRefs(ctx context.Context, orgID, source string, refs []string) (map[string]string, error)
	// ResolveOpen marks the open alert of (source, fingerprint) resolved as of at and returns
	// its id; ErrNotFound when there is none.
	ResolveOpen(ctx context.Context, orgID, source, fingerprint string, at time.Time) (string, error)
	// Get returns an alert with its raw payload.
	Get(ctx context.Context, orgID, id string) (alert.Alert, error)
	// Update writes the triage fields of a (status, verdict, silence, incident, assets,
	// priority) if its stored version is expectVersion, and bumps the version.
	Update(ctx context.Context, a alert.Alert, expectVersion int64) error
	// List returns a page of alerts without their raw payloads.
	List(ctx context.Context, f AlertFilter) (Page[alert.Alert], error)
	// Count counts the alerts a filter selects (cursor and limit ignored).
	Count(ctx context.Context, f AlertFilter) (int, error)
	// Pending returns up to limit alerts awaiting correlation, oldest first, from every
	// organisation. Drivers for several nodes lock the rows they return (SKIP LOCKED) so
	// that each alert is correlated by one node.
	Pending(ctx context.Context, limit int) ([]alert.Alert, error)
	// MarkCorrelated takes alerts off the pending list.
	MarkCorrelated(ctx context.Context, orgID string, ids []string) error
}

// Silences stores silences.
type Silences interface {
	Create(ctx context.Context, s alert.Silence) error
	Get(ctx context.Context, orgID, id string) (alert.Silence, error)
	// List returns an organisation's silences, newest first; with activeAt set, only those
	// in force at that time.
	List(ctx context.Context, orgID string, activeAt time.Time) ([]alert.Silence, error)
	// ListActive returns the silences in force at now in every organisation.
	ListActive(ctx context.Context, now time.Time) ([]alert.Silence, error)
	// Expire ends a silence at at.
	Expire(ctx context.Context, orgID, id string, at time.Time) error
}

// IntakeSources stores intake sources and the hashes of their tokens.
type IntakeSources interface {
	// Create stores a source; ErrDuplicate when the organisation already has one of that name.
	Create(ctx context.Context, s alert.IntakeSource) error
	Get(ctx context.Context, orgID, id string) (alert.IntakeSource, error)
	// GetByHash finds a source by the SHA-256 of its token, in any organisation.
	GetByHash(ctx context.Context, hash string) (alert.IntakeSource, error)
	List(ctx context.Context, orgID string) ([]alert.IntakeSource, error)
	Revoke(ctx context.Context, orgID, id string, at time.Time) error
	Touch(ctx context.Context, id string, at time.Time) error
}

// Idempotency keeps the answers to intake requests that carried an Idempotency-Key, so that a
// retried request gets the same answer.
type Idempotency interface {
	// Get returns the stored answer; ErrNotFound when the key is new.
	Get(ctx context.Context, orgID, key string) ([]byte, error)
	// Put stores an answer; a key that is already stored keeps its first answer.
	Put(ctx context.Context, orgID, key string, answer []byte, at time.Time) error
	// Prune deletes answers stored before before and says how many.
	Prune(ctx context.Context, before time.Time) (int, error)
}

// Correlation remembers which incident took alerts with which keys (a fingerprint, an asset,
// an indicator), so that a later alert sharing a key within a window joins the same incident.
// Keys are opaque strings such as "fp:suricata:2001219" or "ipv4:203.0.113.7".
type Correlation interface {
	// Remember records that incidentID took alerts with these keys at at.
	Remember(ctx context.Context, orgID, incidentID string, keys []string, at time.Time) error
	// Find returns the incident not yet closed that most recently took any of keys at or after
	// since; ErrNotFound when there is none.
	Find(ctx context.Context, orgID string, keys []string, since time.Time) (string, error)
	// Latest is Find for each key at once: for every key taken at or after since by an
	// incident not yet closed, the incident that took it most recently and when.
	Latest(ctx context.Context, orgID string, keys []string, since time.Time) (map[string]KeyHit, error)
}

// KeyHit is the incident that most recently took a correlation key, and when.
type KeyHit struct {
	IncidentID string
	SeenAt     time.Time
}
