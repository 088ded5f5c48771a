package syslog

import (
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quell-ir/quell/internal/alert"
)

func TestBatcherFlushesOnSizeOnDelayAndOnClose(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		queue := make(chan alert.Input, 16)
		var mu sync.Mutex
		var batches [][]string
		got := func() [][]string {
			mu.Lock()
			defer mu.Unlock()
			return append([][]string(nil), batches...)
		}
		b := &batcher{queue: queue, size: 3, delay: 5 * time.Millisecond, flush: func(in []alert.Input) {
			var titles []string
			for _, a := range in {
				titles = append(titles, a.Title)
			}
			mu.Lock()
			batches = append(batches, titles)
			mu.Unlock()
		}}
		done := make(chan struct{})
		go func() {
			b.run()
			close(done)
		}()
		send := func(titles ...string) {
			for _, s := range titles {
				queue <- alert.Input{Title: s}
			}
			synctest.Wait()
		}

		// One alert waits for the delay, counted from its arrival.
		send("a")
		require.Empty(t, got())
		time.Sleep(4 * time.Millisecond)
		synctest.Wait()
		require.Empty(t, got())
		time.Sleep(time.Millisecond)
		synctest.Wait()
		require.Equal(t, [][]string{{"a"}}, got())

		// A full batch goes at once; the rest waits for its own delay.
		send("b", "c", "d", "e")
		require.Equal(t, [][]string{{"a"}, {"b", "c", "d"}}, got())
		time.Sleep(5 * time.Millisecond)
		synctest.Wait()
		require.Equal(t, [][]string{{"a"}, {"b", "c", "d"}, {"e"}}, got())

		// No alert, no flush, however long.
		time.Sleep(time.Hour)
		synctest.Wait()
		require.Len(t, got(), 3)

		// Closing the queue sends what is left at once.
		send("f")
		close(queue)
		<-done
		require.Equal(t, [][]string{{"a"}, {"b", "c", "d"}, {"e"}, {"f"}}, got())
	})
}
