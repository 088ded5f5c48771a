package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/audit"
	"github.com/quell-ir/quell/internal/store"
)

// walkAll reads the whole chain with Walk.
func walkAll(t *testing.T, e *env) []audit.Record {
	t.Helper()
	var recs []audit.Record
	e.read(func(tx store.Tx) error {
		return tx.Audit().Walk(e.ctx, func(r audit.Record) error {
			recs = append(recs, r)
			return nil
		})
	})
	return recs
}

// verifyChain requires the stored chain to verify from the genesis, with n records.
func verifyChain(t *testing.T, e *env, n int) {
	t.Helper()
	v := audit.NewVerifier()
	e.read(func(tx store.Tx) error { return tx.Audit().Walk(e.ctx, v.Check) })
	require.Equal(t, int64(n), v.Count)
}

func testAudit(t *testing.T, e *env) {
	ctx := e.ctx
	a, b := e.org("a"), e.org("b")
	incA := e.incident(a.ID, "audited")

	var appended []audit.Record
	newRecord := func(i int) audit.Record {
		r := audit.Record{ID: e.id(), At: at(i).In(cest), Actor: "user:alice", Action: "incident.update",
			ObjectType: "incident", ObjectID: incA.ID}
		switch i % 3 {
		case 0:
			r.OrgID, r.IncidentID = a.ID, incA.ID
			// Key order and spacing that a JSON normaliser would change: stored byte for byte.
			r.Changes = json.RawMessage(`{"title": ["old", "new"], "a":1}`)
		case 1:
			r.OrgID = b.ID
			r.Changes = audit.JSON(audit.Diff{"severity": {"low", "high"}})
		case 2:
			r.Action, r.ObjectType, r.ObjectID = "user.create", "user", "01USER" // no organisation
		}
		return r
	}
	// Several records per transaction, and one per transaction.
	for len(appended) < 40 {
		per := min(1+len(appended)%4, 40-len(appended))
		e.write(func(tx store.Tx) error {
			for range per {
				r := newRecord(len(appended))
				require.NoError(t, tx.Audit().Append(ctx, &r))
				require.Equal(t, int64(len(appended)+1), r.Seq, "Append sets the sequence number")
				require.Len(t, r.Hash, 64)
				if len(appended) == 0 {
					require.Equal(t, audit.GenesisHash, r.PrevHash)
				} else {
					require.Equal(t, appended[len(appended)-1].Hash, r.PrevHash)
				}
				r.At = r.At.UTC()
				appended = append(appended, r)
			}
			return nil
		})
	}
	verifyChain(t, e, 40)
	require.Equal(t, appended, walkAll(t, e), "records come back as sealed, in sequence order")

	// A rolled-back append leaves no gap.
	err := e.writeErr(func(tx store.Tx) error {
		r := newRecord(99)
		require.NoError(t, tx.Audit().Append(ctx, &r))
		return errors.New("undo")
	})
	require.Error(t, err)
	e.write(func(tx store.Tx) error {
		r := newRecord(41)
		require.NoError(t, tx.Audit().Append(ctx, &r))
		require.Equal(t, int64(41), r.Seq)
		r.At = r.At.UTC()
		appended = append(appended, r)
		return nil
	})
	verifyChain(t, e, 41)

	// Appends from concurrent transactions stay one linear chain.
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 5 {
				errs <- e.s.Write(ctx, func(tx store.Tx) error {
					r := audit.Record{ID: e.id(), OrgID: a.ID, At: at(100 + g*10 + j), Actor: fmt.Sprintf("worker:%d", g),
						Action: "concurrent", ObjectType: "test", ObjectID: fmt.Sprint(j)}
					return tx.Audit().Append(ctx, &r)
				})
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	verifyChain(t, e, 81)

	// Walk stops at fn's first error.
	stop := errors.New("stop")
	calls := 0
	err = e.readErr(func(tx store.Tx) error {
		return tx.Audit().Walk(ctx, func(audit.Record) error {
			calls++
			if calls == 3 {
				return stop
			}
			return nil
		})
	})
	require.ErrorIs(t, err, stop)
	require.Equal(t, 3, calls)

	// List filters by organisation and incident, oldest first, after a sequence number.
	list := func(f store.AuditFilter) []audit.Record {
		return get(e, func(tx store.Tx) ([]audit.Record, error) { return tx.Audit().List(ctx, f) })
	}
	filter := func(keep func(audit.Record) bool) []audit.Record {
		var out []audit.Record
		for _, r := range appended {
			if keep(r) {
				out = append(out, r)
			}
		}
		return out
	}
	inB := filter(func(r audit.Record) bool { return r.OrgID == b.ID })
	require.Equal(t, inB, list(store.AuditFilter{OrgID: b.ID}))
	ofInc := filter(func(r audit.Record) bool { return r.IncidentID == incA.ID })
	require.Equal(t, ofInc, list(store.AuditFilter{OrgID: a.ID, IncidentID: incA.ID}))
	require.Equal(t, ofInc, list(store.AuditFilter{IncidentID: incA.ID}))
	require.Empty(t, list(store.AuditFilter{OrgID: b.ID, IncidentID: incA.ID}), "another organisation")
	require.Equal(t, inB[2:5], list(store.AuditFilter{OrgID: b.ID, AfterSeq: inB[1].Seq, Limit: 3}))
	require.Equal(t, appended, list(store.AuditFilter{Limit: 41}), "no filter: every organisation's records and the global ones")
	require.Len(t, list(store.AuditFilter{}), store.DefaultLimit)
	require.Len(t, list(store.AuditFilter{Limit: store.MaxLimit}), 81)
	require.Len(t, list(store.AuditFilter{Limit: 7}), 7)
	require.Empty(t, list(store.AuditFilter{AfterSeq: 81}))
}
