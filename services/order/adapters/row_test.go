package adapters

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/order/domain"
)

// An order with every field set, its revision included, reads back as it
// was written.
func TestOrderDocumentRoundTrips(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	items := []events.Item{{SKU: "calzone", Quantity: 2, PriceCents: 900}}
	o := domain.Order{ID: "o-1", CustomerID: "c-1", StoreID: "store-1", Items: items,
		Address: events.Address{Street: "s", City: "c", Postcode: "p"}, TotalCents: 1800, Status: events.StatusCancelled,
		CancelReason: "r", PlacedAt: at, PaidAt: at.Add(1), AcceptedAt: at.Add(2), ReadyAt: at.Add(3), PickedUpAt: at.Add(4),
		DeliveredAt: at.Add(5), CancelledAt: at.Add(6),
		Revision: &domain.Revision{Number: 1, Items: items, TotalCents: 1800, Status: domain.RevisionApplied, Reason: "x", RequestedAt: at.Add(7), DecidedAt: at.Add(8)}}
	body, err := encodeOrder(o)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeOrder(body)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(o, got); d != "" {
		t.Errorf("round trip (-wrote +read):\n%s", d)
	}
}
