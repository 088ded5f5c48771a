package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/quell-ir/quell/internal/store"
)

// docCol scans a JSON text column into v.
type docCol struct{ v any }

func (c docCol) Scan(src any) error {
	switch s := src.(type) {
	case string:
		return json.Unmarshal([]byte(s), c.v)
	case []byte:
		return json.Unmarshal(s, c.v)
	}
	return fmt.Errorf("postgres: expected JSON text, got %T", src)
}

// docArg encodes v for a JSON text column; a nil slice is written as [].
func docArg[T any](v []T) (string, error) {
	if v == nil {
		v = []T{}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("postgres: encode %T: %w", v, err)
	}
	return string(b), nil
}

type planRepo struct{ *tx }

func (t *tx) Plans() store.Plans { return planRepo{t} }

var planCols = "org_id, number, content, created_by, " + tc("created_at") + ", approved_by, " + tc("approved_at") + ", " + tc("next_review")

func scanPlan(s rowScanner) (store.PlanVersion, error) {
	var v store.PlanVersion
	err := s.Scan(dest(&v.OrgID, &v.Number, docCol{&v.Content}, &v.CreatedBy, tcol(&v.CreatedAt), &v.ApprovedBy,
		tcolPtr(&v.ApprovedAt), tcolPtr(&v.NextReview))...)
	return v, err
}

func (r planRepo) AddVersion(ctx context.Context, v store.PlanVersion) error {
	content, err := json.Marshal(v.Content)
	if err != nil {
		return fmt.Errorf("postgres: encode plan: %w", err)
	}
	c := (&cols{}).set("org_id", v.OrgID).set("number", v.Number).set("content", string(content)).
		set("created_by", v.CreatedBy).setTime("created_at", v.CreatedAt).set("approved_by", v.ApprovedBy).
		setTimePtr("approved_at", v.ApprovedAt).setTimePtr("next_review", v.NextReview)
	_, err = r.exec(ctx, c.insert("plan_versions"), c.args...)
	return err
}

func (r planRepo) Version(ctx context.Context, orgID string, number int) (store.PlanVersion, error) {
	return scanOne(ctx, r.tx, scanPlan, "SELECT "+planCols+" FROM plan_versions WHERE org_id = $1 AND number = $2", orgID, number)
}

func (r planRepo) Latest(ctx context.Context, orgID string) (store.PlanVersion, error) {
	return scanOne(ctx, r.tx, scanPlan, "SELECT "+planCols+" FROM plan_versions WHERE org_id = $1 ORDER BY number DESC LIMIT 1", orgID)
}

func (r planRepo) InForce(ctx context.Context, orgID string) (store.PlanVersion, error) {
	return scanOne(ctx, r.tx, scanPlan, "SELECT "+planCols+
		" FROM plan_versions WHERE org_id = $1 AND approved_at IS NOT NULL ORDER BY number DESC LIMIT 1", orgID)
}

func (r planRepo) Versions(ctx context.Context, orgID string) ([]store.PlanVersion, error) {
	out, err := scanList(ctx, r.tx, scanPlan, "SELECT "+planCols+" FROM plan_versions WHERE org_id = $1 ORDER BY number DESC", orgID)
	return nonNil(out), err
}

func (r planRepo) Approve(ctx context.Context, orgID string, number int, by string, at, nextReview time.Time) error {
	a, ans := splitTime(at)
	n, nns := splitTime(nextReview)
	err := r.execOne(ctx, `UPDATE plan_versions SET approved_by = $1, approved_at = $2, approved_at_ns = $3,
		next_review = $4, next_review_ns = $5 WHERE org_id = $6 AND number = $7 AND approved_at IS NULL`,
		by, a, ans, n, nns, orgID, number)
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

var contactCols = "id, org_id, name, title, organisation, external, channels, notes, version, " +
	tc("created_at") + ", " + tc("updated_at") + ", " + tc("archived_at")

func scanContact(s rowScanner) (store.Contact, error) {
	var c store.Contact
	err := s.Scan(dest(&c.ID, &c.OrgID, &c.Name, &c.Title, &c.Organisation, &c.External, docCol{&c.Channels}, &c.Notes,
		&c.Version, tcol(&c.CreatedAt), tcol(&c.UpdatedAt), tcolPtr(&c.ArchivedAt))...)
	c.Channels = nonNil(c.Channels)
	return c, err
}

func contactFields(c store.Contact) (*cols, error) {
	ch, err := docArg(c.Channels)
	if err != nil {
		return nil, err
	}
	return (&cols{}).set("name", c.Name).set("title", c.Title).set("organisation", c.Organisation).
		set("external", c.External).set("channels", ch).set("notes", c.Notes).
		setTime("updated_at", c.UpdatedAt).setTimePtr("archived_at", c.ArchivedAt), nil
}

func (r peopleRepo) CreateContact(ctx context.Context, c store.Contact) error {
	f, err := contactFields(c)
	if err != nil {
		return err
	}
	f.set("id", c.ID).set("org_id", c.OrgID).set("version", c.Version).setTime("created_at", c.CreatedAt)
	_, err = r.exec(ctx, f.insert("contacts"), f.args...)
	return err
}

func (r peopleRepo) Contact(ctx context.Context, orgID, id string) (store.Contact, error) {
	return scanOne(ctx, r.tx, scanContact, "SELECT "+contactCols+" FROM contacts WHERE org_id = $1 AND id = $2", orgID, id)
}

// update runs a versioned UPDATE of the row (orgID, id) of table with the assignments of f.
func (r peopleRepo) update(ctx context.Context, table string, f *cols, orgID, id string, expectVersion int64) error {
	f.set("version", expectVersion+1)
	q := "UPDATE " + table + " SET " + f.assignments() + " WHERE org_id = " + f.args.add(orgID) +
		" AND id = " + f.args.add(id) + " AND version = " + f.args.add(expectVersion)
	return r.updateVersioned(ctx, table, "org_id = $1 AND id = $2", []any{orgID, id}, q, f.args...)
}

func (r peopleRepo) UpdateContact(ctx context.Context, c store.Contact, expectVersion int64) error {
	f, err := contactFields(c)
	if err != nil {
		return err
	}
	return r.update(ctx, "contacts", f, c.OrgID, c.ID, expectVersion)
}

func (r peopleRepo) Contacts(ctx context.Context, orgID string, archived bool) ([]store.Contact, error) {
	out, err := scanList(ctx, r.tx, scanContact, "SELECT "+contactCols+
		` FROM contacts WHERE org_id = $1 AND ($2 OR archived_at IS NULL) ORDER BY lower(name) COLLATE "C", id`, orgID, archived)
	return nonNil(out), err
}

var teamCols = "id, org_id, name, description, members, version, " + tc("created_at") + ", " + tc("updated_at") + ", " + tc("archived_at")

func scanTeam(s rowScanner) (store.Team, error) {
	var t store.Team
	err := s.Scan(dest(&t.ID, &t.OrgID, &t.Name, &t.Description, docCol{&t.Members}, &t.Version,
		tcol(&t.CreatedAt), tcol(&t.UpdatedAt), tcolPtr(&t.ArchivedAt))...)
	t.Members = nonNil(t.Members)
	return t, err
}

func teamFields(t store.Team) (*cols, error) {
	m, err := docArg(t.Members)
	if err != nil {
		return nil, err
	}
	return (&cols{}).set("name", t.Name).set("description", t.Description).set("members", m).
		setTime("updated_at", t.UpdatedAt).setTimePtr("archived_at", t.ArchivedAt), nil
}

func (r peopleRepo) CreateTeam(ctx context.Context, t store.Team) error {
	f, err := teamFields(t)
	if err != nil {
		return err
	}
	f.set("id", t.ID).set("org_id", t.OrgID).set("version", t.Version).setTime("created_at", t.CreatedAt)
	_, err = r.exec(ctx, f.insert("teams"), f.args...)
	return err
}

func (r peopleRepo) Team(ctx context.Context, orgID, id string) (store.Team, error) {
	return scanOne(ctx, r.tx, scanTeam, "SELECT "+teamCols+" FROM teams WHERE org_id = $1 AND id = $2", orgID, id)
}

func (r peopleRepo) UpdateTeam(ctx context.Context, t store.Team, expectVersion int64) error {
	f, err := teamFields(t)
	if err != nil {
		return err
	}
	return r.update(ctx, "teams", f, t.OrgID, t.ID, expectVersion)
}

func (r peopleRepo) Teams(ctx context.Context, orgID string, archived bool) ([]store.Team, error) {
	out, err := scanList(ctx, r.tx, scanTeam, "SELECT "+teamCols+
		` FROM teams WHERE org_id = $1 AND ($2 OR archived_at IS NULL) ORDER BY lower(name) COLLATE "C", id`, orgID, archived)
	return nonNil(out), err
}

var rosterCols = "id, org_id, role, " + tc("starts") + ", " + tc("ends") + ", contacts, users, note, version, " +
	tc("created_at") + ", " + tc("updated_at") + ", " + tc("archived_at")

func scanRoster(s rowScanner) (store.Roster, error) {
	var v store.Roster
	err := s.Scan(dest(&v.ID, &v.OrgID, &v.Role, tcol(&v.Starts), tcol(&v.Ends), docCol{&v.Contacts}, docCol{&v.Users},
		&v.Note, &v.Version, tcol(&v.CreatedAt), tcol(&v.UpdatedAt), tcolPtr(&v.ArchivedAt))...)
	v.Contacts, v.Users = nonNil(v.Contacts), nonNil(v.Users)
	return v, err
}

func rosterFields(v store.Roster) (*cols, error) {
	contacts, err := docArg(v.Contacts)
	if err != nil {
		return nil, err
	}
	users, err := docArg(v.Users)
	if err != nil {
		return nil, err
	}
	return (&cols{}).set("role", string(v.Role)).setTime("starts", v.Starts).setTime("ends", v.Ends).
		set("contacts", contacts).set("users", users).set("note", v.Note).
		setTime("updated_at", v.UpdatedAt).setTimePtr("archived_at", v.ArchivedAt), nil
}

func (r peopleRepo) CreateRoster(ctx context.Context, v store.Roster) error {
	f, err := rosterFields(v)
	if err != nil {
		return err
	}
	f.set("id", v.ID).set("org_id", v.OrgID).set("version", v.Version).setTime("created_at", v.CreatedAt)
	_, err = r.exec(ctx, f.insert("rosters"), f.args...)
	return err
}

func (r peopleRepo) Roster(ctx context.Context, orgID, id string) (store.Roster, error) {
	return scanOne(ctx, r.tx, scanRoster, "SELECT "+rosterCols+" FROM rosters WHERE org_id = $1 AND id = $2", orgID, id)
}

func (r peopleRepo) UpdateRoster(ctx context.Context, v store.Roster, expectVersion int64) error {
	f, err := rosterFields(v)
	if err != nil {
		return err
	}
	return r.update(ctx, "rosters", f, v.OrgID, v.ID, expectVersion)
}

func (r peopleRepo) Rosters(ctx context.Context, orgID string, f store.RosterFilter) ([]store.Roster, error) {
	var a args
	q := "SELECT " + rosterCols + " FROM rosters WHERE org_id = " + a.add(orgID)
	if f.Role != "" {
		q += " AND role = " + a.add(string(f.Role))
	}
	if !f.At.IsZero() {
		at, ns := splitTime(f.At)
		t, n := a.add(at), a.add(ns)
		q += " AND (starts, starts_ns) <= (" + t + ", " + n + ") AND (ends, ends_ns) > (" + t + ", " + n + ")"
	}
	if !f.Archived {
		q += " AND archived_at IS NULL"
	}
	out, err := scanList(ctx, r.tx, scanRoster, q+" ORDER BY starts, starts_ns, id", a...)
	return nonNil(out), err
}
