package storetest

import (
	"cmp"
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
)

// walkIncidents lists every page of f and returns the ids in the order given, failing on a
// repeated id.
func walkIncidents(t *testing.T, e *env, f store.IncidentFilter) []string {
	t.Helper()
	out := []string{}
	seen := map[string]bool{}
	for pages := 0; ; pages++ {
		require.Less(t, pages, 1000, "pagination does not end")
		page := get(e, func(tx store.Tx) (store.Page[incident.Incident], error) { return tx.Incidents().List(e.ctx, f) })
		if f.Limit > 0 {
			require.LessOrEqual(t, len(page.Items), f.Limit)
		}
		for _, inc := range page.Items {
			require.False(t, seen[inc.ID], "incident %s listed twice", inc.ID)
			seen[inc.ID] = true
			require.Equal(t, incident.FormatKey(inc.Number), inc.Key)
			out = append(out, inc.ID)
		}
		if page.Next == "" {
			return out
		}
		require.NotEmpty(t, page.Items, "an empty page with a next cursor")
		f.Cursor = page.Next
	}
}

func testIncidentPagination(t *testing.T, e *env) {
	ctx := e.ctx
	a, b := e.org("a"), e.org("b")
	sevs := incident.Severities
	prios := []incident.Priority{incident.P1, incident.P2, incident.P3, incident.P4}
	var all []incident.Incident
	for i := range 23 {
		inc := e.incident(a.ID, fmt.Sprintf("incident %d", i), func(inc *incident.Incident) {
			inc.Severity = sevs[(i*3)%len(sevs)]
			inc.Priority = prios[(i*7)%len(prios)]
			// Updated times repeat, so ties are broken by id.
			inc.UpdatedAt = at((i * 5) % 11)
			inc.CreatedAt = at(i)
		})
		all = append(all, inc)
	}
	for i := range 3 {
		e.incident(b.ID, fmt.Sprintf("b %d", i))
	}

	byID := func(x, y incident.Incident) int { return cmp.Compare(y.ID, x.ID) }
	prioRank := func(p incident.Priority) int { return -slices.Index(prios, p) }
	orders := map[store.IncidentSort]func(x, y incident.Incident) int{
		store.SortCreated: byID,
		store.SortUpdated: func(x, y incident.Incident) int {
			return cmp.Or(y.UpdatedAt.Compare(x.UpdatedAt), byID(x, y))
		},
		store.SortSeverity: func(x, y incident.Incident) int {
			return cmp.Or(cmp.Compare(y.Severity.Rank(), x.Severity.Rank()), byID(x, y))
		},
		store.SortPriority: func(x, y incident.Incident) int {
			return cmp.Or(cmp.Compare(prioRank(y.Priority), prioRank(x.Priority)), byID(x, y))
		},
	}
	for sortName, order := range orders {
		want := slices.Clone(all)
		slices.SortFunc(want, order)
		wantIDs := ids(want, incidentID)
		for _, limit := range []int{1, 4, 23, 0} {
			got := walkIncidents(t, e, store.IncidentFilter{OrgID: a.ID, Sort: sortName, Limit: limit})
			require.Equal(t, wantIDs, got, "sort %s, limit %d", sortName, limit)
		}
	}
	// The default order is newest first.
	got := walkIncidents(t, e, store.IncidentFilter{OrgID: a.ID, Limit: 5})
	want := slices.Clone(all)
	slices.SortFunc(want, byID)
	require.Equal(t, ids(want, incidentID), got)

	// A page holds full incidents.
	page := get(e, func(tx store.Tx) (store.Page[incident.Incident], error) {
		return tx.Incidents().List(ctx, store.IncidentFilter{OrgID: a.ID, Limit: 1})
	})
	require.Equal(t, []incident.Incident{want[0]}, page.Items)

	// A cursor that no list gave out is refused.
	for _, bad := range []string{"garbage", "eyJ4Ijoi", store.EncodeCursor("a", "b", "c", "d", "e")} {
		err := e.readErr(func(tx store.Tx) error {
			_, err := tx.Incidents().List(ctx, store.IncidentFilter{OrgID: a.ID, Cursor: bad})
			return err
		})
		require.Error(t, err, bad)
	}
	err := e.readErr(func(tx store.Tx) error {
		_, err := tx.Incidents().List(ctx, store.IncidentFilter{OrgID: a.ID, Sort: "sideways"})
		return err
	})
	require.Error(t, err, "unknown sort")
}

// filterFixture is a small, varied set of incidents for the filter tests.
type filterFixture struct {
	a, b                            string // org ids
	alice, bob, carol               string // user ids
	i1, i2, i3, i4, i5, inB         incident.Incident
	mailboxTaskID, quarantineNoteID string
}

func newFilterFixture(t *testing.T, e *env) *filterFixture {
	ctx := e.ctx
	f := &filterFixture{}
	f.a, f.b = e.org("a").ID, e.org("b").ID
	f.alice, f.bob, f.carol = e.user("alice").ID, e.user("bob").ID, e.user("carol").ID
	mk := func(org, title string, ph incident.Phase, sev incident.Severity, typ incident.Type, restricted bool, tags ...string) incident.Incident {
		return e.incident(org, title, func(i *incident.Incident) {
			i.Phase, i.Severity, i.Type, i.Restricted, i.Tags = ph, sev, typ, restricted, tags
		})
	}
	f.i1 = mk(f.a, "Ransomware on payroll servers", incident.PhaseIdentification, incident.SeverityCritical,
		incident.TypeRansomware, false, "ransomware", "finance")
	f.i2 = mk(f.a, "Credential phishing wave", incident.PhaseContainment, incident.SeverityHigh,
		incident.TypePhishing, true, "phishing")
	f.i3 = mk(f.a, "Commodity malware on a laptop", incident.PhaseClosed, incident.SeverityLow,
		incident.TypeMalware, false, "finance")
	f.i4 = mk(f.a, "Suspicious beaconing", incident.PhaseInvestigation, incident.SeverityHigh,
		incident.TypeMalware, true)
	f.i5 = mk(f.a, "Phishing kit hosted on our domain", incident.PhaseClosed, incident.SeverityCritical,
		incident.TypePhishing, false)
	f.i5.Summary = "A typosquatted domain served the kit."
	e.write(func(tx store.Tx) error { return tx.Incidents().Update(ctx, f.i5, f.i5.Version) })
	f.i5.Version++
	f.inB = mk(f.b, "Ransomware on payroll in B", incident.PhaseIdentification, incident.SeverityCritical,
		incident.TypeRansomware, false, "finance")

	e.write(func(tx store.Tx) error {
		require.NoError(t, tx.Incidents().AddMember(ctx, f.a, f.i2.ID, f.alice))
		return tx.Incidents().SetAssignment(ctx, f.a, incident.Assignment{IncidentID: f.i1.ID,
			Role: incident.RoleCommander, UserID: f.alice, AssignedBy: "system", AssignedAt: base})
	})
	f.mailboxTaskID = e.task(f.i2, "Reset mailbox credentials", func(t *incident.Task) {
		t.Description = "Force a password reset for every recipient"
	}).ID
	// Tasks name their assignee by user name; the filter takes the user's id.
	e.task(f.i3, "Reimage the laptop", func(t *incident.Task) { t.Assignee = "bob" })
	f.quarantineNoteID = e.note(f.i3, "Quarantined the laptop from the network").ID
	e.entry(f.i4, "Beacon to xylophone-cdn.example every 60 seconds")
	e.entry(f.inB, "xylophone seen in B too")
	return f
}

func testIncidentFilters(t *testing.T, e *env) {
	ctx := e.ctx
	f := newFilterFixture(t, e)
	yes, no := true, false
	idsOf := func(incs ...incident.Incident) []string { return ids(incs, incidentID) }

	check := func(name string, flt store.IncidentFilter, want []string) {
		t.Helper()
		if flt.OrgID == "" {
			flt.OrgID = f.a
		}
		for _, limit := range []int{0, 2} {
			flt.Limit = limit
			got := walkIncidents(t, e, flt)
			require.ElementsMatch(t, want, got, "%s (limit %d)", name, limit)
		}
		n := get(e, func(tx store.Tx) (int, error) { return tx.Incidents().Count(ctx, flt) })
		require.Equal(t, len(want), n, "count %s", name)
	}
	check("no filter", store.IncidentFilter{}, idsOf(f.i1, f.i2, f.i3, f.i4, f.i5))
	check("org B", store.IncidentFilter{OrgID: f.b}, idsOf(f.inB))
	check("phases", store.IncidentFilter{Phases: []incident.Phase{incident.PhaseContainment, incident.PhaseInvestigation}}, idsOf(f.i2, f.i4))
	check("severities", store.IncidentFilter{Severities: []incident.Severity{incident.SeverityCritical}}, idsOf(f.i1, f.i5))
	check("types", store.IncidentFilter{Types: []incident.Type{incident.TypeMalware}}, idsOf(f.i3, f.i4))
	check("two types", store.IncidentFilter{Types: []incident.Type{incident.TypeMalware, incident.TypeRansomware}}, idsOf(f.i1, f.i3, f.i4))
	check("open", store.IncidentFilter{Open: &yes}, idsOf(f.i1, f.i2, f.i4))
	check("closed", store.IncidentFilter{Open: &no}, idsOf(f.i3, f.i5))
	check("assignee by role", store.IncidentFilter{Assignee: f.alice}, idsOf(f.i1))
	check("assignee by task", store.IncidentFilter{Assignee: f.bob}, idsOf(f.i3))
	check("assignee of nothing", store.IncidentFilter{Assignee: f.carol}, nil)
	check("tag", store.IncidentFilter{Tag: "finance"}, idsOf(f.i1, f.i3))
	check("unknown tag", store.IncidentFilter{Tag: "nope"}, nil)
	check("query in title", store.IncidentFilter{Query: "payroll"}, idsOf(f.i1))
	check("query in summary", store.IncidentFilter{Query: "typosquatted"}, idsOf(f.i5))
	check("query in task", store.IncidentFilter{Query: "mailbox"}, idsOf(f.i2))
	check("query in task description", store.IncidentFilter{Query: "recipient"}, idsOf(f.i2))
	check("query in note", store.IncidentFilter{Query: "quarantined"}, idsOf(f.i3))
	check("query in timeline", store.IncidentFilter{Query: "xylophone"}, idsOf(f.i4))
	check("query prefix", store.IncidentFilter{Query: "xyloph"}, idsOf(f.i4))
	check("query case", store.IncidentFilter{Query: "PAYROLL Servers"}, idsOf(f.i1))
	check("query words are ANDed", store.IncidentFilter{Query: "payroll mailbox"}, nil)
	check("query in two places", store.IncidentFilter{Query: "laptop"}, idsOf(f.i3))
	check("query blank", store.IncidentFilter{Query: "   "}, idsOf(f.i1, f.i2, f.i3, f.i4, f.i5))
	check("visible to member", store.IncidentFilter{VisibleTo: f.alice}, idsOf(f.i1, f.i2, f.i3, f.i5))
	check("visible to non-member", store.IncidentFilter{VisibleTo: f.bob}, idsOf(f.i1, f.i3, f.i5))
	check("restricted hidden from search", store.IncidentFilter{Query: "xylophone", VisibleTo: f.alice}, nil)
	check("phases and severities", store.IncidentFilter{
		Phases:     []incident.Phase{incident.PhaseContainment, incident.PhaseInvestigation},
		Severities: []incident.Severity{incident.SeverityHigh},
	}, idsOf(f.i2, f.i4))
	check("phases, severities, visible", store.IncidentFilter{
		Phases:     []incident.Phase{incident.PhaseContainment, incident.PhaseInvestigation},
		Severities: []incident.Severity{incident.SeverityHigh}, VisibleTo: f.bob,
	}, nil)
	check("open and tag", store.IncidentFilter{Open: &yes, Tag: "finance"}, idsOf(f.i1))
	check("everything", store.IncidentFilter{Open: &yes, Tag: "finance", Query: "ransomware", Assignee: f.alice,
		Types: []incident.Type{incident.TypeRansomware}, Severities: []incident.Severity{incident.SeverityCritical},
		Phases: []incident.Phase{incident.PhaseIdentification}, VisibleTo: f.bob, Sort: store.SortSeverity}, idsOf(f.i1))
	for _, s := range []store.IncidentSort{store.SortUpdated, store.SortSeverity, store.SortPriority} {
		check("sorted "+string(s), store.IncidentFilter{Tag: "finance", Sort: s}, idsOf(f.i1, f.i3))
	}

	// The tag filter follows updates.
	i3 := get(e, func(tx store.Tx) (incident.Incident, error) { return tx.Incidents().Get(ctx, f.a, f.i3.ID) })
	i3.Tags = []string{"finance", "legal"}
	i1 := get(e, func(tx store.Tx) (incident.Incident, error) { return tx.Incidents().Get(ctx, f.a, f.i1.ID) })
	i1.Tags = []string{"ransomware"}
	i1.Title = "Ransomware on HR servers"
	e.write(func(tx store.Tx) error {
		require.NoError(t, tx.Incidents().Update(ctx, i3, i3.Version))
		return tx.Incidents().Update(ctx, i1, i1.Version)
	})
	check("tag after update", store.IncidentFilter{Tag: "finance"}, idsOf(f.i3))
	check("new tag", store.IncidentFilter{Tag: "legal"}, idsOf(f.i3))
	// So does search.
	check("old title", store.IncidentFilter{Query: "payroll"}, nil)
	check("new title", store.IncidentFilter{Query: "HR"}, idsOf(f.i1))
}
