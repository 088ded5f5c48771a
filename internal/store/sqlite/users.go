package sqlite

import (
	"context"
	"strings"

	"github.com/quell-ir/quell/internal/access"
)

type userRepo struct{ *tx }

const userCols = "id, username, display_name, email, password_hash, disabled, created_at, updated_at, last_login_at, version"

func scanUser(s rowScanner) (access.User, error) {
	var u access.User
	err := s.Scan(&u.ID, &u.Username, &u.DisplayName, &u.Email, &u.PasswordHash, &u.Disabled,
		timeCol{&u.CreatedAt}, timeCol{&u.UpdatedAt}, timePtrCol{&u.LastLoginAt}, &u.Version)
	return u, err
}

// usernameKey folds a user name for the case-insensitive unique key.
func usernameKey(name string) string { return strings.ToLower(name) }

func (r userRepo) Create(ctx context.Context, u access.User) error {
	_, err := r.exec(ctx, `INSERT INTO users (id, username, username_key, display_name, email, password_hash,
		disabled, created_at, updated_at, last_login_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.Username, usernameKey(u.Username), u.DisplayName, u.Email, u.PasswordHash,
		boolInt(u.Disabled), tm(u.CreatedAt), tm(u.UpdatedAt), tmPtr(u.LastLoginAt), u.Version)
	return err
}

func (r userRepo) Get(ctx context.Context, id string) (access.User, error) {
	return scanOne(ctx, r.tx, scanUser, "SELECT "+userCols+" FROM users WHERE id = ?", id)
}

func (r userRepo) GetByUsername(ctx context.Context, username string) (access.User, error) {
	return scanOne(ctx, r.tx, scanUser, "SELECT "+userCols+" FROM users WHERE username_key = ?", usernameKey(username))
}

func (r userRepo) Update(ctx context.Context, u access.User, expectVersion int64) error {
	return r.updateVersioned(ctx, "users", "id = ?", []any{u.ID}, `UPDATE users SET username = ?, username_key = ?,
		display_name = ?, email = ?, password_hash = ?, disabled = ?, updated_at = ?, last_login_at = ?, version = ?
		WHERE id = ? AND version = ?`,
		u.Username, usernameKey(u.Username), u.DisplayName, u.Email, u.PasswordHash, boolInt(u.Disabled),
		tm(u.UpdatedAt), tmPtr(u.LastLoginAt), expectVersion+1, u.ID, expectVersion)
}

func (r userRepo) Count(ctx context.Context) (int, error) {
	var n int
	err := r.sqlTx.QueryRowContext(ctx, "SELECT count(*) FROM users").Scan(&n)
	return n, mapErr(err)
}

func (r userRepo) SetMembership(ctx context.Context, m access.Membership) error {
	_, err := r.exec(ctx, `INSERT INTO memberships (user_id, org_id, role) VALUES (?, ?, ?)
		ON CONFLICT (user_id, org_id) DO UPDATE SET role = excluded.role`, m.UserID, m.OrgID, string(m.Role))
	return err
}

// RemoveMembership returns ErrNotFound when the user is not a member.
func (r userRepo) RemoveMembership(ctx context.Context, userID, orgID string) error {
	return r.execOne(ctx, "DELETE FROM memberships WHERE user_id = ? AND org_id = ?", userID, orgID)
}

const membershipSelect = `SELECT m.user_id, m.org_id, o.slug, u.username, m.role
	FROM memberships m JOIN orgs o ON o.id = m.org_id JOIN users u ON u.id = m.user_id`

func scanMembership(s rowScanner) (access.Membership, error) {
	var m access.Membership
	err := s.Scan(&m.UserID, &m.OrgID, &m.OrgSlug, &m.Username, &m.Role)
	return m, err
}

func (r userRepo) Membership(ctx context.Context, userID, orgID string) (access.Membership, error) {
	return scanOne(ctx, r.tx, scanMembership, membershipSelect+" WHERE m.user_id = ? AND m.org_id = ?", userID, orgID)
}

// Memberships lists a user's organisations by slug, with OrgSlug and Username filled in.
func (r userRepo) Memberships(ctx context.Context, userID string) ([]access.Membership, error) {
	return scanList(ctx, r.tx, scanMembership, membershipSelect+" WHERE m.user_id = ? ORDER BY o.slug", userID)
}

// Members lists an organisation's users by user name, with Username and OrgSlug filled in.
func (r userRepo) Members(ctx context.Context, orgID string) ([]access.Membership, error) {
	return scanList(ctx, r.tx, scanMembership, membershipSelect+" WHERE m.org_id = ? ORDER BY u.username_key, u.id", orgID)
}
