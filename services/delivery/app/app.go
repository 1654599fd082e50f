// Package app is the delivery service's use case: plan the delivery of
// each ready order once and announce its steps.
package app

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/bloody-sweet/platform/services/delivery/domain"
	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/internal/sim"
	"github.com/bloody-sweet/platform/services/world"
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
	World *world.World

	// onRoad holds when the couriers this process sent will have delivered:
	// the busy couriers the world's wait and pickup grow with. It is the
	// simulator's memory, not a record: a restart forgets it and a retried
	// batch counts twice until those times pass.
	mu     sync.Mutex
	onRoad []time.Time
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
		// The world's clock is the events' time: the courier comes for the
		// order when it was ready (is released when the store released it),
		// however late the message arrives, so the times announced are the
		// simulated world's, not the pipeline's delays (the outbox
		// publishes a time already past at once).
		start := d.Event.Time
		if d.Event.Type == events.OrderReleased {
			ops = append(ops, Op{Ctx: d.Ctx, EventID: d.Event.ID, Ref: s.OrderRef, ReleaseAt: start})
			continue
		}
		a.mu.Lock()
		a.onRoad = slices.DeleteFunc(a.onRoad, func(t time.Time) bool { return !t.After(start) })
		steps := domain.Plan(a.Sim, a.World, s.OrderRef, start, len(a.onRoad))
		a.onRoad = append(a.onRoad, steps[len(steps)-1].At)
		a.mu.Unlock()
		ops = append(ops, Op{Ctx: d.Ctx, EventID: d.Event.ID, Ref: s.OrderRef, Steps: steps})
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
