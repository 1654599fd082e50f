// Package domain plans a delivery: which courier, when they pick the order
// up and when they deliver it, including a courier dropping out.
package domain

import (
	"fmt"
	"time"

	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/internal/sim"
)

// Couriers is the size of the simulated courier pool.
const Couriers = 200

// Step is one scheduled delivery event.
type Step struct {
	Type    events.Type
	Courier string
	At      time.Time
}

// Plan simulates the delivery of order ref that became ready at now. A
// courier who drops out is replaced; the order is always delivered.
func Plan(cfg sim.Config, ref events.OrderRef, now time.Time) []Step {
	courier := func(salt string) string {
		return fmt.Sprintf("courier-%d", int(cfg.U(ref.OrderID, salt)*Couriers)+1)
	}
	c := courier("courier")
	steps := []Step{{events.CourierAssigned, c, now}}
	t := now
	if cfg.U(ref.OrderID, "courier-fail") < cfg.CourierFailRate {
		// The first courier drops out halfway to the store.
		t = t.Add(cfg.PickupTime.Draw(cfg.U(ref.OrderID, "first-pickup")) / 2)
		c = courier("courier-2")
		steps = append(steps, Step{events.CourierAssigned, c, t})
	}
	t = t.Add(cfg.PickupTime.Draw(cfg.U(ref.OrderID, "pickup")))
	steps = append(steps, Step{events.OrderPickedUp, c, t})
	t = t.Add(cfg.DriveTime.Draw(cfg.U(ref.OrderID, "drive")))
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
