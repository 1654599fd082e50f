// Package domain decides what a store does with a paid order: accept it
// and have it ready after a preparation time, or reject it.
package domain

import (
	"time"

	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/internal/sim"
)

// Decision is a store's answer to a paid order, with the event times.
type Decision struct {
	Accepted   bool
	DecidedAt  time.Time
	ReadyAt    time.Time // zero if rejected
	RejectedBy string
}

// Decide simulates the store for order ref paid at now.
func Decide(cfg sim.Config, ref events.OrderRef, now time.Time) Decision {
	d := Decision{DecidedAt: now.Add(cfg.AcceptLatency.Draw(cfg.U(ref.OrderID, "accept-latency")))}
	if cfg.U(ref.OrderID, "reject") < cfg.RejectRate {
		d.RejectedBy = "store " + ref.StoreID + " cannot take the order"
		return d
	}
	d.Accepted = true
	d.ReadyAt = d.DecidedAt.Add(cfg.PrepTime.Draw(cfg.U(ref.OrderID, "prep")))
	return d
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
