// Package app is the store service's use case: decide on each paid order
// once and announce it.
package app

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/internal/sim"
	"github.com/bloody-sweet/platform/services/store/domain"
	"github.com/bloody-sweet/platform/services/world"
)

// Op is one paid order's decision, or (Release) the release of an order
// whose payment was refunded.
type Op struct {
	Ctx      context.Context
	EventID  string
	Ref      events.OrderRef
	Decision domain.Decision
	Release  *Release
}

// Release gives up an accepted order's slot: its payment was refunded
// because the customer cancelled.
type Release struct {
	Reason string
	At     time.Time
}

// Repository stores decisions with their events, once per event id and
// once per order, and releases accepted orders once (a rejected or
// already released order has nothing to release); it returns the times of
// the events written.
type Repository interface {
	Record(ctx context.Context, ops []Op) ([]time.Time, error)
}

// Notifier wakes the outbox relay.
type Notifier interface{ Notify(at time.Time) }

// App is the store service.
type App struct {
	Repo  Repository
	Relay Notifier
	Sim   sim.Config
	World *world.World

	// inPrep holds, per store, when the orders this process accepted will
	// be ready: the queue the world's prep time grows with. It is the
	// simulator's memory, not a record: a restart forgets it and a retried
	// batch counts twice until those times pass.
	mu     sync.Mutex
	inPrep map[string][]time.Time
}

// queue returns the orders of store in preparation at at, forgetting the
// ones ready by then.
func (a *App) queue(store string, at time.Time) int {
	if a.inPrep == nil {
		a.inPrep = map[string][]time.Time{}
	}
	q := slices.DeleteFunc(a.inPrep[store], func(t time.Time) bool { return !t.After(at) })
	a.inPrep[store] = q
	return len(q)
}

// Handle processes a batch of payment events, in order: an authorization
// and the refund of the same order in one batch decide, then release.
func (a *App) Handle(ctx context.Context, batch []events.Incoming) error {
	var ops []Op
	for _, d := range batch {
		if d.Event.Type != events.PaymentAuthorized && d.Event.Type != events.PaymentRefunded {
			continue
		}
		p, err := events.DecodeData[events.PaymentData](d.Event)
		if err != nil {
			return err
		}
		op := Op{Ctx: d.Ctx, EventID: d.Event.ID, Ref: p.OrderRef}
		// The world's clock is the events' time: the store learns of the
		// order when it was paid (or refunded), however late the message
		// arrives, so the times it announces are the simulated world's,
		// not the pipeline's delays (the outbox publishes a time already
		// past at once).
		now := d.Event.Time
		if d.Event.Type == events.PaymentRefunded {
			op.Release = &Release{Reason: p.Reason, At: now}
		} else {
			a.mu.Lock()
			dec := domain.Decide(a.Sim, a.World, p.OrderRef, now, a.queue(p.StoreID, now))
			if dec.Accepted {
				a.inPrep[p.StoreID] = append(a.inPrep[p.StoreID], dec.ReadyAt)
			}
			a.mu.Unlock()
			op.Decision = dec
		}
		ops = append(ops, op)
	}
	if len(ops) == 0 {
		return nil
	}
	due, err := a.Repo.Record(ctx, ops)
	if err != nil {
		return err
	}
	for _, t := range due {
		a.Relay.Notify(t)
	}
	return nil
}
