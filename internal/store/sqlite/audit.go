package sqlite

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/quell-ir/quell/internal/audit"
	"github.com/quell-ir/quell/internal/store"
)

type auditRepo struct{ *tx }

const auditCols = "seq, id, org_id, at, actor, action, object_type, object_id, incident_id, changes, prev_hash, hash"

func scanAudit(s rowScanner) (audit.Record, error) {
	var a audit.Record
	err := s.Scan(&a.Seq, &a.ID, &a.OrgID, timeCol{&a.At}, &a.Actor, &a.Action, &a.ObjectType, &a.ObjectID,
		&a.IncidentID, rawCol{&a.Changes}, &a.PrevHash, &a.Hash)
	return a, err
}

// Append seals r after the head of the chain and stores it. Writes are serialised by the
// single writer connection and BEGIN IMMEDIATE, so the chain stays linear.
func (r auditRepo) Append(ctx context.Context, rec *audit.Record) error {
	if !r.write {
		return errReadOnly
	}
	prevSeq, prevHash := int64(0), audit.GenesisHash
	err := r.queryRow(ctx, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").Scan(&prevSeq, &prevHash)
	if err != nil {
		if err = mapErr(err); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("audit head: %w", err)
		}
	}
	rec.Seal(prevSeq, prevHash)
	_, err = r.exec(ctx, "INSERT INTO audit_log ("+auditCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		rec.Seq, rec.ID, rec.OrgID, tm(rec.At), rec.Actor, rec.Action, rec.ObjectType, rec.ObjectID,
		rec.IncidentID, rawText(rec.Changes), rec.PrevHash, rec.Hash)
	return err
}

// List returns records oldest first, after f.AfterSeq.
func (r auditRepo) List(ctx context.Context, f store.AuditFilter) ([]audit.Record, error) {
	w := &where{}
	w.add("seq > ?", f.AfterSeq)
	if f.OrgID != "" {
		w.add("org_id = ?", f.OrgID)
	}
	if f.IncidentID != "" {
		// The second condition lets SQLite use the partial index on incident_id.
		w.add("incident_id = ? AND incident_id <> ''", f.IncidentID)
	}
	return scanList(ctx, r.tx, scanAudit, "SELECT "+auditCols+" FROM audit_log"+w.sql()+
		" ORDER BY seq LIMIT "+strconv.Itoa(store.ClampLimit(f.Limit)), w.args...)
}

// Walk streams every record in sequence order to fn.
func (r auditRepo) Walk(ctx context.Context, fn func(audit.Record) error) error {
	rows, err := r.query(ctx, "SELECT "+auditCols+" FROM audit_log ORDER BY seq")
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		rec, err := scanAudit(rows)
		if err != nil {
			return err
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
	return mapErr(rows.Err())
}
