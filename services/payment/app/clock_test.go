package app

import (
	"context"
	"testing"
	"time"

	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/payment/domain"
)

// recording keeps the ops applied.
type recording struct {
	nothingKnown
	ops []Op
}

func (r *recording) Apply(_ context.Context, ops []Op) ([]time.Time, error) {
	r.ops = append(r.ops, ops...)
	return nil, nil
}

type slowProvider struct{ took time.Duration }

func (p slowProvider) Authorize(context.Context, string, int64) (domain.Result, error) {
	return domain.Result{Approved: true, PaymentID: "pay-1", Took: p.took}, nil
}

func (slowProvider) Refund(context.Context, string, string) error { return nil }

// The authorization is stamped at the order's time plus the provider's
// answer time, however late the OrderPlaced is handled, and its event
// carries the order's basket and postcode on to the store.
func TestAuthorizationIsOnTheSagaClock(t *testing.T) {
	placedAt := time.Now().Add(-time.Hour) // a backlog of an hour
	ref := events.OrderRef{OrderID: "o-1", StoreID: "store-1", CustomerID: "c-1", Basket: 3, Postcode: "Z0007"}
	e, err := events.New(events.OrderPlaced, "o-1", placedAt, events.OrderPlacedData{OrderRef: ref, TotalCents: 100})
	if err != nil {
		t.Fatal(err)
	}
	repo := &recording{}
	a := &App{Repo: repo, Provider: slowProvider{took: 3 * time.Millisecond}}
	if err := a.Handle(context.Background(), []events.Incoming{{Ctx: context.Background(), Event: e}}); err != nil {
		t.Fatal(err)
	}
	if len(repo.ops) != 1 {
		t.Fatalf("%d ops, want 1", len(repo.ops))
	}
	op := repo.ops[0]
	if want := placedAt.Add(3 * time.Millisecond); !op.At.Equal(want) {
		t.Errorf("authorization at %v, want the order's time plus the provider's %v", op.At, want)
	}
	ev, err := op.Payment.Event(op.At)
	if err != nil {
		t.Fatal(err)
	}
	d, err := events.DecodeData[events.PaymentData](ev)
	if err != nil {
		t.Fatal(err)
	}
	if d.OrderRef != ref {
		t.Errorf("PaymentAuthorized carries %+v, want the order's %+v", d.OrderRef, ref)
	}
}
