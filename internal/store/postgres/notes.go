package postgres

import (
	"context"
	"fmt"

	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
)

type noteRepo struct{ *tx }

var noteCols = "id, org_id, incident_id, body, author, " + tc("created_at") + ", " + tc("updated_at") + ", version"

func scanNote(s rowScanner) (incident.Note, error) {
	var n incident.Note
	err := s.Scan(dest(&n.ID, &n.OrgID, &n.IncidentID, &n.Body, &n.Author, tcol(&n.CreatedAt), tcol(&n.UpdatedAt), &n.Version)...)
	return n, err
}

func (r noteRepo) Create(ctx context.Context, n incident.Note) error {
	c := (&cols{}).set("id", n.ID).set("org_id", n.OrgID).set("incident_id", n.IncidentID).set("body", n.Body).
		set("author", n.Author).setTime("created_at", n.CreatedAt).setTime("updated_at", n.UpdatedAt).set("version", n.Version)
	_, err := r.exec(ctx, c.insert("notes"), c.args...)
	return err
}

func (r noteRepo) Get(ctx context.Context, orgID, id string) (incident.Note, error) {
	return scanOne(ctx, r.tx, scanNote, "SELECT "+noteCols+" FROM notes WHERE org_id = $1 AND id = $2", orgID, id)
}

// Update keeps the stored body and version as a revision edited by editor at n.UpdatedAt,
// then writes n's body with version expectVersion+1. The note is locked first, so that of two
// concurrent edits from the same version one succeeds and the other is a conflict.
func (r noteRepo) Update(ctx context.Context, n incident.Note, editor string, expectVersion int64) error {
	if !r.write {
		return errReadOnly
	}
	cur, err := scanOne(ctx, r.tx, scanNote, "SELECT "+noteCols+" FROM notes WHERE org_id = $1 AND id = $2 FOR UPDATE",
		n.OrgID, n.ID)
	if err != nil {
		return err
	}
	if cur.Version != expectVersion {
		return fmt.Errorf("notes version is %d: %w", cur.Version, store.ErrConflict)
	}
	rev := (&cols{}).set("note_id", cur.ID).set("version", cur.Version).set("org_id", cur.OrgID).set("body", cur.Body).
		set("edited_by", editor).setTime("edited_at", n.UpdatedAt)
	if _, err := r.exec(ctx, rev.insert("note_revisions"), rev.args...); err != nil {
		return err
	}
	at, ns := splitTime(n.UpdatedAt)
	return r.execOne(ctx, `UPDATE notes SET body = $1, updated_at = $2, updated_at_ns = $3, version = $4
		WHERE org_id = $5 AND id = $6`, n.Body, at, ns, expectVersion+1, n.OrgID, n.ID)
}

// List returns an incident's notes oldest first.
func (r noteRepo) List(ctx context.Context, orgID, incidentID string) ([]incident.Note, error) {
	return scanList(ctx, r.tx, scanNote, "SELECT "+noteCols+` FROM notes
		WHERE org_id = $1 AND incident_id = $2 ORDER BY created_at, created_at_ns, id`, orgID, incidentID)
}

// Revisions lists a note's earlier bodies, oldest first.
func (r noteRepo) Revisions(ctx context.Context, orgID, noteID string) ([]incident.NoteRevision, error) {
	return scanList(ctx, r.tx, func(s rowScanner) (incident.NoteRevision, error) {
		var v incident.NoteRevision
		err := s.Scan(dest(&v.NoteID, &v.Version, &v.Body, &v.EditedBy, tcol(&v.EditedAt))...)
		return v, err
	}, `SELECT note_id, version, body, edited_by, edited_at, edited_at_ns FROM note_revisions
		WHERE org_id = $1 AND note_id = $2 ORDER BY version`, orgID, noteID)
}
