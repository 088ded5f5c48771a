package sqlite

import (
	"context"
	"strconv"

	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
)

type timelineRepo struct{ *tx }

const entryCols = "id, org_id, incident_id, event_at, event_zone, recorded_at, kind, actor, text, details, technique, flagged"

func scanEntry(s rowScanner) (incident.Entry, error) {
	var e incident.Entry
	err := s.Scan(&e.ID, &e.OrgID, &e.IncidentID, timeCol{&e.EventAt}, &e.EventZone, timeCol{&e.RecordedAt},
		&e.Kind, &e.Actor, &e.Text, rawCol{&e.Details}, &e.Technique, &e.Flagged)
	return e, err
}

// Add stores an entry; Details is kept as given.
func (r timelineRepo) Add(ctx context.Context, e incident.Entry) error {
	_, err := r.exec(ctx, "INSERT INTO timeline ("+entryCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		e.ID, e.OrgID, e.IncidentID, tm(e.EventAt), e.EventZone, tm(e.RecordedAt), string(e.Kind), e.Actor,
		e.Text, rawText(e.Details), e.Technique, boolInt(e.Flagged))
	return err
}

func (r timelineRepo) Get(ctx context.Context, orgID, id string) (incident.Entry, error) {
	return scanOne(ctx, r.tx, scanEntry, "SELECT "+entryCols+" FROM timeline WHERE org_id = ? AND id = ?", orgID, id)
}

func (r timelineRepo) SetFlag(ctx context.Context, orgID, id string, flagged bool) error {
	return r.execOne(ctx, "UPDATE timeline SET flagged = ? WHERE org_id = ? AND id = ?", boolInt(flagged), orgID, id)
}

// List returns a page of one incident's timeline by event time, then id.
func (r timelineRepo) List(ctx context.Context, f store.TimelineFilter) (store.Page[incident.Entry], error) {
	var page store.Page[incident.Entry]
	w := &where{}
	w.add("incident_id = ?", f.IncidentID)
	w.add("org_id = ?", f.OrgID)
	in(w, "kind", f.Kinds)
	if f.FlaggedOnly {
		w.add("flagged = 1")
	}
	if f.Cursor != "" {
		parts, err := store.DecodeCursor(f.Cursor, 2)
		if err != nil {
			return page, err
		}
		if _, err := parseTime(parts[0]); err != nil {
			return page, badCursor()
		}
		w.add("(event_at, id) > (?, ?)", parts[0], parts[1])
	}
	limit := store.ClampLimit(f.Limit)
	items, err := scanList(ctx, r.tx, scanEntry, "SELECT "+entryCols+" FROM timeline"+w.sql()+
		" ORDER BY event_at, id LIMIT "+strconv.Itoa(limit+1), w.args...)
	if err != nil {
		return page, err
	}
	if len(items) > limit {
		items = items[:limit]
		last := items[limit-1]
		page.Next = store.EncodeCursor(tm(last.EventAt), last.ID)
	}
	page.Items = items
	if page.Items == nil {
		page.Items = []incident.Entry{}
	}
	return page, nil
}
