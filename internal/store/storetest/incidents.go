package storetest

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
)

// fullIncident returns an incident with every field set, times in a zone other than UTC.
func (e *env) fullIncident(orgID string) incident.Incident {
	return incident.Incident{
		ID: e.id(), OrgID: orgID, Title: "Ransomware on file server", Summary: "Encrypted shares on fs-01.",
		Type: incident.TypeRansomware, Severity: incident.SeverityCritical, Priority: incident.P1,
		Phase: incident.PhaseContainment, Resolution: incident.ResolutionTruePositiveImpact,
		TLP: incident.TLPAmberStrict, Restricted: true, Tags: []string{"ransomware", "finance", "fs-01"},
		CustomFields: map[string]string{"ticket": "CHG-1234", "région": "Île-de-France", "empty": ""},
		Milestones: incident.Milestones{
			OccurredAt: ptr(at(-300).In(cest)), DetectedAt: ptr(at(-200)), ReportedAt: ptr(at(-190)),
			AcknowledgedAt: ptr(at(-180)), ContainedAt: ptr(at(-100)), EradicatedAt: ptr(at(-50)),
			RecoveredAt: ptr(at(-20)), ClosedAt: ptr(at(-10)),
		},
		MaxCriticality: 4, CreatedBy: "user:01ALICE", CreatedAt: at(-200).In(cest), UpdatedAt: at(-5), Version: 1,
	}
}

// inUTC returns inc with every time in UTC, as a store gives it back.
func inUTC(inc incident.Incident) incident.Incident {
	for _, m := range incident.AllMilestones {
		if f := inc.Field(m); *f != nil {
			*f = ptr((*f).UTC())
		}
	}
	inc.CreatedAt, inc.UpdatedAt = inc.CreatedAt.UTC(), inc.UpdatedAt.UTC()
	return inc
}

func testIncidents(t *testing.T, e *env) {
	ctx := e.ctx
	a, b := e.org("a"), e.org("b")

	// Numbers count per organisation.
	for want := int64(1); want <= 3; want++ {
		e.write(func(tx store.Tx) error {
			n, err := tx.Incidents().NextNumber(ctx, a.ID)
			require.Equal(t, want, n)
			return err
		})
	}
	e.write(func(tx store.Tx) error {
		n, err := tx.Incidents().NextNumber(ctx, b.ID)
		require.Equal(t, int64(1), n)
		return err
	})

	full := e.fullIncident(a.ID)
	full.Number = 3
	e.write(func(tx store.Tx) error { return tx.Incidents().Create(ctx, full) })
	want := inUTC(full)
	want.Key = "INC-3"
	got := get(e, func(tx store.Tx) (incident.Incident, error) { return tx.Incidents().Get(ctx, a.ID, full.ID) })
	require.Equal(t, want, got)
	got = get(e, func(tx store.Tx) (incident.Incident, error) { return tx.Incidents().GetByNumber(ctx, a.ID, 3) })
	require.Equal(t, want, got)

	// Empty and nil lists and maps, unset milestones and the zero resolution round-trip as given.
	bare := e.newIncident(a.ID, "bare")
	bare.Number = 1
	bare.Tags, bare.CustomFields = nil, nil
	empty := e.newIncident(a.ID, "empty")
	empty.Number = 2
	e.write(func(tx store.Tx) error {
		require.NoError(t, tx.Incidents().Create(ctx, bare))
		return tx.Incidents().Create(ctx, empty)
	})
	bare.Key, empty.Key = "INC-1", "INC-2"
	got = get(e, func(tx store.Tx) (incident.Incident, error) { return tx.Incidents().Get(ctx, a.ID, bare.ID) })
	require.Equal(t, bare, got)
	require.Nil(t, got.Tags)
	require.Nil(t, got.ClosedAt)
	got = get(e, func(tx store.Tx) (incident.Incident, error) { return tx.Incidents().Get(ctx, a.ID, empty.ID) })
	require.Equal(t, empty, got)
	require.NotNil(t, got.Tags)

	// Another organisation sees none of it.
	e.notFound(func(tx store.Tx) error { _, err := tx.Incidents().Get(ctx, b.ID, full.ID); return err })
	e.notFound(func(tx store.Tx) error { _, err := tx.Incidents().GetByNumber(ctx, b.ID, 3); return err })
	e.notFound(func(tx store.Tx) error { _, err := tx.Incidents().Get(ctx, a.ID, e.id()); return err })
	e.notFound(func(tx store.Tx) error { _, err := tx.Incidents().GetByNumber(ctx, a.ID, 99); return err })
	page := get(e, func(tx store.Tx) (store.Page[incident.Incident], error) {
		return tx.Incidents().List(ctx, store.IncidentFilter{OrgID: b.ID})
	})
	require.Empty(t, page.Items)
	n := get(e, func(tx store.Tx) (int, error) { return tx.Incidents().Count(ctx, store.IncidentFilter{OrgID: b.ID}) })
	require.Zero(t, n)

	// The same number in another organisation is fine; twice in one is not.
	inB := e.newIncident(b.ID, "b's first")
	inB.Number = 3
	e.write(func(tx store.Tx) error { return tx.Incidents().Create(ctx, inB) })
	err := e.writeErr(func(tx store.Tx) error {
		dup := e.newIncident(a.ID, "dup")
		dup.Number = 3
		return tx.Incidents().Create(ctx, dup)
	})
	require.ErrorIs(t, err, store.ErrDuplicate)
	err = e.writeErr(func(tx store.Tx) error {
		dup := e.newIncident(a.ID, "dup")
		dup.ID, dup.Number = full.ID, 50
		return tx.Incidents().Create(ctx, dup)
	})
	require.ErrorIs(t, err, store.ErrDuplicate)

	// Update writes every changeable field and stores expectVersion+1.
	upd := full
	upd.Title, upd.Summary = "Ransomware contained", "All shares restored."
	upd.Type, upd.Severity, upd.Priority = incident.TypeMalware, incident.SeverityLow, incident.P4
	upd.Phase, upd.Resolution, upd.TLP, upd.Restricted = incident.PhaseClosed, incident.ResolutionBenign, incident.TLPClear, false
	upd.Tags = []string{"closed"}
	upd.CustomFields = map[string]string{"ticket": "CHG-9"}
	upd.OccurredAt, upd.ClosedAt, upd.DetectedAt = nil, ptr(at(500)), ptr(at(-201))
	upd.MaxCriticality = 1
	upd.UpdatedAt = at(501)
	e.write(func(tx store.Tx) error { return tx.Incidents().Update(ctx, upd, 1) })
	want = inUTC(upd)
	want.Key, want.Version = "INC-3", 2
	got = get(e, func(tx store.Tx) (incident.Incident, error) { return tx.Incidents().Get(ctx, a.ID, full.ID) })
	require.Equal(t, want, got)

	// A stale version is a conflict and changes nothing; an unknown or foreign incident is not found.
	stale := upd
	stale.Title = "stale"
	require.ErrorIs(t, e.writeErr(func(tx store.Tx) error { return tx.Incidents().Update(ctx, stale, 1) }), store.ErrConflict)
	foreign := upd
	foreign.OrgID = b.ID
	require.ErrorIs(t, e.writeErr(func(tx store.Tx) error { return tx.Incidents().Update(ctx, foreign, 2) }), store.ErrNotFound)
	unknown := upd
	unknown.ID = e.id()
	require.ErrorIs(t, e.writeErr(func(tx store.Tx) error { return tx.Incidents().Update(ctx, unknown, 2) }), store.ErrNotFound)
	got = get(e, func(tx store.Tx) (incident.Incident, error) { return tx.Incidents().Get(ctx, a.ID, full.ID) })
	require.Equal(t, want, got)

	// Update with the version it read succeeds again.
	stale.UpdatedAt = at(600)
	e.write(func(tx store.Tx) error { return tx.Incidents().Update(ctx, stale, 2) })
	got = get(e, func(tx store.Tx) (incident.Incident, error) { return tx.Incidents().Get(ctx, a.ID, full.ID) })
	require.Equal(t, "stale", got.Title)
	require.Equal(t, int64(3), got.Version)
}

func testIncidentHistory(t *testing.T, e *env) {
	ctx := e.ctx
	a, b := e.org("a"), e.org("b")
	inc := e.incident(a.ID, "history")
	other := e.incident(a.ID, "other")

	pc1 := incident.PhaseChange{ID: e.id(), IncidentID: inc.ID, From: incident.PhaseIdentification,
		To: incident.PhaseInvestigation, Direction: incident.Forward, Actor: "user:alice", At: at(10).In(cest),
		Reason: "skipping containment", Override: true, Unmet: []string{"task-1", "task-2"}}
	pc2 := incident.PhaseChange{ID: e.id(), IncidentID: inc.ID, From: incident.PhaseInvestigation,
		To: incident.PhaseContainment, Direction: incident.Back, Actor: "user:bob", At: at(5), Reason: "re-infection"}
	pcOther := incident.PhaseChange{ID: e.id(), IncidentID: other.ID, From: incident.PhaseIdentification,
		To: incident.PhaseClosed, Direction: incident.Forward, Actor: "system", At: at(1), Reason: "false positive"}
	e.write(func(tx store.Tx) error {
		for _, pc := range []incident.PhaseChange{pc1, pc2, pcOther} {
			require.NoError(t, tx.Incidents().AddPhaseChange(ctx, a.ID, pc))
		}
		return nil
	})
	pc1.At = pc1.At.UTC()
	pcs := get(e, func(tx store.Tx) ([]incident.PhaseChange, error) {
		return tx.Incidents().PhaseChanges(ctx, a.ID, inc.ID)
	})
	require.Equal(t, []incident.PhaseChange{pc2, pc1}, pcs, "oldest first")
	require.Nil(t, pcs[0].Unmet)
	pcs = get(e, func(tx store.Tx) ([]incident.PhaseChange, error) {
		return tx.Incidents().PhaseChanges(ctx, b.ID, inc.ID)
	})
	require.Empty(t, pcs)
	err := e.writeErr(func(tx store.Tx) error {
		return tx.Incidents().AddPhaseChange(ctx, b.ID, incident.PhaseChange{ID: e.id(), IncidentID: inc.ID,
			From: incident.PhaseIdentification, To: incident.PhaseContainment, Direction: incident.Forward, At: base})
	})
	require.ErrorIs(t, err, store.ErrNotFound, "another organisation's incident")

	mc1 := incident.MilestoneCorrection{ID: e.id(), IncidentID: inc.ID, Milestone: incident.MilestoneDetected,
		Old: nil, New: ptr(at(-60).In(cest)), Reason: "SIEM alert found", Actor: "user:alice", At: at(20)}
	mc2 := incident.MilestoneCorrection{ID: e.id(), IncidentID: inc.ID, Milestone: incident.MilestoneContained,
		Old: ptr(at(3)), New: nil, Reason: "was not contained", Actor: "user:bob", At: at(15)}
	e.write(func(tx store.Tx) error {
		require.NoError(t, tx.Incidents().AddMilestoneCorrection(ctx, a.ID, mc1))
		return tx.Incidents().AddMilestoneCorrection(ctx, a.ID, mc2)
	})
	mc1.New = ptr(mc1.New.UTC())
	mcs := get(e, func(tx store.Tx) ([]incident.MilestoneCorrection, error) {
		return tx.Incidents().MilestoneCorrections(ctx, a.ID, inc.ID)
	})
	require.Equal(t, []incident.MilestoneCorrection{mc2, mc1}, mcs, "oldest first")
	mcs = get(e, func(tx store.Tx) ([]incident.MilestoneCorrection, error) {
		return tx.Incidents().MilestoneCorrections(ctx, a.ID, other.ID)
	})
	require.Empty(t, mcs)
	mcs = get(e, func(tx store.Tx) ([]incident.MilestoneCorrection, error) {
		return tx.Incidents().MilestoneCorrections(ctx, b.ID, inc.ID)
	})
	require.Empty(t, mcs)
	err = e.writeErr(func(tx store.Tx) error {
		return tx.Incidents().AddMilestoneCorrection(ctx, b.ID, incident.MilestoneCorrection{ID: e.id(),
			IncidentID: inc.ID, Milestone: incident.MilestoneClosed, Reason: "x", At: base})
	})
	require.ErrorIs(t, err, store.ErrNotFound, "another organisation's incident")
}

func testAssignments(t *testing.T, e *env) {
	ctx := e.ctx
	a, b := e.org("a"), e.org("b")
	alice, bob := e.user("alice"), e.user("bob")
	inc := e.incident(a.ID, "roles")
	other := e.incident(a.ID, "other")

	scribe := incident.Assignment{IncidentID: inc.ID, Role: incident.RoleScribe, UserID: bob.ID, AssignedBy: "user:alice", AssignedAt: at(2)}
	cmd := incident.Assignment{IncidentID: inc.ID, Role: incident.RoleCommander, UserID: alice.ID, AssignedBy: "system", AssignedAt: at(1).In(cest)}
	e.write(func(tx store.Tx) error {
		require.NoError(t, tx.Incidents().SetAssignment(ctx, a.ID, scribe))
		require.NoError(t, tx.Incidents().SetAssignment(ctx, a.ID, cmd))
		return tx.Incidents().SetAssignment(ctx, a.ID, incident.Assignment{IncidentID: other.ID,
			Role: incident.RoleLegal, UserID: alice.ID, AssignedBy: "system", AssignedAt: at(1)})
	})
	cmd.AssignedAt = cmd.AssignedAt.UTC()
	cmd.Username, scribe.Username = "alice", "bob"
	as := get(e, func(tx store.Tx) ([]incident.Assignment, error) { return tx.Incidents().Assignments(ctx, a.ID, inc.ID) })
	require.Equal(t, []incident.Assignment{cmd, scribe}, as, "in the order of incident.Roles, with user names")

	// Setting a held role replaces its holder.
	cmd2 := incident.Assignment{IncidentID: inc.ID, Role: incident.RoleCommander, UserID: bob.ID, AssignedBy: "user:alice", AssignedAt: at(9)}
	e.write(func(tx store.Tx) error { return tx.Incidents().SetAssignment(ctx, a.ID, cmd2) })
	cmd2.Username = "bob"
	as = get(e, func(tx store.Tx) ([]incident.Assignment, error) { return tx.Incidents().Assignments(ctx, a.ID, inc.ID) })
	require.Equal(t, []incident.Assignment{cmd2, scribe}, as)

	e.write(func(tx store.Tx) error {
		return tx.Incidents().RemoveAssignment(ctx, a.ID, inc.ID, incident.RoleScribe)
	})
	as = get(e, func(tx store.Tx) ([]incident.Assignment, error) { return tx.Incidents().Assignments(ctx, a.ID, inc.ID) })
	require.Equal(t, []incident.Assignment{cmd2}, as)
	err := e.writeErr(func(tx store.Tx) error {
		return tx.Incidents().RemoveAssignment(ctx, a.ID, inc.ID, incident.RoleScribe)
	})
	require.ErrorIs(t, err, store.ErrNotFound)

	// Another organisation can neither see nor change them.
	as = get(e, func(tx store.Tx) ([]incident.Assignment, error) { return tx.Incidents().Assignments(ctx, b.ID, inc.ID) })
	require.Empty(t, as)
	err = e.writeErr(func(tx store.Tx) error {
		return tx.Incidents().RemoveAssignment(ctx, b.ID, inc.ID, incident.RoleCommander)
	})
	require.ErrorIs(t, err, store.ErrNotFound)
	for _, role := range []incident.Role{incident.RoleCommander, incident.RoleTechnicalLead} {
		err = e.writeErr(func(tx store.Tx) error {
			return tx.Incidents().SetAssignment(ctx, b.ID, incident.Assignment{IncidentID: inc.ID, Role: role,
				UserID: alice.ID, AssignedBy: "x", AssignedAt: base})
		})
		require.ErrorIs(t, err, store.ErrNotFound, role)
	}
	as = get(e, func(tx store.Tx) ([]incident.Assignment, error) { return tx.Incidents().Assignments(ctx, a.ID, inc.ID) })
	require.Equal(t, []incident.Assignment{cmd2}, as)
}

func testIncidentMembers(t *testing.T, e *env) {
	ctx := e.ctx
	a, b := e.org("a"), e.org("b")
	alice, bob, carol := e.user("alice"), e.user("bob"), e.user("carol")
	inc := e.incident(a.ID, "need to know", func(i *incident.Incident) { i.Restricted = true })
	other := e.incident(a.ID, "other")

	e.write(func(tx store.Tx) error {
		require.NoError(t, tx.Incidents().AddMember(ctx, a.ID, inc.ID, bob.ID))
		require.NoError(t, tx.Incidents().AddMember(ctx, a.ID, inc.ID, alice.ID))
		require.NoError(t, tx.Incidents().AddMember(ctx, a.ID, other.ID, carol.ID))
		return tx.Incidents().AddMember(ctx, a.ID, inc.ID, alice.ID) // again: no change
	})
	members := get(e, func(tx store.Tx) ([]string, error) { return tx.Incidents().Members(ctx, a.ID, inc.ID) })
	require.Equal(t, []string{alice.ID, bob.ID}, members)
	ok := get(e, func(tx store.Tx) (bool, error) { return tx.Incidents().IsMember(ctx, a.ID, inc.ID, alice.ID) })
	require.True(t, ok)
	ok = get(e, func(tx store.Tx) (bool, error) { return tx.Incidents().IsMember(ctx, a.ID, inc.ID, carol.ID) })
	require.False(t, ok)

	e.write(func(tx store.Tx) error { return tx.Incidents().RemoveMember(ctx, a.ID, inc.ID, bob.ID) })
	members = get(e, func(tx store.Tx) ([]string, error) { return tx.Incidents().Members(ctx, a.ID, inc.ID) })
	require.Equal(t, []string{alice.ID}, members)
	err := e.writeErr(func(tx store.Tx) error { return tx.Incidents().RemoveMember(ctx, a.ID, inc.ID, bob.ID) })
	require.ErrorIs(t, err, store.ErrNotFound)

	// Another organisation can neither see nor change them.
	ok = get(e, func(tx store.Tx) (bool, error) { return tx.Incidents().IsMember(ctx, b.ID, inc.ID, alice.ID) })
	require.False(t, ok)
	members = get(e, func(tx store.Tx) ([]string, error) { return tx.Incidents().Members(ctx, b.ID, inc.ID) })
	require.Empty(t, members)
	for _, u := range []string{alice.ID, carol.ID} {
		err = e.writeErr(func(tx store.Tx) error { return tx.Incidents().AddMember(ctx, b.ID, inc.ID, u) })
		require.ErrorIs(t, err, store.ErrNotFound)
	}
	err = e.writeErr(func(tx store.Tx) error { return tx.Incidents().RemoveMember(ctx, b.ID, inc.ID, alice.ID) })
	require.ErrorIs(t, err, store.ErrNotFound)
	members = get(e, func(tx store.Tx) ([]string, error) { return tx.Incidents().Members(ctx, a.ID, inc.ID) })
	require.Equal(t, []string{alice.ID}, members)
}
