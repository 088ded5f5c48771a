package sqlite

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/quell-ir/quell/internal/store"
)

type planRepo struct{ *tx }

func (t *tx) Plans() store.Plans { return planRepo{t} }

const planCols = "org_id, number, content, created_by, created_at, approved_by, approved_at, next_review"

func scanPlan(s rowScanner) (store.PlanVersion, error) {
	var v store.PlanVersion
	err := s.Scan(&v.OrgID, &v.Number, jsonCol{&v.Content}, &v.CreatedBy, timeCol{&v.CreatedAt}, &v.ApprovedBy,
		timePtrCol{&v.ApprovedAt}, timePtrCol{&v.NextReview})
	return v, err
}

func (r planRepo) AddVersion(ctx context.Context, v store.PlanVersion) error {
	content, err := jsonText(v.Content)
	if err != nil {
		return err
	}
	_, err = r.exec(ctx, "INSERT INTO plan_versions ("+planCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		v.OrgID, v.Number, content, v.CreatedBy, tm(v.CreatedAt), v.ApprovedBy, tmPtr(v.ApprovedAt), tmPtr(v.NextReview))
	return err
}

func (r planRepo) Version(ctx context.Context, orgID string, number int) (store.PlanVersion, error) {
	return scanOne(ctx, r.tx, scanPlan, "SELECT "+planCols+" FROM plan_versions WHERE org_id = ? AND number = ?", orgID, number)
}

func (r planRepo) Latest(ctx context.Context, orgID string) (store.PlanVersion, error) {
	return scanOne(ctx, r.tx, scanPlan, "SELECT "+planCols+" FROM plan_versions WHERE org_id = ? ORDER BY number DESC LIMIT 1", orgID)
}

func (r planRepo) InForce(ctx context.Context, orgID string) (store.PlanVersion, error) {
	return scanOne(ctx, r.tx, scanPlan, "SELECT "+planCols+
		" FROM plan_versions WHERE org_id = ? AND approved_at IS NOT NULL ORDER BY number DESC LIMIT 1", orgID)
}

func (r planRepo) Versions(ctx context.Context, orgID string) ([]store.PlanVersion, error) {
	out, err := scanList(ctx, r.tx, scanPlan, "SELECT "+planCols+" FROM plan_versions WHERE org_id = ? ORDER BY number DESC", orgID)
	if out == nil {
		out = []store.PlanVersion{}
	}
	return out, err
}

func (r planRepo) Approve(ctx context.Context, orgID string, number int, by string, at, nextReview time.Time) error {
	err := r.execOne(ctx, `UPDATE plan_versions SET approved_by = ?, approved_at = ?, next_review = ?
		WHERE org_id = ? AND number = ? AND approved_at IS NULL`, by, tm(at), tm(nextReview), orgID, number)
	if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if _, err := r.Version(ctx, orgID, number); err != nil {
		return err
	}
	return fmt.Errorf("plan version %d is already approved: %w", number, store.ErrConflict)
}

type peopleRepo struct{ *tx }

func (t *tx) People() store.People { return peopleRepo{t} }

const contactCols = "id, org_id, name, title, organisation, external, channels, notes, version, created_at, updated_at, archived_at"

func scanContact(s rowScanner) (store.Contact, error) {
	var c store.Contact
	err := s.Scan(&c.ID, &c.OrgID, &c.Name, &c.Title, &c.Organisation, &c.External, jsonCol{&c.Channels}, &c.Notes,
		&c.Version, timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt}, timePtrCol{&c.ArchivedAt})
	if c.Channels == nil {
		c.Channels = []store.Channel{}
	}
	return c, err
}

func (r peopleRepo) CreateContact(ctx context.Context, c store.Contact) error {
	ch, err := jsonText(nonNilList(c.Channels))
	if err != nil {
		return err
	}
	_, err = r.exec(ctx, "INSERT INTO contacts ("+contactCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		c.ID, c.OrgID, c.Name, c.Title, c.Organisation, boolInt(c.External), ch, c.Notes, c.Version,
		tm(c.CreatedAt), tm(c.UpdatedAt), tmPtr(c.ArchivedAt))
	return err
}

func (r peopleRepo) Contact(ctx context.Context, orgID, id string) (store.Contact, error) {
	return scanOne(ctx, r.tx, scanContact, "SELECT "+contactCols+" FROM contacts WHERE org_id = ? AND id = ?", orgID, id)
}

func (r peopleRepo) UpdateContact(ctx context.Context, c store.Contact, expectVersion int64) error {
	ch, err := jsonText(nonNilList(c.Channels))
	if err != nil {
		return err
	}
	return r.updateVersioned(ctx, "contacts", "org_id = ? AND id = ?", []any{c.OrgID, c.ID},
		`UPDATE contacts SET name = ?, title = ?, organisation = ?, external = ?, channels = ?, notes = ?,
		version = ?, updated_at = ?, archived_at = ? WHERE org_id = ? AND id = ? AND version = ?`,
		c.Name, c.Title, c.Organisation, boolInt(c.External), ch, c.Notes, expectVersion+1, tm(c.UpdatedAt),
		tmPtr(c.ArchivedAt), c.OrgID, c.ID, expectVersion)
}

func (r peopleRepo) Contacts(ctx context.Context, orgID string, archived bool) ([]store.Contact, error) {
	out, err := scanList(ctx, r.tx, scanContact, "SELECT "+contactCols+
		" FROM contacts WHERE org_id = ? AND (? OR archived_at IS NULL) ORDER BY lower(name), id", orgID, archived)
	return nonNilList(out), err
}

const teamCols = "id, org_id, name, description, members, version, created_at, updated_at, archived_at"

func scanTeam(s rowScanner) (store.Team, error) {
	var t store.Team
	err := s.Scan(&t.ID, &t.OrgID, &t.Name, &t.Description, jsonCol{&t.Members}, &t.Version,
		timeCol{&t.CreatedAt}, timeCol{&t.UpdatedAt}, timePtrCol{&t.ArchivedAt})
	t.Members = nonNilList(t.Members)
	return t, err
}

func (r peopleRepo) CreateTeam(ctx context.Context, t store.Team) error {
	m, err := jsonText(nonNilList(t.Members))
	if err != nil {
		return err
	}
	_, err = r.exec(ctx, "INSERT INTO teams ("+teamCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
		t.ID, t.OrgID, t.Name, t.Description, m, t.Version, tm(t.CreatedAt), tm(t.UpdatedAt), tmPtr(t.ArchivedAt))
	return err
}

func (r peopleRepo) Team(ctx context.Context, orgID, id string) (store.Team, error) {
	return scanOne(ctx, r.tx, scanTeam, "SELECT "+teamCols+" FROM teams WHERE org_id = ? AND id = ?", orgID, id)
}

func (r peopleRepo) UpdateTeam(ctx context.Context, t store.Team, expectVersion int64) error {
	m, err := jsonText(nonNilList(t.Members))
	if err != nil {
		return err
	}
	return r.updateVersioned(ctx, "teams", "org_id = ? AND id = ?", []any{t.OrgID, t.ID},
		`UPDATE teams SET name = ?, description = ?, members = ?, version = ?, updated_at = ?, archived_at = ?
		WHERE org_id = ? AND id = ? AND version = ?`,
		t.Name, t.Description, m, expectVersion+1, tm(t.UpdatedAt), tmPtr(t.ArchivedAt), t.OrgID, t.ID, expectVersion)
}

func (r peopleRepo) Teams(ctx context.Context, orgID string, archived bool) ([]store.Team, error) {
	out, err := scanList(ctx, r.tx, scanTeam, "SELECT "+teamCols+
		" FROM teams WHERE org_id = ? AND (? OR archived_at IS NULL) ORDER BY lower(name), id", orgID, archived)
	return nonNilList(out), err
}

const rosterCols = "id, org_id, role, starts, ends, contacts, users, note, version, created_at, updated_at, archived_at"

func scanRoster(s rowScanner) (store.Roster, error) {
	var v store.Roster
	err := s.Scan(&v.ID, &v.OrgID, &v.Role, timeCol{&v.Starts}, timeCol{&v.Ends}, jsonCol{&v.Contacts}, jsonCol{&v.Users},
		&v.Note, &v.Version, timeCol{&v.CreatedAt}, timeCol{&v.UpdatedAt}, timePtrCol{&v.ArchivedAt})
	v.Contacts, v.Users = nonNilList(v.Contacts), nonNilList(v.Users)
	return v, err
}

func rosterArgs(v store.Roster) (contacts, users string, err error) {
	if contacts, err = jsonText(nonNilList(v.Contacts)); err != nil {
		return "", "", err
	}
	users, err = jsonText(nonNilList(v.Users))
	return contacts, users, err
}

func (r peopleRepo) CreateRoster(ctx context.Context, v store.Roster) error {
	contacts, users, err := rosterArgs(v)
	if err != nil {
		return err
	}
	_, err = r.exec(ctx, "INSERT INTO rosters ("+rosterCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		v.ID, v.OrgID, string(v.Role), tm(v.Starts), tm(v.Ends), contacts, users, v.Note, v.Version,
		tm(v.CreatedAt), tm(v.UpdatedAt), tmPtr(v.ArchivedAt))
	return err
}

func (r peopleRepo) Roster(ctx context.Context, orgID, id string) (store.Roster, error) {
	return scanOne(ctx, r.tx, scanRoster, "SELECT "+rosterCols+" FROM rosters WHERE org_id = ? AND id = ?", orgID, id)
}

func (r peopleRepo) UpdateRoster(ctx context.Context, v store.Roster, expectVersion int64) error {
	contacts, users, err := rosterArgs(v)
	if err != nil {
		return err
	}
	return r.updateVersioned(ctx, "rosters", "org_id = ? AND id = ?", []any{v.OrgID, v.ID},
		`UPDATE rosters SET role = ?, starts = ?, ends = ?, contacts = ?, users = ?, note = ?, version = ?,
		updated_at = ?, archived_at = ? WHERE org_id = ? AND id = ? AND version = ?`,
		string(v.Role), tm(v.Starts), tm(v.Ends), contacts, users, v.Note, expectVersion+1, tm(v.UpdatedAt),
		tmPtr(v.ArchivedAt), v.OrgID, v.ID, expectVersion)
}

func (r peopleRepo) Rosters(ctx context.Context, orgID string, f store.RosterFilter) ([]store.Roster, error) {
	q := "SELECT " + rosterCols + " FROM rosters WHERE org_id = ?"
	args := []any{orgID}
	if f.Role != "" {
		q += " AND role = ?"
		args = append(args, string(f.Role))
	}
	if !f.At.IsZero() {
		q += " AND starts <= ? AND ends > ?"
		args = append(args, tm(f.At), tm(f.At))
	}
	if !f.Archived {
		q += " AND archived_at IS NULL"
	}
	out, err := scanList(ctx, r.tx, scanRoster, q+" ORDER BY starts, id", args...)
	return nonNilList(out), err
}

// nonNilList returns items, or an empty slice for none.
func nonNilList[T any](items []T) []T {
	if items == nil {
		return []T{}
	}
	return items
}
