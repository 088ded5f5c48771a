package sqlite

import (
	"context"
	"fmt"

	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
)

type noteRepo struct{ *tx }

const noteCols = "id, org_id, incident_id, body, author, created_at, updated_at, version"

func scanNote(s rowScanner) (incident.Note, error) {
	var n incident.Note
	err := s.Scan(&n.ID, &n.OrgID, &n.IncidentID, &n.Body, &n.Author, timeCol{&n.CreatedAt}, timeCol{&n.UpdatedAt}, &n.Version)
	return n, err
}

func (r noteRepo) Create(ctx context.Context, n incident.Note) error {
	_, err := r.exec(ctx, "INSERT INTO notes ("+noteCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		n.ID, n.OrgID, n.IncidentID, n.Body, n.Author, tm(n.CreatedAt), tm(n.UpdatedAt), n.Version)
	return err
}

func (r noteRepo) Get(ctx context.Context, orgID, id string) (incident.Note, error) {
	return scanOne(ctx, r.tx, scanNote, "SELECT "+noteCols+" FROM notes WHERE org_id = ? AND id = ?", orgID, id)
}

// Update keeps the stored body and version as a revision edited by editor at n.UpdatedAt,
// then writes n's body with version expectVersion+1.
func (r noteRepo) Update(ctx context.Context, n incident.Note, editor string, expectVersion int64) error {
	cur, err := r.Get(ctx, n.OrgID, n.ID)
	if err != nil {
		return err
	}
	if cur.Version != expectVersion {
		return fmt.Errorf("notes version is %d: %w", cur.Version, store.ErrConflict)
	}
	if _, err := r.exec(ctx, `INSERT INTO note_revisions (note_id, version, org_id, body, edited_by, edited_at)
		VALUES (?, ?, ?, ?, ?, ?)`, cur.ID, cur.Version, cur.OrgID, cur.Body, editor, tm(n.UpdatedAt)); err != nil {
		return err
	}
	return r.updateVersioned(ctx, "notes", "org_id = ? AND id = ?", []any{n.OrgID, n.ID},
		"UPDATE notes SET body = ?, updated_at = ?, version = ? WHERE org_id = ? AND id = ? AND version = ?",
		n.Body, tm(n.UpdatedAt), expectVersion+1, n.OrgID, n.ID, expectVersion)
}

// List returns an incident's notes oldest first.
func (r noteRepo) List(ctx context.Context, orgID, incidentID string) ([]incident.Note, error) {
	return scanList(ctx, r.tx, scanNote, "SELECT "+noteCols+` FROM notes
		WHERE org_id = ? AND incident_id = ? ORDER BY created_at, id`, orgID, incidentID)
}

// Revisions lists a note's earlier bodies, oldest first.
func (r noteRepo) Revisions(ctx context.Context, orgID, noteID string) ([]incident.NoteRevision, error) {
	return scanList(ctx, r.tx, func(s rowScanner) (incident.NoteRevision, error) {
		var v incident.NoteRevision
		err := s.Scan(&v.NoteID, &v.Version, &v.Body, &v.EditedBy, timeCol{&v.EditedAt})
		return v, err
	}, `SELECT note_id, version, body, edited_by, edited_at FROM note_revisions
		WHERE org_id = ? AND note_id = ? ORDER BY version`, orgID, noteID)
}
