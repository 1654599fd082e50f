// Package domain says which events are status changes a client sees, and
// how a change is framed as a Server-Sent Event.
package domain

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"time"

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

// WriteSSE writes c as one SSE event. id is the per-order sequence on an
// order stream and "<order id>:<seq>" on the all-orders stream.
func WriteSSE(w io.Writer, c Change, perOrder bool) error {
	data, err := json.Marshal(struct {
		OrderID string        `json:"order_id"`
		Status  events.Status `json:"status"`
		Time    time.Time     `json:"time"`
		Seq     int64         `json:"seq"`
	}{c.OrderID, c.Status, c.Time, c.Seq})
	if err != nil {
		return err
	}
	id := strconv.FormatInt(c.Seq, 10)
	if !perOrder {
		id = c.OrderID + ":" + id
	}
	_, err = fmt.Fprintf(w, "id: %s\nevent: %s\ndata: %s\n\n", id, c.Status, data)
	return err
}
