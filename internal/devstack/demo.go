// Package devstack is the demo engine: it places orders on a running
// services/stack, watches them to a terminal state and prints the table
// `platform demo` shows.
package devstack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/bloody-sweet/platform/services/devissuer"
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
	Placed    int
	ByStatus  map[string]int  // final status of every placed order (from GET)
	Latencies []time.Duration // POST sent -> DELIVERED seen on the stream, delivered orders only
	Elapsed   time.Duration
	Failures  []string // requests that failed
}

// AllTerminal reports whether every placed order ended DELIVERED or CANCELLED.
func (r DemoResult) AllTerminal() bool {
	return r.Placed > 0 && len(r.Failures) == 0 && r.ByStatus["DELIVERED"]+r.ByStatus["CANCELLED"] == r.Placed
}

// Percentile returns the p-th percentile (0..100) of the latencies.
func (r DemoResult) Percentile(p float64) time.Duration {
	return Percentile(r.Latencies, p)
}

// Percentile returns the nearest-rank p-th percentile of ds.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(p/100*float64(len(s))+0.999999) - 1
	return s[max(0, min(i, len(s)-1))]
}

// OrderRequest is the body of POST /v1/orders, with the customer who
// places it (not sent: the order API takes it from the bearer token).
type OrderRequest struct {
	CustomerID string `json:"-"`
	StoreID    string `json:"store_id"`
	Items      []struct {
		SKU      string `json:"sku"`
		Quantity int    `json:"quantity"`
	} `json:"items"`
	Address struct {
		Street   string `json:"street"`
		City     string `json:"city"`
		Postcode string `json:"postcode"`
	} `json:"address"`
}

var menu = []string{"pizza-margherita", "pizza-diavola", "calzone", "tiramisu", "lemonade", "garlic-bread"}

// RandomOrder returns a valid order request drawn from r.
func RandomOrder(r *rand.Rand) OrderRequest {
	var o OrderRequest
	o.CustomerID = fmt.Sprintf("c-%d", r.IntN(10000))
	o.StoreID = fmt.Sprintf("store-%d", 1+r.IntN(20))
	for n := 1 + r.IntN(3); n > 0; n-- {
		o.Items = append(o.Items, struct {
			SKU      string `json:"sku"`
			Quantity int    `json:"quantity"`
		}{menu[r.IntN(len(menu))], 1 + r.IntN(3)})
	}
	o.Address.Street = fmt.Sprintf("%d Main St", 1+r.IntN(200))
	o.Address.City = "Springfield"
	o.Address.Postcode = fmt.Sprintf("%05d", r.IntN(100000))
	return o
}

// PlaceOrder posts one order and returns its id; client sends the
// customer's token (Stack.Issuer.Authorize).
func PlaceOrder(ctx context.Context, client *http.Client, orderURL, key string, o OrderRequest) (string, error) {
	body, err := json.Marshal(o)
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, orderURL+"/v1/orders", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("POST /v1/orders: %s: %s", resp.Status, bytes.TrimSpace(b))
	}
	var out struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(b, &out); err != nil || out.ID == "" {
		return "", fmt.Errorf("POST /v1/orders: no id in %s", b)
	}
	return out.ID, nil
}

// GetStatus reads an order's status.
func GetStatus(ctx context.Context, client *http.Client, orderURL, id string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, orderURL+"/v1/orders/"+id, nil)
	if err != nil {
		return "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET /v1/orders/%s: %s", id, resp.Status)
	}
	var out struct {
		Status string `json:"status"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return "", err
	}
	return out.Status, nil
}

func terminal(s string) bool { return s == "DELIVERED" || s == "CANCELLED" }

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
	client, err := st.Issuer.Authorize(base, "demo-operator", devissuer.StreamAllScope, devissuer.StoreReadScope)
	if err != nil {
		return DemoResult{}, err
	}
	errc, err := Stream(streamCtx, client, st.NotificationURL+"/v1/stream", "", func(e StatusEvent) {
		if !terminal(e.Status) {
			return
		}
		mu.Lock()
		if _, dup := seen[e.OrderID]; !dup {
			seen[e.OrderID] = time.Now()
			delivered[e.OrderID] = e.Status == "DELIVERED"
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
				order := RandomOrder(r)
				t0 := time.Now()
				customer, err := st.Issuer.Authorize(base, order.CustomerID)
				var id string
				if err == nil {
					id, err = PlaceOrder(ctx, customer, st.OrderURL, fmt.Sprintf("demo-%d-%d", o.Seed, i), order)
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
	res := DemoResult{Placed: len(sent), ByStatus: map[string]int{}, Failures: failures}
	gctx, gcancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer gcancel()
	for id, t0 := range sent {
		s, err := finalStatus(gctx, client, st.OrderURL, id, seen[id])
		if err != nil {
			res.Failures = append(res.Failures, err.Error())
			continue
		}
		res.ByStatus[s]++
		if s == "DELIVERED" {
			if t, ok := seen[id]; ok && delivered[id] {
				res.Latencies = append(res.Latencies, t.Sub(t0))
			}
		}
	}
	res.Elapsed = time.Since(start)
	return res, nil
}

// finalStatus reads an order's status from the order service. The stream
// comes from the notification service, which consumes the saga's events
// independently of the order service: an order the stream has already shown
// terminal may still be one event behind in the order service's own table,
// so for those the status is re-read until the order service catches up.
func finalStatus(ctx context.Context, client *http.Client, orderURL, id string, seenTerminal time.Time) (string, error) {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		s, err := GetStatus(ctx, client, orderURL, id)
		if err != nil || terminal(s) || seenTerminal.IsZero() {
			return s, err
		}
		select {
		case <-ctx.Done():
			return s, nil
		case <-tick.C:
		}
	}
}

// WriteTable prints the terminal-state table and the latency percentiles.
func (r DemoResult) WriteTable(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "status\torders\tshare\t")
	for _, s := range []string{"DELIVERED", "CANCELLED", "PLACED", "PAID", "ACCEPTED", "READY", "PICKED_UP"} {
		n := r.ByStatus[s]
		if n == 0 && !terminal(s) {
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%.1f%%\t\n", s, n, 100*float64(n)/float64(max(r.Placed, 1)))
	}
	fmt.Fprintf(tw, "total\t%d\t\t\n", r.Placed)
	tw.Flush()
	fmt.Fprintf(w, "\nplaced -> delivered (%d delivered orders, POST sent to DELIVERED on the stream)\n", len(r.Latencies))
	fmt.Fprintf(w, "  p50 %v  p95 %v  p99 %v\n", r.Percentile(50).Round(100*time.Microsecond),
		r.Percentile(95).Round(100*time.Microsecond), r.Percentile(99).Round(100*time.Microsecond))
	fmt.Fprintf(w, "elapsed %v\n", r.Elapsed.Round(time.Millisecond))
	for i, f := range r.Failures {
		if i == 5 {
			fmt.Fprintf(w, "  ... %d more failures\n", len(r.Failures)-5)
			break
		}
		fmt.Fprintf(w, "  failure: %s\n", f)
	}
}
