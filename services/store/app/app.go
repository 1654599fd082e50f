// Package app is the store service's use case: decide on each paid order
// once and announce it.
package app

import (
	"context"
	"time"

	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/internal/sim"
	"github.com/bloody-sweet/platform/services/store/domain"
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
	Now   func() time.Time
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
		if d.Event.Type == events.PaymentRefunded {
			op.Release = &Release{Reason: p.Reason, At: a.Now()}
		} else {
			op.Decision = domain.Decide(a.Sim, p.OrderRef, a.Now())
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
