package app

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/payment/domain"
)

type nothingKnown struct{ applied int }

func (r *nothingKnown) Known(context.Context, []string, []string) (map[string]bool, map[string]domain.Payment, error) {
	return nil, nil, nil
}

func (r *nothingKnown) Apply(_ context.Context, ops []Op) ([]time.Time, error) {
	r.applied += len(ops)
	return nil, nil
}

// failingProvider refuses every authorization, counting the calls that
// finished.
type failingProvider struct{ done atomic.Int64 }

func (p *failingProvider) Authorize(context.Context, string, int64) (domain.Result, error) {
	p.done.Add(1)
	return domain.Result{}, errors.New("provider down")
}

func (p *failingProvider) Refund(context.Context, string, string) error { return nil }

// A batch with an undecodable event and failing provider calls returns
// every failure, only after every provider call it started has finished,
// and stores nothing.
func TestHandleReturnsEveryFailureAfterTheCallsEnd(t *testing.T) {
	placed := func(order string) events.Incoming {
		e, err := events.New(events.OrderPlaced, order, time.Now(), events.OrderPlacedData{
			OrderRef: events.OrderRef{OrderID: order, StoreID: "store-1", CustomerID: "c-1"}, TotalCents: 100})
		if err != nil {
			t.Fatal(err)
		}
		return events.Incoming{Ctx: context.Background(), Event: e}
	}
	bad := placed("o-2")
	bad.Event.Data = []byte(`{"order_id": 7}`)
	repo, provider := &nothingKnown{}, &failingProvider{}
	a := &App{Repo: repo, Provider: provider}
	err := a.Handle(context.Background(), []events.Incoming{placed("o-1"), bad, placed("o-3")})
	if !events.IsDecodeError(err) {
		t.Errorf("error %v does not carry the decode error", err)
	}
	if err == nil || errors.Unwrap(err) != nil || len(err.(interface{ Unwrap() []error }).Unwrap()) != 3 {
		t.Errorf("error %v: want the decode error and both authorization failures", err)
	}
	if n := provider.done.Load(); n != 2 {
		t.Errorf("%d provider calls finished when Handle returned, want 2", n)
	}
	if repo.applied != 0 {
		t.Errorf("%d ops stored from a failed batch", repo.applied)
	}
}
