package storetest

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
)

// The full-text filter of incident lists (IncidentFilter.Query) looks at an incident as a
// whole: its key, title, summary and tags, its tasks, notes and timeline. Drivers may keep a
// search document per incident; these tests check that it follows every change and keeps to
// the access rules.

// queryFixture is an incident to search in, with helpers that list and count by a query.
type queryFixture struct {
	t   *testing.T
	e   *env
	org string
}

// matches returns the ids of the incidents f selects, walking every page with a small limit,
// and checks that Count agrees.
func (q queryFixture) matches(f store.IncidentFilter) []string {
	q.t.Helper()
	if f.OrgID == "" {
		f.OrgID = q.org
	}
	f.Limit = 2
	got := walkIncidents(q.t, q.e, f)
	n := get(q.e, func(tx store.Tx) (int, error) { return tx.Incidents().Count(q.e.ctx, f) })
	require.Equal(q.t, len(got), n, "count of %q", f.Query)
	return got
}

// find returns the ids of the incidents the query selects.
func (q queryFixture) find(query string) []string {
	q.t.Helper()
	return q.matches(store.IncidentFilter{Query: query})
}

func testIncidentQueryFollowsChanges(t *testing.T, e *env) {
	ctx := e.ctx
	q := queryFixture{t: t, e: e, org: e.org("a").ID}
	inc := e.incident(q.org, "Unusual sign-in", func(i *incident.Incident) {
		i.Summary = "An account signed in from two continents"
		i.Tags = []string{"identity"}
	})
	other := e.incident(q.org, "Printer offline")
	only := []string{inc.ID}
	require.Empty(t, q.find("quokka"))

	// Text added after the incident was made: a task, a note, a timeline entry.
	task := e.task(inc, "Reset the quokka password", func(t *incident.Task) { t.Description = "via the wombat portal" })
	require.Equal(t, only, q.find("quokka"))
	require.Equal(t, only, q.find("wombat"), "task description")
	note := e.note(inc, "The numbat proxy logged the session")
	require.Equal(t, only, q.find("numbat"))
	e.entry(inc, "Blocked the platypus address")
	require.Equal(t, only, q.find("platypus"))
	require.Equal(t, only, q.find("platyp"), "prefix")

	// The incident's own text: tags and key count too.
	require.Equal(t, only, q.find("identity"))
	require.Equal(t, []string{other.ID}, q.find(other.Key))

	// Every word must be found, but anywhere in the incident: here in the title, a task, a
	// note and the timeline.
	require.Equal(t, only, q.find("unusual quokka numbat platypus"))
	require.Empty(t, q.find("quokka printer"), "words of two incidents")
	require.Empty(t, q.find("quokka echidna"))

	// Edits replace the old text.
	task.Title, task.Description = "Reset the bilby password", "in person"
	e.write(func(tx store.Tx) error { return tx.Tasks().Update(ctx, task, task.Version) })
	require.Empty(t, q.find("quokka"))
	require.Empty(t, q.find("wombat"))
	require.Equal(t, only, q.find("bilby"))
	note.Body, note.UpdatedAt = "The dingo proxy logged the session", at(5)
	e.write(func(tx store.Tx) error { return tx.Notes().Update(ctx, note, "user:x", note.Version) })
	require.Empty(t, q.find("numbat"))
	require.Equal(t, only, q.find("dingo"))
	cur := get(e, func(tx store.Tx) (incident.Incident, error) { return tx.Incidents().Get(ctx, q.org, inc.ID) })
	cur.Title, cur.Summary, cur.Tags = "Impossible travel", "Two continents in an hour", []string{"travel"}
	e.write(func(tx store.Tx) error { return tx.Incidents().Update(ctx, cur, cur.Version) })
	require.Empty(t, q.find("unusual"))
	require.Empty(t, q.find("identity"), "old tag")
	require.Equal(t, only, q.find("travel"))
	require.Equal(t, only, q.find("impossible dingo bilby platypus"))
	// What did not change is still there.
	require.Equal(t, only, q.find("platypus"))
}

func testIncidentQueryAccess(t *testing.T, e *env) {
	ctx := e.ctx
	a, b := e.org("a").ID, e.org("b").ID
	alice, bob := e.user("alice").ID, e.user("bob").ID
	q := queryFixture{t: t, e: e, org: a}
	open := e.incident(a, "Open matter")
	secret := e.incident(a, "Secret matter", func(i *incident.Incident) { i.Restricted = true })
	elsewhere := e.incident(b, "Matter of B")
	e.write(func(tx store.Tx) error { return tx.Incidents().AddMember(ctx, a, secret.ID, alice) })
	for _, inc := range []incident.Incident{open, secret, elsewhere} {
		e.task(inc, "Check the kestrel logs")
		e.note(inc, "kestrel seen")
		e.entry(inc, "kestrel again")
	}

	require.ElementsMatch(t, []string{open.ID, secret.ID}, q.find("kestrel"), "no access rule: the organisation's")
	require.ElementsMatch(t, []string{open.ID, secret.ID},
		q.matches(store.IncidentFilter{Query: "kestrel", VisibleTo: alice}), "a member")
	require.Equal(t, []string{open.ID}, q.matches(store.IncidentFilter{Query: "kestrel", VisibleTo: bob}), "not a member")
	require.Equal(t, []string{elsewhere.ID}, q.matches(store.IncidentFilter{OrgID: b, Query: "kestrel"}))

	// Restricting an incident later hides it from non-members at once; lifting it shows it.
	cur := get(e, func(tx store.Tx) (incident.Incident, error) { return tx.Incidents().Get(ctx, a, open.ID) })
	cur.Restricted = true
	e.write(func(tx store.Tx) error { return tx.Incidents().Update(ctx, cur, cur.Version) })
	require.Empty(t, q.matches(store.IncidentFilter{Query: "kestrel", VisibleTo: bob}))
	require.Equal(t, []string{secret.ID}, q.matches(store.IncidentFilter{Query: "kestrel", VisibleTo: alice}))
	cur.Restricted, cur.Version = false, cur.Version+1
	e.write(func(tx store.Tx) error { return tx.Incidents().Update(ctx, cur, cur.Version) })
	require.Equal(t, []string{open.ID}, q.matches(store.IncidentFilter{Query: "kestrel", VisibleTo: bob}))
}

// longTimeline is more timeline entries than a driver would rebuild a search document from
// on every new one.
const longTimeline = 700

func testIncidentQueryLongTimeline(t *testing.T, e *env) {
	ctx := e.ctx
	q := queryFixture{t: t, e: e, org: e.org("a").ID}
	inc := e.incident(q.org, "Noisy beacon")
	quiet := e.incident(q.org, "Quiet host")
	e.task(inc, "Find the galah implant")
	e.entry(quiet, "routine check")
	only := []string{inc.ID}

	// Entries added one by one, then many in one Write; the words are spread over them.
	for i := range 150 {
		e.entry(inc, fmt.Sprintf("beacon %d reached the cockatoo server", i), func(en *incident.Entry) {
			if i == 3 {
				en.Text += " lorikeet"
			}
		})
	}
	e.write(func(tx store.Tx) error {
		for i := 150; i < longTimeline; i++ {
			text := fmt.Sprintf("beacon %d reached the cockatoo server", i)
			switch i {
			case 400:
				text += " rosella"
			case longTimeline - 1:
				text += " kookaburra"
			}
			en := incident.Entry{ID: e.id(), OrgID: q.org, IncidentID: inc.ID, EventAt: at(i), EventZone: "Z",
				RecordedAt: at(i), Kind: incident.KindManual, Actor: "user:test", Text: text}
			if err := tx.Timeline().Add(ctx, en); err != nil {
				return err
			}
		}
		return nil
	})
	for _, word := range []string{"lorikeet", "rosella", "kookaburra", "cockatoo", "galah", "noisy", "beacon"} {
		require.Equal(t, only, q.find(word), word)
	}
	// Words found far apart in the timeline, and in the timeline and elsewhere, match together.
	require.Equal(t, only, q.find("lorikeet rosella kookaburra"))
	require.Equal(t, only, q.find("galah noisy lorikeet kookab"))
	require.Empty(t, q.find("lorikeet routine"), "words of two incidents")
	require.Empty(t, q.find("lorikeet budgerigar"))

	// The incident keeps following changes.
	e.entry(inc, "a budgerigar at last")
	require.Equal(t, only, q.find("budgerigar lorikeet"))
	task := e.task(inc, "Ask the corella team")
	require.Equal(t, only, q.find("corella kookaburra"))
	task.Title = "Ask the currawong team"
	e.write(func(tx store.Tx) error { return tx.Tasks().Update(ctx, task, task.Version) })
	require.Empty(t, q.find("corella"))
	require.Equal(t, only, q.find("currawong budgerigar"))
	note := e.note(inc, "magpie")
	require.Equal(t, only, q.find("magpie rosella"))
	cur := get(e, func(tx store.Tx) (incident.Incident, error) { return tx.Incidents().Get(ctx, q.org, inc.ID) })
	cur.Title = "Chatty beacon"
	e.write(func(tx store.Tx) error { return tx.Incidents().Update(ctx, cur, cur.Version) })
	require.Empty(t, q.find("noisy"))
	require.Equal(t, only, q.find("chatty magpie currawong rosella budgerigar"))
	note.Body, note.UpdatedAt = "pelican", at(1)
	e.write(func(tx store.Tx) error { return tx.Notes().Update(ctx, note, "user:x", note.Version) })
	require.Empty(t, q.find("magpie"))
	require.Equal(t, only, q.find("pelican"))

	// Access rules hold for long incidents too.
	bob := e.user("bob").ID
	cur.Restricted, cur.Version = true, cur.Version+1
	e.write(func(tx store.Tx) error { return tx.Incidents().Update(ctx, cur, cur.Version) })
	require.Empty(t, q.matches(store.IncidentFilter{Query: "rosella", VisibleTo: bob}))
	require.Empty(t, q.matches(store.IncidentFilter{OrgID: e.org("b").ID, Query: "rosella"}))
	require.Equal(t, only, q.find("rosella"))
}
