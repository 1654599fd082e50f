// Package app fans status changes out to the SSE clients connected to this
// replica, and turns consumed events into stored, published changes.
package app

import (
	"context"
	"sync"

	"github.com/bloody-sweet/platform/services/internal/kafka"
	"github.com/bloody-sweet/platform/services/notification/domain"
)

// Subscriber receives changes on C. If it cannot keep up, C is closed and
// the client is expected to reconnect with Last-Event-ID (order streams)
// rather than slow everyone else down.
type Subscriber struct {
	C       chan domain.Change
	orderID string // "" for all orders
}

// Hub is the in-process fan-out of one replica.
type Hub struct {
	mu     sync.Mutex
	orders map[string]map[*Subscriber]struct{}
	all    map[*Subscriber]struct{}
}

// NewHub returns an empty hub.
func NewHub() *Hub {
	return &Hub{orders: map[string]map[*Subscriber]struct{}{}, all: map[*Subscriber]struct{}{}}
}

// Subscribe registers a subscriber for one order, or all orders if orderID
// is "".
func (h *Hub) Subscribe(orderID string, buffer int) *Subscriber {
	s := &Subscriber{C: make(chan domain.Change, buffer), orderID: orderID}
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
}

// Appender stores and publishes changes (the Redis store).
type Appender interface {
	Append(ctx context.Context, cs []domain.Change) (int, error)
}

// Handler returns the consumer handler: status events become changes.
func Handler(store Appender) kafka.Handler {
	return func(ctx context.Context, batch []kafka.Delivery) error {
		var cs []domain.Change
		for _, d := range batch {
			c, ok, err := domain.FromEvent(d.Event)
			if err != nil {
				return err
			}
			if ok {
				cs = append(cs, c)
			}
		}
		_, err := store.Append(ctx, cs)
		return err
	}
}
