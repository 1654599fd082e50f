// Package app is the delivery service's use case: plan the delivery of
// each ready order once and announce its steps.
package app

import (
	"context"
	"time"

	"github.com/bloody-sweet/platform/services/delivery/domain"
	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/internal/sim"
)

// Op is one ready order's delivery plan, or (ReleaseAt set) the release
// of its courier because the store released the order.
type Op struct {
	Ctx       context.Context
	EventID   string
	Ref       events.OrderRef
	Steps     []domain.Step
	ReleaseAt time.Time
}

// Repository stores plans with their events, once per event id and once
// per order, and releases a planned courier whose pickup is still to come
// (withdrawing the plan's future steps, announcing CourierReleased); it
// returns the times of the events written.
type Repository interface {
	Record(ctx context.Context, ops []Op) ([]time.Time, error)
}

// Notifier wakes the outbox relay.
type Notifier interface{ Notify(at time.Time) }

// App is the delivery service.
type App struct {
	Repo  Repository
	Relay Notifier
	Sim   sim.Config
	Now   func() time.Time
}

// Handle processes a batch of store events.
func (a *App) Handle(ctx context.Context, batch []events.Incoming) error {
	var ops []Op
	for _, d := range batch {
		if d.Event.Type != events.OrderReady && d.Event.Type != events.OrderReleased {
			continue
		}
		s, err := events.DecodeData[events.StoreData](d.Event)
		if err != nil {
			return err
		}
		if d.Event.Type == events.OrderReleased {
			ops = append(ops, Op{Ctx: d.Ctx, EventID: d.Event.ID, Ref: s.OrderRef, ReleaseAt: a.Now()})
			continue
		}
		// The courier is called when this service learns the order is ready.
		start := a.Now()
		ops = append(ops, Op{Ctx: d.Ctx, EventID: d.Event.ID, Ref: s.OrderRef, Steps: domain.Plan(a.Sim, s.OrderRef, start)})
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
