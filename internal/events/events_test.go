package events

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// receive waits for the next notice on ch, failing after a deadline.
func receive(t *testing.T, ch <-chan Event) Event {
	t.Helper()
	select {
	case ev, ok := <-ch:
		require.True(t, ok, "the channel closed early")
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no notice arrived")
		return Event{}
	}
}

func TestSubscribersHearTheirOrganisationOnly(t *testing.T) {
	t.Parallel()
	b := NewBroker(0)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	a1 := b.Subscribe(ctx, "org-a")
	a2 := b.Subscribe(ctx, "org-a")
	other := b.Subscribe(ctx, "org-b")
	require.Equal(t, 3, b.Subscribers())

	b.Publish("org-a", "inc-1", "task.update")
	want := Event{OrgID: "org-a", IncidentID: "inc-1", Kind: "task.update"}
	require.Equal(t, want, receive(t, a1))
	require.Equal(t, want, receive(t, a2))
	select {
	case ev := <-other:
		t.Fatalf("another organisation heard %v", ev)
	default:
	}
}

func TestPublishDropsRatherThanBlocks(t *testing.T) {
	t.Parallel()
	b := NewBroker(2)
	ch := b.Subscribe(t.Context(), "org")
	for i := range 5 {
		b.Publish("org", "inc", string(rune('a'+i)))
	}
	require.Equal(t, int64(3), b.Dropped(), "the notices beyond the buffer are dropped")
	require.Equal(t, "a", receive(t, ch).Kind)
	require.Equal(t, "b", receive(t, ch).Kind)
	b.Publish("org", "inc", "f")
	require.Equal(t, "f", receive(t, ch).Kind, "a subscriber that caught up hears new notices")
}

func TestSubscriptionEndsWithItsContext(t *testing.T) {
	t.Parallel()
	b := NewBroker(0)
	ctx, cancel := context.WithCancel(t.Context())
	ch := b.Subscribe(ctx, "org")
	cancel()
	select {
	case _, ok := <-ch:
		require.False(t, ok, "the channel is closed, not fed")
	case <-time.After(5 * time.Second):
		t.Fatal("the channel was not closed")
	}
	require.Equal(t, 0, b.Subscribers())
	b.Publish("org", "inc", "x") // no subscriber left: must not panic on the closed channel
}
