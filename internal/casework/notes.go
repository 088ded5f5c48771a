package casework

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/richtext"
	"github.com/quell-ir/quell/internal/store"
)

func noteDetail(n incident.Note) NoteDetail {
	return NoteDetail{Note: n, BodyHTML: richtext.Render(n.Body)}
}

// excerpt shortens text to at most n runes on one line, for timeline entries.
func excerpt(text string, n int) string {
	text = strings.Join(strings.Fields(text), " ")
	if utf8.RuneCountInString(text) <= n {
		return text
	}
	r := []rune(text)
	return string(r[:n]) + "…"
}

// AddNote adds a Markdown note to an incident.
func (s *Service) AddNote(ctx context.Context, p access.Principal, key string, req NewNote) (NoteDetail, error) {
	var out NoteDetail
	err := s.write(ctx, p, func(w *work) error {
		if err := w.canWrite(); err != nil {
			return err
		}
		if err := incident.CheckNoteBody(req.Body); err != nil {
			return err
		}
		inc, err := w.incident(key)
		if err != nil {
			return err
		}
		n := incident.Note{ID: NewID(), OrgID: p.OrgID, IncidentID: inc.ID, Body: req.Body, Author: actor(p),
			CreatedAt: w.now, UpdatedAt: w.now, Version: 1}
		if err := w.tx.Notes().Create(ctx, n); err != nil {
			return err
		}
		if err := w.timeline(inc.ID, incident.KindNote, "Note added: "+excerpt(n.Body, 200), map[string]string{"note_id": n.ID}); err != nil {
			return err
		}
		if err := w.audit("note.create", "note", n.ID, inc.ID, map[string]any{"body": n.Body}); err != nil {
			return err
		}
		out = noteDetail(n)
		return nil
	})
	return out, err
}

// ListNotes lists an incident's notes, oldest first.
func (s *Service) ListNotes(ctx context.Context, p access.Principal, key string) ([]NoteDetail, error) {
	out := []NoteDetail{}
	err := s.read(ctx, p, func(w *work) error {
		inc, err := w.incident(key)
		if err != nil {
			return err
		}
		notes, err := w.tx.Notes().List(ctx, p.OrgID, inc.ID)
		for _, n := range notes {
			out = append(out, noteDetail(n))
		}
		return err
	})
	return out, err
}

func (w *work) note(id string) (incident.Note, error) {
	n, err := w.tx.Notes().Get(w.ctx, w.p.OrgID, id)
	if err != nil {
		return n, err
	}
	_, err = w.incidentByID(n.IncidentID)
	return n, err
}

// GetNote returns a note of an incident the principal may see.
func (s *Service) GetNote(ctx context.Context, p access.Principal, id string) (NoteDetail, error) {
	var out NoteDetail
	err := s.read(ctx, p, func(w *work) error {
		n, err := w.note(id)
		out = noteDetail(n)
		return err
	})
	return out, err
}

// UpdateNote replaces a note's body; the previous body is kept as a revision.
func (s *Service) UpdateNote(ctx context.Context, p access.Principal, id string, req NotePatch, ifMatch int64) (NoteDetail, error) {
	var out NoteDetail
	err := s.write(ctx, p, func(w *work) error {
		if err := w.canWrite(); err != nil {
			return err
		}
		if err := incident.CheckNoteBody(req.Body); err != nil {
			return err
		}
		n, err := w.note(id)
		if err != nil {
			return err
		}
		if err := checkVersion(n.Version, ifMatch, req.Version); err != nil {
			return err
		}
		if n.Body == req.Body {
			out = noteDetail(n)
			return nil
		}
		old, before := n.Body, n.Version
		n.Body, n.UpdatedAt = req.Body, w.now
		if err := w.tx.Notes().Update(ctx, n, actor(p), before); err != nil {
			return err
		}
		n.Version = before + 1
		if err := w.timeline(n.IncidentID, incident.KindNote, fmt.Sprintf("Note edited (revision %d): %s", n.Version, excerpt(n.Body, 200)),
			map[string]string{"note_id": n.ID}); err != nil {
			return err
		}
		if err := w.audit("note.update", "note", n.ID, n.IncidentID, map[string]any{"body": [2]string{old, n.Body}}); err != nil {
			return err
		}
		out = noteDetail(n)
		return nil
	})
	return out, err
}

// NoteRevisions lists a note's earlier bodies.
func (s *Service) NoteRevisions(ctx context.Context, p access.Principal, id string) ([]incident.NoteRevision, error) {
	var out []incident.NoteRevision
	err := s.read(ctx, p, func(w *work) error {
		if _, err := w.note(id); err != nil {
			return err
		}
		var err error
		out, err = w.tx.Notes().Revisions(ctx, p.OrgID, id)
		return err
	})
	if out == nil {
		out = []incident.NoteRevision{}
	}
	return out, err
}

// AddEntry adds an entry to an incident's timeline. The event time may be backdated; the
// zone it was given in is kept.
func (s *Service) AddEntry(ctx context.Context, p access.Principal, key string, req NewEntry) (incident.Entry, error) {
	var out incident.Entry
	err := s.write(ctx, p, func(w *work) error {
		if err := w.canWrite(); err != nil {
			return err
		}
		inc, err := w.incident(key)
		if err != nil {
			return err
		}
		e := incident.Entry{ID: NewID(), OrgID: p.OrgID, IncidentID: inc.ID, RecordedAt: w.now, Kind: req.Kind,
			Actor: actor(p), Text: req.Text, Technique: req.Technique, Flagged: req.Flagged, Details: req.Details}
		if e.Kind == "" {
			e.Kind = incident.KindManual
		}
		at := w.now
		if req.EventAt != nil {
			at = *req.EventAt
		}
		if at.After(w.now.Add(5 * time.Minute)) {
			return invalid("/event_at", "cannot be in the future")
		}
		if e.EventZone, err = incident.ZoneOf(at, req.EventZone); err != nil {
			return err
		}
		e.EventAt = at.UTC()
		if len(e.Details) > 0 && !json.Valid(e.Details) {
			return invalid("/details", "must be JSON")
		}
		if err := e.Validate(); err != nil {
			return err
		}
		if err := w.tx.Timeline().Add(ctx, e); err != nil {
			return err
		}
		if err := w.audit("timeline.create", "timeline", e.ID, inc.ID, e); err != nil {
			return err
		}
		out = e
		return nil
	})
	return out, err
}

// ListTimeline lists an incident's timeline in event order.
func (s *Service) ListTimeline(ctx context.Context, p access.Principal, key string, f store.TimelineFilter) (store.Page[incident.Entry], error) {
	var out store.Page[incident.Entry]
	err := s.read(ctx, p, func(w *work) error {
		inc, err := w.incident(key)
		if err != nil {
			return err
		}
		f.OrgID, f.IncidentID = p.OrgID, inc.ID
		out, err = w.tx.Timeline().List(ctx, f)
		return err
	})
	if out.Items == nil {
		out.Items = []incident.Entry{}
	}
	return out, err
}

// FlagEntry flags or unflags a timeline entry (flagged entries stand out in reports).
func (s *Service) FlagEntry(ctx context.Context, p access.Principal, id string, req EntryPatch) (incident.Entry, error) {
	var out incident.Entry
	err := s.write(ctx, p, func(w *work) error {
		if err := w.canWrite(); err != nil {
			return err
		}
		if req.Flagged == nil {
			return invalid("/flagged", "is required")
		}
		e, err := w.tx.Timeline().Get(ctx, p.OrgID, id)
		if err != nil {
			return err
		}
		if _, err := w.incidentByID(e.IncidentID); err != nil {
			return err
		}
		if e.Flagged == *req.Flagged {
			out = e
			return nil
		}
		if err := w.tx.Timeline().SetFlag(ctx, p.OrgID, id, *req.Flagged); err != nil {
			return err
		}
		e.Flagged = *req.Flagged
		if err := w.audit("timeline.flag", "timeline", e.ID, e.IncidentID, map[string]bool{"flagged": e.Flagged}); err != nil {
			return err
		}
		out = e
		return nil
	})
	return out, err
}
