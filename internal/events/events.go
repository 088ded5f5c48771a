// Package events is an in-process broker of change notices: after a change commits, the use
// cases publish which incident of which organisation changed, and live views (the web UI's
// server-sent events) subscribe to refresh what they show.
//
// A notice says only that something changed, never what or by whom, so it carries nothing a
// subscriber could not read anyway; subscribers still check that the person they serve may see
// the incident before passing a notice on. Delivery is best effort: each subscriber has a
// bounded buffer, and a notice that does not fit is dropped rather than making the publisher
// wait. A view that misses a notice is only as stale as it would be without live updates.
package events

import (
	"context"
	"sync"
	"sync/atomic"
)

// Event says that something about an incident changed. IncidentID is empty for changes that
// belong to no incident (the asset inventory). Kind is the audit action, such as "task.update".
type Event struct {
	OrgID      string
	IncidentID string
	Kind       string
}

// DefaultBuffer is the number of notices a subscriber may fall behind before notices are dropped.
const DefaultBuffer = 64

// Broker fans notices out to the subscribers of each organisation.
type Broker struct {
	buffer  int
	mu      sync.Mutex
	subs    map[string]map[*subscriber]struct{} // by organisation
	dropped atomic.Int64
}

type subscriber struct {
	ch chan Event
}

// NewBroker returns a broker whose subscribers each buffer up to buffer notices
// (DefaultBuffer when buffer ≤ 0).
func NewBroker(buffer int) *Broker {
	if buffer <= 0 {
		buffer = DefaultBuffer
	}
	return &Broker{buffer: buffer, subs: map[string]map[*subscriber]struct{}{}}
}

// Publish tells every subscriber of the organisation that an incident changed. It never blocks:
// a subscriber whose buffer is full misses the notice.
func (b *Broker) Publish(orgID, incidentID, kind string) {
	ev := Event{OrgID: orgID, IncidentID: incidentID, Kind: kind}
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs[orgID] {
		select {
		case s.ch <- ev:
		default:
			b.dropped.Add(1)
		}
	}
}

// Subscribe returns the notices of one organisation published from now on, until ctx ends;
// the channel is closed then.
func (b *Broker) Subscribe(ctx context.Context, orgID string) <-chan Event {
	s := &subscriber{ch: make(chan Event, b.buffer)}
	b.mu.Lock()
	if b.subs[orgID] == nil {
		b.subs[orgID] = map[*subscriber]struct{}{}
	}
	b.subs[orgID][s] = struct{}{}
	b.mu.Unlock()
	context.AfterFunc(ctx, func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		delete(b.subs[orgID], s)
		if len(b.subs[orgID]) == 0 {
			delete(b.subs, orgID)
		}
		close(s.ch)
	})
	return s.ch
}

// Subscribers counts the current subscribers of all organisations.
func (b *Broker) Subscribers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, set := range b.subs {
		n += len(set)
	}
	return n
}

// Dropped counts the notices dropped because a subscriber's buffer was full.
func (b *Broker) Dropped() int64 { return b.dropped.Load() }
