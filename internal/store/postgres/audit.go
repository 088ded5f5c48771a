package postgres

import (
	"context"
	"fmt"
	"strconv"

	"github.com/quell-ir/quell/internal/audit"
	"github.com/quell-ir/quell/internal/store"
)

type auditRepo struct{ *tx }

var auditCols = "seq, id, org_id, " + tc("at") + ", actor, action, object_type, object_id, incident_id, changes, prev_hash, hash"

func scanAudit(s rowScanner) (audit.Record, error) {
	var a audit.Record
	err := s.Scan(dest(&a.Seq, &a.ID, &a.OrgID, tcol(&a.At), &a.Actor, &a.Action, &a.ObjectType, &a.ObjectID,
		&a.IncidentID, rawJSON{&a.Changes}, &a.PrevHash, &a.Hash)...)
	return a, err
}

// Append seals r after the head of the chain and stores it. It locks the chain's head row
// until the Write ends, so appends from every transaction on every node queue up behind each
// other and the chain stays linear; under READ COMMITTED the locking read returns the head as
// the previous appender left it.
func (r auditRepo) Append(ctx context.Context, rec *audit.Record) error {
	if !r.write {
		return errReadOnly
	}
	var prevSeq int64
	var prevHash string
	if err := r.queryRow(ctx, "SELECT seq, hash FROM audit_head FOR UPDATE", nil, &prevSeq, &prevHash); err != nil {
		return fmt.Errorf("audit head: %w", err)
	}
	rec.Seal(prevSeq, prevHash)
	c := (&cols{}).set("seq", rec.Seq).set("id", rec.ID).set("org_id", rec.OrgID).setTime("at", rec.At).
		set("actor", rec.Actor).set("action", rec.Action).set("object_type", rec.ObjectType).
		set("object_id", rec.ObjectID).set("incident_id", rec.IncidentID).set("changes", rawArg(rec.Changes)).
		set("prev_hash", rec.PrevHash).set("hash", rec.Hash)
	q := "WITH record AS (" + c.insert("audit_log") + ") UPDATE audit_head SET seq = " + c.args.add(rec.Seq) +
		", hash = " + c.args.add(rec.Hash)
	_, err := r.exec(ctx, q, c.args...)
	return err
}

// List returns records oldest first, after f.AfterSeq.
func (r auditRepo) List(ctx context.Context, f store.AuditFilter) ([]audit.Record, error) {
	w := &where{}
	w.add("seq > " + w.arg(f.AfterSeq))
	if f.OrgID != "" {
		w.add("org_id = " + w.arg(f.OrgID))
	}
	if f.IncidentID != "" {
		// The second condition lets PostgreSQL use the partial index on incident_id.
		w.add("incident_id = " + w.arg(f.IncidentID) + " AND incident_id <> ''")
	}
	return scanList(ctx, r.tx, scanAudit, "SELECT "+auditCols+" FROM audit_log"+w.sql()+
		" ORDER BY seq LIMIT "+strconv.Itoa(store.ClampLimit(f.Limit)), w.args...)
}

// Walk streams every record in sequence order to fn.
func (r auditRepo) Walk(ctx context.Context, fn func(audit.Record) error) error {
	rows, err := r.pgTx.Query(ctx, "SELECT "+auditCols+" FROM audit_log ORDER BY seq")
	if err != nil {
		return r.mapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		rec, err := scanAudit(rows)
		if err != nil {
			return r.mapErr(err)
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
	return r.mapErr(rows.Err())
}
