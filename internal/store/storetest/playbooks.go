package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/store"
)

// playbookTests are the conformance tests of playbook versions, applications and pending due
// times.
var playbookTests = []struct {
	name string
	fn   func(t *testing.T, e *env)
}{
	{"PlaybookVersions", testPlaybookVersions},
	{"AppliedPlaybooks", testAppliedPlaybooks},
	{"TaskDueSpecs", testTaskDueSpecs},
}

func testPlaybookVersions(t *testing.T, e *env) {
	ctx := e.ctx
	a, b := e.org("a"), e.org("b")
	src := "id: triage\nname: Triage\nversion: 1\n# naïve – unicode kept\n"
	v1 := store.PlaybookVersion{OrgID: a.ID, ID: "triage", Version: 1, Name: "Triage", Source: src, CreatedBy: "alice", CreatedAt: at(1).In(cest)}
	v2 := store.PlaybookVersion{OrgID: a.ID, ID: "triage", Version: 2, Name: "Triage, revised", Source: src + "more\n", CreatedBy: "bob", CreatedAt: at(2)}
	v10 := store.PlaybookVersion{OrgID: a.ID, ID: "triage", Version: 10, Name: "Triage ten", Source: "ten", CreatedBy: "bob", CreatedAt: at(3)}
	other := store.PlaybookVersion{OrgID: a.ID, ID: "another", Version: 3, Name: "Another", Source: "x", CreatedBy: "bob", CreatedAt: at(4)}
	theirs := store.PlaybookVersion{OrgID: b.ID, ID: "triage", Version: 99, Name: "Theirs", Source: "y", CreatedBy: "eve", CreatedAt: at(5)}
	e.write(func(tx store.Tx) error {
		for _, v := range []store.PlaybookVersion{v2, v1, v10, other, theirs} {
			if err := tx.Playbooks().AddVersion(ctx, v); err != nil {
				return err
			}
		}
		return nil
	})
	v1.CreatedAt = v1.CreatedAt.UTC()

	got := get(e, func(tx store.Tx) (store.PlaybookVersion, error) { return tx.Playbooks().Get(ctx, a.ID, "triage", 1) })
	require.Equal(t, v1, got, "every field round-trips")
	got = get(e, func(tx store.Tx) (store.PlaybookVersion, error) { return tx.Playbooks().Get(ctx, a.ID, "triage", 0) })
	require.Equal(t, v10, got, "version 0 is the newest, compared as a number")

	latest := get(e, func(tx store.Tx) ([]store.PlaybookVersion, error) { return tx.Playbooks().Latest(ctx, a.ID) })
	require.Equal(t, []store.PlaybookVersion{other, v10}, latest, "the newest of each, by id")

	versions := get(e, func(tx store.Tx) ([]store.PlaybookVersion, error) {
		return tx.Playbooks().Versions(ctx, a.ID, "triage")
	})
	require.Len(t, versions, 3)
	require.Equal(t, []int{10, 2, 1}, []int{versions[0].Version, versions[1].Version, versions[2].Version}, "newest first")
	require.Empty(t, versions[0].Source, "lists leave sources out")
	require.Equal(t, "Triage, revised", versions[1].Name)

	// A version is written once.
	dup := v2
	dup.Source = "changed"
	require.ErrorIs(t, e.writeErr(func(tx store.Tx) error { return tx.Playbooks().AddVersion(ctx, dup) }), store.ErrDuplicate)

	// Organisations are apart.
	e.notFound(func(tx store.Tx) error {
		_, err := tx.Playbooks().Get(ctx, b.ID, "another", 0)
		return err
	})
	e.notFound(func(tx store.Tx) error {
		_, err := tx.Playbooks().Get(ctx, b.ID, "triage", 1)
		return err
	})
	none := get(e, func(tx store.Tx) ([]store.PlaybookVersion, error) { return tx.Playbooks().Latest(ctx, e.org("c").ID) })
	require.NotNil(t, none, "an empty list, not nil")
	require.Empty(t, none)
	none = get(e, func(tx store.Tx) ([]store.PlaybookVersion, error) { return tx.Playbooks().Versions(ctx, a.ID, "nope") })
	require.NotNil(t, none)
	require.Empty(t, none)
}

func testAppliedPlaybooks(t *testing.T, e *env) {
	ctx := e.ctx
	a, b := e.org("a"), e.org("b")
	inc := e.incident(a.ID, "Ransomware on the file server")
	first := store.AppliedPlaybook{ID: e.id(), OrgID: a.ID, IncidentID: inc.ID, PlaybookID: "ransomware", Version: 1,
		Name: "Ransomware", Reason: "created", AppliedBy: "system", AppliedAt: at(1), Tasks: 17}
	second := store.AppliedPlaybook{ID: e.id(), OrgID: a.ID, IncidentID: inc.ID, PlaybookID: "ransomware", Version: 2,
		Name: "Ransomware", Reason: "manual", AppliedBy: "alice", AppliedAt: at(2).In(cest), Tasks: 1}
	e.write(func(tx store.Tx) error {
		if err := tx.Playbooks().AddApplied(ctx, second); err != nil {
			return err
		}
		return tx.Playbooks().AddApplied(ctx, first)
	})
	second.AppliedAt = second.AppliedAt.UTC()
	got := get(e, func(tx store.Tx) ([]store.AppliedPlaybook, error) { return tx.Playbooks().Applied(ctx, a.ID, inc.ID) })
	require.Equal(t, []store.AppliedPlaybook{first, second}, got, "every field round-trips, oldest first")

	// One version of a playbook is applied once.
	again := first
	again.ID = e.id()
	require.ErrorIs(t, e.writeErr(func(tx store.Tx) error { return tx.Playbooks().AddApplied(ctx, again) }), store.ErrDuplicate)

	// Another organisation sees nothing and cannot record on this incident.
	none := get(e, func(tx store.Tx) ([]store.AppliedPlaybook, error) { return tx.Playbooks().Applied(ctx, b.ID, inc.ID) })
	require.NotNil(t, none)
	require.Empty(t, none)
	cross := first
	cross.ID, cross.OrgID, cross.Version = e.id(), b.ID, 5
	require.Error(t, e.writeErr(func(tx store.Tx) error { return tx.Playbooks().AddApplied(ctx, cross) }))
}

func testTaskDueSpecs(t *testing.T, e *env) {
	ctx := e.ctx
	a, b := e.org("a"), e.org("b")
	inc := e.incident(a.ID, "Phishing")
	other := e.incident(a.ID, "Other")
	t1, t2 := e.task(inc, "Contain"), e.task(inc, "Review")
	t3 := e.task(other, "Elsewhere")
	s1 := store.TaskDueSpec{OrgID: a.ID, TaskID: t1.ID, IncidentID: inc.ID, After: 30 * time.Minute, From: "phase_start"}
	s2 := store.TaskDueSpec{OrgID: a.ID, TaskID: t2.ID, IncidentID: inc.ID, After: 7 * 24 * time.Hour, From: "detection"}
	s3 := store.TaskDueSpec{OrgID: a.ID, TaskID: t3.ID, IncidentID: other.ID, After: time.Hour, From: "phase_start"}
	e.write(func(tx store.Tx) error {
		for _, s := range []store.TaskDueSpec{s2, s1, s3} {
			if err := tx.Playbooks().AddDueSpec(ctx, s); err != nil {
				return err
			}
		}
		return nil
	})
	want := []store.TaskDueSpec{s1, s2}
	if t2.ID < t1.ID {
		want = []store.TaskDueSpec{s2, s1}
	}
	got := get(e, func(tx store.Tx) ([]store.TaskDueSpec, error) { return tx.Playbooks().DueSpecs(ctx, a.ID, inc.ID) })
	require.Equal(t, want, got, "an incident's specs, by task id")

	// A task is given one spec; a task of another incident or organisation none.
	require.ErrorIs(t, e.writeErr(func(tx store.Tx) error { return tx.Playbooks().AddDueSpec(ctx, s1) }), store.ErrDuplicate)
	wrong := s3
	wrong.IncidentID = inc.ID
	wrong.TaskID = t3.ID
	e.write(func(tx store.Tx) error { return tx.Playbooks().DeleteDueSpec(ctx, a.ID, t3.ID) })
	require.ErrorIs(t, e.writeErr(func(tx store.Tx) error { return tx.Playbooks().AddDueSpec(ctx, wrong) }), store.ErrNotFound)
	bInc := e.incident(b.ID, "B")
	cross := store.TaskDueSpec{OrgID: b.ID, TaskID: t3.ID, IncidentID: bInc.ID, After: time.Hour, From: "phase_start"}
	require.ErrorIs(t, e.writeErr(func(tx store.Tx) error { return tx.Playbooks().AddDueSpec(ctx, cross) }), store.ErrNotFound)

	// Deleting forgets one spec; deleting again, or from another organisation, is no error.
	e.write(func(tx store.Tx) error {
		if err := tx.Playbooks().DeleteDueSpec(ctx, b.ID, t1.ID); err != nil {
			return err
		}
		if err := tx.Playbooks().DeleteDueSpec(ctx, a.ID, t1.ID); err != nil {
			return err
		}
		return tx.Playbooks().DeleteDueSpec(ctx, a.ID, t1.ID)
	})
	got = get(e, func(tx store.Tx) ([]store.TaskDueSpec, error) { return tx.Playbooks().DueSpecs(ctx, a.ID, inc.ID) })
	require.Equal(t, []store.TaskDueSpec{s2}, got)
	none := get(e, func(tx store.Tx) ([]store.TaskDueSpec, error) { return tx.Playbooks().DueSpecs(ctx, b.ID, inc.ID) })
	require.NotNil(t, none)
	require.Empty(t, none)
}
