package storetest

import (
	"cmp"
	"encoding/json"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
)

func testNotes(t *testing.T, e *env) {
	ctx := e.ctx
	a, b := e.org("a"), e.org("b")
	inc := e.incident(a.ID, "notes")
	other := e.incident(a.ID, "other")

	n1 := incident.Note{ID: e.id(), OrgID: a.ID, IncidentID: inc.ID, Body: "# Findings\n\n* `cmd.exe /c whoami`\n",
		Author: "user:alice", CreatedAt: at(5).In(cest), UpdatedAt: at(5), Version: 1}
	n0 := incident.Note{ID: e.id(), OrgID: a.ID, IncidentID: inc.ID, Body: "earlier", Author: "user:bob",
		CreatedAt: at(1), UpdatedAt: at(1), Version: 1}
	e.write(func(tx store.Tx) error {
		require.NoError(t, tx.Notes().Create(ctx, n1))
		return tx.Notes().Create(ctx, n0)
	})
	e.note(other, "elsewhere")
	n1.CreatedAt = n1.CreatedAt.UTC()
	got := get(e, func(tx store.Tx) (incident.Note, error) { return tx.Notes().Get(ctx, a.ID, n1.ID) })
	require.Equal(t, n1, got)
	list := get(e, func(tx store.Tx) ([]incident.Note, error) { return tx.Notes().List(ctx, a.ID, inc.ID) })
	require.Equal(t, []incident.Note{n0, n1}, list, "oldest first")

	// Each update keeps the body it replaces as a revision.
	v2 := n1
	v2.Body, v2.UpdatedAt = "# Findings\n\nrevised", at(20)
	e.write(func(tx store.Tx) error { return tx.Notes().Update(ctx, v2, "user:bob", 1) })
	v3 := v2
	v3.Body, v3.UpdatedAt, v3.Version = "third", at(30), 2
	e.write(func(tx store.Tx) error { return tx.Notes().Update(ctx, v3, "user:carol", 2) })
	v3.Version = 3
	got = get(e, func(tx store.Tx) (incident.Note, error) { return tx.Notes().Get(ctx, a.ID, n1.ID) })
	require.Equal(t, v3, got)
	revs := get(e, func(tx store.Tx) ([]incident.NoteRevision, error) { return tx.Notes().Revisions(ctx, a.ID, n1.ID) })
	require.Equal(t, []incident.NoteRevision{
		{NoteID: n1.ID, Version: 1, Body: n1.Body, EditedBy: "user:bob", EditedAt: at(20)},
		{NoteID: n1.ID, Version: 2, Body: v2.Body, EditedBy: "user:carol", EditedAt: at(30)},
	}, revs)

	// A stale update is a conflict and keeps no revision.
	stale := v3
	stale.Body = "stale"
	require.ErrorIs(t, e.writeErr(func(tx store.Tx) error { return tx.Notes().Update(ctx, stale, "user:x", 2) }), store.ErrConflict)
	revs = get(e, func(tx store.Tx) ([]incident.NoteRevision, error) { return tx.Notes().Revisions(ctx, a.ID, n1.ID) })
	require.Len(t, revs, 2)
	unknown := v3
	unknown.ID = e.id()
	require.ErrorIs(t, e.writeErr(func(tx store.Tx) error { return tx.Notes().Update(ctx, unknown, "user:x", 3) }), store.ErrNotFound)

	// Another organisation sees none of it and cannot change it.
	e.notFound(func(tx store.Tx) error { _, err := tx.Notes().Get(ctx, b.ID, n1.ID); return err })
	list = get(e, func(tx store.Tx) ([]incident.Note, error) { return tx.Notes().List(ctx, b.ID, inc.ID) })
	require.Empty(t, list)
	revs = get(e, func(tx store.Tx) ([]incident.NoteRevision, error) { return tx.Notes().Revisions(ctx, b.ID, n1.ID) })
	require.Empty(t, revs)
	foreign := v3
	foreign.OrgID = b.ID
	require.ErrorIs(t, e.writeErr(func(tx store.Tx) error { return tx.Notes().Update(ctx, foreign, "user:x", 3) }), store.ErrNotFound)
	err := e.writeErr(func(tx store.Tx) error {
		x := n0
		x.ID, x.OrgID = e.id(), b.ID
		return tx.Notes().Create(ctx, x)
	})
	require.ErrorIs(t, err, store.ErrNotFound, "a note on another organisation's incident")
	got = get(e, func(tx store.Tx) (incident.Note, error) { return tx.Notes().Get(ctx, a.ID, n1.ID) })
	require.Equal(t, v3, got)
}

// requireEntry compares entries, Details as JSON (a driver may store JSON normalised).
func requireEntry(t *testing.T, want, got incident.Entry) {
	t.Helper()
	if want.Details == nil {
		require.Nil(t, got.Details)
	} else {
		require.JSONEq(t, string(want.Details), string(got.Details))
	}
	want.Details, got.Details = nil, nil
	require.Equal(t, want, got)
}

func entryID(en incident.Entry) string { return en.ID }

func testTimeline(t *testing.T, e *env) {
	ctx := e.ctx
	a, b := e.org("a"), e.org("b")
	inc := e.incident(a.ID, "timeline")
	other := e.incident(a.ID, "other")

	// A backdated event reported in another zone: stored in UTC, with the zone kept.
	full := incident.Entry{ID: e.id(), OrgID: a.ID, IncidentID: inc.ID, EventAt: at(-600).In(cest), EventZone: "+02:00",
		RecordedAt: at(7), Kind: incident.KindIndicator, Actor: "user:alice", Text: "C2 callback to 203.0.113.7",
		Details:   json.RawMessage(`{"ip":"203.0.113.7","ports":[443,8443],"nested":{"ok":true}}`),
		Technique: "T1071.001", Flagged: true}
	e.write(func(tx store.Tx) error { return tx.Timeline().Add(ctx, full) })
	full.EventAt = full.EventAt.UTC()
	got := get(e, func(tx store.Tx) (incident.Entry, error) { return tx.Timeline().Get(ctx, a.ID, full.ID) })
	requireEntry(t, full, got)
	require.Equal(t, "+02:00", got.EventZone)

	plain := e.entry(inc, "plain", func(en *incident.Entry) { en.EventAt = at(-600); en.Kind = incident.KindNote })
	got = get(e, func(tx store.Tx) (incident.Entry, error) { return tx.Timeline().Get(ctx, a.ID, plain.ID) })
	requireEntry(t, plain, got)

	e.write(func(tx store.Tx) error { return tx.Timeline().SetFlag(ctx, a.ID, full.ID, false) })
	e.write(func(tx store.Tx) error { return tx.Timeline().SetFlag(ctx, a.ID, plain.ID, true) })
	full.Flagged, plain.Flagged = false, true
	got = get(e, func(tx store.Tx) (incident.Entry, error) { return tx.Timeline().Get(ctx, a.ID, full.ID) })
	requireEntry(t, full, got)
	require.ErrorIs(t, e.writeErr(func(tx store.Tx) error { return tx.Timeline().SetFlag(ctx, b.ID, full.ID, true) }), store.ErrNotFound)
	require.ErrorIs(t, e.writeErr(func(tx store.Tx) error { return tx.Timeline().SetFlag(ctx, a.ID, e.id(), true) }), store.ErrNotFound)
	e.notFound(func(tx store.Tx) error { _, err := tx.Timeline().Get(ctx, b.ID, full.ID); return err })
	e.notFound(func(tx store.Tx) error { _, err := tx.Timeline().Get(ctx, a.ID, e.id()); return err })

	// Entries are listed by event time, then id, whatever order they were recorded in.
	var all []incident.Entry
	all = append(all, full, plain)
	for i, m := range []int{50, -700, 50, 3, -700, 50, 20, 3} {
		kind := incident.KindManual
		if i%3 == 0 {
			kind = incident.KindAction
		}
		all = append(all, e.entry(inc, "entry", func(en *incident.Entry) {
			en.EventAt, en.Kind, en.Flagged = at(m), kind, i%4 == 0
		}))
	}
	e.entry(other, "other incident")
	want := func(keep func(incident.Entry) bool) []string {
		var out []incident.Entry
		for _, en := range all {
			if keep(en) {
				out = append(out, en)
			}
		}
		sortEntries(out)
		return ids(out, entryID)
	}
	walk := func(f store.TimelineFilter) []string {
		out := []string{}
		for pages := 0; ; pages++ {
			require.Less(t, pages, 100)
			page := get(e, func(tx store.Tx) (store.Page[incident.Entry], error) { return tx.Timeline().List(ctx, f) })
			out = append(out, ids(page.Items, entryID)...)
			if page.Next == "" {
				return out
			}
			f.Cursor = page.Next
		}
	}
	for _, limit := range []int{0, 1, 3, 10} {
		f := store.TimelineFilter{OrgID: a.ID, IncidentID: inc.ID, Limit: limit}
		require.Equal(t, want(func(incident.Entry) bool { return true }), walk(f), "limit %d", limit)
		f.Kinds = []incident.EntryKind{incident.KindAction, incident.KindIndicator}
		require.Equal(t, want(func(en incident.Entry) bool {
			return en.Kind == incident.KindAction || en.Kind == incident.KindIndicator
		}), walk(f))
		f.Kinds, f.FlaggedOnly = nil, true
		require.Equal(t, want(func(en incident.Entry) bool { return en.Flagged }), walk(f))
		f.Kinds = []incident.EntryKind{incident.KindAction}
		require.Equal(t, want(func(en incident.Entry) bool { return en.Flagged && en.Kind == incident.KindAction }), walk(f))
	}
	page := get(e, func(tx store.Tx) (store.Page[incident.Entry], error) {
		return tx.Timeline().List(ctx, store.TimelineFilter{OrgID: a.ID, IncidentID: inc.ID, Kinds: []incident.EntryKind{incident.KindIndicator}})
	})
	require.Len(t, page.Items, 1)
	requireEntry(t, full, page.Items[0])
	require.Empty(t, walk(store.TimelineFilter{OrgID: b.ID, IncidentID: inc.ID}), "another organisation")
	err := e.readErr(func(tx store.Tx) error {
		_, err := tx.Timeline().List(ctx, store.TimelineFilter{OrgID: a.ID, IncidentID: inc.ID, Cursor: "nope"})
		return err
	})
	require.Error(t, err)
	err = e.writeErr(func(tx store.Tx) error {
		x := plain
		x.ID, x.OrgID = e.id(), b.ID
		return tx.Timeline().Add(ctx, x)
	})
	require.ErrorIs(t, err, store.ErrNotFound, "an entry on another organisation's incident")
	require.ErrorIs(t, e.writeErr(func(tx store.Tx) error { return tx.Timeline().Add(ctx, plain) }), store.ErrDuplicate)
}

func sortEntries(es []incident.Entry) {
	slices.SortFunc(es, func(x, y incident.Entry) int {
		return cmp.Or(x.EventAt.Compare(y.EventAt), cmp.Compare(x.ID, y.ID))
	})
}
