package postgres

import (
	"context"
	"time"

	"github.com/quell-ir/quell/internal/access"
)

type tokenRepo struct{ *tx }

var tokenCols = "id, org_id, user_id, name, prefix, hash, scope, " + tc("created_at") + ", " + tc("expires_at") + ", " +
	tc("last_used_at") + ", " + tc("revoked_at")

func scanToken(s rowScanner) (access.Token, error) {
	var t access.Token
	err := s.Scan(dest(&t.ID, &t.OrgID, &t.UserID, &t.Name, &t.Prefix, &t.Hash, &t.Scope, tcol(&t.CreatedAt),
		tcolPtr(&t.ExpiresAt), tcolPtr(&t.LastUsedAt), tcolPtr(&t.RevokedAt))...)
	return t, err
}

func (r tokenRepo) Create(ctx context.Context, t access.Token) error {
	c := (&cols{}).set("id", t.ID).set("org_id", t.OrgID).set("user_id", t.UserID).set("name", t.Name).
		set("prefix", t.Prefix).set("hash", t.Hash).set("scope", string(t.Scope)).setTime("created_at", t.CreatedAt).
		setTimePtr("expires_at", t.ExpiresAt).setTimePtr("last_used_at", t.LastUsedAt).setTimePtr("revoked_at", t.RevokedAt)
	_, err := r.exec(ctx, c.insert("tokens"), c.args...)
	return err
}

// GetByHash finds a token in any organisation (the token names its organisation).
func (r tokenRepo) GetByHash(ctx context.Context, hash string) (access.Token, error) {
	return scanOne(ctx, r.tx, scanToken, "SELECT "+tokenCols+" FROM tokens WHERE hash = $1", hash)
}

func (r tokenRepo) Get(ctx context.Context, orgID, id string) (access.Token, error) {
	return scanOne(ctx, r.tx, scanToken, "SELECT "+tokenCols+" FROM tokens WHERE org_id = $1 AND id = $2", orgID, id)
}

// List returns the tokens oldest first.
func (r tokenRepo) List(ctx context.Context, orgID, userID string) ([]access.Token, error) {
	if userID != "" {
		return scanList(ctx, r.tx, scanToken,
			"SELECT "+tokenCols+" FROM tokens WHERE org_id = $1 AND user_id = $2 ORDER BY id", orgID, userID)
	}
	return scanList(ctx, r.tx, scanToken, "SELECT "+tokenCols+" FROM tokens WHERE org_id = $1 ORDER BY id", orgID)
}

// Revoke marks the token revoked at at; revoking it again keeps the first time.
func (r tokenRepo) Revoke(ctx context.Context, orgID, id string, at time.Time) error {
	us, ns := splitTime(at)
	return r.execOne(ctx, `UPDATE tokens SET revoked_at = coalesce(revoked_at, $1),
		revoked_at_ns = CASE WHEN revoked_at IS NULL THEN $2 ELSE revoked_at_ns END
		WHERE org_id = $3 AND id = $4`, us, ns, orgID, id)
}

func (r tokenRepo) Touch(ctx context.Context, id string, at time.Time) error {
	c := (&cols{}).setTime("last_used_at", at)
	q := "UPDATE tokens SET " + c.assignments() + " WHERE id = " + c.args.add(id)
	return r.execOne(ctx, q, c.args...)
}
