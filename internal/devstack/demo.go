// Package devstack is the demo engine: it runs the demo's closed-loop load
// scenario (tests/load/scenarios/demo.json) through the load harness on a
// running services/stack, reads every placed order back from the order API
// and prints the table `platform demo` shows.
package devstack

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/bloody-sweet/platform/internal/load"
	"github.com/bloody-sweet/platform/internal/load/scenario"
	"github.com/bloody-sweet/platform/services/apiclient"
	"github.com/bloody-sweet/platform/services/devissuer"
	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/stack"
	"github.com/bloody-sweet/platform/tests/load/scenarios"
)

// DemoScenario is the demo's scenario, with its one closed stage's orders,
// its time limit and the seed of the order contents set when not zero.
func DemoScenario(orders int, limit time.Duration, seed int64) (*scenario.Scenario, error) {
	sc, err := scenario.Parse("tests/load/scenarios/demo.json", scenarios.Demo)
	if err != nil {
		return nil, err
	}
	if len(sc.Stages) != 1 || !sc.Stages[0].Closed() {
		return nil, fmt.Errorf("tests/load/scenarios/demo.json: want one closed stage, got %d stages", len(sc.Stages))
	}
	st := &sc.Stages[0]
	if orders > 0 {
		st.Orders = orders
	}
	if limit > 0 {
		st.Duration.Duration = limit
		sc.DeliveryTimeout.Duration = limit
	}
	if seed != 0 {
		sc.Seed = seed
	}
	return sc, nil
}

// DemoResult is what the demo observed.
type DemoResult struct {
	// Run is the harness's measurement: requests, the status stream's
	// completions, placed -> delivered latency.
	Run     *load.Result
	Clients int // the closed loop's customers
	// Placed counts the orders the order API accepted; ByStatus is the final
	// status of each, read back from the order API.
	Placed   int
	ByStatus map[events.Status]int
	// RevisionApplied and RevisionRefused count how the revisions the
	// order API took ended, read back like the statuses.
	RevisionApplied, RevisionRefused int
	// Promise is how the delivery times the eta service promised held.
	Promise  Promise
	Failures []string // orders that could not be read back
}

// AllTerminal reports whether every order was placed and ended DELIVERED or
// CANCELLED.
func (r DemoResult) AllTerminal() bool {
	if c := r.Run.Changes; c != nil && c.Failed > 0 {
		return false
	}
	return r.Placed > 0 && r.Placed == r.Run.Total.Planned && r.Run.Total.Errors == 0 && r.Run.Total.Shed == 0 &&
		len(r.Failures) == 0 && r.Terminal() == r.Placed
}

// Terminal counts the placed orders that ended DELIVERED or CANCELLED.
func (r DemoResult) Terminal() int {
	return r.ByStatus[events.StatusDelivered] + r.ByStatus[events.StatusCancelled]
}

// RunDemo runs sc on a running stack: its customers place the orders with
// their own tokens while an operator watches the all-orders stream; then
// every placed order's final status is read from the order API.
func RunDemo(ctx context.Context, st *stack.Stack, sc *scenario.Scenario, progress io.Writer) (DemoResult, error) {
	client := load.NewHTTPClient(sc.MaxInFlight)
	operator, err := st.Issuer.Authorize(client, "demo-operator", devissuer.StreamAllScope, devissuer.StoreReadScope)
	if err != nil {
		return DemoResult{}, err
	}
	var (
		mu  sync.Mutex
		ids []string
	)
	p := load.Pipeline{OrderURL: st.OrderURL, NotificationURL: st.NotificationURL, Client: client, StreamClient: operator,
		Tokens: &load.TokenCache{Mint: func(c string) (string, error) { return st.Issuer.Token(c) }}}
	run, err := p.Run(ctx, sc, load.NewMix(sc), fmt.Sprintf("demo-%d", sc.Seed), load.Options{
		Mode: "demo", Target: "embedded", Progress: progress,
		Placed: func(id string) { mu.Lock(); ids = append(ids, id); mu.Unlock() },
	})
	if err != nil {
		return DemoResult{}, err
	}
	// The order service is the source of truth for the final table.
	res := DemoResult{Run: run, Clients: sc.Stages[0].Clients, Placed: len(ids), ByStatus: map[events.Status]int{}}
	api := &apiclient.Client{OrderURL: st.OrderURL, HTTP: operator}
	gctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	deliveredAt := map[string]time.Time{} // the order service's event times, for the promise
	for _, id := range ids {
		o, err := finalOrder(gctx, api, id)
		if err != nil {
			res.Failures = append(res.Failures, err.Error())
			continue
		}
		res.ByStatus[o.Status]++
		if o.Status == events.StatusDelivered {
			deliveredAt[id] = o.DeliveredAt
		}
		if rv := o.Revision; rv != nil {
			switch rv.Status {
			case apiclient.RevisionApplied:
				res.RevisionApplied++
			case apiclient.RevisionRefused:
				res.RevisionRefused++
			}
		}
	}
	if len(st.Brokers) > 0 {
		promised, err := promises(gctx, st.Brokers[0])
		if err != nil {
			return res, err
		}
		res.Promise = keep(promised, deliveredAt, st.WorldScale())
	}
	return res, nil
}

// finalOrder reads an order from the order service. The stream
// comes from the notification service, which consumes the saga's events
// independently of the order service: an order the stream has already shown
// terminal may still be one event behind in the order service's own table,
// so it is re-read until the order service catches up or ctx ends.
func finalOrder(ctx context.Context, api *apiclient.Client, id string) (apiclient.Order, error) {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		o, err := api.GetOrder(ctx, id)
		if err != nil || o.Status.Terminal() {
			return o, err
		}
		select {
		case <-ctx.Done():
			return o, nil
		case <-tick.C:
		}
	}
}

// WriteTable prints the terminal-state table and the latency percentiles.
func (r DemoResult) WriteTable(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "status\torders\tshare\t")
	// Terminal statuses first, always shown; the others when present.
	statuses := append([]events.Status{events.StatusDelivered, events.StatusCancelled},
		slices.DeleteFunc(events.AllStatuses(), events.Status.Terminal)...)
	for _, s := range statuses {
		n := r.ByStatus[s]
		if n == 0 && !s.Terminal() {
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%.1f%%\t\n", s, n, 100*float64(n)/float64(max(r.Placed, 1)))
	}
	fmt.Fprintf(tw, "total\t%d\t\t\n", r.Placed)
	tw.Flush()
	t := r.Run.Total
	fmt.Fprintf(w, "\n%d customers in a closed loop, %.1f orders/s; POST /v1/orders p50 %.1fms p99 %.1fms\n",
		r.Clients, t.Throughput, t.Request.P50, t.Request.P99)
	fmt.Fprintf(w, "placed -> delivered (%d delivered orders, 201 Created to DELIVERED on the stream)\n", t.Delivered)
	fmt.Fprintf(w, "  p50 %.1fms  p95 %.1fms  p99 %.1fms\n", t.EndToEnd.P50, t.EndToEnd.P95, t.EndToEnd.P99)
	if p := r.Promise; p.Orders > 0 {
		fmt.Fprintf(w, "promised vs actual (%d delivered orders, world minutes): promised %.1f, took %.1f on average; off by %.1f; %.0f%% inside P10-P90\n",
			p.Orders, p.Promised.Minutes(), p.Actual.Minutes(), p.MAE.Minutes(), 100*p.Within)
	}
	if c := r.Run.Changes; c != nil && c.CancelAsked+c.ReviseAsked > 0 {
		fmt.Fprintf(w, "customers' changes right after placing\n")
		fmt.Fprintf(w, "  cancel: asked %d, cancelled %d, refused %d (409)\n", c.CancelAsked, c.Cancelled, c.CancelRefused)
		fmt.Fprintf(w, "  revise: asked %d, taken %d (applied %d, refused %d), refused %d (409: the store accepted first)\n",
			c.ReviseAsked, c.ReviseTaken, r.RevisionApplied, r.RevisionRefused, c.ReviseRefused)
		if c.Failed > 0 {
			fmt.Fprintf(w, "  failed: %d changes had another answer\n", c.Failed)
		}
	}
	fmt.Fprintf(w, "elapsed %.1fs\n", r.Run.WallSeconds)
	var failures []string
	for kind, n := range r.Run.ErrorKinds {
		failures = append(failures, fmt.Sprintf("%d x %s: %s", n, kind, r.Run.ErrorSamples[kind]))
	}
	slices.Sort(failures)
	for i, f := range append(failures, r.Failures...) {
		if i == 5 {
			fmt.Fprintf(w, "  ... %d more failures\n", len(failures)+len(r.Failures)-5)
			break
		}
		fmt.Fprintf(w, "  failure: %s\n", f)
	}
}
