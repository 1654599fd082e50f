package app_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/internal/sim"
	"github.com/bloody-sweet/platform/services/internal/storage"
	"github.com/bloody-sweet/platform/services/payment/adapters"
	"github.com/bloody-sweet/platform/services/payment/app"
	"github.com/bloody-sweet/platform/services/payment/domain"
)

type nopRelay struct{}

func (nopRelay) Notify(time.Time) {}

// countingProvider counts the refund calls that reach the provider.
type countingProvider struct {
	*adapters.SimProvider
	refundCalls atomic.Int64
}

func (p *countingProvider) Refund(ctx context.Context, key, paymentID string) error {
	p.refundCalls.Add(1)
	return p.SimProvider.Refund(ctx, key, paymentID)
}

// crashOnce fails its first Apply that refunds: the process dies after the
// provider refunded and before the database committed.
type crashOnce struct {
	app.Repository
	crashed bool
}

func (r *crashOnce) Apply(ctx context.Context, ops []app.Op) ([]time.Time, error) {
	for _, op := range ops {
		if op.Kind == app.OpRefund && !r.crashed {
			r.crashed = true
			return nil, errors.New("killed mid-refund")
		}
	}
	return r.Repository.Apply(ctx, ops)
}

type harness struct {
	db       *storage.DB
	repo     *adapters.SQLRepository
	provider *countingProvider
	app      *app.App
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	ctx := context.Background()
	db, err := storage.Open(ctx, "", "payment")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx, adapters.Migrations()); err != nil {
		t.Fatal(err)
	}
	cfg := sim.Defaults()
	cfg.DeclineRate = 0
	h := &harness{db: db, repo: adapters.NewSQLRepository(db), provider: &countingProvider{SimProvider: adapters.NewSimProvider(cfg)}}
	h.app = &app.App{Repo: h.repo, Provider: h.provider, Relay: nopRelay{}}
	return h
}

func incoming(t *testing.T, typ events.Type, order string, data any) events.Incoming {
	t.Helper()
	e, err := events.New(typ, order, time.Now(), data)
	if err != nil {
		t.Fatal(err)
	}
	return events.Incoming{Ctx: context.Background(), Event: e}
}

func ref(order string) events.OrderRef {
	return events.OrderRef{OrderID: order, StoreID: "store-1", CustomerID: "c-1"}
}

func placed(t *testing.T, order string) events.Incoming {
	return incoming(t, events.OrderPlaced, order, events.OrderPlacedData{OrderRef: ref(order), TotalCents: 1200})
}

func cancelled(t *testing.T, order string, byCustomer bool) events.Incoming {
	return incoming(t, events.OrderCancelled, order, events.OrderCancelledData{OrderRef: ref(order), Reason: "cancelled by the customer", ByCustomer: byCustomer})
}

// outbox counts the events of each type waiting to be published.
func (h *harness) outbox(t *testing.T) map[events.Type]int {
	t.Helper()
	rows, err := h.db.Query(h.db.Q(`SELECT event_type FROM {p}outbox`))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[events.Type]int{}
	for rows.Next() {
		var typ string
		if err := rows.Scan(&typ); err != nil {
			t.Fatal(err)
		}
		out[events.Type(typ)]++
	}
	return out
}

// A customer's cancellation is refunded once, even when the process dies
// between the provider's refund and the database commit and the batch is
// delivered again, and again after that.
func TestCancellationRefundedOnceThroughACrash(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	if err := h.app.Handle(ctx, []events.Incoming{placed(t, "o-1")}); err != nil {
		t.Fatal(err)
	}
	crash := &crashOnce{Repository: h.repo}
	h.app.Repo = crash
	batch := []events.Incoming{cancelled(t, "o-1", true)}
	if err := h.app.Handle(ctx, batch); err == nil {
		t.Fatal("the crashed batch succeeded")
	}
	for range 2 { // the redelivery, and a duplicate of it
		if err := h.app.Handle(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	if n := h.provider.refundCalls.Load(); n != 2 {
		t.Errorf("%d refund calls reached the provider, want 2 (the crashed one and its retry; the duplicate is dropped by the inbox)", n)
	}
	if n := h.provider.Refunds()["o-1"]; n != 1 {
		t.Errorf("provider refunded o-1 %d times, want 1", n)
	}
	p, err := h.repo.Get(ctx, "o-1")
	if err != nil || p.Status != domain.Refunded {
		t.Errorf("payment %+v, %v: want REFUNDED", p, err)
	}
	if got := h.outbox(t); got[events.PaymentAuthorized] != 1 || got[events.PaymentRefunded] != 1 {
		t.Errorf("events written %v: want one PaymentAuthorized and one PaymentRefunded", got)
	}
}

// An order placed and cancelled in one batch is charged, then refunded; a
// cancellation that follows a decline or a refund (not by the customer)
// gives nothing back.
func TestCancellationInTheSameBatchAndNotByCustomer(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	if err := h.app.Handle(ctx, []events.Incoming{placed(t, "o-1"), cancelled(t, "o-1", true), placed(t, "o-2"), cancelled(t, "o-2", false)}); err != nil {
		t.Fatal(err)
	}
	if c, r := h.provider.Charges(), h.provider.Refunds(); c["o-1"] != 1 || r["o-1"] != 1 || c["o-2"] != 1 || r["o-2"] != 0 {
		t.Errorf("charges %v refunds %v: want o-1 charged and refunded, o-2 charged only", c, r)
	}
	if got := h.outbox(t); got[events.PaymentAuthorized] != 2 || got[events.PaymentRefunded] != 1 {
		t.Errorf("events written %v: want two PaymentAuthorized and one PaymentRefunded", got)
	}
}
