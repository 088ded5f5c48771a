package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/audit"
	"github.com/quell-ir/quell/internal/store"
	"github.com/quell-ir/quell/internal/store/postgres/pgtest"
	"github.com/quell-ir/quell/internal/validation"
)

func TestMapErr(t *testing.T) {
	t.Parallel()
	pg := func(code string) error { return fmt.Errorf("query: %w", &pgconn.PgError{Code: code, Message: "m"}) }
	for _, tt := range []struct {
		err  error
		want error
	}{
		{pgx.ErrNoRows, store.ErrNotFound},
		{pg("23505"), store.ErrDuplicate},
		{pg("23503"), store.ErrNotFound},
		{pg("57P01"), store.ErrUnavailable}, // admin shutdown
		{pg("57P03"), store.ErrUnavailable}, // starting up
		{pg("53100"), store.ErrUnavailable}, // disk full
		{pg("53300"), store.ErrUnavailable}, // too many connections
		{pg("40001"), store.ErrUnavailable}, // serialization failure
		{pg("40P01"), store.ErrUnavailable}, // deadlock
		{pg("55P03"), store.ErrUnavailable}, // lock timeout
		{pg("25006"), store.ErrUnavailable}, // read-only server
		{pg("08006"), store.ErrUnavailable}, // connection failure
		{pg("58030"), store.ErrUnavailable}, // I/O error
		{fmt.Errorf("read: %w", io.ErrUnexpectedEOF), store.ErrUnavailable},
		{pgconn.ErrConnClosed, store.ErrUnavailable},
	} {
		got := mapErr(tt.err)
		require.ErrorIs(t, got, tt.want, "%v", tt.err)
		if tt.err != pgx.ErrNoRows {
			require.ErrorIs(t, got, tt.err, "the original stays in the chain")
		}
	}
	_, ok := validation.As(mapErr(pg("22021")))
	require.True(t, ok, "NUL in text is bad input")
	for _, err := range []error{context.Canceled, context.DeadlineExceeded, pg("42601"), errors.New("other")} {
		got := mapErr(err)
		require.Equal(t, err, got)
		require.NotErrorIs(t, got, store.ErrUnavailable)
	}
	require.NoError(t, mapErr(nil))
}

func TestUnreachableIsUnavailable(t *testing.T) {
	t.Parallel()
	_, err := Open(t.Context(), "postgres://quell@127.0.0.1:1/quell?sslmode=disable&connect_timeout=5", Options{})
	require.ErrorIs(t, err, store.ErrUnavailable)
}

func TestLostConnectionIsUnavailable(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := openTest(t, Options{MaxConns: 2})
	admin := rawPool(t, pgtest.BaseDSN(t))

	// The server ends the session in the middle of a Write, as a restart or a failover would.
	err := s.Write(ctx, func(st store.Tx) error {
		pgTx := st.(*tx).pgTx
		var pid int
		if err := pgTx.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
			return err
		}
		if _, err := admin.Exec(ctx, "SELECT pg_terminate_backend($1, 10000)", pid); err != nil {
			return err
		}
		_, err := st.Orgs().List(ctx)
		return err
	})
	require.ErrorIs(t, err, store.ErrUnavailable)

	// The pool drops the broken connection; the next Write works.
	require.NoError(t, s.Write(ctx, func(tx store.Tx) error { _, err := tx.Orgs().List(ctx); return err }))
	require.NoError(t, s.Ping(ctx))
}

func TestLockTimeoutIsUnavailable(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dsn, err := pgtest.WithParam(pgtest.DSN(t), "lock_timeout", "200ms")
	require.NoError(t, err)
	a, b := openDSN(t, dsn, Options{}), openDSN(t, dsn, Options{})

	// A holds the audit chain's head; B's append gives up after lock_timeout.
	err = a.Write(ctx, func(tx store.Tx) error {
		if err := tx.Audit().Append(ctx, &audit.Record{ID: "01A", At: testTime, Action: "hold"}); err != nil {
			return err
		}
		return b.Write(ctx, func(tx store.Tx) error {
			return tx.Audit().Append(ctx, &audit.Record{ID: "01B", At: testTime, Action: "wait"})
		})
	})
	require.ErrorIs(t, err, store.ErrUnavailable)
	// Both rolled back; the chain is empty and usable.
	require.NoError(t, b.Write(ctx, func(tx store.Tx) error {
		r := audit.Record{ID: "01C", At: testTime, Action: "after"}
		if err := tx.Audit().Append(ctx, &r); err != nil {
			return err
		}
		require.Equal(t, int64(1), r.Seq)
		return nil
	}))
}

func TestSessionDefaults(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := openTest(t, Options{})
	var app, lock, idle, syncScans string
	require.NoError(t, s.Pool().QueryRow(ctx, `SELECT current_setting('application_name'), current_setting('lock_timeout'),
		current_setting('idle_in_transaction_session_timeout'), current_setting('synchronize_seqscans')`).
		Scan(&app, &lock, &idle, &syncScans))
	require.Equal(t, []string{"quell", "10s", "1min", "off"}, []string{app, lock, idle, syncScans})

	// The DSN wins.
	dsn, err := pgtest.WithParam(pgtest.DSN(t), "lock_timeout", "3s")
	require.NoError(t, err)
	s = openDSN(t, dsn, Options{})
	require.NoError(t, s.Pool().QueryRow(ctx, "SELECT current_setting('lock_timeout')").Scan(&lock))
	require.Equal(t, "3s", lock)
}
