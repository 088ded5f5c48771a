package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// Notify sends a notification on a channel to every session listening on it (LISTEN/NOTIFY),
// the other nodes of an installation included.
func (s *Store) Notify(ctx context.Context, channel, payload string) error {
	_, err := s.pool.Exec(ctx, "SELECT pg_notify($1, $2)", channel, payload)
	return mapErr(err)
}

// Listen calls fn with the payload of every notification on channel until ctx ends. It holds
// one connection of the pool, and takes another when that one breaks; notifications sent while
// no connection listened are lost (they only ever say that something changed).
func (s *Store) Listen(ctx context.Context, channel string, ready func(), fn func(payload string)) {
	for ctx.Err() == nil {
		err := s.listenOnce(ctx, channel, ready, fn)
		if ctx.Err() != nil {
			return
		}
		s.log.Warn("postgres: listening for notifications failed; retrying", "channel", channel, "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

func (s *Store) listenOnce(ctx context.Context, channel string, ready func(), fn func(payload string)) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		return err
	}
	if ready != nil {
		ready()
	}
	for {
		n, err := conn.Conn().WaitForNotification(ctx)
		if err != nil {
			// The connection is in an unknown state; do not give it back to the pool.
			_ = conn.Conn().Close(context.WithoutCancel(ctx))
			return err
		}
		fn(n.Payload)
	}
}
