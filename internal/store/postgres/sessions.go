package postgres

import (
	"context"
	"time"

	"github.com/quell-ir/quell/internal/access"
)

type sessionRepo struct{ *tx }

var sessionCols = "id, user_id, org_id, " + tc("created_at") + ", " + tc("last_seen_at") + ", " + tc("expires_at")

func scanSession(s rowScanner) (access.Session, error) {
	var x access.Session
	err := s.Scan(dest(&x.ID, &x.UserID, &x.OrgID, tcol(&x.CreatedAt), tcol(&x.LastSeenAt), tcol(&x.ExpiresAt))...)
	return x, err
}

func (r sessionRepo) Create(ctx context.Context, s access.Session) error {
	c := (&cols{}).set("id", s.ID).set("user_id", s.UserID).set("org_id", s.OrgID).setTime("created_at", s.CreatedAt).
		setTime("last_seen_at", s.LastSeenAt).setTime("expires_at", s.ExpiresAt)
	_, err := r.exec(ctx, c.insert("sessions"), c.args...)
	return err
}

// Get returns the session, expired or not: the caller decides.
func (r sessionRepo) Get(ctx context.Context, id string) (access.Session, error) {
	return scanOne(ctx, r.tx, scanSession, "SELECT "+sessionCols+" FROM sessions WHERE id = $1", id)
}

func (r sessionRepo) Touch(ctx context.Context, id string, lastSeen, expires time.Time) error {
	c := (&cols{}).setTime("last_seen_at", lastSeen).setTime("expires_at", expires)
	q := "UPDATE sessions SET " + c.assignments() + " WHERE id = " + c.args.add(id)
	return r.execOne(ctx, q, c.args...)
}

func (r sessionRepo) SetOrg(ctx context.Context, id, orgID string) error {
	return r.execOne(ctx, "UPDATE sessions SET org_id = $1 WHERE id = $2", orgID, id)
}

// Delete removes a session; removing one that is gone is not an error (sign-out twice).
func (r sessionRepo) Delete(ctx context.Context, id string) error {
	_, err := r.exec(ctx, "DELETE FROM sessions WHERE id = $1", id)
	return err
}

func (r sessionRepo) DeleteForUser(ctx context.Context, userID string) error {
	_, err := r.exec(ctx, "DELETE FROM sessions WHERE user_id = $1", userID)
	return err
}

// DeleteExpired removes the sessions whose expiry is at or before now.
func (r sessionRepo) DeleteExpired(ctx context.Context, now time.Time) (int, error) {
	at, ns := splitTime(now)
	tag, err := r.exec(ctx, "DELETE FROM sessions WHERE (expires_at, expires_at_ns) <= ($1, $2)", at, ns)
	if err != nil {
		return 0, err
	}
	return int(tag.RowsAffected()), nil
}
