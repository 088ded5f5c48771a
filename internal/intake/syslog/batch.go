package syslog

import (
	"time"

	"github.com/quell-ir/quell/internal/alert"
)

// batcher gathers alerts from the queue into batches: a batch goes to flush when it holds size
// alerts, or delay after its first alert came, whichever is first. When the queue is closed the
// last batch goes and run returns. flush is called from run's goroutine only, one batch at a
// time; while it runs the queue fills, which is the back pressure.
type batcher struct {
	queue <-chan alert.Input
	size  int
	delay time.Duration
	flush func([]alert.Input)
}

func (b *batcher) run() {
	timer := time.NewTimer(b.delay)
	timer.Stop()
	var batch []alert.Input
	send := func() {
		timer.Stop()
		if len(batch) > 0 {
			b.flush(batch)
			batch = nil
		}
	}
	for {
		select {
		case in, ok := <-b.queue:
			if !ok {
				send()
				return
			}
			if batch == nil {
				batch = make([]alert.Input, 0, b.size)
				timer.Reset(b.delay)
			}
			batch = append(batch, in)
			if len(batch) >= b.size {
				send()
			}
		case <-timer.C:
			send()
		}
	}
}
