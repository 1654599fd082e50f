package adapters

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/order/domain"
)

// orderDoc is the JSON document an order is stored as (the body column).
// Its keys are the stored rows' since the first migration: rename none, or
// rows written before stop reading.
type orderDoc struct {
	ID           string         `json:"id"`
	CustomerID   string         `json:"customer_id"`
	StoreID      string         `json:"store_id"`
	Items        []events.Item  `json:"items"`
	Address      events.Address `json:"address"`
	TotalCents   int64          `json:"total_cents"`
	Status       events.Status  `json:"status"`
	CancelReason string         `json:"cancel_reason,omitempty"`
	PlacedAt     time.Time      `json:"placed_at"`
	PaidAt       time.Time      `json:"paid_at,omitzero"`
	AcceptedAt   time.Time      `json:"accepted_at,omitzero"`
	ReadyAt      time.Time      `json:"ready_at,omitzero"`
	PickedUpAt   time.Time      `json:"picked_up_at,omitzero"`
	DeliveredAt  time.Time      `json:"delivered_at,omitzero"`
	CancelledAt  time.Time      `json:"cancelled_at,omitzero"`
	Revision     *revisionDoc   `json:"revision,omitempty"`
}

// revisionDoc is an order's latest revision as stored.
type revisionDoc struct {
	Number      int           `json:"number"`
	Items       []events.Item `json:"items"`
	TotalCents  int64         `json:"total_cents"`
	Status      string        `json:"status"`
	Reason      string        `json:"reason,omitempty"`
	RequestedAt time.Time     `json:"requested_at"`
	DecidedAt   time.Time     `json:"decided_at,omitzero"`
}

func encodeOrder(o domain.Order) (string, error) {
	d := orderDoc{ID: o.ID, CustomerID: o.CustomerID, StoreID: o.StoreID, Items: o.Items, Address: o.Address,
		TotalCents: o.TotalCents, Status: o.Status, CancelReason: o.CancelReason, PlacedAt: o.PlacedAt, PaidAt: o.PaidAt,
		AcceptedAt: o.AcceptedAt, ReadyAt: o.ReadyAt, PickedUpAt: o.PickedUpAt, DeliveredAt: o.DeliveredAt, CancelledAt: o.CancelledAt}
	if r := o.Revision; r != nil {
		d.Revision = &revisionDoc{Number: r.Number, Items: r.Items, TotalCents: r.TotalCents, Status: r.Status, Reason: r.Reason, RequestedAt: r.RequestedAt, DecidedAt: r.DecidedAt}
	}
	b, err := json.Marshal(d)
	if err != nil {
		return "", fmt.Errorf("order: encode %s: %w", o.ID, err)
	}
	return string(b), nil
}

func decodeOrder(body string) (domain.Order, error) {
	var d orderDoc
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		return domain.Order{}, err
	}
	o := domain.Order{ID: d.ID, CustomerID: d.CustomerID, StoreID: d.StoreID, Items: d.Items, Address: d.Address,
		TotalCents: d.TotalCents, Status: d.Status, CancelReason: d.CancelReason, PlacedAt: d.PlacedAt, PaidAt: d.PaidAt,
		AcceptedAt: d.AcceptedAt, ReadyAt: d.ReadyAt, PickedUpAt: d.PickedUpAt, DeliveredAt: d.DeliveredAt, CancelledAt: d.CancelledAt}
	if r := d.Revision; r != nil {
		o.Revision = &domain.Revision{Number: r.Number, Items: r.Items, TotalCents: r.TotalCents, Status: r.Status, Reason: r.Reason, RequestedAt: r.RequestedAt, DecidedAt: r.DecidedAt}
	}
	return o, nil
}
