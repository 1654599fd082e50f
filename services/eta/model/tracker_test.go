package model

import (
	"context"
	"testing"
	"time"

	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/world"
)

// TestTrackerWaitsForThePlacement: a store event that overtakes the
// order's placement is applied when the placement arrives.
func TestTrackerWaitsForThePlacement(t *testing.T) {
	t.Parallel()
	w, err := world.New(world.Defaults())
	if err != nil {
		t.Fatal(err)
	}
	tr := NewTracker(w, nil)
	ctx := context.Background()
	ref := events.OrderRef{OrderID: "o-1", StoreID: "store-1"}
	at := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	placed, _ := events.New(events.OrderPlaced, "o-1", at, events.OrderPlacedData{OrderRef: ref, Items: []events.Item{{SKU: "x", Quantity: 2}}})
	accepted, _ := events.New(events.OrderAccepted, "o-1", at.Add(time.Millisecond), events.StoreData{OrderRef: ref})
	if _, ok, err := tr.Observe(ctx, accepted); ok || err != nil {
		t.Fatalf("accepted before placed: ok %v, %v", ok, err)
	}
	u, ok, err := tr.Observe(ctx, placed)
	if !ok || err != nil || u.Point != 1 || u.Features.Items != 2 {
		t.Fatalf("placed after accepted: %+v, %v, %v; want the accepted point", u, ok, err)
	}
	if c, err := tr.Counts(ctx, "store-1"); err != nil || c.InPrep != 1 {
		t.Errorf("queue %+v (%v) after the accepted order, want 1", c, err)
	}
}

// TestTrackerSkipsAnOrderWhoseStepsCrossed: a step overtaken by a later
// one leaves no count behind, and the delivered order is neither learned
// from nor an error (which would block the consumer).
func TestTrackerSkipsAnOrderWhoseStepsCrossed(t *testing.T) {
	t.Parallel()
	w, err := world.New(world.Defaults())
	if err != nil {
		t.Fatal(err)
	}
	tr := NewTracker(w, nil)
	ctx := context.Background()
	ref := events.OrderRef{OrderID: "o-2", StoreID: "store-2"}
	at := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	ev := func(typ events.Type, ms int, data any) events.Envelope {
		e, err := events.New(typ, "o-2", at.Add(time.Duration(ms)*time.Millisecond), data)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	sd, dd := events.StoreData{OrderRef: ref}, events.DeliveryData{OrderRef: ref, CourierID: "c"}
	for _, e := range []events.Envelope{
		ev(events.OrderPlaced, 0, events.OrderPlacedData{OrderRef: ref, Items: []events.Item{{SKU: "x", Quantity: 1}}}),
		ev(events.OrderReady, 10, sd), ev(events.OrderAccepted, 1, sd), // accepted arrives after ready
		ev(events.CourierAssigned, 11, dd), ev(events.OrderPickedUp, 15, dd),
	} {
		if _, _, err := tr.Observe(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	u, ok, err := tr.Observe(ctx, ev(events.OrderDelivered, 20, dd))
	if err != nil || !ok || !u.Gone || u.Done != nil {
		t.Errorf("delivered with crossed steps: %+v, %v, %v; want gone, no record, no error", u, ok, err)
	}
	if c, err := tr.Counts(ctx, "store-2"); err != nil || c != (Snapshot{}) {
		t.Errorf("counts left behind: %+v (%v)", c, err)
	}
}
