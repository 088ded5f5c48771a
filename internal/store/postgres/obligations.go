package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/quell-ir/quell/internal/store"
)

type obligationRepo struct{ *tx }

func (t *tx) Obligations() store.Obligations { return obligationRepo{t} }

var triggerCols = "id, org_id, incident_id, name, " + tc("at") + ", recorded_by, " + tc("recorded_at") + ", note"

func scanTrigger(s rowScanner) (store.ObligationTrigger, error) {
	var v store.ObligationTrigger
	err := s.Scan(dest(&v.ID, &v.OrgID, &v.IncidentID, &v.Name, tcol(&v.At), &v.RecordedBy, tcol(&v.RecordedAt), &v.Note)...)
	return v, err
}

func (r obligationRepo) AddTrigger(ctx context.Context, t store.ObligationTrigger) error {
	c := (&cols{}).set("id", t.ID).set("org_id", t.OrgID).set("incident_id", t.IncidentID).set("name", t.Name).
		setTime("at", t.At).set("recorded_by", t.RecordedBy).setTime("recorded_at", t.RecordedAt).set("note", t.Note)
	_, err := r.exec(ctx, c.insert("obligation_triggers"), c.args...)
	return err
}

func (r obligationRepo) Triggers(ctx context.Context, orgID, incidentID string) ([]store.ObligationTrigger, error) {
	out, err := scanList(ctx, r.tx, scanTrigger, "SELECT "+triggerCols+
		" FROM obligation_triggers WHERE org_id = $1 AND incident_id = $2 ORDER BY at, at_ns, id", orgID, incidentID)
	return nonNil(out), err
}

var submissionCols = "id, org_id, incident_id, obligation, " + tc("submitted_at") +
	", recipient, summary, reference, recorded_by, " + tc("recorded_at")

func scanSubmission(s rowScanner) (store.ObligationSubmission, error) {
	var v store.ObligationSubmission
	err := s.Scan(dest(&v.ID, &v.OrgID, &v.IncidentID, &v.Obligation, tcol(&v.SubmittedAt), &v.Recipient, &v.Summary,
		&v.Reference, &v.RecordedBy, tcol(&v.RecordedAt))...)
	return v, err
}

func (r obligationRepo) AddSubmission(ctx context.Context, s store.ObligationSubmission) error {
	c := (&cols{}).set("id", s.ID).set("org_id", s.OrgID).set("incident_id", s.IncidentID).
		set("obligation", s.Obligation).setTime("submitted_at", s.SubmittedAt).set("recipient", s.Recipient).
		set("summary", s.Summary).set("reference", s.Reference).set("recorded_by", s.RecordedBy).
		setTime("recorded_at", s.RecordedAt)
	_, err := r.exec(ctx, c.insert("obligation_submissions"), c.args...)
	return err
}

func (r obligationRepo) Submissions(ctx context.Context, orgID, incidentID string) ([]store.ObligationSubmission, error) {
	out, err := scanList(ctx, r.tx, scanSubmission, "SELECT "+submissionCols+
		" FROM obligation_submissions WHERE org_id = $1 AND incident_id = $2 ORDER BY submitted_at, submitted_at_ns, id",
		orgID, incidentID)
	return nonNil(out), err
}

func (r obligationRepo) MarkNoticed(ctx context.Context, orgID, incidentID, item string, at time.Time) (bool, error) {
	t, ns := splitTime(at)
	tag, err := r.exec(ctx, `INSERT INTO clock_notices (org_id, incident_id, item, noticed_at, noticed_at_ns)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (org_id, incident_id, item) DO NOTHING`, orgID, incidentID, item, t, ns)
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() == 1, nil
}

type notice struct {
	item string
	at   time.Time
}

func (r obligationRepo) Noticed(ctx context.Context, orgID, incidentID string) (map[string]time.Time, error) {
	list, err := scanList(ctx, r.tx, func(s rowScanner) (notice, error) {
		var n notice
		return n, s.Scan(dest(&n.item, tcol(&n.at))...)
	}, "SELECT item, "+tc("noticed_at")+" FROM clock_notices WHERE org_id = $1 AND incident_id = $2", orgID, incidentID)
	if err != nil {
		return nil, err
	}
	out := make(map[string]time.Time, len(list))
	for _, n := range list {
		out[n.item] = n.at
	}
	return out, nil
}

func (r obligationRepo) NextCheck(ctx context.Context, orgID, incidentID string) (time.Time, bool, error) {
	at, err := scanOne(ctx, r.tx, func(s rowScanner) (time.Time, error) {
		var at time.Time
		return at, s.Scan(dest(tcol(&at))...)
	}, "SELECT "+tc("next_at")+" FROM clock_checks WHERE org_id = $1 AND incident_id = $2", orgID, incidentID)
	if errors.Is(err, store.ErrNotFound) {
		return time.Time{}, false, nil
	}
	return at, err == nil, err
}

func (r obligationRepo) SetNextCheck(ctx context.Context, orgID, incidentID string, at time.Time) error {
	if at.IsZero() {
		_, err := r.exec(ctx, "DELETE FROM clock_checks WHERE org_id = $1 AND incident_id = $2", orgID, incidentID)
		return err
	}
	t, ns := splitTime(at)
	_, err := r.exec(ctx, `INSERT INTO clock_checks (org_id, incident_id, next_at, next_at_ns) VALUES ($1, $2, $3, $4)
		ON CONFLICT (org_id, incident_id) DO UPDATE SET next_at = excluded.next_at, next_at_ns = excluded.next_at_ns`,
		orgID, incidentID, t, ns)
	return err
}
