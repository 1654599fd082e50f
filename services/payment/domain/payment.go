// Package domain holds the payment aggregate and the provider port.
package domain

import (
	"context"
	"fmt"
	"time"

	"github.com/bloody-sweet/platform/services/events"
)

// Payment statuses.
const (
	Authorized = "AUTHORIZED"
	Declined   = "DECLINED"
	Refunded   = "REFUNDED"
)

// Payment is the one payment of an order.
type Payment struct {
	OrderID    string
	StoreID    string
	CustomerID string // from the OrderPlaced event; not stored (a refund's event lacks it)
	// Basket and Postcode are the order's (events.OrderRef) from the
	// OrderPlaced event, for the store simulator; not stored either: only
	// the authorization's event, written from that OrderPlaced, needs them.
	Basket      int
	Postcode    string
	AmountCents int64
	Status      string
	PaymentID   string
	Reason      string
	// AuthKey is the provider idempotency key of the current
	// authorization: the order id, or "<order id>/r<n>" after revision n
	// was applied.
	AuthKey string
	// Pending is a re-authorization of a revision's new total, held beside
	// the current authorization until the order service decides.
	Pending *Reauth
	// Revision is the revision the event of an op answers (0: none).
	Revision int
}

// Reauth is a revision's authorization.
type Reauth struct {
	Revision    int
	Key         string
	PaymentID   string
	AmountCents int64
}

// Key returns the provider key of p's current authorization.
func (p Payment) Key() string {
	if p.AuthKey == "" {
		return p.OrderID
	}
	return p.AuthKey
}

// ReauthKey is the provider idempotency key of revision n's authorization.
func ReauthKey(orderID string, n int) string { return fmt.Sprintf("%s/r%d", orderID, n) }

// Result is a provider's answer to an authorization.
type Result struct {
	Approved  bool
	PaymentID string
	Reason    string
	// Took is how long the provider took to answer. The authorization's
	// event is stamped with the order's time plus Took: the saga's clock
	// is its events' times (the store and the couriers act on them too),
	// so a backlog in front of the payment service is not counted as time
	// the customer's payment took.
	Took time.Duration
}

// Provider is the payment provider. Calls carry an idempotency key (the
// order id): a retried call after a crash must not charge again.
type Provider interface {
	Authorize(ctx context.Context, key string, amountCents int64) (Result, error)
	Refund(ctx context.Context, key, paymentID string) error
}

// FromResult builds the payment for an order's authorization result.
func FromResult(ref events.OrderRef, amount int64, r Result) Payment {
	p := Payment{OrderID: ref.OrderID, StoreID: ref.StoreID, CustomerID: ref.CustomerID, Basket: ref.Basket, Postcode: ref.Postcode, AmountCents: amount, PaymentID: r.PaymentID, Reason: r.Reason, Status: Declined}
	if r.Approved {
		p.Status = Authorized
	}
	return p
}

// Event returns the event announcing p's status at at.
func (p Payment) Event(at time.Time) (events.Envelope, error) {
	t := events.PaymentDeclined
	switch p.Status {
	case Authorized:
		t = events.PaymentAuthorized
	case Refunded:
		t = events.PaymentRefunded
	}
	return p.EventOf(t, at)
}

// EventOf returns an event of type t about p at at; a re-authorization's
// events carry the pending amount and payment id, and the revision.
func (p Payment) EventOf(t events.Type, at time.Time) (events.Envelope, error) {
	d := events.PaymentData{
		OrderRef: events.OrderRef{OrderID: p.OrderID, StoreID: p.StoreID, CustomerID: p.CustomerID, Basket: p.Basket, Postcode: p.Postcode}, AmountCents: p.AmountCents, PaymentID: p.PaymentID, Reason: p.Reason,
		Revision: p.Revision}
	if p.Pending != nil {
		d.AmountCents, d.PaymentID = p.Pending.AmountCents, p.Pending.PaymentID
	}
	return events.New(t, p.OrderID, at, d)
}
