// Package traffic drives an embedded stack (services/stack) the way the
// app does, for the integration tests that read what the traffic leaves
// behind (the canary analysis and the dashboards on a real Prometheus):
// customers place orders in parallel with their own tokens, an operator
// waits until every order is terminal and follows some orders' streams, so
// the order and the notification APIs both serve requests.
package traffic

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/bloody-sweet/platform/internal/devstack"
	"github.com/bloody-sweet/platform/internal/load"
	"github.com/bloody-sweet/platform/services/apiclient"
	"github.com/bloody-sweet/platform/services/devissuer"
	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/stack"
)

// Options says how much traffic to drive.
type Options struct {
	Name     string        // idempotency-key prefix and the operator's subject
	Orders   int           // orders placed, by 8 parallel customers' clients
	Seed     uint64        // seed of the generated orders
	Terminal time.Duration // time allowed for every order to become terminal
	Streams  int           // finished orders whose streams are followed to their end
}

// PlaceOrdersAndWait places the orders, waits until every one is terminal
// and follows Streams of them until the server closes each stream after
// its terminal grace; any failure fails the test.
func PlaceOrdersAndWait(ctx context.Context, t *testing.T, st *stack.Stack, o Options) {
	t.Helper()
	base := &http.Client{Timeout: 10 * time.Second}
	operator, err := st.Issuer.Authorize(base, o.Name+"-operator", devissuer.StoreReadScope, devissuer.StreamAllScope)
	if err != nil {
		t.Fatal(err)
	}
	api := &apiclient.Client{OrderURL: st.OrderURL, StreamURL: st.NotificationURL, HTTP: operator}
	ids := make([]string, o.Orders)
	errs := make(chan error, o.Orders)
	var wg sync.WaitGroup
	next := make(chan int)
	// the demo's orders: its stores, customers and order mix
	sc, err := devstack.DemoScenario(o.Orders, 0, int64(o.Seed))
	if err != nil {
		t.Fatal(err)
	}
	mix := load.NewMix(sc)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				order, _ := mix.Order(i)
				token, err := st.Issuer.Token(order.CustomerID)
				if err != nil {
					errs <- err
					continue
				}
				id, err := api.PlaceOrder(ctx, apiclient.Place{Key: fmt.Sprintf("%s-%d", o.Name, i), Token: token, Order: order.OrderRequest})
				if err != nil {
					errs <- err
					continue
				}
				ids[i] = id
			}
		}()
	}
	for i := 0; i < o.Orders; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("place order: %v", err)
	}

	deadline := time.Now().Add(o.Terminal)
	for pending := ids; len(pending) > 0; {
		var still []string
		for _, id := range pending {
			ord, err := api.GetOrder(ctx, id)
			if err != nil {
				t.Fatalf("order %s: %v", id, err)
			}
			if !ord.Status.Terminal() {
				still = append(still, id)
			}
		}
		pending = still
		if len(pending) > 0 {
			if time.Now().After(deadline) {
				t.Fatalf("%d of %d orders not terminal after %s, e.g. %s", len(pending), o.Orders, o.Terminal, pending[0])
			}
			select {
			case <-ctx.Done():
				t.Fatal(ctx.Err())
			case <-time.After(200 * time.Millisecond):
			}
		}
	}

	// A client following a finished order's stream: the notification
	// service replays the history and closes the stream after its
	// terminal grace.
	for _, id := range ids[:min(o.Streams, len(ids))] {
		wg.Add(1)
		go func(id string) {
			defer wg.Done()
			sctx, scancel := context.WithTimeout(ctx, 15*time.Second)
			defer scancel()
			errc, err := api.StreamOrder(sctx, id, "", func(events.StatusChange) {})
			if err != nil {
				t.Errorf("stream %s: %v", id, err)
				return
			}
			if err := <-errc; err != nil || sctx.Err() != nil {
				t.Errorf("stream %s: %v; want the server to close it after the terminal grace (within 15 s: %v)", id, err, sctx.Err())
			}
		}(id)
	}
	wg.Wait()
}
