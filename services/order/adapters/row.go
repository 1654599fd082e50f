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
}

func encodeOrder(o domain.Order) (string, error) {
	b, err := json.Marshal(orderDoc(o))
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
	return domain.Order(d), nil
}
