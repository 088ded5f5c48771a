package sqlite

import (
	"context"
	"errors"
	"time"

	"github.com/quell-ir/quell/internal/store"
)

type obligationRepo struct{ *tx }

func (t *tx) Obligations() store.Obligations { return obligationRepo{t} }

const triggerCols = "id, org_id, incident_id, name, at, recorded_by, recorded_at, note"

func scanTrigger(s rowScanner) (store.ObligationTrigger, error) {
	var v store.ObligationTrigger
	err := s.Scan(&v.ID, &v.OrgID, &v.IncidentID, &v.Name, timeCol{&v.At}, &v.RecordedBy, timeCol{&v.RecordedAt}, &v.Note)
	return v, err
}

func (r obligationRepo) AddTrigger(ctx context.Context, t store.ObligationTrigger) error {
	_, err := r.exec(ctx, "INSERT INTO obligation_triggers ("+triggerCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		t.ID, t.OrgID, t.IncidentID, t.Name, tm(t.At), t.RecordedBy, tm(t.RecordedAt), t.Note)
	return err
}

func (r obligationRepo) Triggers(ctx context.Context, orgID, incidentID string) ([]store.ObligationTrigger, error) {
	out, err := scanList(ctx, r.tx, scanTrigger, "SELECT "+triggerCols+
		" FROM obligation_triggers WHERE org_id = ? AND incident_id = ? ORDER BY at, id", orgID, incidentID)
	if out == nil {
		out = []store.ObligationTrigger{}
	}
	return out, err
}

const submissionCols = "id, org_id, incident_id, obligation, submitted_at, recipient, summary, reference, recorded_by, recorded_at"

func scanSubmission(s rowScanner) (store.ObligationSubmission, error) {
	var v store.ObligationSubmission
	err := s.Scan(&v.ID, &v.OrgID, &v.IncidentID, &v.Obligation, timeCol{&v.SubmittedAt}, &v.Recipient, &v.Summary,
		&v.Reference, &v.RecordedBy, timeCol{&v.RecordedAt})
	return v, err
}

func (r obligationRepo) AddSubmission(ctx context.Context, s store.ObligationSubmission) error {
	_, err := r.exec(ctx, "INSERT INTO obligation_submissions ("+submissionCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		s.ID, s.OrgID, s.IncidentID, s.Obligation, tm(s.SubmittedAt), s.Recipient, s.Summary, s.Reference,
		s.RecordedBy, tm(s.RecordedAt))
	return err
}

func (r obligationRepo) Submissions(ctx context.Context, orgID, incidentID string) ([]store.ObligationSubmission, error) {
	out, err := scanList(ctx, r.tx, scanSubmission, "SELECT "+submissionCols+
		" FROM obligation_submissions WHERE org_id = ? AND incident_id = ? ORDER BY submitted_at, id", orgID, incidentID)
	if out == nil {
		out = []store.ObligationSubmission{}
	}
	return out, err
}

func (r obligationRepo) MarkNoticed(ctx context.Context, orgID, incidentID, item string, at time.Time) (bool, error) {
	res, err := r.exec(ctx, `INSERT INTO clock_notices (org_id, incident_id, item, noticed_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (org_id, incident_id, item) DO NOTHING`, orgID, incidentID, item, tm(at))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, mapErr(err)
	}
	return n == 1, nil
}

func (r obligationRepo) Noticed(ctx context.Context, orgID, incidentID string) (map[string]time.Time, error) {
	rows, err := r.query(ctx, "SELECT item, noticed_at FROM clock_notices WHERE org_id = ? AND incident_id = ?", orgID, incidentID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var item string
		var at time.Time
		if err := rows.Scan(&item, timeCol{&at}); err != nil {
			return nil, mapErr(err)
		}
		out[item] = at
	}
	return out, mapErr(rows.Err())
}

func (r obligationRepo) NextCheck(ctx context.Context, orgID, incidentID string) (time.Time, bool, error) {
	at, err := scanOne(ctx, r.tx, func(s rowScanner) (time.Time, error) {
		var at time.Time
		return at, s.Scan(timeCol{&at})
	}, "SELECT next_at FROM clock_checks WHERE org_id = ? AND incident_id = ?", orgID, incidentID)
	if errors.Is(err, store.ErrNotFound) {
		return time.Time{}, false, nil
	}
	return at, err == nil, err
}

func (r obligationRepo) SetNextCheck(ctx context.Context, orgID, incidentID string, at time.Time) error {
	if at.IsZero() {
		_, err := r.exec(ctx, "DELETE FROM clock_checks WHERE org_id = ? AND incident_id = ?", orgID, incidentID)
		return err
	}
	_, err := r.exec(ctx, `INSERT INTO clock_checks (org_id, incident_id, next_at) VALUES (?, ?, ?)
		ON CONFLICT (org_id, incident_id) DO UPDATE SET next_at = excluded.next_at`, orgID, incidentID, tm(at))
	return err
}
