// Package domain plans a delivery: which courier, when they pick the order
// up and when they deliver it, including a courier dropping out.
package domain

import (
	"fmt"
	"time"

	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/internal/sim"
	"github.com/bloody-sweet/platform/services/world"
)

// Step is one scheduled delivery event.
type Step struct {
	Type    events.Type
	Courier string
	At      time.Time
}

// Plan simulates the delivery of order ref that became ready at now (wall
// time) while busy couriers are on a delivery: the world gives the wait for
// a courier, the pickup and the drive in world time, the world clock turns
// them into wall time. A courier who drops out is replaced; the order is
// always delivered.
func Plan(cfg sim.Config, w *world.World, ref events.OrderRef, now time.Time, busy int) []Step {
	wc := w.Config()
	d := w.Sample(w.Placed(ref.OrderID, ref.StoreID, ref.Postcode, ref.Basket, wc.Now(now)), world.State{Busy: busy})
	courier := func(salt string) string {
		return fmt.Sprintf("courier-%d", int(cfg.U(ref.OrderID, salt)*float64(wc.Couriers))+1)
	}
	c := courier("courier")
	t := now.Add(wc.ToWall(d[world.Assign]))
	steps := []Step{{events.CourierAssigned, c, t}}
	if cfg.U(ref.OrderID, "courier-fail") < cfg.CourierFailRate {
		// The first courier drops out halfway to the store; the next one
		// comes from as far.
		t = t.Add(wc.ToWall(d[world.Pickup]) / 2)
		c = courier("courier-2")
		steps = append(steps, Step{events.CourierAssigned, c, t})
	}
	t = t.Add(wc.ToWall(d[world.Pickup]))
	steps = append(steps, Step{events.OrderPickedUp, c, t})
	t = t.Add(wc.ToWall(d[world.Drive]))
	return append(steps, Step{events.OrderDelivered, c, t})
}

// Events returns the envelopes of a plan.
func Events(ref events.OrderRef, steps []Step) ([]events.Envelope, error) {
	out := make([]events.Envelope, 0, len(steps))
	for _, s := range steps {
		e, err := events.New(s.Type, ref.OrderID, s.At, events.DeliveryData{OrderRef: ref, CourierID: s.Courier})
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// Withdrawn are the steps a release takes back, once the pickup was still
// to come: a courier who has not picked the order up is released (with
// the replacement courier's assignment, when one was planned).
func Withdrawn() []events.Type {
	return []events.Type{events.CourierAssigned, events.OrderPickedUp, events.OrderDelivered}
}

// Released announces that courier was released before pickup.
func Released(ref events.OrderRef, courier string, at time.Time) (events.Envelope, error) {
	return events.New(events.CourierReleased, ref.OrderID, at, events.DeliveryData{OrderRef: ref, CourierID: courier})
}
