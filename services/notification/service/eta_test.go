package service

import (
	"bufio"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/internal/auth"
	"github.com/bloody-sweet/platform/services/notification/app"
	"github.com/bloody-sweet/platform/services/notification/domain"
	"github.com/bloody-sweet/platform/services/notification/ports"
)

// An EtaUpdated reaches its order's stream, opened by the order's
// customer, as an eta event, and nobody else's stream: not another order's
// and not the all-orders stream.
func TestETAReachesTheOrdersCustomerOnly(t *testing.T) {
	t.Parallel()
	is := newIssuer(t)
	s, store := startService(t, &ports.AuthConfig{
		Config:         auth.Config{Required: true, Issuer: is.srv.URL, Audiences: []string{testAudience}, Client: is.srv.Client(), MaxTokenLifetime: 2 * time.Hour},
		StreamAllScope: ports.DefaultStreamAllScope,
	})
	ctx := context.Background()
	t0 := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	if _, err := store.Append(ctx, []domain.Change{
		{OrderID: "o-1", Status: events.StatusPlaced, Time: t0, CustomerID: "customer-1"},
		{OrderID: "o-2", Status: events.StatusPlaced, Time: t0, CustomerID: "customer-2"},
	}); err != nil {
		t.Fatal(err)
	}
	mine := bufio.NewReader(get(t, s.URL()+"/v1/orders/o-1/stream", is.token(t, nil)).Body)
	if ev, _ := nextEvent(t, mine); ev != string(events.StatusPlaced) {
		t.Fatalf("first event %q, want %s", ev, events.StatusPlaced)
	}
	all := get(t, s.URL()+"/v1/stream", is.token(t, jwt.MapClaims{"scope": ports.DefaultStreamAllScope}))
	if all.StatusCode != 200 {
		t.Fatalf("all-orders stream: %d", all.StatusCode)
	}
	allR := bufio.NewReader(all.Body)

	update := func(order, customer string, at time.Time) events.Incoming {
		e, err := events.New(events.EtaUpdated, order, t0.Add(time.Second), events.EtaData{
			OrderRef: events.OrderRef{OrderID: order, StoreID: "store-1", CustomerID: customer},
			Step:     events.EtaStepPlaced, ModelVersion: "m-1", ETA: at, ETAP10: at.Add(-time.Minute), ETAP90: at.Add(time.Minute), RemainingS: 1800,
		})
		if err != nil {
			t.Fatal(err)
		}
		return events.Incoming{Ctx: ctx, Event: e}
	}
	at := t0.Add(30 * time.Minute)
	// Another customer's ETA first: were it forwarded to o-1's stream, it
	// would come before o-1's own.
	if err := app.Handler(store)(ctx, []events.Incoming{update("o-2", "customer-2", at.Add(time.Hour)), update("o-1", "customer-1", at)}); err != nil {
		t.Fatal(err)
	}
	ev, data := nextEvent(t, mine)
	var got events.OrderETA
	if err := json.Unmarshal([]byte(data), &got); err != nil {
		t.Fatal(err)
	}
	want := events.OrderETA{At: at, P10: at.Add(-time.Minute), P90: at.Add(time.Minute), Step: events.EtaStepPlaced, MadeAt: t0.Add(time.Second), ModelVersion: "m-1"}
	if ev != events.StreamEventETA || got != want {
		t.Errorf("order stream event %q %+v, want %q %+v", ev, got, events.StreamEventETA, want)
	}
	// The all-orders stream carries status changes only: the next event
	// it sends is this one, not an ETA.
	if _, err := store.Append(ctx, []domain.Change{{OrderID: "o-2", Status: events.StatusPaid, Time: t0.Add(2 * time.Second)}}); err != nil {
		t.Fatal(err)
	}
	if ev, _ := nextEvent(t, allR); ev != string(events.StatusPaid) {
		t.Errorf("all-orders stream event %q, want %s", ev, events.StatusPaid)
	}
	if _, err := store.Append(ctx, []domain.Change{{OrderID: "o-1", Status: events.StatusPaid, Time: t0.Add(2 * time.Second)}}); err != nil {
		t.Fatal(err)
	}
	if ev, _ := nextEvent(t, mine); ev != string(events.StatusPaid) {
		t.Errorf("order stream event %q after its ETA, want %s", ev, events.StatusPaid)
	}
}
