package sqlite

import (
	"context"
	"time"

	"github.com/quell-ir/quell/internal/access"
)

type tokenRepo struct{ *tx }

const tokenCols = "id, org_id, user_id, name, prefix, hash, scope, created_at, expires_at, last_used_at, revoked_at"

func scanToken(s rowScanner) (access.Token, error) {
	var t access.Token
	err := s.Scan(&t.ID, &t.OrgID, &t.UserID, &t.Name, &t.Prefix, &t.Hash, &t.Scope, timeCol{&t.CreatedAt},
		timePtrCol{&t.ExpiresAt}, timePtrCol{&t.LastUsedAt}, timePtrCol{&t.RevokedAt})
	return t, err
}

func (r tokenRepo) Create(ctx context.Context, t access.Token) error {
	_, err := r.exec(ctx, "INSERT INTO tokens ("+tokenCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		t.ID, t.OrgID, t.UserID, t.Name, t.Prefix, t.Hash, string(t.Scope), tm(t.CreatedAt),
		tmPtr(t.ExpiresAt), tmPtr(t.LastUsedAt), tmPtr(t.RevokedAt))
	return err
}

// GetByHash finds a token in any organisation (the token names its organisation).
func (r tokenRepo) GetByHash(ctx context.Context, hash string) (access.Token, error) {
	return scanOne(ctx, r.tx, scanToken, "SELECT "+tokenCols+" FROM tokens WHERE hash = ?", hash)
}

func (r tokenRepo) Get(ctx context.Context, orgID, id string) (access.Token, error) {
	return scanOne(ctx, r.tx, scanToken, "SELECT "+tokenCols+" FROM tokens WHERE org_id = ? AND id = ?", orgID, id)
}

// List returns the tokens oldest first.
func (r tokenRepo) List(ctx context.Context, orgID, userID string) ([]access.Token, error) {
	if userID != "" {
		return scanList(ctx, r.tx, scanToken,
			"SELECT "+tokenCols+" FROM tokens WHERE org_id = ? AND user_id = ? ORDER BY id", orgID, userID)
	}
	return scanList(ctx, r.tx, scanToken, "SELECT "+tokenCols+" FROM tokens WHERE org_id = ? ORDER BY id", orgID)
}

// Revoke marks the token revoked at at; revoking it again keeps the first time.
func (r tokenRepo) Revoke(ctx context.Context, orgID, id string, at time.Time) error {
	return r.execOne(ctx, "UPDATE tokens SET revoked_at = coalesce(revoked_at, ?) WHERE org_id = ? AND id = ?", tm(at), orgID, id)
}

func (r tokenRepo) Touch(ctx context.Context, id string, at time.Time) error {
	return r.execOne(ctx, "UPDATE tokens SET last_used_at = ? WHERE id = ?", tm(at), id)
}
