//go:build integration

// Package e2e runs the order saga across all five services on kfake, a
// throwaway Postgres and a throwaway Redis, and the failure scenarios:
// a consumer killed mid-batch, the broker restarted, duplicated deliveries
// and poison messages. Each asserts no order lost, none charged twice and
// every order terminal.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/bloody-sweet/platform/services/apiclient"
	"github.com/bloody-sweet/platform/services/devissuer"
	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/stack"
	"github.com/bloody-sweet/platform/tests/testenv"
)

var dbSeq atomic.Int64

// platform is a stack on real Postgres and Redis (kfake for Kafka).
type platform struct {
	*stack.Stack
	dbURL string
}

func startPlatform(t *testing.T, cfg stack.Config) *platform {
	t.Helper()
	pg := testenv.StartPostgres(t)
	cfg.DatabaseURL = pg.CreateDatabase(t, fmt.Sprintf("e2e_%d", dbSeq.Add(1)))
	cfg.RedisURL = testenv.StartRedis(t)
	st, err := stack.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := st.Close(ctx); err != nil {
			t.Errorf("close stack: %v", err)
		}
	})
	return &platform{Stack: st, dbURL: cfg.DatabaseURL}
}

// randomOrder returns a random order and the customer who places it.
func randomOrder(r *rand.Rand) (customer string, o apiclient.OrderRequest) {
	return fmt.Sprintf("c-%d", r.IntN(1000)), apiclient.OrderRequest{
		StoreID: fmt.Sprintf("store-%d", 1+r.IntN(20)),
		Items:   []apiclient.Item{{SKU: "pizza-margherita", Quantity: 1 + r.IntN(3)}, {SKU: "lemonade", Quantity: 1}},
		Address: events.Address{Street: "1 Main St", City: "Springfield", Postcode: "12345"},
	}
}

// operator is a client of the public API with the operators' scopes: it
// reads any order and follows /v1/stream.
func operator(t *testing.T, p *platform) *apiclient.Client {
	t.Helper()
	c, err := p.Issuer.Client("e2e-operator", devissuer.StoreReadScope, devissuer.StreamAllScope)
	if err != nil {
		t.Fatal(err)
	}
	return &apiclient.Client{OrderURL: p.OrderURL, StreamURL: p.NotificationURL, HTTP: c}
}

// placeOrders posts n orders from 8 clients and returns their ids.
func placeOrders(t *testing.T, p *platform, prefix string, n int) []string {
	t.Helper()
	var (
		mu  sync.Mutex
		ids []string
		wg  sync.WaitGroup
	)
	api := &apiclient.Client{OrderURL: p.OrderURL}
	next := atomic.Int64{}
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				customer, order := randomOrder(rand.New(rand.NewPCG(11, uint64(i))))
				token, err := p.Issuer.Token(customer)
				if err != nil {
					t.Error(err)
					return
				}
				id, err := place(api, apiclient.Place{Key: fmt.Sprintf("%s-%d", prefix, i), Token: token, Order: order})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				ids = append(ids, id)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(ids) != n {
		t.Fatalf("placed %d of %d orders", len(ids), n)
	}
	return ids
}

// place places an order. A service restarting refuses connections for a
// moment: a failure to connect is retried with the same Idempotency-Key,
// which is what the key is for; an answer is not.
func place(api *apiclient.Client, p apiclient.Place) (string, error) {
	var err error
	for attempt := 0; attempt < 50; attempt++ {
		var id string
		id, err = api.PlaceOrder(context.Background(), p)
		var refused *apiclient.HTTPError
		if err == nil || errors.As(err, &refused) {
			return id, err
		}
		time.Sleep(100 * time.Millisecond)
	}
	return "", err
}

// awaitTerminal polls until every order is DELIVERED or CANCELLED.
func awaitTerminal(t *testing.T, p *platform, ids []string, within time.Duration) map[string]events.Status {
	t.Helper()
	final := map[string]events.Status{}
	deadline := time.Now().Add(within)
	op := operator(t, p)
	for len(final) < len(ids) {
		for _, id := range ids {
			if _, ok := final[id]; ok {
				continue
			}
			o, err := op.GetOrder(context.Background(), id)
			if err != nil {
				t.Fatal(err) // a lost order is a 404 here
			}
			if o.Status.Terminal() {
				final[id] = o.Status
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d orders terminal after %v", len(final), len(ids), within)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return final
}

// checkInvariants: every order terminal (awaitTerminal), no order charged
// twice, the payment ledger agrees with the payments table, and every
// cancelled order was declined or refunded.
func checkInvariants(t *testing.T, p *platform, final map[string]events.Status) {
	t.Helper()
	charges := p.Provider.Charges()
	refunds := p.Provider.Refunds()
	for id, n := range charges {
		if n > 1 {
			t.Errorf("order %s charged %d times", id, n)
		}
	}
	db, err := sql.Open("pgx", p.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT order_id, status FROM payment_payments`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	payments := map[string]string{}
	for rows.Next() {
		var id, s string
		if err := rows.Scan(&id, &s); err != nil {
			t.Fatal(err)
		}
		payments[id] = s
	}
	for id, s := range final {
		pay, ok := payments[id]
		if !ok {
			t.Errorf("order %s (%s) has no payment", id, s)
			continue
		}
		switch {
		case s == events.StatusDelivered && (pay != "AUTHORIZED" || charges[id] != 1):
			t.Errorf("delivered order %s: payment %s, charges %d", id, pay, charges[id])
		case s == events.StatusCancelled && pay == "AUTHORIZED":
			t.Errorf("cancelled order %s still charged", id)
		case pay == "REFUNDED" && refunds[id] != 1:
			t.Errorf("refunded order %s: provider refunds %d", id, refunds[id])
		}
	}
}

// metric sums a metric's samples whose labels contain every filter.
func metric(t *testing.T, url, name string, filters ...string) float64 {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var sum float64
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		ok := true
		for _, f := range filters {
			ok = ok && strings.Contains(line, f)
		}
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err == nil {
			sum += v
		}
	}
	return sum
}

func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var _ = bytes.NewReader
