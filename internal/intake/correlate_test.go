package intake

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestCorrelatorBoundsRunsWhileIntakeIsBusy: a run after a wake is bounded; a run that stops
// at its bound is followed by another at once; once a run passes without a wake, the backlog
// is worked unbounded.
func TestCorrelatorBoundsRunsWhileIntakeIsBusy(t *testing.T) {
	t.Parallel()
	type call struct {
		limit   int
		bounded bool
	}
	var mu sync.Mutex
	var calls []call
	backlog := 25
	fn := func(_ context.Context, limit int, bounded bool) (int, bool, error) {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, call{limit, bounded})
		n := min(backlog, limit)
		if bounded {
			n = min(n, 3) // the budget is spent after three alerts
		}
		backlog -= n
		return n, bounded && backlog > 0 && n < limit, nil
	}
	c := NewCorrelator(fn, 10, time.Hour, nil)
	c.Start()
	t.Cleanup(func() { _ = c.Stop(context.Background()) })
	c.Wake()
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return backlog == 0
	}, 5*time.Second, time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	// 3 bounded, then 10, 10 and the last 2 unbounded: no wake came after the first run.
	require.Equal(t, []call{{10, true}, {10, false}, {10, false}, {10, false}}, calls)
}

// TestCorrelatorKeepsGoingAfterAFailure: a failed run is logged and the next wake runs again.
func TestCorrelatorKeepsGoingAfterAFailure(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	runs := 0
	fn := func(context.Context, int, bool) (int, bool, error) {
		mu.Lock()
		defer mu.Unlock()
		runs++
		if runs == 1 {
			return 0, false, errors.New("database is locked")
		}
		return 0, false, nil
	}
	c := NewCorrelator(fn, 10, time.Hour, nil)
	c.Start()
	t.Cleanup(func() { _ = c.Stop(context.Background()) })
	c.Wake()
	require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return runs == 1 }, 5*time.Second, time.Millisecond)
	c.Wake()
	require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return runs == 2 }, 5*time.Second, time.Millisecond)
}
