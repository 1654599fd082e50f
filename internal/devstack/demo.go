// Package devstack is the demo engine: it places orders on a running
// services/stack, watches them to a terminal state and prints the table
// `platform demo` shows.
package devstack

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/bloody-sweet/platform/internal/load/hdr"
	"github.com/bloody-sweet/platform/services/apiclient"
	"github.com/bloody-sweet/platform/services/devissuer"
	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/stack"
)

// DemoOptions configures RunDemo.
type DemoOptions struct {
	Orders      int           // default 500
	Concurrency int           // parallel clients, default 16
	Timeout     time.Duration // for every order to reach a terminal state, default 40 s
	Seed        uint64        // order contents
	Progress    io.Writer     // progress lines; nil for none
}

// DemoResult is what the demo observed.
type DemoResult struct {
	Placed   int
	ByStatus map[events.Status]int // final status of every placed order (from GET)
	// Latency holds POST sent -> DELIVERED seen on the stream, delivered
	// orders only.
	Latency  *hdr.Histogram
	Elapsed  time.Duration
	Failures []string // requests that failed
	// Promise is how the delivery times promised from the store's
	// acceptance on held.
	Promise Promise
}

// AllTerminal reports whether every placed order ended DELIVERED or CANCELLED.
func (r DemoResult) AllTerminal() bool {
	return r.Placed > 0 && len(r.Failures) == 0 && r.Terminal() == r.Placed
}

// Terminal counts the placed orders that ended DELIVERED or CANCELLED.
func (r DemoResult) Terminal() int {
	return r.ByStatus[events.StatusDelivered] + r.ByStatus[events.StatusCancelled]
}

var menu = []string{"pizza-margherita", "pizza-diavola", "calzone", "tiramisu", "lemonade", "garlic-bread"}

// RandomOrder returns a valid order request drawn from r and the customer
// who places it (not in the body: the order API takes the customer from
// the bearer token).
func RandomOrder(r *rand.Rand) (customer string, o apiclient.OrderRequest) {
	customer = fmt.Sprintf("c-%d", r.IntN(10000))
	o.StoreID = fmt.Sprintf("store-%d", 1+r.IntN(20))
	for n := 1 + r.IntN(3); n > 0; n-- {
		o.Items = append(o.Items, apiclient.Item{SKU: menu[r.IntN(len(menu))], Quantity: 1 + r.IntN(3)})
	}
	o.Address = events.Address{
		Street:   fmt.Sprintf("%d Main St", 1+r.IntN(200)),
		City:     "Springfield",
		Postcode: fmt.Sprintf("%05d", r.IntN(100000)),
	}
	return customer, o
}

// RunDemo places o.Orders orders on a running stack, watches the
// all-orders stream until each is terminal (or the timeout), and reads
// every order's final status from the order API.
func RunDemo(ctx context.Context, st *stack.Stack, o DemoOptions) (DemoResult, error) {
	if o.Orders == 0 {
		o.Orders = 500
	}
	if o.Concurrency == 0 {
		o.Concurrency = 16
	}
	if o.Timeout == 0 {
		o.Timeout = 40 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	start := time.Now()

	var (
		mu        sync.Mutex
		sent      = map[string]time.Time{} // id -> POST start
		seen      = map[string]time.Time{} // id -> terminal seen on the stream
		delivered = map[string]bool{}
		nTerminal atomic.Int64
		allDone   = make(chan struct{})
		closeOnce sync.Once
	)
	check := func() {
		if int(nTerminal.Load()) >= o.Orders {
			closeOnce.Do(func() { close(allDone) })
		}
	}
	streamCtx, stopStream := context.WithCancel(ctx)
	defer stopStream()
	// The demo watches and reads every order as an operator would (the
	// all-orders stream and any order need the operators' scopes) and
	// places each order with its customer's token.
	base := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.Concurrency}, Timeout: 10 * time.Second}
	operator, err := st.Issuer.Authorize(base, "demo-operator", devissuer.StreamAllScope, devissuer.StoreReadScope)
	if err != nil {
		return DemoResult{}, err
	}
	api := &apiclient.Client{OrderURL: st.OrderURL, StreamURL: st.NotificationURL, HTTP: operator}
	deliveredAt := map[string]time.Time{} // event times, for the promise
	errc, err := api.StreamAll(streamCtx, "", func(e events.StatusChange) {
		if e.Status == events.StatusDelivered {
			mu.Lock()
			deliveredAt[e.OrderID] = e.Time
			mu.Unlock()
		}
		if !e.Status.Terminal() {
			return
		}
		mu.Lock()
		if _, dup := seen[e.OrderID]; !dup {
			seen[e.OrderID] = time.Now()
			delivered[e.OrderID] = e.Status == events.StatusDelivered
			nTerminal.Add(1)
		}
		mu.Unlock()
		check()
	})
	if err != nil {
		return DemoResult{}, err
	}

	var (
		failures []string
		next     atomic.Int64
		wg       sync.WaitGroup
		placed   atomic.Int64
	)
	for w := 0; w < o.Concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= o.Orders || ctx.Err() != nil {
					return
				}
				r := rand.New(rand.NewPCG(o.Seed, uint64(i)))
				customer, order := RandomOrder(r)
				t0 := time.Now()
				token, err := st.Issuer.Token(customer)
				var id string
				if err == nil {
					id, err = api.PlaceOrder(ctx, apiclient.Place{Key: fmt.Sprintf("demo-%d-%d", o.Seed, i), Token: token, Order: order})
				}
				mu.Lock()
				if err != nil {
					failures = append(failures, err.Error())
				} else {
					sent[id] = t0
					placed.Add(1)
				}
				mu.Unlock()
			}
		}()
	}
	progress := time.NewTicker(500 * time.Millisecond)
	defer progress.Stop()
	report := func() {
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, "  %5.1fs  placed %d/%d  terminal %d\n", time.Since(start).Seconds(), placed.Load(), o.Orders, nTerminal.Load())
		}
	}
	placing := make(chan struct{})
	go func() { wg.Wait(); close(placing) }()
wait:
	for {
		select {
		case <-allDone:
			break wait
		case <-placing:
			placing = nil
			mu.Lock()
			if len(failures) > 0 {
				// Orders that were never placed will never be terminal.
				nTerminal.Add(int64(len(failures)))
			}
			mu.Unlock()
			check()
		case <-progress.C:
			report()
		case err := <-errc:
			if err != nil {
				return DemoResult{}, fmt.Errorf("devstack: status stream: %w", err)
			}
			errc = nil
		case <-ctx.Done():
			break wait
		}
	}
	wg.Wait()
	report()
	stopStream()

	// The order service is the source of truth for the final table.
	res := DemoResult{Placed: len(sent), ByStatus: map[events.Status]int{}, Latency: hdr.New(), Failures: failures}
	gctx, gcancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer gcancel()
	for id, t0 := range sent {
		s, err := finalStatus(gctx, api, id, seen[id])
		if err != nil {
			res.Failures = append(res.Failures, err.Error())
			continue
		}
		res.ByStatus[s]++
		if s == events.StatusDelivered {
			if t, ok := seen[id]; ok && delivered[id] {
				res.Latency.Record(t.Sub(t0))
			}
		}
	}
	if len(st.Brokers) > 0 {
		promised, err := promises(gctx, st.Brokers[0])
		if err != nil {
			return res, err
		}
		mu.Lock()
		res.Promise = keep(promised, deliveredAt, st.WorldScale())
		mu.Unlock()
	}
	res.Elapsed = time.Since(start)
	return res, nil
}

// finalStatus reads an order's status from the order service. The stream
// comes from the notification service, which consumes the saga's events
// independently of the order service: an order the stream has already shown
// terminal may still be one event behind in the order service's own table,
// so for those the status is re-read until the order service catches up.
func finalStatus(ctx context.Context, api *apiclient.Client, id string, seenTerminal time.Time) (events.Status, error) {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		o, err := api.GetOrder(ctx, id)
		if err != nil || o.Status.Terminal() || seenTerminal.IsZero() {
			return o.Status, err
		}
		select {
		case <-ctx.Done():
			return o.Status, nil
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
	fmt.Fprintf(w, "\nplaced -> delivered (%d delivered orders, POST sent to DELIVERED on the stream)\n", r.Latency.Count())
	q := func(q float64) time.Duration { return r.Latency.Quantile(q).Round(100 * time.Microsecond) }
	fmt.Fprintf(w, "  p50 %v  p95 %v  p99 %v\n", q(0.50), q(0.95), q(0.99))
	if p := r.Promise; p.Orders > 0 {
		fmt.Fprintf(w, "promised from acceptance on vs actual (%d delivered orders, world minutes): promised %.1f, took %.1f on average; off by %.1f; %.0f%% inside P10-P90\n",
			p.Orders, p.Promised.Minutes(), p.Actual.Minutes(), p.MAE.Minutes(), 100*p.Within)
	}
	fmt.Fprintf(w, "elapsed %v\n", r.Elapsed.Round(time.Millisecond))
	for i, f := range r.Failures {
		if i == 5 {
			fmt.Fprintf(w, "  ... %d more failures\n", len(r.Failures)-5)
			break
		}
		fmt.Fprintf(w, "  failure: %s\n", f)
	}
}
