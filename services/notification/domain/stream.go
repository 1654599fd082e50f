// Package domain says which events are status changes a client sees.
package domain

import (
	"fmt"
	"regexp"

	"github.com/bloody-sweet/platform/services/events"
)

var orderIDPattern = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

// ValidOrderID reports whether id can name an order stream (it becomes part
// of Redis keys and SSE ids, so it is restricted to a safe alphabet).
func ValidOrderID(id string) bool { return orderIDPattern.MatchString(id) }

// Change is a status change to publish; Seq is assigned by the store.
type Change = events.StatusChange

// FromEvent returns the status change an event announces, if any.
func FromEvent(e events.Envelope) (Change, bool, error) {
	s, ok := events.StatusOf(e.Type)
	if !ok {
		return Change{}, false, nil
	}
	if !ValidOrderID(e.Subject) {
		return Change{}, false, &events.DecodeError{Field: "subject", Reason: fmt.Sprintf("order id %q has characters outside [A-Za-z0-9._:-]", e.Subject)}
	}
	// The customer travels in every payload's order reference.
	ref, err := events.DecodeData[events.OrderRef](e)
	if err != nil {
		return Change{}, false, err
	}
	return Change{OrderID: e.Subject, Status: s, Time: e.Time.UTC(), CustomerID: ref.CustomerID}, true, nil
}

// ETA is an order's new predicted delivery time for its order stream: not
// a status change (no sequence, not kept in the history; the order API
// answers the latest), forwarded live to the order's stream only.
type ETA struct {
	OrderID    string
	CustomerID string
	ETA        events.OrderETA
}

// ETAFromEvent returns the ETA an EtaUpdated announces; ok is false for
// any other event.
func ETAFromEvent(e events.Envelope) (ETA, bool, error) {
	if e.Type != events.EtaUpdated {
		return ETA{}, false, nil
	}
	if !ValidOrderID(e.Subject) {
		return ETA{}, false, &events.DecodeError{Field: "subject", Reason: fmt.Sprintf("order id %q has characters outside [A-Za-z0-9._:-]", e.Subject)}
	}
	d, err := events.DecodeData[events.EtaData](e)
	if err != nil {
		return ETA{}, false, err
	}
	return ETA{OrderID: e.Subject, CustomerID: d.CustomerID, ETA: events.ETAOf(d, e.Time.UTC())}, true, nil
}
