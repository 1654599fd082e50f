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
