package app_test

import (
	"context"
	"errors"
	"strings"
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

// countingProvider counts the refund calls that reach the provider; with
// declineRevisions it declines every re-authorization.
type countingProvider struct {
	*adapters.SimProvider
	refundCalls      atomic.Int64
	declineRevisions bool
}

func (p *countingProvider) Authorize(ctx context.Context, key string, amount int64) (domain.Result, error) {
	if p.declineRevisions && strings.Contains(key, "/r") {
		return domain.Result{Reason: "card declined"}, nil
	}
	return p.SimProvider.Authorize(ctx, key, amount)
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
	rows, err := h.db.Query(h.db.SQL(`SELECT event_type FROM {p}outbox`))
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

func revised(t *testing.T, order string, n int, total int64) events.Incoming {
	return incoming(t, events.OrderRevised, order, events.OrderRevisedData{OrderRef: ref(order), Revision: n, TotalCents: total,
		Items: []events.Item{{SKU: "calzone", Quantity: 1, PriceCents: total}}})
}

func decided(t *testing.T, typ events.Type, order string, n int) events.Incoming {
	return incoming(t, typ, order, events.RevisionData{OrderRef: ref(order), Revision: n})
}

// A revision is re-authorized beside the original authorization; applied,
// the original is voided and the revision's becomes the one a cancellation
// refunds; refused, the revision's is voided and the original stays; each
// step once however often its event comes.
func TestRevisionAuthorizations(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	handle := func(in ...events.Incoming) {
		t.Helper()
		for range 2 { // every batch delivered twice
			if err := h.app.Handle(ctx, in); err != nil {
				t.Fatal(err)
			}
		}
	}
	handle(placed(t, "o-1"), placed(t, "o-2"))
	handle(revised(t, "o-1", 1, 3000), revised(t, "o-2", 1, 500))
	p, _ := h.repo.Get(ctx, "o-1")
	if p.Pending == nil || p.Pending.AmountCents != 3000 || p.AmountCents != 1200 {
		t.Fatalf("o-1 after the re-authorization: %+v", p)
	}
	// A second revision while one is pending is declined.
	handle(revised(t, "o-1", 2, 100))
	handle(decided(t, events.OrderRevisionApplied, "o-1", 1), decided(t, events.OrderRevisionRefused, "o-2", 1))
	c, r := h.provider.Charges(), h.provider.Refunds()
	if c["o-1"] != 1 || r["o-1"] != 1 || c["o-1/r1"] != 1 || r["o-1/r1"] != 0 {
		t.Errorf("o-1 applied: charges %v refunds %v, want the original voided and the revision's kept", c, r)
	}
	if c["o-2"] != 1 || r["o-2"] != 0 || c["o-2/r1"] != 1 || r["o-2/r1"] != 1 {
		t.Errorf("o-2 refused: charges %v refunds %v, want the revision's voided and the original kept", c, r)
	}
	if p, _ := h.repo.Get(ctx, "o-1"); p.AmountCents != 3000 || p.AuthKey != "o-1/r1" || p.Pending != nil || p.Status != domain.Authorized {
		t.Errorf("o-1 applied: %+v", p)
	}
	if p, _ := h.repo.Get(ctx, "o-2"); p.AmountCents != 1200 || p.Key() != "o-2" || p.Pending != nil {
		t.Errorf("o-2 refused: %+v", p)
	}
	// The customer cancels o-1: the revision's authorization is refunded.
	handle(cancelled(t, "o-1", true))
	if r := h.provider.Refunds(); r["o-1/r1"] != 1 {
		t.Errorf("cancel after a revision refunded %v, want o-1/r1", r)
	}
	got := h.outbox(t)
	if got[events.PaymentReauthorized] != 2 || got[events.PaymentReauthorizationDeclined] != 1 || got[events.PaymentRefunded] != 1 {
		t.Errorf("events %v: want 2 PaymentReauthorized, 1 PaymentReauthorizationDeclined (the second pending revision), 1 PaymentRefunded", got)
	}
}

// A declined re-authorization is answered, and the payment is unchanged.
func TestRevisionDeclined(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.provider.declineRevisions = true
	ctx := context.Background()
	if err := h.app.Handle(ctx, []events.Incoming{placed(t, "o-1"), revised(t, "o-1", 1, 3000)}); err != nil {
		t.Fatal(err)
	}
	if p, _ := h.repo.Get(ctx, "o-1"); p.Pending != nil || p.AmountCents != 1200 {
		t.Errorf("payment %+v", p)
	}
	if got := h.outbox(t); got[events.PaymentReauthorizationDeclined] != 1 || got[events.PaymentReauthorized] != 0 {
		t.Errorf("events %v", got)
	}
}
