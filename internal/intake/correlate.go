package intake

import (
	"context"
	"log/slog"
	"time"
)

// CorrelateFunc correlates up to limit pending alerts. When bounded, intake is busy and the
// run should keep the writer only briefly. It says how many alerts it looked at, and whether
// it stopped short of limit with alerts of its batch left over (a bounded run).
type CorrelateFunc func(ctx context.Context, limit int, bounded bool) (looked int, more bool, err error)

// Correlator runs correlation in the background: when woken after a commit, and every
// Interval in any case, it takes pending alerts in batches until none is left, pausing
// between batches while intake keeps committing. Pending alerts are stored, so a crash or a
// failed run loses nothing: the next run takes them up.
type Correlator struct {
	fn       CorrelateFunc
	batch    int
	interval time.Duration
	log      *slog.Logger
	wake     chan struct{}
	stop     context.CancelFunc
	done     chan struct{}
}

// settle is how long a woken correlator lets alerts gather before it runs. Intake wakes it
// after every commit, and under a stream of single alerts that is every few milliseconds: a
// run for each would pay a transaction, and an index segment, for a handful of alerts. An
// alert waits this much longer to reach an incident, which nobody notices.
const settle = 50 * time.Millisecond

// NewCorrelator returns a correlator that calls fn with batches of batch alerts (default 250),
// at least every interval (default 1s). Each run holds the database's writer while it runs,
// so intake commits wait behind it: while intake is busy, runs are bounded (fn's bounded).
func NewCorrelator(fn CorrelateFunc, batch int, interval time.Duration, log *slog.Logger) *Correlator {
	if batch <= 0 {
		batch = 250
	}
	if interval <= 0 {
		interval = time.Second
	}
	if log == nil {
		log = slog.Default()
	}
	return &Correlator{fn: fn, batch: batch, interval: interval, log: log, wake: make(chan struct{}, 1), done: make(chan struct{})}
}

// Wake asks for a run soon; it never blocks.
func (c *Correlator) Wake() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Start runs the correlator until Stop.
func (c *Correlator) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	c.stop = cancel
	go c.loop(ctx)
}

// Stop ends the loop after the run in progress, or when ctx ends.
func (c *Correlator) Stop(ctx context.Context) error {
	if c.stop == nil {
		return nil
	}
	c.stop()
	select {
	case <-c.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *Correlator) loop(ctx context.Context) {
	defer close(c.done)
	tick := time.NewTicker(c.interval)
	defer tick.Stop()
	for {
		// Runs are bounded while intake commits: after a wake, and while wakes keep coming.
		// Once a run passes without one, intake is quiet and the backlog is worked unbounded.
		var busy bool
		select {
		case <-ctx.Done():
			return
		case <-c.wake:
			if !pause(ctx) {
				return
			}
			busy = true
		case <-tick.C:
		}
		for ctx.Err() == nil {
			n, more, err := c.fn(ctx, c.batch, busy)
			if err != nil {
				if ctx.Err() == nil {
					c.log.Warn("correlation run failed; the alerts stay pending", "err", err)
				}
				break
			}
			if n < c.batch && !more {
				break
			}
			// Intake committed while this batch ran: it is busy, and of the two only
			// correlation can wait. Leave the writer to intake for a while, then go on;
			// under a flood correlation keeps a batch per settle, and it drains the rest
			// once the flood is over.
			select {
			case <-c.wake:
				if !pause(ctx) {
					return
				}
				busy = true
			default:
				busy = false
			}
		}
	}
}

// pause waits settle; it is false when ctx ended first.
func pause(ctx context.Context) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(settle):
		return true
	}
}
