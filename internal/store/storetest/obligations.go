package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/store"
)

// obligationTests are the conformance tests of the clocks' records.
var obligationTests = []struct {
	name string
	fn   func(t *testing.T, e *env)
}{
	{"ObligationTriggers", testObligationTriggers},
	{"ObligationSubmissions", testObligationSubmissions},
	{"ClockNotices", testClockNotices},
	{"ClockChecks", testClockChecks},
}

func testObligationTriggers(t *testing.T, e *env) {
	ctx := e.ctx
	a, b := e.org("a"), e.org("b")
	inc := e.incident(a.ID, "Customer database exposed")
	other := e.incident(b.ID, "Other")

	later := store.ObligationTrigger{ID: e.id(), OrgID: a.ID, IncidentID: inc.ID, Name: "significant_incident_aware",
		At: at(30).In(cest), RecordedBy: "alice", RecordedAt: at(40), Note: "CSIRT threshold met"}
	first := store.ObligationTrigger{ID: e.id(), OrgID: a.ID, IncidentID: inc.ID, Name: "personal_data_breach_confirmed",
		At: at(-60), RecordedBy: "bob", RecordedAt: at(41)}
	e.write(func(tx store.Tx) error {
		if err := tx.Obligations().AddTrigger(ctx, later); err != nil {
			return err
		}
		return tx.Obligations().AddTrigger(ctx, first)
	})
	got := get(e, func(tx store.Tx) ([]store.ObligationTrigger, error) {
		return tx.Obligations().Triggers(ctx, a.ID, inc.ID)
	})
	later.At = later.At.UTC()
	require.Equal(t, []store.ObligationTrigger{first, later}, got, "every field round-trips, ordered by time")

	// One trigger of a name per incident.
	dup := first
	dup.ID, dup.At = e.id(), at(5)
	require.ErrorIs(t, e.writeErr(func(tx store.Tx) error { return tx.Obligations().AddTrigger(ctx, dup) }), store.ErrDuplicate)

	// Another organisation sees nothing, and may not record on an incident not its own.
	none := get(e, func(tx store.Tx) ([]store.ObligationTrigger, error) {
		return tx.Obligations().Triggers(ctx, b.ID, inc.ID)
	})
	require.Empty(t, none)
	require.NotNil(t, none, "an empty list, not nil")
	cross := store.ObligationTrigger{ID: e.id(), OrgID: b.ID, IncidentID: inc.ID, Name: "classified_major", At: at(1), RecordedAt: at(1)}
	require.Error(t, e.writeErr(func(tx store.Tx) error { return tx.Obligations().AddTrigger(ctx, cross) }))
	none = get(e, func(tx store.Tx) ([]store.ObligationTrigger, error) {
		return tx.Obligations().Triggers(ctx, b.ID, other.ID)
	})
	require.Empty(t, none)
}

func testObligationSubmissions(t *testing.T, e *env) {
	ctx := e.ctx
	a, b := e.org("a"), e.org("b")
	inc := e.incident(a.ID, "Ransomware")
	s1 := store.ObligationSubmission{ID: e.id(), OrgID: a.ID, IncidentID: inc.ID, Obligation: "dora-intermediate-report",
		SubmittedAt: at(100), Recipient: "BaFin", Summary: "Updated report", Reference: "CASE-2", RecordedBy: "alice", RecordedAt: at(101)}
	s0 := store.ObligationSubmission{ID: e.id(), OrgID: a.ID, IncidentID: inc.ID, Obligation: "dora-initial-notification",
		SubmittedAt: at(10).In(cest), Recipient: "BaFin", RecordedBy: "alice", RecordedAt: at(11)}
	s2 := store.ObligationSubmission{ID: e.id(), OrgID: a.ID, IncidentID: inc.ID, Obligation: "dora-intermediate-report",
		SubmittedAt: at(100), Recipient: "BaFin", Summary: "Same time, later id", RecordedBy: "bob", RecordedAt: at(102)}
	e.write(func(tx store.Tx) error {
		for _, s := range []store.ObligationSubmission{s1, s0, s2} {
			if err := tx.Obligations().AddSubmission(ctx, s); err != nil {
				return err
			}
		}
		return nil
	})
	got := get(e, func(tx store.Tx) ([]store.ObligationSubmission, error) {
		return tx.Obligations().Submissions(ctx, a.ID, inc.ID)
	})
	s0.SubmittedAt = s0.SubmittedAt.UTC()
	require.Equal(t, []store.ObligationSubmission{s0, s1, s2}, got, "every field round-trips; by time, then id")
	none := get(e, func(tx store.Tx) ([]store.ObligationSubmission, error) {
		return tx.Obligations().Submissions(ctx, b.ID, inc.ID)
	})
	require.NotNil(t, none)
	require.Empty(t, none)
}

func testClockNotices(t *testing.T, e *env) {
	ctx := e.ctx
	a, b := e.org("a"), e.org("b")
	inc := e.incident(a.ID, "Late")
	mark := func(orgID, item string, when time.Time) bool {
		var ok bool
		e.write(func(tx store.Tx) error {
			var err error
			ok, err = tx.Obligations().MarkNoticed(ctx, orgID, inc.ID, item, when)
			return err
		})
		return ok
	}
	require.True(t, mark(a.ID, "sla:acknowledge", at(15)))
	require.False(t, mark(a.ID, "sla:acknowledge", at(16)), "a notice is given once")
	require.True(t, mark(a.ID, "obligation:gdpr-art33", at(20)))
	got := get(e, func(tx store.Tx) (map[string]time.Time, error) { return tx.Obligations().Noticed(ctx, a.ID, inc.ID) })
	require.Equal(t, map[string]time.Time{"sla:acknowledge": at(15), "obligation:gdpr-art33": at(20)}, got)
	got = get(e, func(tx store.Tx) (map[string]time.Time, error) { return tx.Obligations().Noticed(ctx, b.ID, inc.ID) })
	require.Empty(t, got)

	// Two writers racing for the same notice: exactly one gets it.
	results := make(chan bool, 2)
	for range 2 {
		go func() {
			var ok bool
			err := e.writeErr(func(tx store.Tx) error {
				var err error
				ok, err = tx.Obligations().MarkNoticed(ctx, a.ID, inc.ID, "sla:resolve", at(30))
				return err
			})
			results <- err == nil && ok
		}()
	}
	require.NotEqual(t, <-results, <-results, "one of two racing writers gives the notice")
}

func testClockChecks(t *testing.T, e *env) {
	ctx := e.ctx
	a := e.org("a")
	inc := e.incident(a.ID, "Timers")
	next := func() (time.Time, bool) {
		var at time.Time
		var ok bool
		e.read(func(tx store.Tx) error {
			var err error
			at, ok, err = tx.Obligations().NextCheck(ctx, a.ID, inc.ID)
			return err
		})
		return at, ok
	}
	_, ok := next()
	require.False(t, ok)
	e.write(func(tx store.Tx) error { return tx.Obligations().SetNextCheck(ctx, a.ID, inc.ID, at(60).In(cest)) })
	got, ok := next()
	require.True(t, ok)
	require.Equal(t, at(60), got)
	e.write(func(tx store.Tx) error { return tx.Obligations().SetNextCheck(ctx, a.ID, inc.ID, at(90)) })
	got, _ = next()
	require.Equal(t, at(90), got, "a later set replaces the time")
	e.write(func(tx store.Tx) error { return tx.Obligations().SetNextCheck(ctx, a.ID, inc.ID, time.Time{}) })
	_, ok = next()
	require.False(t, ok, "the zero time clears it")
}
