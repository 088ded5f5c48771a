package postgres

import (
	"context"
	"strconv"

	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
)

type timelineRepo struct{ *tx }

var entryCols = "id, org_id, incident_id, " + tc("event_at") + ", event_zone, " + tc("recorded_at") +
	", kind, actor, text, details, technique, flagged"

func scanEntry(s rowScanner) (incident.Entry, error) {
	var e incident.Entry
	err := s.Scan(dest(&e.ID, &e.OrgID, &e.IncidentID, tcol(&e.EventAt), &e.EventZone, tcol(&e.RecordedAt),
		&e.Kind, &e.Actor, &e.Text, &e.Details, &e.Technique, &e.Flagged)...)
	return e, err
}

// Add stores an entry; Details is stored as jsonb (normalised).
func (r timelineRepo) Add(ctx context.Context, e incident.Entry) error {
	c := (&cols{}).set("id", e.ID).set("org_id", e.OrgID).set("incident_id", e.IncidentID).setTime("event_at", e.EventAt).
		set("event_zone", e.EventZone).setTime("recorded_at", e.RecordedAt).set("kind", string(e.Kind)).
		set("actor", e.Actor).set("text", e.Text).set("details", rawArg(e.Details)).set("technique", e.Technique).
		set("flagged", e.Flagged)
	_, err := r.exec(ctx, c.insert("timeline"), c.args...)
	return err
}

func (r timelineRepo) Get(ctx context.Context, orgID, id string) (incident.Entry, error) {
	return scanOne(ctx, r.tx, scanEntry, "SELECT "+entryCols+" FROM timeline WHERE org_id = $1 AND id = $2", orgID, id)
}

func (r timelineRepo) SetFlag(ctx context.Context, orgID, id string, flagged bool) error {
	return r.execOne(ctx, "UPDATE timeline SET flagged = $1 WHERE org_id = $2 AND id = $3", flagged, orgID, id)
}

// List returns a page of one incident's timeline by event time, then id.
func (r timelineRepo) List(ctx context.Context, f store.TimelineFilter) (store.Page[incident.Entry], error) {
	var page store.Page[incident.Entry]
	w := &where{}
	w.add("incident_id = " + w.arg(f.IncidentID))
	w.add("org_id = " + w.arg(f.OrgID))
	in(w, "kind", f.Kinds)
	if f.FlaggedOnly {
		w.add("flagged")
	}
	if f.Cursor != "" {
		parts, err := store.DecodeCursor(f.Cursor, 2)
		if err != nil {
			return page, err
		}
		t, err := parseCursorTime(parts[0])
		if err != nil {
			return page, badCursor()
		}
		at, ns := splitTime(t)
		w.add("(event_at, event_at_ns, id) > (" + w.arg(at) + ", " + w.arg(ns) + ", " + w.arg(parts[1]) + ")")
	}
	limit := store.ClampLimit(f.Limit)
	items, err := scanList(ctx, r.tx, scanEntry, "SELECT "+entryCols+" FROM timeline"+w.sql()+
		" ORDER BY event_at, event_at_ns, id LIMIT "+strconv.Itoa(limit+1), w.args...)
	if err != nil {
		return page, err
	}
	if len(items) > limit {
		items = items[:limit]
		last := items[limit-1]
		page.Next = store.EncodeCursor(cursorTime(last.EventAt), last.ID)
	}
	page.Items = nonNil(items)
	return page, nil
}
