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

// Op is one paid order's decision.
type Op struct {
	Ctx      context.Context
	EventID  string
	Ref      events.OrderRef
	Decision domain.Decision
}

// Repository stores decisions with their events, once per event id and
// once per order; it returns the times of the events written.
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

// Handle processes a batch of payment events.
func (a *App) Handle(ctx context.Context, batch []events.Incoming) error {
	var ops []Op
	for _, d := range batch {
		if d.Event.Type != events.PaymentAuthorized {
			continue
		}
		p, err := events.DecodeData[events.PaymentData](d.Event)
		if err != nil {
			return err
		}
		ops = append(ops, Op{Ctx: d.Ctx, EventID: d.Event.ID, Ref: p.OrderRef, Decision: domain.Decide(a.Sim, p.OrderRef, a.Now())})
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
