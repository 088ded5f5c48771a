// Package storetest is the conformance suite of the storage port: every driver (SQLite,
// PostgreSQL) runs the same tests, so engines can rely on one behaviour whichever database is
// behind them. A driver's test calls Run with a function that opens a fresh, empty store:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return openTestStore(t) })
//	}
//
// The suite checks behaviour through the port only: round trips of every field, the port's
// errors, organisation isolation, pagination, filters, need-to-know visibility, full-text
// search, transactions and the audit hash chain.
package storetest

import (
	"context"
	"io"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
)

// Run runs the conformance suite; open must return a new, empty store each time it is called
// (and arrange for it to be closed with t.Cleanup).
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, e *env)
	}{
		{"Tx", testTx},
		{"Orgs", testOrgs},
		{"Users", testUsers},
		{"Memberships", testMemberships},
		{"Sessions", testSessions},
		{"Tokens", testTokens},
		{"Incidents", testIncidents},
		{"IncidentHistory", testIncidentHistory},
		{"Assignments", testAssignments},
		{"IncidentMembers", testIncidentMembers},
		{"IncidentPagination", testIncidentPagination},
		{"IncidentFilters", testIncidentFilters},
		{"Tasks", testTasks},
		{"TaskList", testTaskList},
		{"TasksOverdue", testTasksOverdue},
		{"Notes", testNotes},
		{"Timeline", testTimeline},
		{"Assets", testAssets},
		{"AssetLinks", testAssetLinks},
		{"Audit", testAudit},
		{"Search", testSearch},
		{"SearchHostile", testSearchHostile},
		{"IncidentQueryFollowsChanges", testIncidentQueryFollowsChanges},
		{"IncidentQueryAccess", testIncidentQueryAccess},
		{"IncidentQueryLongTimeline", testIncidentQueryLongTimeline},
	}
	tests = append(tests, intakeTests...)
	tests = append(tests, obligationTests...)
	tests = append(tests, planTests...)
	tests = append(tests, playbookTests...)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newEnv(t, open(t)))
		})
	}
}

// base is the fixed time the suite's data is built around: nanoseconds included, so that a
// driver that loses precision fails.
var base = time.Date(2025, 3, 14, 9, 26, 53, 589793238, time.UTC)

// at returns base plus minutes.
func at(minutes int) time.Time { return base.Add(time.Duration(minutes) * time.Minute) }

func ptr[T any](v T) *T { return &v }

// env is one test's store and the helpers that fill it.
type env struct {
	t   *testing.T
	ctx context.Context
	s   store.Store

	mu      sync.Mutex
	ms      uint64
	entropy io.Reader
}

func newEnv(t *testing.T, s store.Store) *env {
	var seed [32]byte
	copy(seed[:], t.Name())
	return &env{t: t, ctx: t.Context(), s: s, ms: ulid.Timestamp(base), entropy: rand.NewChaCha8(seed)}
}

// id returns a new ULID; ids increase with every call, so id order is creation order.
func (e *env) id() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.ms++
	return ulid.MustNew(e.ms, e.entropy).String()
}

// write runs fn in a Write and requires it to succeed.
func (e *env) write(fn func(tx store.Tx) error) {
	e.t.Helper()
	require.NoError(e.t, e.s.Write(e.ctx, fn))
}

// read runs fn in a Read and requires it to succeed.
func (e *env) read(fn func(tx store.Tx) error) {
	e.t.Helper()
	require.NoError(e.t, e.s.Read(e.ctx, fn))
}

// readErr runs fn in a Read and returns its error.
func (e *env) readErr(fn func(tx store.Tx) error) error {
	return e.s.Read(e.ctx, fn)
}

// writeErr runs fn in a Write and returns its error.
func (e *env) writeErr(fn func(tx store.Tx) error) error {
	return e.s.Write(e.ctx, fn)
}

// get reads one value in a Read and requires success.
func get[T any](e *env, fn func(tx store.Tx) (T, error)) T {
	e.t.Helper()
	var v T
	e.read(func(tx store.Tx) error {
		var err error
		v, err = fn(tx)
		return err
	})
	return v
}

// notFound requires fn, run in a Read, to fail with store.ErrNotFound.
func (e *env) notFound(fn func(tx store.Tx) error) {
	e.t.Helper()
	require.ErrorIs(e.t, e.readErr(fn), store.ErrNotFound)
}

// org creates an organisation.
func (e *env) org(slug string) access.Org {
	e.t.Helper()
	o := access.Org{ID: e.id(), Slug: slug, Name: "Org " + slug, CreatedAt: at(-10000)}
	e.write(func(tx store.Tx) error { return tx.Orgs().Create(e.ctx, o) })
	return o
}

// user creates a user.
func (e *env) user(name string) access.User {
	e.t.Helper()
	u := access.User{ID: e.id(), Username: name, DisplayName: "User " + name, Email: name + "@example.org",
		PasswordHash: "$argon2id$v=19$m=65536,t=1,p=4$c2FsdA$aGFzaA", CreatedAt: at(-9000), UpdatedAt: at(-9000), Version: 1}
	e.write(func(tx store.Tx) error { return tx.Users().Create(e.ctx, u) })
	return u
}

// newIncident returns a minimal valid incident of the organisation, not stored, numbered 0.
func (e *env) newIncident(orgID, title string) incident.Incident {
	return incident.Incident{
		ID: e.id(), OrgID: orgID, Title: title, Type: incident.TypeOther, Severity: incident.SeverityMedium,
		Priority: incident.P3, Phase: incident.PhaseIdentification, TLP: incident.TLPAmber,
		Tags: []string{}, CustomFields: map[string]string{}, CreatedBy: "user:test",
		CreatedAt: base, UpdatedAt: base, Version: 1,
	}
}

// incident creates an incident with the next number, after mod changes its fields.
func (e *env) incident(orgID, title string, mod ...func(*incident.Incident)) incident.Incident {
	e.t.Helper()
	inc := e.newIncident(orgID, title)
	for _, m := range mod {
		m(&inc)
	}
	e.write(func(tx store.Tx) error {
		n, err := tx.Incidents().NextNumber(e.ctx, orgID)
		if err != nil {
			return err
		}
		inc.Number = n
		return tx.Incidents().Create(e.ctx, inc)
	})
	inc.Key = incident.FormatKey(inc.Number)
	return inc
}

// task creates a task on an incident, after mod changes its fields.
func (e *env) task(inc incident.Incident, title string, mod ...func(*incident.Task)) incident.Task {
	e.t.Helper()
	t := incident.Task{ID: e.id(), OrgID: inc.OrgID, IncidentID: inc.ID, Phase: incident.PhaseIdentification,
		Title: title, Status: incident.TaskTodo, Origin: "manual", CreatedBy: "user:test",
		CreatedAt: base, UpdatedAt: base, Version: 1}
	for _, m := range mod {
		m(&t)
	}
	e.write(func(tx store.Tx) error { return tx.Tasks().Create(e.ctx, t) })
	return t
}

// note creates a note on an incident.
func (e *env) note(inc incident.Incident, body string) incident.Note {
	e.t.Helper()
	n := incident.Note{ID: e.id(), OrgID: inc.OrgID, IncidentID: inc.ID, Body: body, Author: "user:test",
		CreatedAt: base, UpdatedAt: base, Version: 1}
	e.write(func(tx store.Tx) error { return tx.Notes().Create(e.ctx, n) })
	return n
}

// entry adds a timeline entry to an incident, after mod changes its fields.
func (e *env) entry(inc incident.Incident, text string, mod ...func(*incident.Entry)) incident.Entry {
	e.t.Helper()
	en := incident.Entry{ID: e.id(), OrgID: inc.OrgID, IncidentID: inc.ID, EventAt: base, EventZone: "Z",
		RecordedAt: base, Kind: incident.KindManual, Actor: "user:test", Text: text}
	for _, m := range mod {
		m(&en)
	}
	e.write(func(tx store.Tx) error { return tx.Timeline().Add(e.ctx, en) })
	return en
}

// ids returns the ids of items.
func ids[T any](items []T, id func(T) string) []string {
	out := make([]string, 0, len(items))
	for _, it := range items {
		out = append(out, id(it))
	}
	return out
}

func incidentID(i incident.Incident) string { return i.ID }
