package adapters

import (
	"context"
	"testing"
	"time"

	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/internal/storage"
	"github.com/bloody-sweet/platform/services/store/app"
	"github.com/bloody-sweet/platform/services/store/domain"
)

func outbox(t *testing.T, db *storage.DB) []events.Type {
	t.Helper()
	rows, err := db.Query(db.SQL(`SELECT event_type FROM {p}outbox ORDER BY id`))
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

// A refunded order the store accepted is released once: its OrderReady,
// still to come, is withdrawn and OrderReleased announced; a rejected
// order has nothing to release.
func TestReleaseWithdrawsReadyOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := storage.Open(ctx, "", "store")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx, Migrations()); err != nil {
		t.Fatal(err)
	}
	r := NewSQLRepository(db)
	now := time.Now()
	acc := events.OrderRef{OrderID: "o-1", StoreID: "store-1", CustomerID: "c-1"}
	rej := events.OrderRef{OrderID: "o-2", StoreID: "store-1", CustomerID: "c-1"}
	_, err = r.Record(ctx, []app.Op{
		{Ctx: ctx, EventID: "e-1", Ref: acc, Decision: domain.Decision{Accepted: true, DecidedAt: now, ReadyAt: now.Add(time.Hour)}},
		{Ctx: ctx, EventID: "e-2", Ref: rej, Decision: domain.Decision{DecidedAt: now, RejectedBy: "closed"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	release := func(id string, ref events.OrderRef) app.Op {
		return app.Op{Ctx: ctx, EventID: id, Ref: ref, Release: &app.Release{Reason: "cancelled by the customer", At: now.Add(time.Second)}}
	}
	if _, err := r.Record(ctx, []app.Op{release("e-3", acc), release("e-4", rej), release("e-5", acc)}); err != nil {
		t.Fatal(err)
	}
	got := outbox(t, db)
	want := []events.Type{events.OrderAccepted, events.OrderRejected, events.OrderReleased}
	if len(got) != len(want) {
		t.Fatalf("outbox %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("outbox %v, want %v", got, want)
		}
	}
}
