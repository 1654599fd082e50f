// Package domain holds the payment aggregate and the provider port.
package domain

import (
	"context"
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
	OrderID     string
	StoreID     string
	CustomerID  string // from the OrderPlaced event; not stored (a refund's event lacks it)
	AmountCents int64
	Status      string
	PaymentID   string
	Reason      string
}

// Result is a provider's answer to an authorization.
type Result struct {
	Approved  bool
	PaymentID string
	Reason    string
}

// Provider is the payment provider. Calls carry an idempotency key (the
// order id): a retried call after a crash must not charge again.
type Provider interface {
	Authorize(ctx context.Context, key string, amountCents int64) (Result, error)
	Refund(ctx context.Context, key, paymentID string) error
}

// FromResult builds the payment for an order's authorization result.
func FromResult(ref events.OrderRef, amount int64, r Result) Payment {
	p := Payment{OrderID: ref.OrderID, StoreID: ref.StoreID, CustomerID: ref.CustomerID, AmountCents: amount, PaymentID: r.PaymentID, Reason: r.Reason, Status: Declined}
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
	return events.New(t, p.OrderID, at, events.PaymentData{
		OrderRef: events.OrderRef{OrderID: p.OrderID, StoreID: p.StoreID, CustomerID: p.CustomerID}, AmountCents: p.AmountCents, PaymentID: p.PaymentID, Reason: p.Reason})
}
