package adapters

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/bloody-sweet/platform/services/delivery/app"
	"github.com/bloody-sweet/platform/services/delivery/domain"
	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/internal/storage"
)

func outbox(t *testing.T, db *storage.DB, order string) []events.Type {
	t.Helper()
	rows, err := db.Query(db.SQL(`SELECT event_type FROM {p}outbox WHERE msg_key = ? ORDER BY id`), order)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []events.Type
	for rows.Next() {
		var typ string
		if err := rows.Scan(&typ); err != nil {
			t.Fatal(err)
		}
		out = append(out, events.Type(typ))
	}
	return out
}

// A release before pickup withdraws the plan's steps still to come and
// releases the courier; after pickup (the step's time has come) the
// courier keeps the order; an order never planned has nothing to release.
func TestReleaseBeforeAndAfterPickup(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := storage.Open(ctx, "", "delivery")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx, Migrations()); err != nil {
		t.Fatal(err)
	}
	r := NewSQLRepository(db)
	now := time.Now()
	ref := func(id string) events.OrderRef {
		return events.OrderRef{OrderID: id, StoreID: "store-1", CustomerID: "c-1"}
	}
	plan := func(pickup time.Time) []domain.Step {
		return []domain.Step{{Type: events.CourierAssigned, Courier: "courier-7", At: now.Add(-time.Minute)},
			{Type: events.OrderPickedUp, Courier: "courier-7", At: pickup},
			{Type: events.OrderDelivered, Courier: "courier-7", At: pickup.Add(time.Hour)}}
	}
	if _, err := r.Record(ctx, []app.Op{
		{Ctx: ctx, EventID: "e-1", Ref: ref("before"), Steps: plan(now.Add(time.Hour))},
		{Ctx: ctx, EventID: "e-2", Ref: ref("after"), Steps: plan(now.Add(-time.Second))},
	}); err != nil {
		t.Fatal(err)
	}
	rel := func(id, order string) app.Op { return app.Op{Ctx: ctx, EventID: id, Ref: ref(order), ReleaseAt: now} }
	if _, err := r.Record(ctx, []app.Op{rel("e-3", "before"), rel("e-4", "after"), rel("e-5", "never"), rel("e-3", "before")}); err != nil {
		t.Fatal(err)
	}
	for order, want := range map[string][]events.Type{
		"before": {events.CourierAssigned, events.CourierReleased},
		"after":  {events.CourierAssigned, events.OrderPickedUp, events.OrderDelivered},
		"never":  nil,
	} {
		if got := outbox(t, db, order); !slices.Equal(got, want) {
			t.Errorf("%s: outbox %v, want %v", order, got, want)
		}
	}
}
