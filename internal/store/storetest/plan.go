package storetest

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/plan"
	"github.com/quell-ir/quell/internal/store"
)

// planTests are the conformance tests of the plan and the people it names.
var planTests = []struct {
	name string
	fn   func(t *testing.T, e *env)
}{
	{"PlanVersions", testPlanVersions},
	{"Contacts", testContacts},
	{"Teams", testTeams},
	{"Rosters", testRosters},
}

func planContent(title string) plan.Content {
	return plan.Content{Title: title, Scope: "All systems <b>of</b> the group", Objectives: "Contain fast",
		Roles:      []plan.Role{{Role: incident.RoleCommander, Responsibilities: "Leads", People: []string{"Ana"}, Contacts: []string{"c1"}}},
		Severities: []plan.Severity{{Severity: incident.SeverityCritical, Criteria: "Customer data at risk"}},
		Escalation: "Call the CISO", Communication: "Only the comms lead speaks",
		Obligations: plan.Obligations{Text: "GDPR", Rules: []string{"gdpr-art33"}},
		Playbooks:   []string{"ransomware"}, ReviewMonths: 6}
}

func testPlanVersions(t *testing.T, e *env) {
	ctx := e.ctx
	a, b := e.org("a"), e.org("b")

	require.ErrorIs(t, e.readErr(func(tx store.Tx) error { _, err := tx.Plans().Latest(ctx, b.ID); return err }), store.ErrNotFound)
	require.ErrorIs(t, e.readErr(func(tx store.Tx) error { _, err := tx.Plans().InForce(ctx, b.ID); return err }), store.ErrNotFound)

	v1 := store.PlanVersion{OrgID: a.ID, Number: 1, Content: planContent("Plan v1"), CreatedBy: "alice", CreatedAt: at(0).In(cest)}
	v2 := store.PlanVersion{OrgID: a.ID, Number: 2, Content: planContent("Plan v2"), CreatedBy: "bob", CreatedAt: at(10)}
	e.write(func(tx store.Tx) error {
		if err := tx.Plans().AddVersion(ctx, v1); err != nil {
			return err
		}
		return tx.Plans().AddVersion(ctx, v2)
	})
	v1.CreatedAt = v1.CreatedAt.UTC()
	require.ErrorIs(t, e.writeErr(func(tx store.Tx) error { return tx.Plans().AddVersion(ctx, v1) }), store.ErrDuplicate)

	got := get(e, func(tx store.Tx) (store.PlanVersion, error) { return tx.Plans().Version(ctx, a.ID, 1) })
	require.Equal(t, v1, got, "every field round-trips")
	require.ErrorIs(t, e.readErr(func(tx store.Tx) error { _, err := tx.Plans().InForce(ctx, a.ID); return err }), store.ErrNotFound,
		"no version approved yet")

	// Approving version 1 makes it the one in force; version 2 stays the latest draft.
	e.write(func(tx store.Tx) error { return tx.Plans().Approve(ctx, a.ID, 1, "lena", at(20), at(30)) })
	v1.ApprovedBy, v1.ApprovedAt, v1.NextReview = "lena", ptr(at(20)), ptr(at(30))
	require.Equal(t, v1, get(e, func(tx store.Tx) (store.PlanVersion, error) { return tx.Plans().InForce(ctx, a.ID) }))
	require.Equal(t, v2, get(e, func(tx store.Tx) (store.PlanVersion, error) { return tx.Plans().Latest(ctx, a.ID) }))
	require.ErrorIs(t, e.writeErr(func(tx store.Tx) error { return tx.Plans().Approve(ctx, a.ID, 1, "x", at(21), at(31)) }), store.ErrConflict)
	require.ErrorIs(t, e.writeErr(func(tx store.Tx) error { return tx.Plans().Approve(ctx, a.ID, 9, "x", at(21), at(31)) }), store.ErrNotFound)

	// Versions are kept, newest first.
	all := get(e, func(tx store.Tx) ([]store.PlanVersion, error) { return tx.Plans().Versions(ctx, a.ID) })
	require.Equal(t, []store.PlanVersion{v2, v1}, all)

	// Another organisation sees none of it and cannot approve it; its numbers are its own.
	none := get(e, func(tx store.Tx) ([]store.PlanVersion, error) { return tx.Plans().Versions(ctx, b.ID) })
	require.Empty(t, none)
	require.NotNil(t, none)
	require.ErrorIs(t, e.writeErr(func(tx store.Tx) error { return tx.Plans().Approve(ctx, b.ID, 2, "x", at(21), at(31)) }), store.ErrNotFound)
	require.ErrorIs(t, e.readErr(func(tx store.Tx) error { _, err := tx.Plans().Version(ctx, b.ID, 1); return err }), store.ErrNotFound)
	e.write(func(tx store.Tx) error {
		return tx.Plans().AddVersion(ctx, store.PlanVersion{OrgID: b.ID, Number: 1, Content: planContent("B"), CreatedBy: "otto", CreatedAt: at(1)})
	})
	require.Equal(t, "Plan v2", get(e, func(tx store.Tx) (store.PlanVersion, error) { return tx.Plans().Latest(ctx, a.ID) }).Content.Title)
}

func testContacts(t *testing.T, e *env) {
	ctx := e.ctx
	a, b := e.org("a"), e.org("b")
	dpo := store.Contact{ID: e.id(), OrgID: a.ID, Name: "Dana Privacy", Title: "Data protection officer", Organisation: "Privacy LLP",
		External: true, Channels: []store.Channel{{Kind: store.ChannelEmail, Value: "dpo@example.org"},
			{Kind: store.ChannelPhone, Value: "+49 30 1234", Label: "24/7"}}, Notes: "Call first", Version: 1,
		CreatedAt: at(0).In(cest), UpdatedAt: at(0)}
	ann := store.Contact{ID: e.id(), OrgID: a.ID, Name: "ann", Channels: []store.Channel{}, Version: 1, CreatedAt: at(1), UpdatedAt: at(1)}
	e.write(func(tx store.Tx) error {
		if err := tx.People().CreateContact(ctx, dpo); err != nil {
			return err
		}
		return tx.People().CreateContact(ctx, ann)
	})
	dpo.CreatedAt = dpo.CreatedAt.UTC()
	require.Equal(t, dpo, get(e, func(tx store.Tx) (store.Contact, error) { return tx.People().Contact(ctx, a.ID, dpo.ID) }))
	list := get(e, func(tx store.Tx) ([]store.Contact, error) { return tx.People().Contacts(ctx, a.ID, false) })
	require.Equal(t, []store.Contact{ann, dpo}, list, "by name, case-insensitively")

	// Updates check the version; archiving hides the contact from the list but keeps it.
	upd := dpo
	upd.Title, upd.UpdatedAt, upd.ArchivedAt = "DPO", at(5), ptr(at(5))
	require.ErrorIs(t, e.writeErr(func(tx store.Tx) error { return tx.People().UpdateContact(ctx, upd, 7) }), store.ErrConflict)
	e.write(func(tx store.Tx) error { return tx.People().UpdateContact(ctx, upd, 1) })
	upd.Version = 2
	require.Equal(t, upd, get(e, func(tx store.Tx) (store.Contact, error) { return tx.People().Contact(ctx, a.ID, dpo.ID) }))
	require.Equal(t, []store.Contact{ann}, get(e, func(tx store.Tx) ([]store.Contact, error) { return tx.People().Contacts(ctx, a.ID, false) }))
	require.Len(t, get(e, func(tx store.Tx) ([]store.Contact, error) { return tx.People().Contacts(ctx, a.ID, true) }), 2)

	// Isolation.
	require.ErrorIs(t, e.readErr(func(tx store.Tx) error { _, err := tx.People().Contact(ctx, b.ID, dpo.ID); return err }), store.ErrNotFound)
	cross := ann
	cross.OrgID = b.ID
	require.ErrorIs(t, e.writeErr(func(tx store.Tx) error { return tx.People().UpdateContact(ctx, cross, 1) }), store.ErrNotFound)
	none := get(e, func(tx store.Tx) ([]store.Contact, error) { return tx.People().Contacts(ctx, b.ID, true) })
	require.Empty(t, none)
	require.NotNil(t, none)
}

func testTeams(t *testing.T, e *env) {
	ctx := e.ctx
	a, b := e.org("a"), e.org("b")
	soc := store.Team{ID: e.id(), OrgID: a.ID, Name: "SOC", Description: "Round the clock", Members: []string{"c1", "c2"},
		Version: 1, CreatedAt: at(0), UpdatedAt: at(0)}
	legal := store.Team{ID: e.id(), OrgID: a.ID, Name: "legal", Members: []string{}, Version: 1, CreatedAt: at(1), UpdatedAt: at(1)}
	e.write(func(tx store.Tx) error {
		if err := tx.People().CreateTeam(ctx, soc); err != nil {
			return err
		}
		return tx.People().CreateTeam(ctx, legal)
	})
	require.Equal(t, soc, get(e, func(tx store.Tx) (store.Team, error) { return tx.People().Team(ctx, a.ID, soc.ID) }))
	require.Equal(t, []store.Team{legal, soc}, get(e, func(tx store.Tx) ([]store.Team, error) { return tx.People().Teams(ctx, a.ID, false) }))
	upd := soc
	upd.Members, upd.UpdatedAt = []string{"c3"}, at(9)
	e.write(func(tx store.Tx) error { return tx.People().UpdateTeam(ctx, upd, 1) })
	upd.Version = 2
	require.Equal(t, upd, get(e, func(tx store.Tx) (store.Team, error) { return tx.People().Team(ctx, a.ID, soc.ID) }))
	require.ErrorIs(t, e.writeErr(func(tx store.Tx) error { return tx.People().UpdateTeam(ctx, upd, 1) }), store.ErrConflict)
	require.ErrorIs(t, e.readErr(func(tx store.Tx) error { _, err := tx.People().Team(ctx, b.ID, soc.ID); return err }), store.ErrNotFound)
	require.Empty(t, get(e, func(tx store.Tx) ([]store.Team, error) { return tx.People().Teams(ctx, b.ID, true) }))
}

func testRosters(t *testing.T, e *env) {
	ctx := e.ctx
	a, b := e.org("a"), e.org("b")
	week := store.Roster{ID: e.id(), OrgID: a.ID, Role: incident.RoleCommander, Starts: at(0).In(cest), Ends: at(7 * 24 * 60),
		Contacts: []string{"c1"}, Users: []string{"alice"}, Note: "primary", Version: 1, CreatedAt: at(-5), UpdatedAt: at(-5)}
	next := store.Roster{ID: e.id(), OrgID: a.ID, Role: incident.RoleCommander, Starts: at(7 * 24 * 60), Ends: at(14 * 24 * 60),
		Contacts: []string{}, Users: []string{"bob"}, Version: 1, CreatedAt: at(-4), UpdatedAt: at(-4)}
	legal := store.Roster{ID: e.id(), OrgID: a.ID, Role: incident.RoleLegal, Starts: at(0), Ends: at(14 * 24 * 60),
		Contacts: []string{"c9"}, Users: []string{}, Version: 1, CreatedAt: at(-3), UpdatedAt: at(-3)}
	e.write(func(tx store.Tx) error {
		for _, r := range []store.Roster{week, next, legal} {
			if err := tx.People().CreateRoster(ctx, r); err != nil {
				return err
			}
		}
		return nil
	})
	week.Starts = week.Starts.UTC()
	require.Equal(t, week, get(e, func(tx store.Tx) (store.Roster, error) { return tx.People().Roster(ctx, a.ID, week.ID) }))

	list := func(org string, f store.RosterFilter) []store.Roster {
		return get(e, func(tx store.Tx) ([]store.Roster, error) { return tx.People().Rosters(ctx, org, f) })
	}
	require.Equal(t, []store.Roster{week, legal, next}, list(a.ID, store.RosterFilter{}), "by start, then id")
	require.Equal(t, []store.Roster{week}, list(a.ID, store.RosterFilter{Role: incident.RoleCommander, At: at(60)}))
	require.Equal(t, []store.Roster{week}, list(a.ID, store.RosterFilter{Role: incident.RoleCommander, At: at(0)}), "the start is inside")
	require.Equal(t, []store.Roster{next}, list(a.ID, store.RosterFilter{Role: incident.RoleCommander, At: at(7 * 24 * 60)}),
		"the end is outside")
	require.Empty(t, list(a.ID, store.RosterFilter{Role: incident.RoleCommander, At: at(-1)}))
	require.Equal(t, []store.Roster{week, legal}, list(a.ID, store.RosterFilter{At: at(1)}))

	upd := week
	upd.ArchivedAt, upd.UpdatedAt = ptr(at(2)), at(2)
	e.write(func(tx store.Tx) error { return tx.People().UpdateRoster(ctx, upd, 1) })
	require.Empty(t, list(a.ID, store.RosterFilter{Role: incident.RoleCommander, At: at(60)}), "archived rosters suggest no one")
	upd.Version = 2
	require.Equal(t, []store.Roster{upd}, list(a.ID, store.RosterFilter{Role: incident.RoleCommander, At: at(60), Archived: true}))

	require.Empty(t, list(b.ID, store.RosterFilter{Archived: true}))
	require.ErrorIs(t, e.readErr(func(tx store.Tx) error { _, err := tx.People().Roster(ctx, b.ID, week.ID); return err }), store.ErrNotFound)
}
