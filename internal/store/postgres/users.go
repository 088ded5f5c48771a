package postgres

import (
	"context"
	"strings"

	"github.com/quell-ir/quell/internal/access"
)

type userRepo struct{ *tx }

var userCols = "id, username, display_name, email, password_hash, disabled, " + tc("created_at") + ", " +
	tc("updated_at") + ", " + tc("last_login_at") + ", version"

func scanUser(s rowScanner) (access.User, error) {
	var u access.User
	err := s.Scan(dest(&u.ID, &u.Username, &u.DisplayName, &u.Email, &u.PasswordHash, &u.Disabled,
		tcol(&u.CreatedAt), tcol(&u.UpdatedAt), tcolPtr(&u.LastLoginAt), &u.Version)...)
	return u, err
}

// usernameKey folds a user name for the case-insensitive unique key. It is folded in Go, not
// with SQL's lower(), so that both drivers agree on which names are the same.
func usernameKey(name string) string { return strings.ToLower(name) }

// userFields sets the columns Create and Update write.
func userFields(c *cols, u access.User) *cols {
	return c.set("username", u.Username).set("username_key", usernameKey(u.Username)).
		set("display_name", u.DisplayName).set("email", u.Email).set("password_hash", u.PasswordHash).
		set("disabled", u.Disabled).setTime("updated_at", u.UpdatedAt).setTimePtr("last_login_at", u.LastLoginAt)
}

func (r userRepo) Create(ctx context.Context, u access.User) error {
	c := userFields((&cols{}).set("id", u.ID).setTime("created_at", u.CreatedAt).set("version", u.Version), u)
	_, err := r.exec(ctx, c.insert("users"), c.args...)
	return err
}

func (r userRepo) Get(ctx context.Context, id string) (access.User, error) {
	return scanOne(ctx, r.tx, scanUser, "SELECT "+userCols+" FROM users WHERE id = $1", id)
}

func (r userRepo) GetByUsername(ctx context.Context, username string) (access.User, error) {
	return scanOne(ctx, r.tx, scanUser, "SELECT "+userCols+" FROM users WHERE username_key = $1", usernameKey(username))
}

func (r userRepo) Update(ctx context.Context, u access.User, expectVersion int64) error {
	c := userFields(&cols{}, u).set("version", expectVersion+1)
	q := "UPDATE users SET " + c.assignments() + " WHERE id = " + c.args.add(u.ID) + " AND version = " + c.args.add(expectVersion)
	return r.updateVersioned(ctx, "users", "id = $1", []any{u.ID}, q, c.args...)
}

func (r userRepo) Count(ctx context.Context) (int, error) {
	var n int
	err := r.queryRow(ctx, "SELECT count(*) FROM users", nil, &n)
	return n, err
}

func (r userRepo) SetMembership(ctx context.Context, m access.Membership) error {
	_, err := r.exec(ctx, `INSERT INTO memberships (user_id, org_id, role) VALUES ($1, $2, $3)
		ON CONFLICT (user_id, org_id) DO UPDATE SET role = excluded.role`, m.UserID, m.OrgID, string(m.Role))
	return err
}

// RemoveMembership returns ErrNotFound when the user is not a member.
func (r userRepo) RemoveMembership(ctx context.Context, userID, orgID string) error {
	return r.execOne(ctx, "DELETE FROM memberships WHERE user_id = $1 AND org_id = $2", userID, orgID)
}

const membershipSelect = `SELECT m.user_id, m.org_id, o.slug, u.username, m.role
	FROM memberships m JOIN orgs o ON o.id = m.org_id JOIN users u ON u.id = m.user_id`

func scanMembership(s rowScanner) (access.Membership, error) {
	var m access.Membership
	err := s.Scan(&m.UserID, &m.OrgID, &m.OrgSlug, &m.Username, &m.Role)
	return m, err
}

func (r userRepo) Membership(ctx context.Context, userID, orgID string) (access.Membership, error) {
	return scanOne(ctx, r.tx, scanMembership, membershipSelect+" WHERE m.user_id = $1 AND m.org_id = $2", userID, orgID)
}

// Memberships lists a user's organisations by slug, with OrgSlug and Username filled in.
func (r userRepo) Memberships(ctx context.Context, userID string) ([]access.Membership, error) {
	return scanList(ctx, r.tx, scanMembership, membershipSelect+" WHERE m.user_id = $1 ORDER BY o.slug", userID)
}

// Members lists an organisation's users by user name, with Username and OrgSlug filled in.
func (r userRepo) Members(ctx context.Context, orgID string) ([]access.Membership, error) {
	return scanList(ctx, r.tx, scanMembership, membershipSelect+" WHERE m.org_id = $1 ORDER BY u.username_key, u.id", orgID)
}
