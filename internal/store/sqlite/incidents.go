package sqlite

import (
	"context"
	"strconv"
	"strings"

	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
	"github.com/quell-ir/quell/internal/validation"
)

type incidentRepo struct{ *tx }

const incidentCols = `i.id, i.org_id, i.number, i.title, i.summary, i.type, i.severity, i.priority, i.phase,
	i.resolution, i.tlp, i.restricted, i.tags, i.custom_fields, i.occurred_at, i.detected_at, i.reported_at,
	i.acknowledged_at, i.contained_at, i.eradicated_at, i.recovered_at, i.closed_at, i.max_criticality,
	i.created_by, i.created_at, i.updated_at, i.version`

func scanIncident(s rowScanner) (incident.Incident, error) {
	var inc incident.Incident
	ms := &inc.Milestones
	err := s.Scan(&inc.ID, &inc.OrgID, &inc.Number, &inc.Title, &inc.Summary, &inc.Type, &inc.Severity,
		&inc.Priority, &inc.Phase, &inc.Resolution, &inc.TLP, &inc.Restricted, jsonCol{&inc.Tags},
		jsonCol{&inc.CustomFields}, timePtrCol{&ms.OccurredAt}, timePtrCol{&ms.DetectedAt},
		timePtrCol{&ms.ReportedAt}, timePtrCol{&ms.AcknowledgedAt}, timePtrCol{&ms.ContainedAt},
		timePtrCol{&ms.EradicatedAt}, timePtrCol{&ms.RecoveredAt}, timePtrCol{&ms.ClosedAt},
		&inc.MaxCriticality, &inc.CreatedBy, timeCol{&inc.CreatedAt}, timeCol{&inc.UpdatedAt}, &inc.Version)
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

// NextNumber reserves the organisation's next incident number.
func (r incidentRepo) NextNumber(ctx context.Context, orgID string) (int64, error) {
	var n int64
	err := r.queryRow(ctx, `INSERT INTO incident_counters (org_id, next) VALUES (?, 2)
		ON CONFLICT (org_id) DO UPDATE SET next = next + 1 RETURNING next - 1`, orgID).Scan(&n)
	return n, mapErr(err)
}

// incidentArgs are the values of the columns an update may change, in the order of the
// UPDATE statement below (and the tail of the INSERT).
func incidentArgs(inc incident.Incident) ([]any, error) {
	tags, err := jsonText(inc.Tags)
	if err != nil {
		return nil, err
	}
	custom, err := jsonText(inc.CustomFields)
	if err != nil {
		return nil, err
	}
	ms := inc.Milestones
	return []any{inc.Title, inc.Summary, string(inc.Type), string(inc.Severity), inc.Severity.Rank(),
		string(inc.Priority), priorityRank(inc.Priority), string(inc.Phase), string(inc.Resolution),
		string(inc.TLP), boolInt(inc.Restricted), tags, custom, tmPtr(ms.OccurredAt), tmPtr(ms.DetectedAt),
		tmPtr(ms.ReportedAt), tmPtr(ms.AcknowledgedAt), tmPtr(ms.ContainedAt), tmPtr(ms.EradicatedAt),
		tmPtr(ms.RecoveredAt), tmPtr(ms.ClosedAt), inc.MaxCriticality, tm(inc.UpdatedAt)}, nil
}

// Create stores a new incident; its Key is derived from Number and not stored.
func (r incidentRepo) Create(ctx context.Context, inc incident.Incident) error {
	args, err := incidentArgs(inc)
	if err != nil {
		return err
	}
	args = append([]any{inc.ID, inc.OrgID, inc.Number, inc.CreatedBy, tm(inc.CreatedAt), inc.Version}, args...)
	if _, err := r.exec(ctx, `INSERT INTO incidents (id, org_id, number, created_by, created_at, version,
		title, summary, type, severity, severity_rank, priority, priority_rank, phase, resolution, tlp, restricted,
		tags, custom_fields, occurred_at, detected_at, reported_at, acknowledged_at, contained_at, eradicated_at,
		recovered_at, closed_at, max_criticality, updated_at)
		VALUES (`+placeholders(len(args))+`)`, args...); err != nil {
		return err
	}
	return r.writeTags(ctx, inc.OrgID, inc.ID, inc.Tags, false)
}

// writeTags mirrors an incident's tags into incident_tags, for the tag filter.
func (r incidentRepo) writeTags(ctx context.Context, orgID, incidentID string, tags []string, replace bool) error {
	if replace {
		if _, err := r.exec(ctx, "DELETE FROM incident_tags WHERE incident_id = ?", incidentID); err != nil {
			return err
		}
	}
	for _, tag := range tags {
		if _, err := r.exec(ctx, `INSERT INTO incident_tags (incident_id, tag, org_id) VALUES (?, ?, ?)
			ON CONFLICT DO NOTHING`, incidentID, tag, orgID); err != nil {
			return err
		}
	}
	return nil
}

func (r incidentRepo) Get(ctx context.Context, orgID, id string) (incident.Incident, error) {
	return scanOne(ctx, r.tx, scanIncident, "SELECT "+incidentCols+" FROM incidents i WHERE i.org_id = ? AND i.id = ?", orgID, id)
}

func (r incidentRepo) GetByNumber(ctx context.Context, orgID string, number int64) (incident.Incident, error) {
	return scanOne(ctx, r.tx, scanIncident, "SELECT "+incidentCols+" FROM incidents i WHERE i.org_id = ? AND i.number = ?", orgID, number)
}

// Update writes every field but the id, organisation, number and creation fields.
func (r incidentRepo) Update(ctx context.Context, inc incident.Incident, expectVersion int64) error {
	args, err := incidentArgs(inc)
	if err != nil {
		return err
	}
	args = append(args, expectVersion+1, inc.OrgID, inc.ID, expectVersion)
	err = r.updateVersioned(ctx, "incidents", "org_id = ? AND id = ?", []any{inc.OrgID, inc.ID}, `UPDATE incidents SET
		title = ?, summary = ?, type = ?, severity = ?, severity_rank = ?, priority = ?, priority_rank = ?, phase = ?,
		resolution = ?, tlp = ?, restricted = ?, tags = ?, custom_fields = ?, occurred_at = ?, detected_at = ?,
		reported_at = ?, acknowledged_at = ?, contained_at = ?, eradicated_at = ?, recovered_at = ?, closed_at = ?,
		max_criticality = ?, updated_at = ?, version = ?
		WHERE org_id = ? AND id = ? AND version = ?`, args...)
	if err != nil {
		return err
	}
	return r.writeTags(ctx, inc.OrgID, inc.ID, inc.Tags, true)
}

// incidentSort describes one list order: every order is "key descending, then id descending",
// and the cursor holds the key and id of the last row of a page.
type incidentSort struct {
	key string // column of the sort key; "" sorts by id alone
	// val returns the key of an incident as the cursor stores it.
	val func(incident.Incident) string
	// arg turns the key stored in a cursor back into a query argument.
	arg func(string) (any, error)
}

var incidentSorts = map[store.IncidentSort]incidentSort{
	store.SortCreated: {},
	store.SortUpdated: {
		key: "i.updated_at",
		val: func(inc incident.Incident) string { return tm(inc.UpdatedAt) },
		arg: func(s string) (any, error) {
			_, err := parseTime(s)
			return s, err
		},
	},
	store.SortSeverity: {
		key: "i.severity_rank",
		val: func(inc incident.Incident) string { return strconv.Itoa(inc.Severity.Rank()) },
		arg: atoiArg,
	},
	store.SortPriority: {
		key: "i.priority_rank",
		val: func(inc incident.Incident) string { return strconv.Itoa(priorityRank(inc.Priority)) },
		arg: atoiArg,
	},
}

func atoiArg(s string) (any, error) { return strconv.Atoi(s) }

func badCursor() error { return validation.Errorf("/cursor", "is not a cursor this list gave out") }

// List returns a page of incidents in the filter's order, newest or worst first.
func (r incidentRepo) List(ctx context.Context, f store.IncidentFilter) (store.Page[incident.Incident], error) {
	var page store.Page[incident.Incident]
	sortName := f.Sort
	if sortName == "" {
		sortName = store.SortCreated
	}
	srt, ok := incidentSorts[sortName]
	if !ok {
		return page, validation.Errorf("/sort", "must be one of created, updated, severity, priority")
	}
	w, ok, err := r.where(ctx, f)
	if err != nil || !ok {
		page.Items = []incident.Incident{}
		return page, err
	}
	if f.Cursor != "" {
		n := 2
		if srt.key != "" {
			n = 3
		}
		parts, err := store.DecodeCursor(f.Cursor, n)
		if err != nil {
			return page, err
		}
		if parts[0] != string(sortName) {
			return page, badCursor()
		}
		if srt.key == "" {
			w.add("i.id < ?", parts[1])
		} else {
			k, err := srt.arg(parts[1])
			if err != nil {
				return page, badCursor()
			}
			w.add("("+srt.key+", i.id) < (?, ?)", k, parts[2])
		}
	}
	order := " ORDER BY i.id DESC"
	if srt.key != "" {
		order = " ORDER BY " + srt.key + " DESC, i.id DESC"
	}
	limit := store.ClampLimit(f.Limit)
	items, err := scanList(ctx, r.tx, scanIncident, "SELECT "+incidentCols+" FROM incidents i"+w.sql()+order+
		" LIMIT "+strconv.Itoa(limit+1), w.args...)
	if err != nil {
		return page, err
	}
	if len(items) > limit {
		items = items[:limit]
		last := items[limit-1]
		if srt.key == "" {
			page.Next = store.EncodeCursor(string(sortName), last.ID)
		} else {
			page.Next = store.EncodeCursor(string(sortName), srt.val(last), last.ID)
		}
	}
	page.Items = items
	if page.Items == nil {
		page.Items = []incident.Incident{}
	}
	return page, nil
}

// Count counts the incidents f selects.
func (r incidentRepo) Count(ctx context.Context, f store.IncidentFilter) (int, error) {
	w, ok, err := r.where(ctx, f)
	if err != nil || !ok {
		return 0, err
	}
	var n int
	err = r.sqlTx.QueryRowContext(ctx, "SELECT count(*) FROM incidents i"+w.sql(), w.args...).Scan(&n)
	return n, mapErr(err)
}

// closedPhase is incident.PhaseClosed as an SQL literal.
const closedPhase = "'" + string(incident.PhaseClosed) + "'"

// where builds the conditions of an incident filter on the alias i. It reports false when
// the filter can match nothing.
func (r incidentRepo) where(ctx context.Context, f store.IncidentFilter) (*where, bool, error) {
	w := &where{}
	w.add("i.org_id = ?", f.OrgID)
	in(w, "i.phase", f.Phases)
	in(w, "i.severity", f.Severities)
	in(w, "i.type", f.Types)
	if f.Open != nil {
		// The phase is written out, not a parameter, so that the index of open incidents
		// (incidents_open_priority, whose condition this is) can serve the list.
		if *f.Open {
			w.add("i.phase <> " + closedPhase)
		} else {
			w.add("i.phase = " + closedPhase)
		}
	}
	if f.Assignee != "" {
		// Tasks name their assignee by user name; the filter names the user by id.
		w.add(`i.id IN (SELECT incident_id FROM assignments WHERE org_id = ? AND user_id = ?
			UNION SELECT incident_id FROM tasks WHERE org_id = ? AND assignee <> ''
				AND assignee = (SELECT username FROM users WHERE id = ?))`,
			f.OrgID, f.Assignee, f.OrgID, f.Assignee)
	}
	if f.Tag != "" {
		w.add("i.id IN (SELECT incident_id FROM incident_tags WHERE org_id = ? AND tag = ?)", f.OrgID, f.Tag)
	}
	if strings.TrimSpace(f.Query) != "" {
		ok, err := r.matchQuery(ctx, w, f.OrgID, f.Query)
		if err != nil || !ok {
			return nil, false, err
		}
	}
	if f.VisibleTo != "" {
		visibleTo(w, "i", f.VisibleTo)
	}
	return w, true, nil
}

// visibleTo hides restricted incidents (alias a) of which the user is not a member.
func visibleTo(w *where, alias, userID string) {
	w.add("("+alias+".restricted = 0 OR EXISTS (SELECT 1 FROM incident_members m WHERE m.incident_id = "+
		alias+".id AND m.user_id = ?))", userID)
}
