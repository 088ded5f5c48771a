package sqlite

import (
	"context"
	"time"

	"github.com/quell-ir/quell/internal/access"
)

type sessionRepo struct{ *tx }

const sessionCols = "id, user_id, org_id, created_at, last_seen_at, expires_at"

func scanSession(s rowScanner) (access.Session, error) {
	var x access.Session
	err := s.Scan(&x.ID, &x.UserID, &x.OrgID, timeCol{&x.CreatedAt}, timeCol{&x.LastSeenAt}, timeCol{&x.ExpiresAt})
	return x, err
}

func (r sessionRepo) Create(ctx context.Context, s access.Session) error {
	_, err := r.exec(ctx, "INSERT INTO sessions ("+sessionCols+") VALUES (?, ?, ?, ?, ?, ?)",
		s.ID, s.UserID, s.OrgID, tm(s.CreatedAt), tm(s.LastSeenAt), tm(s.ExpiresAt))
	return err
}

// Get returns the session, expired or not: the caller decides.
func (r sessionRepo) Get(ctx context.Context, id string) (access.Session, error) {
	return scanOne(ctx, r.tx, scanSession, "SELECT "+sessionCols+" FROM sessions WHERE id = ?", id)
}

func (r sessionRepo) Touch(ctx context.Context, id string, lastSeen, expires time.Time) error {
	return r.execOne(ctx, "UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE id = ?", tm(lastSeen), tm(expires), id)
}

func (r sessionRepo) SetOrg(ctx context.Context, id, orgID string) error {
	return r.execOne(ctx, "UPDATE sessions SET org_id = ? WHERE id = ?", orgID, id)
}

// Delete removes a session; removing one that is gone is not an error (sign-out twice).
func (r sessionRepo) Delete(ctx context.Context, id string) error {
	_, err := r.exec(ctx, "DELETE FROM sessions WHERE id = ?", id)
	return err
}

func (r sessionRepo) DeleteForUser(ctx context.Context, userID string) error {
	_, err := r.exec(ctx, "DELETE FROM sessions WHERE user_id = ?", userID)
	return err
}

// DeleteExpired removes the sessions whose expiry is at or before now.
func (r sessionRepo) DeleteExpired(ctx context.Context, now time.Time) (int, error) {
	res, err := r.exec(ctx, "DELETE FROM sessions WHERE expires_at <= ?", tm(now))
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), mapErr(err)
}
