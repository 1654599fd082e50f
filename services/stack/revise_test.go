package stack

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/bloody-sweet/platform/services/apiclient"
	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/internal/sim"
)

// A revision end to end: asked while the store is still deciding, the new
// total is re-authorized, the revision applied and the original
// authorization voided; the order is delivered with the new quantities;
// once the store accepted, a revision is 409.
func TestReviseOnEmbeddedStack(t *testing.T) {
	t.Parallel()
	cfg := sim.Defaults()
	cfg.DeclineRate, cfg.RejectRate, cfg.CourierFailRate = 0, 0, 0
	// A world minute is a wall second: the store takes about 1.5 s to
	// decide (time to revise before it does), prepares for about a second
	// (ACCEPTED long enough to be seen), and fast couriers deliver soon.
	cfg.World.Scale = 60
	cfg.World.AcceptMinutes = 1.5
	cfg.World.PrepMinutes = 1
	cfg.World.SpeedKmh = 120
	st := startStack(t, Config{Sim: &cfg})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	hc, err := st.Issuer.Client("erin")
	if err != nil {
		t.Fatal(err)
	}
	erin := &apiclient.Client{OrderURL: st.OrderURL, HTTP: hc}
	ops, err := operator(st)
	if err != nil {
		t.Fatal(err)
	}
	id, err := erin.PlaceOrder(ctx, apiclient.Place{Key: "p", Order: apiclient.OrderRequest{StoreID: "store-5",
		Items:   []apiclient.Item{{SKU: "calzone", Quantity: 1}, {SKU: "lemonade", Quantity: 2}},
		Address: events.Address{Street: "1 Main St", City: "Springfield", Postcode: "12345"}}})
	if err != nil {
		t.Fatal(err)
	}
	o, err := erin.ReviseOrder(ctx, apiclient.Revise{OrderID: id, Key: "r", Items: []apiclient.Item{{SKU: "calzone", Quantity: 3}}})
	if err != nil || o.Revision == nil || o.Revision.Status != "PENDING" {
		t.Fatalf("revise: %+v %v", o, err)
	}
	newTotal := o.Revision.TotalCents
	for o.Revision.Status == "PENDING" {
		time.Sleep(20 * time.Millisecond) // polling interval
		if o, err = ops.GetOrder(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if o.Revision.Status != "APPLIED" || o.TotalCents != newTotal || len(o.Items) != 1 || o.Items[0].Quantity != 3 {
		t.Fatalf("after the payment service answered: %+v", o)
	}
	awaitStatus(ctx, t, ops, id, events.StatusAccepted)
	var he *apiclient.HTTPError
	if _, err := erin.ReviseOrder(ctx, apiclient.Revise{OrderID: id, Key: "r2", Items: []apiclient.Item{{SKU: "calzone", Quantity: 1}}}); !errors.As(err, &he) || he.Status != 409 {
		t.Errorf("revise after acceptance: %v, want 409", err)
	}
	final := awaitStatus(ctx, t, ops, id, events.StatusDelivered)
	if final.TotalCents != newTotal {
		t.Errorf("delivered with total %d, want the revision's %d", final.TotalCents, newTotal)
	}
	c, r := st.Provider.Charges(), st.Provider.Refunds()
	if c[id] != 1 || r[id] != 1 || c[id+"/r1"] != 1 || r[id+"/r1"] != 0 {
		t.Errorf("ledger: charges %v refunds %v: want the original authorization voided and the revision's kept", c, r)
	}
}
