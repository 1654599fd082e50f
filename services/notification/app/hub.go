// Package app fans status changes out to the SSE clients connected to this
// replica, and turns consumed events into stored, published changes.
package app

import (
	"context"
	"slices"
	"sync"

	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/notification/domain"
)

// Subscriber receives changes on C. If it cannot keep up, C is closed and
// the client is expected to reconnect with Last-Event-ID (order streams)
// rather than slow everyone else down.
type Subscriber struct {
	C chan domain.Change
	// ETA receives the order's new ETAs (order subscribers only). A newer
	// ETA supersedes one not taken yet, so a slow reader is never dropped
	// for it and always gets the latest.
	ETA     chan events.OrderETA
	orderID string // "" for all orders
}

// RecentChanges is how many of the latest changes a hub keeps for
// all-orders streams that resume with Last-Event-ID (about 64 bytes each,
// shared by every connection; every replica receives every change through
// Redis, so each holds the same window).
const RecentChanges = 1024

// Hub is the in-process fan-out of one replica.
type Hub struct {
	mu     sync.Mutex
	orders map[string]map[*Subscriber]struct{}
	all    map[*Subscriber]struct{}
	recent []domain.Change // ring of the latest RecentChanges changes
	next   int             // where the next change goes in recent
}

// NewHub returns an empty hub that keeps the latest recent changes for
// resuming all-orders streams (RecentChanges in the service).
func NewHub(recent int) *Hub {
	return &Hub{orders: map[string]map[*Subscriber]struct{}{}, all: map[*Subscriber]struct{}{},
		recent: make([]domain.Change, 0, max(recent, 1))}
}

// SubscribeAll registers an all-orders subscriber with a buffer of buffer
// changes. With resume (the order id and sequence of the last change the
// client saw), it also returns the changes after that one from the recent
// window, and whether that change was still in it (false: the client may
// have missed changes). Registering and copying happen under one lock, so
// the replay and C neither overlap nor leave a gap.
func (h *Hub) SubscribeAll(buffer int, resume *domain.Change) (*Subscriber, []domain.Change, bool) {
	s := &Subscriber{C: make(chan domain.Change, buffer)}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.all[s] = struct{}{}
	if resume == nil {
		return s, nil, true
	}
	ordered := h.recent // oldest first until the ring is full
	if len(h.recent) == cap(h.recent) {
		ordered = append(append(make([]domain.Change, 0, len(h.recent)), h.recent[h.next:]...), h.recent[:h.next]...)
	}
	for i := len(ordered) - 1; i >= 0; i-- {
		if c := ordered[i]; c.OrderID == resume.OrderID && c.Seq == resume.Seq {
			return s, slices.Clone(ordered[i+1:]), true
		}
	}
	return s, nil, false
}

// Subscribe registers a subscriber for one order, or all orders if orderID
// is "".
func (h *Hub) Subscribe(orderID string, buffer int) *Subscriber {
	s := &Subscriber{C: make(chan domain.Change, buffer), ETA: make(chan events.OrderETA, 1), orderID: orderID}
	h.mu.Lock()
	defer h.mu.Unlock()
	if orderID == "" {
		h.all[s] = struct{}{}
	} else {
		if h.orders[orderID] == nil {
			h.orders[orderID] = map[*Subscriber]struct{}{}
		}
		h.orders[orderID][s] = struct{}{}
	}
	return s
}

// Unsubscribe removes s (idempotent).
func (h *Hub) Unsubscribe(s *Subscriber) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.remove(s)
}

func (h *Hub) remove(s *Subscriber) {
	set := h.all
	if s.orderID != "" {
		set = h.orders[s.orderID]
	}
	if _, ok := set[s]; !ok {
		return
	}
	delete(set, s)
	if s.orderID != "" && len(set) == 0 {
		delete(h.orders, s.orderID)
	}
	close(s.C)
}

// Publish delivers c to its order's subscribers and the all-orders ones.
func (h *Hub) Publish(c domain.Change) {
	h.mu.Lock()
	defer h.mu.Unlock()
	send := func(s *Subscriber) {
		select {
		case s.C <- c:
		default:
			h.remove(s) // too slow: drop, the client resumes
		}
	}
	for s := range h.orders[c.OrderID] {
		send(s)
	}
	for s := range h.all {
		send(s)
	}
	if len(h.recent) < cap(h.recent) {
		h.recent = append(h.recent, c)
		return
	}
	h.recent[h.next] = c
	h.next = (h.next + 1) % len(h.recent)
}

// PublishETA hands e to the subscribers of its order (not to all-orders
// streams: an ETA goes to the order's stream, whose customer the stream
// checked when it opened), replacing an ETA a subscriber has not taken.
func (h *Hub) PublishETA(e domain.ETA) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.orders[e.OrderID] {
		select {
		case <-s.ETA: // superseded
		default:
		}
		s.ETA <- e.ETA // the hub is the only sender, under its lock: room is left
	}
}

// Appender stores and publishes changes, and publishes ETAs (the Redis
// store).
type Appender interface {
	Append(ctx context.Context, cs []domain.Change) (int, error)
	PublishETAs(ctx context.Context, etas []domain.ETA) error
}

// Handler returns the consumer handler: status events become changes,
// EtaUpdated events ETAs for the orders' streams.
func Handler(store Appender) func(ctx context.Context, batch []events.Incoming) error {
	return func(ctx context.Context, batch []events.Incoming) error {
		var cs []domain.Change
		var etas []domain.ETA
		for _, d := range batch {
			c, ok, err := domain.FromEvent(d.Event)
			if err != nil {
				return err
			}
			if ok {
				cs = append(cs, c)
				continue
			}
			e, ok, err := domain.ETAFromEvent(d.Event)
			if err != nil {
				return err
			}
			if ok {
				etas = append(etas, e)
			}
		}
		if _, err := store.Append(ctx, cs); err != nil {
			return err
		}
		return store.PublishETAs(ctx, etas)
	}
}
