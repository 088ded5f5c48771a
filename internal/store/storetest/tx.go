package storetest

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/audit"
	"github.com/quell-ir/quell/internal/store"
)

func testTx(t *testing.T, e *env) {
	ctx := e.ctx
	require.NoError(t, e.s.Ping(ctx))

	a := e.org("a")
	boom := errors.New("boom")

	// Rollback on error.
	{
		o := access.Org{ID: e.id(), Slug: "rolled-back", Name: "x", CreatedAt: base}
		inc := e.newIncident(a.ID, "never stored")
		err := e.writeErr(func(tx store.Tx) error {
			require.NoError(t, tx.Orgs().Create(ctx, o))
			n, err := tx.Incidents().NextNumber(ctx, a.ID)
			require.NoError(t, err)
			inc.Number = n
			require.NoError(t, tx.Incidents().Create(ctx, inc))
			require.NoError(t, tx.Audit().Append(ctx, &audit.Record{ID: e.id(), OrgID: a.ID, At: base,
				Actor: "user:x", Action: "incident.create", ObjectType: "incident", ObjectID: inc.ID}))
			// The transaction sees its own writes.
			got, err := tx.Orgs().Get(ctx, o.ID)
			require.NoError(t, err)
			require.Equal(t, o, got)
			return boom
		})
		require.ErrorIs(t, err, boom)
		e.notFound(func(tx store.Tx) error { _, err := tx.Orgs().Get(ctx, o.ID); return err })
		e.notFound(func(tx store.Tx) error { _, err := tx.Incidents().Get(ctx, a.ID, inc.ID); return err })
		recs := get(e, func(tx store.Tx) ([]audit.Record, error) { return tx.Audit().List(ctx, store.AuditFilter{}) })
		require.Empty(t, recs)
		// The number reserved by the rolled-back transaction is handed out again.
		e.write(func(tx store.Tx) error {
			n, err := tx.Incidents().NextNumber(ctx, a.ID)
			require.Equal(t, int64(1), n)
			return err
		})
	}

	// Rollback on panic.
	{
		o := access.Org{ID: e.id(), Slug: "panicked", Name: "x", CreatedAt: base}
		require.PanicsWithValue(t, "kaboom", func() {
			_ = e.s.Write(ctx, func(tx store.Tx) error {
				require.NoError(t, tx.Orgs().Create(ctx, o))
				panic("kaboom")
			})
		})
		e.notFound(func(tx store.Tx) error { _, err := tx.Orgs().Get(ctx, o.ID); return err })
		// The store still works.
		e.org("after-panic")
	}

	// Read returns fn's error.
	{
		require.ErrorIs(t, e.readErr(func(store.Tx) error { return boom }), boom)
	}

	// Read cannot write.
	{
		o := access.Org{ID: e.id(), Slug: "from-read", Name: "x", CreatedAt: base}
		err := e.readErr(func(tx store.Tx) error { return tx.Orgs().Create(ctx, o) })
		require.Error(t, err)
		e.notFound(func(tx store.Tx) error { _, err := tx.Orgs().Get(ctx, o.ID); return err })
		err = e.readErr(func(tx store.Tx) error {
			return tx.Audit().Append(ctx, &audit.Record{ID: e.id(), At: base, Action: "x"})
		})
		require.Error(t, err)
	}

	// Commit is visible to later reads.
	{
		o := e.org("visible")
		got := get(e, func(tx store.Tx) (access.Org, error) { return tx.Orgs().Get(ctx, o.ID) })
		require.Equal(t, o, got)
	}
}
