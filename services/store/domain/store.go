// Package domain decides what a store does with a paid order: accept it
// and have it ready after a preparation time, or reject it.
package domain

import (
	"time"

	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/internal/sim"
	"github.com/bloody-sweet/platform/services/world"
)

// Decision is a store's answer to a paid order, with the event times.
type Decision struct {
	Accepted   bool
	DecidedAt  time.Time
	ReadyAt    time.Time // zero if rejected
	RejectedBy string
}

// Decide simulates the store for order ref paid at now (wall time) while
// queue orders are in preparation there: the world gives the accept and
// prep times in world time, the world clock turns them into wall time.
func Decide(cfg sim.Config, w *world.World, ref events.OrderRef, now time.Time, queue int) Decision {
	wc := w.Config()
	d := w.Sample(w.Placed(ref.OrderID, ref.StoreID, ref.Postcode, ref.Basket, wc.Now(now)), world.State{Queue: queue})
	dec := Decision{DecidedAt: now.Add(wc.ToWall(d[world.Accept]))}
	if cfg.U(ref.OrderID, "reject") < cfg.RejectRate {
		dec.RejectedBy = "store " + ref.StoreID + " cannot take the order"
		return dec
	}
	dec.Accepted = true
	dec.ReadyAt = dec.DecidedAt.Add(wc.ToWall(d[world.Prep]))
	return dec
}

// Events returns the events of a decision, in order.
func (d Decision) Events(ref events.OrderRef) ([]events.Envelope, error) {
	if !d.Accepted {
		e, err := events.New(events.OrderRejected, ref.OrderID, d.DecidedAt, events.StoreData{OrderRef: ref, Reason: d.RejectedBy})
		return []events.Envelope{e}, err
	}
	acc, err := events.New(events.OrderAccepted, ref.OrderID, d.DecidedAt, events.StoreData{OrderRef: ref})
	if err != nil {
		return nil, err
	}
	ready, err := events.New(events.OrderReady, ref.OrderID, d.ReadyAt, events.StoreData{OrderRef: ref})
	return []events.Envelope{acc, ready}, err
}

// Release is the store's side of a customer's cancellation: the order's
// slot is given up (its OrderReady withdrawn if still to come) and
// OrderReleased tells the delivery service to release the courier.
func Release(ref events.OrderRef, reason string, at time.Time) (events.Envelope, error) {
	return events.New(events.OrderReleased, ref.OrderID, at, events.StoreData{OrderRef: ref, Reason: reason})
}
