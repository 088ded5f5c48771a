package postgres

// Several stores on one schema stand for several Quell nodes on one database: each has its own
// pool, so their transactions meet only in PostgreSQL.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/access"
	"github.com/quell-ir/quell/internal/audit"
	"github.com/quell-ir/quell/internal/incident"
	"github.com/quell-ir/quell/internal/store"
	"github.com/quell-ir/quell/internal/store/postgres/pgtest"
)

var testTime = time.Date(2025, 3, 14, 9, 26, 53, 589793238, time.UTC)

// nodes opens n stores on one fresh schema.
func nodes(t *testing.T, n int, opts Options) []*Store {
	t.Helper()
	dsn := pgtest.DSN(t)
	out := make([]*Store, n)
	for i := range out {
		out[i] = openDSN(t, dsn, opts)
	}
	return out
}

func newOrg(t *testing.T, s *Store, slug string) access.Org {
	t.Helper()
	o := access.Org{ID: ulid.Make().String(), Slug: slug, Name: slug, CreatedAt: testTime}
	require.NoError(t, s.Write(t.Context(), func(tx store.Tx) error { return tx.Orgs().Create(t.Context(), o) }))
	return o
}

func newIncident(orgID string) incident.Incident {
	return incident.Incident{ID: ulid.Make().String(), OrgID: orgID, Title: "concurrent", Type: incident.TypeOther,
		Severity: incident.SeverityLow, Priority: incident.P4, Phase: incident.PhaseIdentification,
		TLP: incident.TLPAmber, CreatedBy: "system", CreatedAt: testTime, UpdatedAt: testTime, Version: 1}
}

// run starts fn on every goroutine and returns the errors they returned.
func run(goroutines int, fn func(g int) error) []error {
	var wg sync.WaitGroup
	errs := make([]error, goroutines)
	for g := range goroutines {
		wg.Go(func() { errs[g] = fn(g) })
	}
	wg.Wait()
	return errs
}

func TestNodesNeverShareIncidentNumbers(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	ns := nodes(t, 3, Options{MaxConns: 4})
	a, b := newOrg(t, ns[0], "a"), newOrg(t, ns[0], "b")

	const goroutines, each = 12, 10
	errs := run(goroutines, func(g int) error {
		s := ns[g%len(ns)]
		org := []string{a.ID, b.ID}[g%2]
		for range each {
			err := s.Write(ctx, func(tx store.Tx) error {
				inc := newIncident(org)
				n, err := tx.Incidents().NextNumber(ctx, org)
				if err != nil {
					return err
				}
				inc.Number = n
				return tx.Incidents().Create(ctx, inc)
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	for _, err := range errs {
		require.NoError(t, err)
	}
	for _, org := range []string{a.ID, b.ID} {
		var numbers []int64
		f := store.IncidentFilter{OrgID: org, Limit: store.MaxLimit}
		page := get(t, ns[1], func(tx store.Tx) (store.Page[incident.Incident], error) { return tx.Incidents().List(ctx, f) })
		for _, inc := range page.Items {
			numbers = append(numbers, inc.Number)
		}
		slices.Sort(numbers)
		want := make([]int64, goroutines/2*each)
		for i := range want {
			want[i] = int64(i + 1)
		}
		require.Equal(t, want, numbers, "numbers 1…n, each once, in org %s", org)
	}
}

func TestNodesKeepOneAuditChain(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	ns := nodes(t, 3, Options{MaxConns: 4})
	org := newOrg(t, ns[0], "a")
	inc := newIncident(org.ID)
	inc.Number = 1
	require.NoError(t, ns[0].Write(ctx, func(tx store.Tx) error { return tx.Incidents().Create(ctx, inc) }))

	// Writes that append one to three records each, with other work between the appends; some
	// roll back after appending. Every node's goroutines run at once.
	const goroutines, each = 24, 10
	var committed atomic.Int64
	undo := errors.New("undo")
	errs := run(goroutines, func(g int) error {
		s := ns[g%len(ns)]
		for j := range each {
			n := 1 + (g+j)%3
			err := s.Write(ctx, func(tx store.Tx) error {
				for k := range n {
					r := audit.Record{ID: ulid.Make().String(), OrgID: org.ID, At: testTime.Add(time.Duration(g*1000+j*10+k) * time.Nanosecond),
						Actor: fmt.Sprintf("node:%d", g%len(ns)), Action: "concurrent", ObjectType: "incident", ObjectID: inc.ID,
						IncidentID: inc.ID, Changes: audit.JSON(map[string]int{"g": g, "j": j, "k": k})}
					if err := tx.Audit().Append(ctx, &r); err != nil {
						return err
					}
					if err := tx.Timeline().Add(ctx, incident.Entry{ID: ulid.Make().String(), OrgID: org.ID, IncidentID: inc.ID,
						EventAt: testTime, EventZone: "Z", RecordedAt: testTime, Kind: incident.KindManual, Actor: "system",
						Text: "audited work"}); err != nil {
						return err
					}
				}
				if j%4 == 3 {
					return undo
				}
				return nil
			})
			switch {
			case errors.Is(err, undo):
			case err != nil:
				return err
			default:
				committed.Add(int64(n))
			}
		}
		return nil
	})
	for _, err := range errs {
		require.NoError(t, err)
	}
	for _, s := range ns {
		v := audit.NewVerifier()
		require.NoError(t, s.Read(ctx, func(tx store.Tx) error { return tx.Audit().Walk(ctx, v.Check) }))
		require.Equal(t, committed.Load(), v.Count, "one linear chain of every committed record, seen from every node")
	}
	var headSeq int64
	require.NoError(t, ns[2].Pool().QueryRow(ctx, "SELECT seq FROM audit_head").Scan(&headSeq))
	require.Equal(t, committed.Load(), headSeq)
}

// waitForLockWaiters waits until n sessions of application app wait for a lock.
func waitForLockWaiters(t *testing.T, s *Store, app string, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for {
		var waiting int
		require.NoError(t, s.Pool().QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE application_name = $1 AND wait_event_type = 'Lock'`, app).Scan(&waiting))
		if waiting >= n {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no session of %s waits for a lock", app)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// lockedNodes opens two stores on one schema whose sessions carry a name of their own, so a test
// can see them wait.
func lockedNodes(t *testing.T) (a, b *Store, app string) {
	t.Helper()
	app = "quell-test-" + ulid.Make().String()
	dsn, err := pgtest.WithParam(pgtest.DSN(t), "application_name", app)
	require.NoError(t, err)
	return openDSN(t, dsn, Options{}), openDSN(t, dsn, Options{}), app
}

func TestNodesConflictOnStaleVersions(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	a, b, app := lockedNodes(t)
	org := newOrg(t, a, "a")
	inc := newIncident(org.ID)
	inc.Number = 1
	note := incident.Note{ID: ulid.Make().String(), OrgID: org.ID, IncidentID: inc.ID, Body: "v1", Author: "system",
		CreatedAt: testTime, UpdatedAt: testTime, Version: 1}
	task := incident.Task{ID: ulid.Make().String(), OrgID: org.ID, IncidentID: inc.ID, Phase: incident.PhaseIdentification,
		Title: "late", Status: incident.TaskTodo, DueAt: &testTime, Origin: "manual", CreatedBy: "system",
		CreatedAt: testTime, UpdatedAt: testTime, Version: 1}
	require.NoError(t, a.Write(ctx, func(tx store.Tx) error {
		require.NoError(t, tx.Incidents().Create(ctx, inc))
		require.NoError(t, tx.Tasks().Create(ctx, task))
		return tx.Notes().Create(ctx, note)
	}))

	// Node A changes a row and holds its transaction open until node B's change of the same
	// row, from the same version, waits for it. B then finds the version stale.
	race := func(change func(tx store.Tx) error) (errA, errB error) {
		bDone := make(chan error, 1)
		errA = a.Write(ctx, func(tx store.Tx) error {
			if err := change(tx); err != nil {
				return err
			}
			go func() { bDone <- b.Write(ctx, change) }()
			waitForLockWaiters(t, a, app, 1)
			return nil
		})
		return errA, <-bDone
	}
	upd := inc
	upd.Title = "changed"
	errA, errB := race(func(tx store.Tx) error { return tx.Incidents().Update(ctx, upd, 1) })
	require.NoError(t, errA)
	require.ErrorIs(t, errB, store.ErrConflict)

	edit := note
	edit.Body = "v2"
	errA, errB = race(func(tx store.Tx) error { return tx.Notes().Update(ctx, edit, "user:x", 1) })
	require.NoError(t, errA)
	require.ErrorIs(t, errB, store.ErrConflict, "a conflict, not a duplicate revision")
	revs := get(t, b, func(tx store.Tx) ([]incident.NoteRevision, error) { return tx.Notes().Revisions(ctx, org.ID, note.ID) })
	require.Len(t, revs, 1)

	var marks atomic.Int32
	errA, errB = race(func(tx store.Tx) error {
		ok, err := tx.Tasks().MarkOverdueNoted(ctx, org.ID, task.ID, testTime)
		if ok {
			marks.Add(1)
		}
		return err
	})
	require.NoError(t, errA)
	require.NoError(t, errB)
	require.Equal(t, int32(1), marks.Load(), "the lateness is noted once")
}
