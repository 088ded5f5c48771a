package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/alert"
	"github.com/quell-ir/quell/internal/asset"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
)

// intakeTests are the conformance tests of the intake aggregates.
var intakeTests = []struct {
	name string
	fn   func(t *testing.T, e *env)
}{
	{"AlertIngest", testAlertIngest},
	{"AlertIngestMany", testAlertIngestMany},
	{"AlertTriage", testAlertTriage},
	{"AlertList", testAlertList},
	{"AlertPending", testAlertPending},
	{"Silences", testSilences},
	{"IntakeSources", testIntakeSources},
	{"Idempotency", testIdempotency},
	{"Correlation", testCorrelation},
	{"CorrelationLatest", testCorrelationLatest},
	{"AssetMatchIdentifiers", testAssetMatchIdentifiers},
}

// newAlert returns a stored-shape alert of the organisation, not yet stored.
func (e *env) newAlert(orgID, fingerprint string, mod ...func(*alert.Alert)) alert.Alert {
	a := alert.Alert{ID: e.id(), OrgID: orgID, Source: "suricata", Fingerprint: fingerprint,
		Title: "ET SCAN Potential SSH Scan", Severity: incident.SeverityMedium, Priority: incident.P3,
		Labels: map[string]string{}, Observables: []alert.Observable{}, AssetIDs: []string{},
		OccurredAt: at(0), FirstSeen: at(1), LastSeen: at(1), Count: 1, Status: alert.StatusNew, Version: 1}
	for _, m := range mod {
		m(&a)
	}
	return a
}

// ingest stores a through Ingest and returns the id it landed on and whether it was new.
func (e *env) ingest(a alert.Alert, n int) (string, bool) {
	e.t.Helper()
	var id string
	var created bool
	e.write(func(tx store.Tx) error {
		var err error
		id, created, err = tx.Alerts().Ingest(e.ctx, a, n)
		return err
	})
	return id, created
}

func testAlertIngest(t *testing.T, e *env) {
	ctx := e.ctx
	a, b := e.org("a"), e.org("b")
	first := e.newAlert(a.ID, "fp-1", func(x *alert.Alert) {
		x.SourceRef, x.Description = "sid-77", "Scan from 203.0.113.7"
		x.Labels = map[string]string{"proto": "TCP", "dest_port": "22"}
		x.Observables = []alert.Observable{{Type: alert.ObsIPv4, Value: "203.0.113.7", Role: "source"}}
		x.AssetIDs = []string{"01ASSET"}
		x.Raw, x.RawTruncated = []byte(`{"alert":{"signature_id":2001219}}`), true
		x.OccurredAt = at(-5).In(cest)
	})
	id, created := e.ingest(first, 1)
	require.True(t, created)
	require.Equal(t, first.ID, id)
	got := get(e, func(tx store.Tx) (alert.Alert, error) { return tx.Alerts().Get(ctx, a.ID, id) })
	want := first
	want.OccurredAt = want.OccurredAt.UTC()
	require.Equal(t, want, got, "every field round-trips, the raw payload included")

	// A repeat of the open alert folds into it: count grows, last seen moves forward only,
	// severity rises but never falls.
	repeat := e.newAlert(a.ID, "fp-1", func(x *alert.Alert) {
		x.FirstSeen, x.LastSeen, x.Severity = at(9), at(9), incident.SeverityHigh
	})
	id2, created := e.ingest(repeat, 5)
	require.False(t, created)
	require.Equal(t, first.ID, id2)
	older := e.newAlert(a.ID, "fp-1", func(x *alert.Alert) { x.LastSeen, x.Severity = at(3), incident.SeverityLow })
	_, created = e.ingest(older, 1)
	require.False(t, created)
	got = get(e, func(tx store.Tx) (alert.Alert, error) { return tx.Alerts().Get(ctx, a.ID, id) })
	require.Equal(t, 7, got.Count)
	require.Equal(t, at(9), got.LastSeen)
	require.Equal(t, at(1), got.FirstSeen)
	require.Equal(t, incident.SeverityHigh, got.Severity)
	require.Equal(t, int64(1), got.Version, "repeats do not change the triage version")

	// Bump is the same by id.
	var ok bool
	e.write(func(tx store.Tx) error {
		var err error
		ok, err = tx.Alerts().Bump(ctx, a.ID, id, 3, at(12), incident.SeverityCritical)
		return err
	})
	require.True(t, ok)
	got = get(e, func(tx store.Tx) (alert.Alert, error) { return tx.Alerts().Get(ctx, a.ID, id) })
	require.Equal(t, 10, got.Count)
	require.Equal(t, at(12), got.LastSeen)
	require.Equal(t, incident.SeverityCritical, got.Severity)

	// Another organisation, another source: separate alerts.
	_, created = e.ingest(e.newAlert(b.ID, "fp-1"), 1)
	require.True(t, created)
	_, created = e.ingest(e.newAlert(a.ID, "fp-1", func(x *alert.Alert) { x.Source = "wazuh" }), 1)
	require.True(t, created)
	e.notFound(func(tx store.Tx) error { _, err := tx.Alerts().Get(ctx, b.ID, id); return err })

	// The source's own id finds the alert, within its organisation and source only.
	ref := get(e, func(tx store.Tx) (string, error) { return tx.Alerts().FindBySourceRef(ctx, a.ID, "suricata", "sid-77") })
	require.Equal(t, id, ref)
	e.notFound(func(tx store.Tx) error {
		_, err := tx.Alerts().FindBySourceRef(ctx, b.ID, "suricata", "sid-77")
		return err
	})
	e.notFound(func(tx store.Tx) error {
		_, err := tx.Alerts().FindBySourceRef(ctx, a.ID, "wazuh", "sid-77")
		return err
	})
	e.notFound(func(tx store.Tx) error { _, err := tx.Alerts().FindBySourceRef(ctx, a.ID, "suricata", ""); return err })

	// Resolving closes the open alert; a repeat after that opens a new one; Bump no longer applies.
	var resolved string
	e.write(func(tx store.Tx) error {
		var err error
		resolved, err = tx.Alerts().ResolveOpen(ctx, a.ID, "suricata", "fp-1", at(20))
		return err
	})
	require.Equal(t, id, resolved)
	got = get(e, func(tx store.Tx) (alert.Alert, error) { return tx.Alerts().Get(ctx, a.ID, id) })
	require.Equal(t, alert.StatusResolved, got.Status)
	require.Equal(t, at(20), got.LastSeen)
	require.ErrorIs(t, e.writeErr(func(tx store.Tx) error {
		_, err := tx.Alerts().ResolveOpen(ctx, a.ID, "suricata", "fp-1", at(21))
		return err
	}), store.ErrNotFound)
	e.write(func(tx store.Tx) error {
		var err error
		ok, err = tx.Alerts().Bump(ctx, a.ID, id, 1, at(22), incident.SeverityLow)
		return err
	})
	require.False(t, ok, "a resolved alert takes no more repeats")
	id3, created := e.ingest(e.newAlert(a.ID, "fp-1"), 1)
	require.True(t, created)
	require.NotEqual(t, id, id3)

	// A resolved alert stored as such (an all-clear for an alert never seen) does not block the key.
	gone := e.newAlert(a.ID, "fp-2", func(x *alert.Alert) { x.Status = alert.StatusResolved })
	_, created = e.ingest(gone, 1)
	require.True(t, created)
	_, created = e.ingest(e.newAlert(a.ID, "fp-2"), 1)
	require.True(t, created)
}

func testAlertTriage(t *testing.T, e *env) {
	ctx := e.ctx
	a, b := e.org("a"), e.org("b")
	inc := e.incident(a.ID, "Scan storm")
	other := e.incident(b.ID, "Theirs")
	al := e.newAlert(a.ID, "fp")
	e.ingest(al, 1)

	upd := al
	upd.Status, upd.Verdict, upd.IncidentID = alert.StatusPromoted, alert.VerdictTruePositive, inc.ID
	upd.AssetIDs, upd.Priority, upd.SilenceID = []string{"01A", "01B"}, incident.P1, "01SILENCE"
	e.write(func(tx store.Tx) error { return tx.Alerts().Update(ctx, upd, 1) })
	got := get(e, func(tx store.Tx) (alert.Alert, error) { return tx.Alerts().Get(ctx, a.ID, al.ID) })
	require.Equal(t, alert.StatusPromoted, got.Status)
	require.Equal(t, alert.VerdictTruePositive, got.Verdict)
	require.Equal(t, inc.ID, got.IncidentID)
	require.Equal(t, []string{"01A", "01B"}, got.AssetIDs)
	require.Equal(t, incident.P1, got.Priority)
	require.Equal(t, "01SILENCE", got.SilenceID)
	require.Equal(t, int64(2), got.Version)

	require.ErrorIs(t, e.writeErr(func(tx store.Tx) error { return tx.Alerts().Update(ctx, upd, 1) }), store.ErrConflict)
	missing := upd
	missing.ID = e.id()
	require.ErrorIs(t, e.writeErr(func(tx store.Tx) error { return tx.Alerts().Update(ctx, missing, 1) }), store.ErrNotFound)
	// An alert cannot point at another organisation's incident.
	cross := upd
	cross.IncidentID = other.ID
	require.Error(t, e.writeErr(func(tx store.Tx) error { return tx.Alerts().Update(ctx, cross, 2) }))

	// A promoted alert is still open: repeats count on it.
	id, created := e.ingest(e.newAlert(a.ID, "fp"), 2)
	require.False(t, created)
	require.Equal(t, al.ID, id)
	// A dismissed one is not.
	got = get(e, func(tx store.Tx) (alert.Alert, error) { return tx.Alerts().Get(ctx, a.ID, al.ID) })
	got.Status = alert.StatusDismissed
	e.write(func(tx store.Tx) error { return tx.Alerts().Update(ctx, got, got.Version) })
	_, created = e.ingest(e.newAlert(a.ID, "fp"), 1)
	require.True(t, created)
}

func testAlertList(t *testing.T, e *env) {
	ctx := e.ctx
	a, b := e.org("a"), e.org("b")
	inc := e.incident(a.ID, "Phish")
	var all []string
	mk := func(fp string, mod ...func(*alert.Alert)) string {
		al := e.newAlert(a.ID, fp, mod...)
		e.ingest(al, 1)
		all = append([]string{al.ID}, all...) // newest first
		return al.ID
	}
	high := mk("1", func(x *alert.Alert) {
		x.Severity = incident.SeverityHigh
		x.Title = "Mimikatz on HOST-7"
		x.Observables = []alert.Observable{{Type: alert.ObsURL, Value: `<a href="x">&`}}
	})
	silenced := mk("2", func(x *alert.Alert) { x.SilenceID = "01S" })
	wazuh := mk("3", func(x *alert.Alert) {
		x.Source = "wazuh"
		x.Observables = []alert.Observable{{Type: alert.ObsDomain, Value: "evil.example"}}
	})
	linked := mk("4", func(x *alert.Alert) { x.IncidentID, x.Status = inc.ID, alert.StatusPromoted })
	for i := range 6 {
		mk("bulk-" + string(rune('a'+i)))
	}
	e.ingest(e.newAlert(b.ID, "1"), 1)

	list := func(f store.AlertFilter) []string {
		f.OrgID = a.ID
		page := get(e, func(tx store.Tx) (store.Page[alert.Alert], error) { return tx.Alerts().List(ctx, f) })
		out := []string{}
		for _, x := range page.Items {
			require.Nil(t, x.Raw, "lists leave the raw payload out")
			out = append(out, x.ID)
		}
		return out
	}
	count := func(f store.AlertFilter) int {
		f.OrgID = a.ID
		return get(e, func(tx store.Tx) (int, error) { return tx.Alerts().Count(ctx, f) })
	}
	require.Equal(t, all, list(store.AlertFilter{}))
	require.Equal(t, 10, count(store.AlertFilter{}))
	require.Equal(t, []string{high}, list(store.AlertFilter{Severity: []alert.Severity{incident.SeverityHigh}}))
	require.Equal(t, []string{wazuh}, list(store.AlertFilter{Source: "wazuh"}))
	require.Equal(t, []string{linked}, list(store.AlertFilter{IncidentID: inc.ID}))
	require.Equal(t, []string{linked}, list(store.AlertFilter{Status: []alert.Status{alert.StatusPromoted}}))
	require.Equal(t, []string{silenced}, list(store.AlertFilter{Silenced: ptr(true)}))
	require.Equal(t, 9, count(store.AlertFilter{Silenced: ptr(false)}))
	bulkE := all[1]
	search := func(when string) {
		require.Equal(t, []string{high}, list(store.AlertFilter{Query: "mimiKATZ"}), when)
		require.Equal(t, []string{high}, list(store.AlertFilter{Query: "katz on host"}), when)
		require.Equal(t, []string{high}, list(store.AlertFilter{Query: "1"}), "an exact fingerprint matches, "+when)
		require.Equal(t, []string{bulkE}, list(store.AlertFilter{Query: "bulk-e"}), "a fingerprint of three characters or more, "+when)
		require.Empty(t, list(store.AlertFilter{Query: "bulk-"}), "a fingerprint matches whole, "+when)
		require.Empty(t, list(store.AlertFilter{Query: "%"}), "LIKE wildcards are literal, "+when)
		require.Empty(t, list(store.AlertFilter{Query: "mimikatz on host-8"}), when)
		require.Equal(t, []string{wazuh}, list(store.AlertFilter{Observable: "evil.example"}), when)
		require.Equal(t, []string{high}, list(store.AlertFilter{Observable: `<a href="x">&`}), when)
		require.Empty(t, list(store.AlertFilter{Observable: "evil.exampl"}), "an observable matches whole, "+when)
		require.Equal(t, 1, count(store.AlertFilter{Observable: "evil.example"}), when)
		require.Equal(t, 1, count(store.AlertFilter{Query: "mimikatz"}), when)
		require.Equal(t, []string{high}, list(store.AlertFilter{Query: "mimikatz", Observable: `<a href="x">&`}), when)
		require.Empty(t, list(store.AlertFilter{Query: "mimikatz", Observable: "evil.example"}), when)
	}
	search("while pending")
	// Correlation takes alerts off the pending list; drivers may index them for search then.
	e.write(func(tx store.Tx) error {
		pending, err := tx.Alerts().Pending(ctx, 100)
		if err != nil {
			return err
		}
		byOrg := map[string][]string{}
		for _, x := range pending {
			byOrg[x.OrgID] = append(byOrg[x.OrgID], x.ID)
		}
		for org, ids := range byOrg {
			if err := tx.Alerts().MarkCorrelated(ctx, org, ids); err != nil {
				return err
			}
		}
		return nil
	})
	search("once correlated")
	// The other organisation's alerts share fingerprints and titles, never results.
	e.ingest(e.newAlert(b.ID, "late", func(x *alert.Alert) {
		x.Title = "Mimikatz on HOST-7"
		x.Observables = []alert.Observable{{Type: alert.ObsDomain, Value: "evil.example"}}
	}), 1)
	search("beside another organisation's alert")

	// Pages of three walk the whole list, newest first.
	var walked []string
	f := store.AlertFilter{OrgID: a.ID, Limit: 3}
	for {
		page := get(e, func(tx store.Tx) (store.Page[alert.Alert], error) { return tx.Alerts().List(ctx, f) })
		for _, x := range page.Items {
			walked = append(walked, x.ID)
		}
		if page.Next == "" {
			break
		}
		f.Cursor = page.Next
	}
	require.Equal(t, all, walked)
	require.Error(t, e.readErr(func(tx store.Tx) error {
		_, err := tx.Alerts().List(ctx, store.AlertFilter{OrgID: a.ID, Cursor: "nonsense"})
		return err
	}))
}

func testAlertPending(t *testing.T, e *env) {
	ctx := e.ctx
	a, b := e.org("a"), e.org("b")
	a1, b1, a2 := e.newAlert(a.ID, "1"), e.newAlert(b.ID, "1"), e.newAlert(a.ID, "2")
	for _, x := range []alert.Alert{a1, b1, a2} {
		e.ingest(x, 1)
	}
	pending := func() []string {
		var out []string
		e.write(func(tx store.Tx) error {
			list, err := tx.Alerts().Pending(ctx, 10)
			for _, x := range list {
				out = append(out, x.ID)
			}
			return err
		})
		return out
	}
	require.Equal(t, []string{a1.ID, b1.ID, a2.ID}, pending(), "oldest first, every organisation")
	e.write(func(tx store.Tx) error { return tx.Alerts().MarkCorrelated(ctx, a.ID, []string{a1.ID, b1.ID}) })
	require.Equal(t, []string{b1.ID, a2.ID}, pending(), "marking is scoped to the organisation")
	e.write(func(tx store.Tx) error { return tx.Alerts().MarkCorrelated(ctx, b.ID, []string{b1.ID}) })
	e.ingest(e.newAlert(b.ID, "1"), 1)
	require.Equal(t, []string{a2.ID}, pending(), "a repeat does not make an alert pending again")
}

func testSilences(t *testing.T, e *env) {
	ctx := e.ctx
	a, b := e.org("a"), e.org("b")
	s1 := alert.Silence{ID: e.id(), OrgID: a.ID, Matchers: []alert.Matcher{{Name: "source", Op: alert.OpEqual, Value: "suricata"},
		{Name: "host", Op: alert.OpRegex, Value: "web-.*"}}, StartsAt: at(0), EndsAt: at(60).In(cest),
		CreatedBy: "user:alice", Reason: "Scanner under maintenance", CreatedAt: at(0)}
	s2 := alert.Silence{ID: e.id(), OrgID: a.ID, Matchers: []alert.Matcher{{Name: "severity", Op: alert.OpEqual, Value: "low"}},
		StartsAt: at(30), EndsAt: at(90), CreatedBy: "user:bob", Reason: "Noise", CreatedAt: at(1)}
	s3 := alert.Silence{ID: e.id(), OrgID: b.ID, Matchers: s2.Matchers, StartsAt: at(0), EndsAt: at(90),
		CreatedBy: "user:carol", Reason: "Theirs", CreatedAt: at(2)}
	e.write(func(tx store.Tx) error {
		for _, s := range []alert.Silence{s1, s2, s3} {
			if err := tx.Silences().Create(ctx, s); err != nil {
				return err
			}
		}
		return nil
	})
	got := get(e, func(tx store.Tx) (alert.Silence, error) { return tx.Silences().Get(ctx, a.ID, s1.ID) })
	want := s1
	want.EndsAt = want.EndsAt.UTC()
	require.Equal(t, want, got)
	e.notFound(func(tx store.Tx) error { _, err := tx.Silences().Get(ctx, b.ID, s1.ID); return err })

	sids := func(list []alert.Silence) []string {
		out := []string{}
		for _, s := range list {
			out = append(out, s.ID)
		}
		return out
	}
	listAt := func(orgID string, when time.Time) []string {
		return sids(get(e, func(tx store.Tx) ([]alert.Silence, error) { return tx.Silences().List(ctx, orgID, when) }))
	}
	require.Equal(t, []string{s2.ID, s1.ID}, listAt(a.ID, time.Time{}))
	require.Equal(t, []string{s1.ID}, listAt(a.ID, at(10)))
	require.Equal(t, []string{s2.ID, s1.ID}, listAt(a.ID, at(45)))
	require.Equal(t, []string{s2.ID}, listAt(a.ID, at(60)), "the end is exclusive")
	active := sids(get(e, func(tx store.Tx) ([]alert.Silence, error) { return tx.Silences().ListActive(ctx, at(45)) }))
	require.ElementsMatch(t, []string{s1.ID, s2.ID, s3.ID}, active)

	e.write(func(tx store.Tx) error { return tx.Silences().Expire(ctx, a.ID, s2.ID, at(50)) })
	require.Equal(t, []string{s1.ID}, listAt(a.ID, at(55)))
	require.Equal(t, []string{s2.ID, s1.ID}, listAt(a.ID, at(49)))
	require.ErrorIs(t, e.writeErr(func(tx store.Tx) error { return tx.Silences().Expire(ctx, a.ID, s2.ID, at(51)) }),
		store.ErrNotFound, "an expired silence cannot expire again")
	require.ErrorIs(t, e.writeErr(func(tx store.Tx) error { return tx.Silences().Expire(ctx, b.ID, s1.ID, at(51)) }),
		store.ErrNotFound)
}

func testIntakeSources(t *testing.T, e *env) {
	ctx := e.ctx
	a, b := e.org("a"), e.org("b")
	src := alert.IntakeSource{ID: e.id(), OrgID: a.ID, Name: "prod-alertmanager", Format: "alertmanager",
		Prefix: "quelli_ab12", Hash: "hash-1", CreatedBy: "user:alice", CreatedAt: at(0).In(cest)}
	gen := alert.IntakeSource{ID: e.id(), OrgID: a.ID, Name: "custom", Format: "generic", Mapping: "title: body.name\n",
		Prefix: "quelli_cd34", Hash: "hash-2", CreatedBy: "user:alice", CreatedAt: at(1)}
	e.write(func(tx store.Tx) error {
		require.NoError(t, tx.IntakeSources().Create(ctx, src))
		return tx.IntakeSources().Create(ctx, gen)
	})
	src.CreatedAt = src.CreatedAt.UTC()
	require.Equal(t, src, get(e, func(tx store.Tx) (alert.IntakeSource, error) { return tx.IntakeSources().Get(ctx, a.ID, src.ID) }))
	require.Equal(t, gen, get(e, func(tx store.Tx) (alert.IntakeSource, error) { return tx.IntakeSources().GetByHash(ctx, "hash-2") }))
	e.notFound(func(tx store.Tx) error { _, err := tx.IntakeSources().Get(ctx, b.ID, src.ID); return err })
	e.notFound(func(tx store.Tx) error { _, err := tx.IntakeSources().GetByHash(ctx, "hash-3"); return err })

	dup := src
	dup.ID, dup.Hash = e.id(), "hash-4"
	require.ErrorIs(t, e.writeErr(func(tx store.Tx) error { return tx.IntakeSources().Create(ctx, dup) }), store.ErrDuplicate)
	dup.OrgID = b.ID
	e.write(func(tx store.Tx) error { return tx.IntakeSources().Create(ctx, dup) })

	list := get(e, func(tx store.Tx) ([]alert.IntakeSource, error) { return tx.IntakeSources().List(ctx, a.ID) })
	require.Len(t, list, 2)
	require.Equal(t, "custom", list[0].Name)

	e.write(func(tx store.Tx) error { return tx.IntakeSources().Touch(ctx, src.ID, at(5)) })
	e.write(func(tx store.Tx) error { return tx.IntakeSources().Revoke(ctx, a.ID, src.ID, at(6)) })
	e.write(func(tx store.Tx) error { return tx.IntakeSources().Revoke(ctx, a.ID, src.ID, at(7)) })
	got := get(e, func(tx store.Tx) (alert.IntakeSource, error) { return tx.IntakeSources().GetByHash(ctx, "hash-1") })
	require.Equal(t, at(5), *got.LastUsedAt)
	require.Equal(t, at(6), *got.RevokedAt, "the first revocation time stays")
	require.False(t, got.Active())
	require.ErrorIs(t, e.writeErr(func(tx store.Tx) error { return tx.IntakeSources().Revoke(ctx, b.ID, src.ID, at(8)) }), store.ErrNotFound)
}

func testIdempotency(t *testing.T, e *env) {
	ctx := e.ctx
	a, b := e.org("a"), e.org("b")
	e.notFound(func(tx store.Tx) error { _, err := tx.Idempotency().Get(ctx, a.ID, "k1"); return err })
	e.write(func(tx store.Tx) error { return tx.Idempotency().Put(ctx, a.ID, "k1", []byte(`{"first":true}`), at(0)) })
	e.write(func(tx store.Tx) error {
		return tx.Idempotency().Put(ctx, a.ID, "k1", []byte(`{"first":false}`), at(1))
	})
	e.write(func(tx store.Tx) error { return tx.Idempotency().Put(ctx, a.ID, "k2", []byte(`{}`), at(10)) })
	require.Equal(t, []byte(`{"first":true}`), get(e, func(tx store.Tx) ([]byte, error) { return tx.Idempotency().Get(ctx, a.ID, "k1") }))
	e.notFound(func(tx store.Tx) error { _, err := tx.Idempotency().Get(ctx, b.ID, "k1"); return err })
	var n int
	e.write(func(tx store.Tx) error {
		var err error
		n, err = tx.Idempotency().Prune(ctx, at(5))
		return err
	})
	require.Equal(t, 1, n)
	e.notFound(func(tx store.Tx) error { _, err := tx.Idempotency().Get(ctx, a.ID, "k1"); return err })
	require.Equal(t, []byte(`{}`), get(e, func(tx store.Tx) ([]byte, error) { return tx.Idempotency().Get(ctx, a.ID, "k2") }))
}

func testCorrelation(t *testing.T, e *env) {
	ctx := e.ctx
	a, b := e.org("a"), e.org("b")
	older := e.incident(a.ID, "Older")
	newer := e.incident(a.ID, "Newer")
	closed := e.incident(a.ID, "Closed", func(i *incident.Incident) { i.Phase = incident.PhaseClosed })
	theirs := e.incident(b.ID, "Theirs")
	e.write(func(tx store.Tx) error {
		c := tx.Correlation()
		require.NoError(t, c.Remember(ctx, a.ID, older.ID, []string{"ipv4:203.0.113.7", "asset:01WEB"}, at(0)))
		require.NoError(t, c.Remember(ctx, a.ID, newer.ID, []string{"ipv4:203.0.113.7"}, at(10)))
		require.NoError(t, c.Remember(ctx, a.ID, closed.ID, []string{"domain:evil.example"}, at(20)))
		return c.Remember(ctx, b.ID, theirs.ID, []string{"sha256:abc"}, at(20))
	})
	find := func(orgID string, keys []string, since time.Time) (string, error) {
		var id string
		err := e.readErr(func(tx store.Tx) error {
			var err error
			id, err = tx.Correlation().Find(ctx, orgID, keys, since)
			return err
		})
		return id, err
	}
	id, err := find(a.ID, []string{"ipv4:203.0.113.7"}, at(-60))
	require.NoError(t, err)
	require.Equal(t, newer.ID, id, "the incident that took the key most recently")
	id, err = find(a.ID, []string{"asset:01WEB", "fp:x"}, at(-60))
	require.NoError(t, err)
	require.Equal(t, older.ID, id)
	_, err = find(a.ID, []string{"asset:01WEB"}, at(1))
	require.ErrorIs(t, err, store.ErrNotFound, "outside the window")
	_, err = find(a.ID, []string{"domain:evil.example"}, at(-60))
	require.ErrorIs(t, err, store.ErrNotFound, "closed incidents take no more alerts")
	_, err = find(a.ID, []string{"sha256:abc"}, at(-60))
	require.ErrorIs(t, err, store.ErrNotFound, "another organisation's keys are not seen")
	_, err = find(a.ID, nil, at(-60))
	require.ErrorIs(t, err, store.ErrNotFound)

	// Remembering again moves the time forward, never back.
	e.write(func(tx store.Tx) error {
		require.NoError(t, tx.Correlation().Remember(ctx, a.ID, older.ID, []string{"asset:01WEB"}, at(30)))
		return tx.Correlation().Remember(ctx, a.ID, older.ID, []string{"asset:01WEB"}, at(5))
	})
	id, err = find(a.ID, []string{"asset:01WEB"}, at(25))
	require.NoError(t, err)
	require.Equal(t, older.ID, id)
}

func testAlertIngestMany(t *testing.T, e *env) {
	ctx := e.ctx
	a := e.org("a")
	open := e.newAlert(a.ID, "fp-open", func(x *alert.Alert) { x.SourceRef = "ref-1" })
	e.ingest(open, 1)
	items := []store.IngestItem{
		{Alert: e.newAlert(a.ID, "fp-new-1", func(x *alert.Alert) { x.SourceRef = "ref-2" }), N: 1},
		{Alert: e.newAlert(a.ID, "fp-open", func(x *alert.Alert) { x.LastSeen = at(30) }), N: 4},
		{Alert: e.newAlert(a.ID, "fp-new-2"), N: 2},
	}
	var res []store.IngestResult
	e.write(func(tx store.Tx) error {
		var err error
		res, err = tx.Alerts().IngestMany(ctx, items)
		return err
	})
	require.Equal(t, []store.IngestResult{{ID: items[0].Alert.ID, Created: true}, {ID: open.ID}, {ID: items[2].Alert.ID, Created: true}}, res)
	got := get(e, func(tx store.Tx) (alert.Alert, error) { return tx.Alerts().Get(ctx, a.ID, open.ID) })
	require.Equal(t, 5, got.Count)
	require.Equal(t, at(30), got.LastSeen)
	require.Equal(t, 2, get(e, func(tx store.Tx) (alert.Alert, error) { return tx.Alerts().Get(ctx, a.ID, items[2].Alert.ID) }).Count)
	e.write(func(tx store.Tx) error {
		var err error
		res, err = tx.Alerts().IngestMany(ctx, nil)
		return err
	})
	require.Empty(t, res)

	refs := get(e, func(tx store.Tx) (map[string]string, error) {
		return tx.Alerts().FindBySourceRefs(ctx, a.ID, "suricata", []string{"ref-1", "ref-2", "ref-3", ""})
	})
	require.Equal(t, map[string]string{"ref-1": open.ID, "ref-2": items[0].Alert.ID}, refs)
	require.Empty(t, get(e, func(tx store.Tx) (map[string]string, error) {
		return tx.Alerts().FindBySourceRefs(ctx, a.ID, "wazuh", []string{"ref-1"})
	}))
	require.Empty(t, get(e, func(tx store.Tx) (map[string]string, error) {
		return tx.Alerts().FindBySourceRefs(ctx, e.org("b").ID, "suricata", []string{"ref-1"})
	}))
}

func testCorrelationLatest(t *testing.T, e *env) {
	ctx := e.ctx
	a, b := e.org("a"), e.org("b")
	older := e.incident(a.ID, "Older")
	newer := e.incident(a.ID, "Newer")
	closed := e.incident(a.ID, "Closed", func(i *incident.Incident) { i.Phase = incident.PhaseClosed })
	theirs := e.incident(b.ID, "Theirs")
	e.write(func(tx store.Tx) error {
		c := tx.Correlation()
		require.NoError(t, c.Remember(ctx, a.ID, older.ID, []string{"ip:1", "asset:A"}, at(0)))
		require.NoError(t, c.Remember(ctx, a.ID, newer.ID, []string{"ip:1"}, at(10)))
		require.NoError(t, c.Remember(ctx, a.ID, closed.ID, []string{"asset:A", "dom:x"}, at(20)))
		return c.Remember(ctx, b.ID, theirs.ID, []string{"ip:1", "sha:z"}, at(30))
	})
	hits := get(e, func(tx store.Tx) (map[string]store.KeyHit, error) {
		return tx.Correlation().Latest(ctx, a.ID, []string{"ip:1", "asset:A", "dom:x", "sha:z", "none"}, at(-60))
	})
	require.Equal(t, map[string]store.KeyHit{
		"ip:1":    {IncidentID: newer.ID, SeenAt: at(10)},
		"asset:A": {IncidentID: older.ID, SeenAt: at(0)},
	}, hits, "the newest open incident per key; closed ones and other organisations' are left out")
	hits = get(e, func(tx store.Tx) (map[string]store.KeyHit, error) {
		return tx.Correlation().Latest(ctx, a.ID, []string{"ip:1", "asset:A"}, at(5))
	})
	require.Equal(t, map[string]store.KeyHit{"ip:1": {IncidentID: newer.ID, SeenAt: at(10)}}, hits, "outside the window")
	require.Empty(t, get(e, func(tx store.Tx) (map[string]store.KeyHit, error) {
		return tx.Correlation().Latest(ctx, a.ID, nil, at(-60))
	}))
}

func testAssetMatchIdentifiers(t *testing.T, e *env) {
	ctx := e.ctx
	a, b := e.org("a"), e.org("b")
	web := e.asset(a.ID, "web", func(x *asset.Asset) {
		x.Criticality = 3
		x.Identifiers = []asset.Identifier{{Type: asset.IDHostname, Value: "web-01"}, {Type: asset.IDIP, Value: "10.0.0.5"}}
	})
	twin := e.asset(a.ID, "twin", func(x *asset.Asset) {
		x.Criticality = 4
		x.Identifiers = []asset.Identifier{{Type: asset.IDIP, Value: "10.0.0.5"}}
	})
	e.asset(b.ID, "theirs", func(x *asset.Asset) {
		x.Identifiers = []asset.Identifier{{Type: asset.IDHostname, Value: "web-01"}}
	})
	ip := asset.Identifier{Type: asset.IDIP, Value: "10.0.0.5"}
	host := asset.Identifier{Type: asset.IDHostname, Value: "web-01"}
	got := get(e, func(tx store.Tx) (map[asset.Identifier][]store.AssetRef, error) {
		return tx.Assets().MatchIdentifiers(ctx, a.ID, []asset.Identifier{ip, host, {Type: asset.IDUsername, Value: "web-01"}, ip,
			{Type: asset.IDIP, Value: "10.9.9.9"}})
	})
	require.Equal(t, map[asset.Identifier][]store.AssetRef{
		ip:   {{ID: web.ID, Criticality: 3}, {ID: twin.ID, Criticality: 4}},
		host: {{ID: web.ID, Criticality: 3}},
	}, got, "the type must match too; other organisations' assets are not seen")
	require.Empty(t, get(e, func(tx store.Tx) (map[asset.Identifier][]store.AssetRef, error) {
		return tx.Assets().MatchIdentifiers(ctx, a.ID, nil)
	}))
}
