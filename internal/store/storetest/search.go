package storetest

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
)

func (e *env) search(q store.SearchQuery) []store.SearchHit {
	e.t.Helper()
	return get(e, func(tx store.Tx) ([]store.SearchHit, error) { return tx.Search().Search(e.ctx, q) })
}

// hitKey identifies a hit for comparison.
func hitKey(h store.SearchHit) string { return h.Kind + ":" + h.ObjectID }

func testSearch(t *testing.T, e *env) {
	f := newFilterFixture(t, e)
	i6 := e.incident(f.a, "Zürich office outage", func(i *incident.Incident) {
		i.Summary = "Network gear in the Zürich office failed after the storm"
	})

	search := func(q string, visibleTo string, limit int) []store.SearchHit {
		return e.search(store.SearchQuery{OrgID: f.a, Query: q, VisibleTo: visibleTo, Limit: limit})
	}
	one := func(q string) store.SearchHit {
		t.Helper()
		hits := search(q, "", 0)
		require.Len(t, hits, 1, q)
		return hits[0]
	}

	h := one("payroll")
	require.Equal(t, store.SearchHit{Kind: "incident", IncidentID: f.i1.ID, IncidentKey: f.i1.Key, ObjectID: f.i1.ID,
		Title: f.i1.Title, Snippet: h.Snippet}, h)
	require.Contains(t, strings.ToLower(h.Snippet), "payroll")

	h = one("typosquatted")
	require.Equal(t, "incident", h.Kind)
	require.Equal(t, f.i5.ID, h.IncidentID)
	require.Contains(t, h.Snippet, "typosquatted")

	h = one("mailbox")
	require.Equal(t, store.SearchHit{Kind: "task", IncidentID: f.i2.ID, IncidentKey: f.i2.Key, ObjectID: f.mailboxTaskID,
		Title: "Reset mailbox credentials", Snippet: h.Snippet}, h)
	h = one("recipient")
	require.Equal(t, "task", h.Kind)
	require.Contains(t, h.Snippet, "recipient")

	h = one("quarantined")
	require.Equal(t, "note", h.Kind)
	require.Equal(t, f.i3.ID, h.IncidentID)
	require.Equal(t, f.i3.Key, h.IncidentKey)
	require.Equal(t, f.quarantineNoteID, h.ObjectID)
	require.Contains(t, h.Snippet, "Quarantined")

	h = one("xylophone")
	require.Equal(t, "timeline", h.Kind)
	require.Equal(t, f.i4.ID, h.IncidentID)
	require.Equal(t, f.i4.Key, h.IncidentKey)
	require.Contains(t, h.Snippet, "xylophone")
	require.NotContains(t, h.Snippet, "<", "snippets are plain text")

	// The last word matches as a prefix; words are ANDed; case does not matter.
	require.Equal(t, f.i4.ID, one("xyloph").IncidentID)
	require.Equal(t, f.i1.ID, one("RANSOMWARE payr").IncidentID)
	require.Empty(t, search("payroll mailbox", "", 0))
	require.Equal(t, i6.ID, one("zürich storm").IncidentID)
	require.Empty(t, search("", "", 0))
	require.Empty(t, search("   ", "", 0))

	// "laptop" is in an incident title, a task and a note.
	hits := search("laptop", "", 0)
	require.ElementsMatch(t, []string{"incident:" + f.i3.ID, "note:" + f.quarantineNoteID, "task:"},
		trimTaskIDs(hits))
	for _, h := range hits {
		require.Equal(t, f.i3.ID, h.IncidentID)
	}
	require.Len(t, search("laptop", "", 2), 2, "limit")

	// Hits come newest first (creation time; recording time for timeline entries), whatever
	// their kind, and the limit keeps the newest.
	i7 := e.incident(f.a, "Kestrel sighted near the DMZ", func(i *incident.Incident) { i.CreatedAt = at(1) })
	kTask := e.task(i7, "Ring the kestrel", func(t *incident.Task) { t.CreatedAt = at(3) })
	kEntry := e.entry(i7, "kestrel on camera 3", func(en *incident.Entry) { en.RecordedAt, en.EventAt = at(2), at(-100) })
	kNote := e.note(i7, "the kestrel left")
	e.write(func(tx store.Tx) error {
		n := kNote
		n.Body, n.UpdatedAt = "the kestrel came back", at(50) // an edit does not make a note newer
		return tx.Notes().Update(e.ctx, n, "user:x", 1)
	})
	byTime := []string{"task:" + kTask.ID, "timeline:" + kEntry.ID, "incident:" + i7.ID, "note:" + kNote.ID}
	require.Equal(t, byTime, ids(search("kestrel", "", 0), hitKey))
	require.Equal(t, byTime[:2], ids(search("kestrel", "", 2), hitKey))

	// Restricted incidents are hidden from non-members, whatever matched.
	require.Empty(t, search("xylophone", f.alice, 0), "i4 has no members")
	require.Empty(t, search("mailbox", f.bob, 0), "bob is not a member of i2")
	require.Len(t, search("mailbox", f.alice, 0), 1, "alice is")
	require.Len(t, search("credential", f.bob, 0), 0)
	require.Len(t, search("credential", f.alice, 0), 2, "i2's title and its task")

	// Another organisation's data is never found.
	hits = e.search(store.SearchQuery{OrgID: f.b, Query: "payroll"})
	require.Len(t, hits, 1)
	require.Equal(t, f.inB.ID, hits[0].IncidentID)
	require.Empty(t, e.search(store.SearchQuery{OrgID: f.b, Query: "mailbox"}))
	hits = e.search(store.SearchQuery{OrgID: f.b, Query: "xylophone"})
	require.Len(t, hits, 1)
	require.Equal(t, f.inB.ID, hits[0].IncidentID)

	// Search follows updates.
	n := get(e, func(tx store.Tx) (incident.Note, error) { return tx.Notes().Get(e.ctx, f.a, f.quarantineNoteID) })
	n.Body, n.UpdatedAt = "Isolated the workstation", at(10)
	e.write(func(tx store.Tx) error { return tx.Notes().Update(e.ctx, n, "user:alice", n.Version) })
	require.Equal(t, "note", one("workstation").Kind)
	for _, h := range search("quarantined", "", 0) {
		require.NotEqual(t, "note", h.Kind)
	}
	task := get(e, func(tx store.Tx) (incident.Task, error) { return tx.Tasks().Get(e.ctx, f.a, f.mailboxTaskID) })
	task.Title = "Reset VPN tokens"
	e.write(func(tx store.Tx) error { return tx.Tasks().Update(e.ctx, task, task.Version) })
	require.Empty(t, search("mailbox", "", 0))
	require.Equal(t, f.mailboxTaskID, one("vpn").ObjectID)
}

// trimTaskIDs returns the hit keys with task ids dropped (the fixture does not keep them all).
func trimTaskIDs(hits []store.SearchHit) []string {
	var out []string
	for _, h := range hits {
		if h.Kind == "task" {
			out = append(out, "task:")
			continue
		}
		out = append(out, hitKey(h))
	}
	return out
}

// hostileQueries are inputs that break a naive full-text query.
var hostileQueries = []string{
	`"`, `""`, `"""`, `"payroll`, `payroll"`, `*`, `**`, `payroll*`, `*payroll`, `AND OR NOT`, `AND`, `OR`, `NOT`,
	`NOT payroll`, `payroll OR`, `payroll AND`, `(`, `)`, `()`, `(payroll`, `NEAR/`, `NEAR(`, `NEAR(payroll servers)`,
	`payroll NEAR/2 servers`, `title:payroll`, `{title summary}:payroll`, `-payroll`, `+payroll`, `^payroll`, `:`,
	`'`, `''`, `\`, `\"`, `%`, `_`, `;`, `--`, `'; DROP TABLE incidents; --`, `日本語`, `ü`, `🔥 incident`, "\x00",
	"pay\x00roll", "\xff\xfe", "tab\tand\nnewline", strings.Repeat("a", 10000), strings.Repeat("payroll ", 500),
	strings.Repeat("(", 300), `"a" "b" "c"`, `x:y:z`, `*:*`, `a*b*c`,
}

func testSearchHostile(t *testing.T, e *env) {
	f := newFilterFixture(t, e)
	for _, q := range hostileQueries {
		hits := e.search(store.SearchQuery{OrgID: f.a, Query: q})
		require.NotNil(t, hits, "%q", q)
		e.search(store.SearchQuery{OrgID: f.a, Query: q, VisibleTo: f.bob})
		walkIncidents(t, e, store.IncidentFilter{OrgID: f.a, Query: q, Limit: 3})
		get(e, func(tx store.Tx) (int, error) {
			return tx.Incidents().Count(e.ctx, store.IncidentFilter{OrgID: f.a, Query: q})
		})
	}
	// Punctuation around a word does not stop it being found.
	for _, q := range []string{`"payroll"`, `payroll*`, `(payroll)`, `"payroll`, `payroll;`, `-payroll`} {
		hits := e.search(store.SearchQuery{OrgID: f.a, Query: q})
		require.Len(t, hits, 1, "%q", q)
		require.Equal(t, f.i1.ID, hits[0].IncidentID, "%q", q)
	}
}
