package stack

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/bloody-sweet/platform/services/apiclient"
	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/internal/kafka"
	"github.com/bloody-sweet/platform/services/internal/sim"
)

// orderEvents reads the events of order id on topic, from the start of
// the order's partition, until until holds for one (or ctx ends), then on
// to the partition's end as it is then.
func orderEvents(ctx context.Context, t *testing.T, st *Stack, topic, id string, until func(events.Envelope) bool) []events.Envelope {
	t.Helper()
	parts := make([]int, events.Partitions)
	for i := range parts {
		parts[i] = i
	}
	// The producers' balancer: the key (order id) picks the partition.
	p := (&kafkago.Hash{}).Balance(kafkago.Message{Key: []byte(id)}, parts...)
	r := kafkago.NewReader(kafkago.ReaderConfig{Brokers: st.Brokers, Topic: topic, Partition: p,
		MaxWait: 100 * time.Millisecond}) // a short fetch wait: Close waits for the fetch in flight
	defer r.Close()
	if err := r.SetOffset(kafkago.FirstOffset); err != nil {
		t.Fatal(err)
	}
	var out []events.Envelope
	for {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			t.Fatalf("read %s: %v (read %d events of %s without the one awaited)", topic, err, len(out), id)
		}
		e, err := events.Decode(m.Value)
		if err != nil {
			t.Fatal(err)
		}
		if e.Subject != id {
			continue
		}
		out = append(out, e)
		if until(e) {
			break
		}
	}
	for {
		lag, err := r.ReadLag(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if lag == 0 {
			return out
		}
		m, err := r.ReadMessage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if e, err := events.Decode(m.Value); err == nil && e.Subject == id {
			out = append(out, e)
		}
	}
}

// awaitStatus polls an order until it has status s.
func awaitStatus(ctx context.Context, t *testing.T, c *apiclient.Client, id string, s events.Status) apiclient.Order {
	t.Helper()
	for {
		o, err := c.GetOrder(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if o.Status == s {
			return o
		}
		if o.Status.Terminal() || ctx.Err() != nil {
			t.Fatalf("order %s is %s, awaited %s", id, o.Status, s)
		}
		time.Sleep(20 * time.Millisecond) // polling interval
	}
}

// The cancel saga end to end: an order cancelled right after it was placed
// and one cancelled while ready are CANCELLED with the reason, charged and
// refunded exactly once though the payment consumer is killed after
// storing a refund and before committing it; the ready order's slot and
// courier are released before pickup (no OrderPickedUp); an order picked
// up cannot be cancelled (409) and is delivered; the stream shows
// CANCELLED.
func TestCancelOnEmbeddedStack(t *testing.T) {
	t.Parallel()
	cfg := sim.Defaults()
	cfg.DeclineRate, cfg.RejectRate, cfg.CourierFailRate = 0, 0, 0
	// A world minute is half a wall second: a few seconds from ready to
	// pickup (the courier is assigned, then rides to the store), long
	// enough to cancel a READY order before its pickup with margin for
	// the compensation chain on a loaded machine, and the picked-up order
	// is delivered within the test's minute.
	cfg.World.Scale = 120
	var killed atomic.Bool
	st := startStack(t, Config{Sim: &cfg, DataDir: t.TempDir(), BeforeCommit: func(service string) func([]kafkago.Message) error {
		if service != "payment" {
			return nil
		}
		return func(batch []kafkago.Message) error {
			for _, m := range batch {
				for _, h := range m.Headers {
					if h.Key == events.HeaderType && string(h.Value) == string(events.OrderCancelled) && killed.CompareAndSwap(false, true) {
						return errors.New("kill -9 after the refund was stored, before the offsets")
					}
				}
			}
			return nil
		}
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	hc, err := st.Issuer.Client("carol")
	if err != nil {
		t.Fatal(err)
	}
	carol := &apiclient.Client{OrderURL: st.OrderURL, StreamURL: st.NotificationURL, HTTP: hc}
	ops, err := operator(st)
	if err != nil {
		t.Fatal(err)
	}
	place := func(key string) string {
		t.Helper()
		id, err := carol.PlaceOrder(ctx, apiclient.Place{Key: key, Order: apiclient.OrderRequest{StoreID: "store-3",
			Items: []apiclient.Item{{SKU: "calzone", Quantity: 2}}, Address: events.Address{Street: "1 Main St", City: "Springfield", Postcode: "12345"}}})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	early, ready, picked := place("early"), place("ready"), place("picked")

	o, err := carol.CancelOrder(ctx, apiclient.Cancel{OrderID: early, Key: "cancel-early"})
	if err != nil || o.Status != events.StatusCancelled || o.CancelReason != "cancelled by the customer" {
		t.Fatalf("cancel early: %+v %v", o, err)
	}
	// The payment consumer dies on the batch with the cancellation;
	// restarted, it gets the batch again.
	select {
	case err := <-st.ConsumerDone("payment"):
		if !errors.Is(err, kafka.ErrKilled) {
			t.Fatalf("payment consumer ended with %v, want the kill", err)
		}
	case <-ctx.Done():
		t.Fatal("payment consumer was not killed")
	}
	if err := st.StopService(ctx, "payment"); err != nil {
		t.Fatal(err)
	}
	if err := st.StartService(ctx, "payment"); err != nil {
		t.Fatal(err)
	}

	awaitStatus(ctx, t, ops, ready, events.StatusReady)
	o, err = carol.CancelOrder(ctx, apiclient.Cancel{OrderID: ready, Key: "cancel-ready", Reason: "too slow"})
	if err != nil || o.Status != events.StatusCancelled || o.CancelReason != "cancelled by the customer: too slow" {
		t.Fatalf("cancel ready: %+v %v", o, err)
	}
	// A retry with the key replays; someone else gets 404.
	if again, err := carol.CancelOrder(ctx, apiclient.Cancel{OrderID: ready, Key: "cancel-ready", Reason: "too slow"}); err != nil || again.CancelledAt != o.CancelledAt {
		t.Errorf("retried cancel: %+v %v", again, err)
	}
	other, err := st.Issuer.Client("dave")
	if err != nil {
		t.Fatal(err)
	}
	var he *apiclient.HTTPError
	if _, err := (&apiclient.Client{OrderURL: st.OrderURL, HTTP: other}).CancelOrder(ctx, apiclient.Cancel{OrderID: picked, Key: "k"}); !errors.As(err, &he) || he.Status != 404 {
		t.Errorf("another customer's cancel: %v, want 404", err)
	}

	awaitStatus(ctx, t, ops, picked, events.StatusPickedUp)
	if _, err := carol.CancelOrder(ctx, apiclient.Cancel{OrderID: picked, Key: "cancel-picked"}); !errors.As(err, &he) || he.Status != 409 {
		t.Errorf("cancel after pickup: %v, want 409", err)
	}
	awaitStatus(ctx, t, ops, picked, events.StatusDelivered)

	// The ready order's courier is released before pickup.
	delivery := orderEvents(ctx, t, st, events.TopicDelivery, ready, func(e events.Envelope) bool { return e.Type == events.CourierReleased })
	for _, e := range delivery {
		if e.Type == events.OrderPickedUp {
			t.Errorf("the cancelled order %s was picked up", ready)
		}
	}
	orderEvents(ctx, t, st, events.TopicStore, ready, func(e events.Envelope) bool { return e.Type == events.OrderReleased })
	// Each cancelled order refunded once: one PaymentRefunded each.
	refunded := map[string]int{}
	for _, id := range []string{early, ready} {
		for _, e := range orderEvents(ctx, t, st, events.TopicPayment, id, func(e events.Envelope) bool { return e.Type == events.PaymentRefunded }) {
			if e.Type == events.PaymentRefunded {
				refunded[id]++
			}
		}
	}
	charges, refunds := st.Provider.Charges(), st.Provider.Refunds()
	for _, id := range []string{early, ready} {
		if charges[id] != 1 || refunds[id] != 1 || refunded[id] != 1 {
			t.Errorf("order %s: charged %d, refunded %d by the provider, %d PaymentRefunded events; want 1, 1, 1", id, charges[id], refunds[id], refunded[id])
		}
	}
	if refunds[picked] != 0 {
		t.Errorf("the delivered order was refunded")
	}
	// The stream shows the cancellation.
	var statuses []events.Status
	for _, c := range readOrderStream(t, st, ready, "") {
		statuses = append(statuses, c.Status)
	}
	if !slices.Contains(statuses, events.StatusCancelled) || slices.Contains(statuses, events.StatusPickedUp) {
		t.Errorf("stream of %s: %v, want CANCELLED and no PICKED_UP", ready, statuses)
	}
	if final, err := ops.GetOrder(ctx, ready); err != nil || final.Status != events.StatusCancelled || !final.PickedUpAt.IsZero() {
		t.Errorf("order %s at the end: %+v %v", ready, final, err)
	}
}
