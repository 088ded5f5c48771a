package postgres

import (
	"context"
	"strconv"
	"strings"

	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
	"github.com/quell-ir/quell/internal/validation"
)

type incidentRepo struct{ *tx }

var incidentCols = `i.id, i.org_id, i.number, i.title, i.summary, i.type, i.severity, i.priority, i.phase,
	i.resolution, i.tlp, i.restricted, i.tags, i.custom_fields, ` + tc("i.occurred_at") + ", " + tc("i.detected_at") + ", " +
	tc("i.reported_at") + ", " + tc("i.acknowledged_at") + ", " + tc("i.contained_at") + ", " + tc("i.eradicated_at") + ", " +
	tc("i.recovered_at") + ", " + tc("i.closed_at") + ", i.max_criticality, i.created_by, " + tc("i.created_at") + ", " +
	tc("i.updated_at") + ", i.version"

func scanIncident(s rowScanner) (incident.Incident, error) {
	var inc incident.Incident
	ms := &inc.Milestones
	err := s.Scan(dest(&inc.ID, &inc.OrgID, &inc.Number, &inc.Title, &inc.Summary, &inc.Type, &inc.Severity,
		&inc.Priority, &inc.Phase, &inc.Resolution, &inc.TLP, &inc.Restricted, &inc.Tags, &inc.CustomFields,
		tcolPtr(&ms.OccurredAt), tcolPtr(&ms.DetectedAt), tcolPtr(&ms.ReportedAt), tcolPtr(&ms.AcknowledgedAt),
		tcolPtr(&ms.ContainedAt), tcolPtr(&ms.EradicatedAt), tcolPtr(&ms.RecoveredAt), tcolPtr(&ms.ClosedAt),
		&inc.MaxCriticality, &inc.CreatedBy, tcol(&inc.CreatedAt), tcol(&inc.UpdatedAt), &inc.Version)...)
	inc.Key = incident.FormatKey(inc.Number)
	return inc, err
}

// priorityRank orders priorities worst first when sorted descending: 4 for P1 … 1 for P4.
func priorityRank(p incident.Priority) int {
	switch p {
	case incident.P1:
		return 4
	case incident.P2:
		return 3
	case incident.P3:
		return 2
	case incident.P4:
		return 1
	}
	return 0
}

// NextNumber reserves the organisation's next incident number. The counter row stays locked
// until the Write ends, so concurrent Writes on any node take turns and never share a number.
func (r incidentRepo) NextNumber(ctx context.Context, orgID string) (int64, error) {
	var n int64
	err := r.queryRow(ctx, `INSERT INTO incident_counters AS c (org_id, next) VALUES ($1, 2)
		ON CONFLICT (org_id) DO UPDATE SET next = c.next + 1 RETURNING c.next - 1`, []any{orgID}, &n)
	return n, err
}

// incidentFields sets the columns an update may change.
func incidentFields(c *cols, inc incident.Incident) (*cols, error) {
	custom, err := jsonArg(inc.CustomFields, inc.CustomFields == nil)
	if err != nil {
		return nil, err
	}
	ms := inc.Milestones
	c.set("title", inc.Title).set("summary", inc.Summary).set("type", string(inc.Type)).
		set("severity", string(inc.Severity)).set("severity_rank", inc.Severity.Rank()).
		set("priority", string(inc.Priority)).set("priority_rank", priorityRank(inc.Priority)).
		set("phase", string(inc.Phase)).set("resolution", string(inc.Resolution)).set("tlp", string(inc.TLP)).
		set("restricted", inc.Restricted).set("tags", inc.Tags).set("custom_fields", custom).
		setTimePtr("occurred_at", ms.OccurredAt).setTimePtr("detected_at", ms.DetectedAt).
		setTimePtr("reported_at", ms.ReportedAt).setTimePtr("acknowledged_at", ms.AcknowledgedAt).
		setTimePtr("contained_at", ms.ContainedAt).setTimePtr("eradicated_at", ms.EradicatedAt).
		setTimePtr("recovered_at", ms.RecoveredAt).setTimePtr("closed_at", ms.ClosedAt).
		set("max_criticality", inc.MaxCriticality).setTime("updated_at", inc.UpdatedAt)
	return c, nil
}

// Create stores a new incident; its Key is derived from Number and not stored.
func (r incidentRepo) Create(ctx context.Context, inc incident.Incident) error {
	c, err := incidentFields((&cols{}).set("id", inc.ID).set("org_id", inc.OrgID).set("number", inc.Number).
		set("created_by", inc.CreatedBy).setTime("created_at", inc.CreatedAt).set("version", inc.Version), inc)
	if err != nil {
		return err
	}
	_, err = r.exec(ctx, c.insert("incidents"), c.args...)
	return err
}

func (r incidentRepo) Get(ctx context.Context, orgID, id string) (incident.Incident, error) {
	return scanOne(ctx, r.tx, scanIncident, "SELECT "+incidentCols+" FROM incidents i WHERE i.org_id = $1 AND i.id = $2", orgID, id)
}

func (r incidentRepo) GetByNumber(ctx context.Context, orgID string, number int64) (incident.Incident, error) {
	return scanOne(ctx, r.tx, scanIncident, "SELECT "+incidentCols+" FROM incidents i WHERE i.org_id = $1 AND i.number = $2", orgID, number)
}

// Update writes every field but the id, organisation, number and creation fields.
func (r incidentRepo) Update(ctx context.Context, inc incident.Incident, expectVersion int64) error {
	c, err := incidentFields(&cols{}, inc)
	if err != nil {
		return err
	}
	c.set("version", expectVersion+1)
	q := "UPDATE incidents SET " + c.assignments() + " WHERE org_id = " + c.args.add(inc.OrgID) +
		" AND id = " + c.args.add(inc.ID) + " AND version = " + c.args.add(expectVersion)
	return r.updateVersioned(ctx, "incidents", "org_id = $1 AND id = $2", []any{inc.OrgID, inc.ID}, q, c.args...)
}

// incidentSort describes one list order: every order is "key descending, then id
// descending", and the cursor holds the key and id of the last row of a page.
type incidentSort struct {
	keys []string // columns of the sort key, before i.id; none sorts by id alone
	// val returns the key of an incident as the cursor stores it.
	val func(incident.Incident) string
	// args turns the key stored in a cursor back into one value per key column.
	args func(string) ([]any, error)
}

var incidentSorts = map[store.IncidentSort]incidentSort{
	store.SortCreated: {},
	store.SortUpdated: {
		keys: []string{"i.updated_at", "i.updated_at_ns"},
		val:  func(inc incident.Incident) string { return cursorTime(inc.UpdatedAt) },
		args: func(s string) ([]any, error) {
			t, err := parseCursorTime(s)
			at, ns := splitTime(t)
			return []any{at, ns}, err
		},
	},
	store.SortSeverity: {
		keys: []string{"i.severity_rank"},
		val:  func(inc incident.Incident) string { return strconv.Itoa(inc.Severity.Rank()) },
		args: atoiArgs,
	},
	store.SortPriority: {
		keys: []string{"i.priority_rank"},
		val:  func(inc incident.Incident) string { return strconv.Itoa(priorityRank(inc.Priority)) },
		args: atoiArgs,
	},
}

func atoiArgs(s string) ([]any, error) {
	n, err := strconv.Atoi(s)
	return []any{n}, err
}

func badCursor() error { return validation.Errorf("/cursor", "is not a cursor this list gave out") }

// List returns a page of incidents in the filter's order, newest or worst first.
func (r incidentRepo) List(ctx context.Context, f store.IncidentFilter) (store.Page[incident.Incident], error) {
	page := store.Page[incident.Incident]{Items: []incident.Incident{}}
	sortName := f.Sort
	if sortName == "" {
		sortName = store.SortCreated
	}
	srt, ok := incidentSorts[sortName]
	if !ok {
		return page, validation.Errorf("/sort", "must be one of created, updated, severity, priority")
	}
	w, org := incidentWhere(f)
	keys := append(append([]string(nil), srt.keys...), "i.id")
	if f.Cursor != "" {
		n := 2
		if len(srt.keys) > 0 {
			n = 3
		}
		parts, err := store.DecodeCursor(f.Cursor, n)
		if err != nil {
			return page, err
		}
		if parts[0] != string(sortName) {
			return page, badCursor()
		}
		vals := []any{parts[len(parts)-1]}
		if len(srt.keys) > 0 {
			kv, err := srt.args(parts[1])
			if err != nil {
				return page, badCursor()
			}
			vals = append(kv, vals...)
		}
		marks := make([]string, len(vals))
		for i, v := range vals {
			marks[i] = w.arg(v)
		}
		w.add("(" + strings.Join(keys, ", ") + ") < (" + strings.Join(marks, ", ") + ")")
	}
	limit := store.ClampLimit(f.Limit)
	order := " ORDER BY " + strings.Join(keys, " DESC, ") + " DESC LIMIT "
	var items []incident.Incident
	var err error
	switch terms := searchTermsOf(f.Query); {
	case len(terms) > 0:
		items, err = r.search(ctx, f.OrgID, w, org, terms, order, limit)
	case strings.TrimSpace(f.Query) != "":
		return page, nil // nothing searchable: nothing matches
	default:
		items, err = scanList(ctx, r.tx, scanIncident, "SELECT "+incidentCols+" FROM incidents i"+w.sql()+
			order+strconv.Itoa(limit+1), w.args...)
	}
	if err != nil {
		return page, err
	}
	if len(items) > limit {
		items = items[:limit]
		last := items[limit-1]
		if len(srt.keys) == 0 {
			page.Next = store.EncodeCursor(string(sortName), last.ID)
		} else {
			page.Next = store.EncodeCursor(string(sortName), srt.val(last), last.ID)
		}
	}
	page.Items = nonNil(items)
	return page, nil
}

// Count counts the incidents f selects.
func (r incidentRepo) Count(ctx context.Context, f store.IncidentFilter) (int, error) {
	w, org := incidentWhere(f)
	planned := false
	if terms := searchTermsOf(f.Query); len(terms) > 0 {
		w.add("i.id IN (" + newDocQuery(w, terms).matches(org) + ")")
		planned = true
	} else if strings.TrimSpace(f.Query) != "" {
		return 0, nil
	}
	args := w.args
	if planned {
		args = plannedArgs(args)
	}
	var n int
	err := r.queryRow(ctx, "SELECT count(*) FROM incidents i"+w.sql(), args, &n)
	return n, err
}

// closedPhase is incident.PhaseClosed as an SQL literal.
const closedPhase = "'" + string(incident.PhaseClosed) + "'"

// incidentWhere builds the conditions of an incident filter on the alias i, all but the search
// (f.Query, see search.go), and returns them with the placeholder of the organisation.
func incidentWhere(f store.IncidentFilter) (*where, string) {
	w := &where{}
	org := w.arg(f.OrgID)
	w.add("i.org_id = " + org)
	in(w, "i.phase", f.Phases)
	in(w, "i.severity", f.Severities)
	in(w, "i.type", f.Types)
	if f.Open != nil {
		// The phase is written out, not a parameter, so that the index of open incidents
		// (incidents_open_priority, whose condition this is) can serve the list whatever the
		// plan.
		if *f.Open {
			w.add("i.phase <> " + closedPhase)
		} else {
			w.add("i.phase = " + closedPhase)
		}
	}
	if f.Assignee != "" {
		// Tasks name their assignee by user name; the filter names the user by id.
		u := w.arg(f.Assignee)
		w.add(`i.id IN (SELECT incident_id FROM assignments WHERE org_id = ` + org + ` AND user_id = ` + u + `
			UNION ALL SELECT incident_id FROM tasks WHERE org_id = ` + org + ` AND assignee <> ''
				AND assignee = (SELECT username FROM users WHERE id = ` + u + `))`)
	}
	if f.Tag != "" {
		w.add("i.tags @> " + w.arg([]string{f.Tag}) + "::text[]")
	}
	if f.VisibleTo != "" {
		w.add(visibleTo("i", w.arg(f.VisibleTo)))
	}
	return w, org
}

// visibleTo is the condition that hides restricted incidents (alias a) of which the user whose
// id is the placeholder user is not a member.
func visibleTo(alias, user string) string {
	return "(NOT " + alias + ".restricted OR EXISTS (SELECT 1 FROM incident_members m WHERE m.incident_id = " +
		alias + ".id AND m.user_id = " + user + "))"
}
