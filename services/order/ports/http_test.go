package ports

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/bloody-sweet/platform/services/apiclient"
	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/internal/auth"
	"github.com/bloody-sweet/platform/services/internal/storage"
	"github.com/bloody-sweet/platform/services/order/adapters"
	"github.com/bloody-sweet/platform/services/order/app"
	"github.com/bloody-sweet/platform/services/order/domain"
)

type nopNotifier struct{}

func (nopNotifier) Notify(time.Time) {}

func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	return newServerClock(t, &fakeClock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)})
}

func newServerClock(t *testing.T, clock *fakeClock) *httptest.Server {
	t.Helper()
	srv, _ := newServerApp(t, clock)
	return srv
}

// newServerApp also returns the app, for tests that drive the saga.
func newServerApp(t *testing.T, clock *fakeClock) (*httptest.Server, *app.App) {
	t.Helper()
	ctx := context.Background()
	db, err := storage.Open(ctx, "", "order")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx, adapters.Migrations()); err != nil {
		t.Fatal(err)
	}
	repo := adapters.NewSQLRepository(db)
	a, err := app.New(ctx, repo, nopNotifier{}, app.NewMetrics(prometheus.NewRegistry()), OrderJSON)
	if err != nil {
		t.Fatal(err)
	}
	a.WithETAs(repo)
	a.SetClock(clock.Now)
	mux := http.NewServeMux()
	for p, h := range (API{App: a, StoreReadScope: DefaultStoreReadScope}).Routes() {
		mux.Handle(p, h)
	}
	// The identity is injected (the Guard that verifies tokens is tested
	// with the notification streams and in services/stack): testCaller
	// "subject scope..." stands for a verified token.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f := strings.Fields(r.Header.Get(testCaller)); len(f) > 0 {
			r = r.WithContext(auth.WithIdentity(r.Context(), auth.Identity{Subject: f[0], Scopes: f[1:]}))
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, a
}

const testCaller = "X-Test-Caller"

// fakeClock is the app's clock in these tests, moved by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

const goodBody = `{"store_id":"store-1","items":[{"sku":"pizza-margherita","quantity":2}],"address":{"street":"1 Main St","city":"Springfield","postcode":"12345"}}`

// post places an order as customer c-42.
func post(t *testing.T, url, key, body string) (*http.Response, []byte) {
	t.Helper()
	return postAs(t, url, "c-42", key, body)
}

func postAs(t *testing.T, url, caller, key, body string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+"/v1/orders", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if caller != "" {
		req.Header.Set(testCaller, caller)
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func TestPlaceReplayAndConflict(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	resp, body := post(t, srv.URL, "k-1", goodBody)
	if resp.StatusCode != 201 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	var o struct{ ID, Status string }
	if err := json.Unmarshal(body, &o); err != nil || o.ID == "" || o.Status != "PLACED" {
		t.Fatalf("body %s", body)
	}
	// Same key, same request (reformatted): the original response.
	resp2, body2 := post(t, srv.URL, "k-1", strings.ReplaceAll(goodBody, ",", " ,"))
	if resp2.StatusCode != 201 || string(body2) != string(body) || resp2.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("replay: %d %s", resp2.StatusCode, body2)
	}
	// Same key, different body: 409.
	resp3, body3 := post(t, srv.URL, "k-1", strings.Replace(goodBody, `"quantity":2`, `"quantity":3`, 1))
	if resp3.StatusCode != 409 || !strings.Contains(string(body3), `"field":"Idempotency-Key"`) {
		t.Errorf("conflict: %d %s", resp3.StatusCode, body3)
	}
	// The order is readable by its customer.
	if g := getAs(t, srv.URL+"/v1/orders/"+o.ID, "c-42"); g.StatusCode != 200 {
		t.Fatalf("get: %v", g.Status)
	}
}

// getAs sends a GET as caller ("" sends no identity).
func getAs(t *testing.T, url, caller string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if caller != "" {
		req.Header.Set(testCaller, caller)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestBadInputIsProblemNamingTheField(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	cases := []struct {
		name, key, body string
		status          int
		field           string
	}{
		{"malformed JSON", "k", `{"store_id":`, 400, "body"},
		{"not an object", "k", `[1,2]`, 400, "body"},
		{"unknown field", "k", strings.Replace(goodBody, `{"store_id"`, `{"coupon":"x","store_id"`, 1), 400, "coupon"},
		{"customer in the body", "k", strings.Replace(goodBody, `{"store_id"`, `{"customer_id":"c-1","store_id"`, 1), 400, "customer_id"},
		{"case-variant customer", "k", strings.Replace(goodBody, `{"store_id"`, `{"Customer_ID":"c-1","store_id"`, 1), 400, "Customer_ID"},
		{"duplicate key", "k", strings.Replace(goodBody, `{"store_id":"store-1"`, `{"store_id":"store-1","store_id":"store-2"`, 1), 400, "store_id"},
		{"case-variant duplicate", "k", strings.Replace(goodBody, `{"store_id":"store-1"`, `{"store_id":"store-1","Store_ID":"store-2"`, 1), 400, "Store_ID"},
		{"folded key", "k", strings.Replace(goodBody, `"street"`, `"ſtreet"`, 1), 400, "address.ſtreet"},
		{"nested duplicate", "k", strings.Replace(goodBody, `"quantity":2}`, `"quantity":2,"quantity":3}`, 1), 400, "items[0].quantity"},
		{"NUL in street", "k", strings.Replace(goodBody, `1 Main St`, `1 Main\u0000St`, 1), 422, "address.street"},
		{"escape in city", "k", strings.Replace(goodBody, `Springfield`, `Spring\u001b[31mfield`, 1), 422, "address.city"},
		{"lone surrogate", "k", strings.Replace(goodBody, `Springfield`, `Spring\ud800field`, 1), 422, "address.city"},
		{"invalid UTF-8", "k", strings.Replace(goodBody, `Springfield`, "Spring\xfffield", 1), 422, "address.city"},
		{"control character in the key header", "a\tb", goodBody, 400, "Idempotency-Key"},
		{"wrong type", "k", strings.Replace(goodBody, `"quantity":2`, `"quantity":"two"`, 1), 400, "items.quantity"},
		{"too large", "k", `{"store_id":"` + strings.Repeat("x", MaxBodyBytes) + `"}`, 413, "body"},
		{"missing key", "", goodBody, 400, "Idempotency-Key"},
		{"unknown store", "k", strings.Replace(goodBody, "store-1", "store-404", 1), 422, "store_id"},
		{"quantity 0", "k", strings.Replace(goodBody, `"quantity":2`, `"quantity":0`, 1), 422, "items[0].quantity"},
		{"trailing data", "k", goodBody + `{}`, 400, "body"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := post(t, srv.URL, tc.key, tc.body)
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("content type %q", ct)
			}
			var p struct {
				Status int    `json:"status"`
				Field  string `json:"field"`
				Title  string `json:"title"`
			}
			if err := json.Unmarshal(body, &p); err != nil || p.Field != tc.field || p.Status != tc.status || p.Title == "" {
				t.Errorf("problem %s (err %v), want field %q", body, err, tc.field)
			}
		})
	}
}

func TestListPagesAndRejectsBadParams(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	for i := range 3 {
		if resp, body := post(t, srv.URL, "k-"+string(rune('a'+i)), goodBody); resp.StatusCode != 201 {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
	}
	for _, q := range []string{"", "store=store-1&"} {
		var ids []string
		token := ""
		for page := 0; page < 5; page++ {
			resp := getAs(t, srv.URL+"/v1/orders?"+q+"page_size=2&page_token="+token, "c-42 "+DefaultStoreReadScope)
			var p apiclient.OrderPage
			if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
				t.Fatal(err)
			}
			for _, o := range p.Orders {
				ids = append(ids, o.ID)
			}
			if token = p.NextPageToken; token == "" {
				break
			}
		}
		if len(ids) != 3 {
			t.Errorf("%q: listed %d orders over pages, want 3", q, len(ids))
		}
	}
	for _, q := range []string{"store=nowhere", "store=", "page_size=0", "page_token=!!!", "page_token=AA"} {
		if resp := getAs(t, srv.URL+"/v1/orders?"+q, "c-42 "+DefaultStoreReadScope); resp.StatusCode != 400 {
			t.Errorf("%s: status %d, want 400", q, resp.StatusCode)
		}
	}
	for _, p := range []string{"/v1/orders/does-not-exist", "/v1/orders/a%00b"} {
		if resp := getAs(t, srv.URL+p, "c-42"); resp.StatusCode != 404 {
			t.Errorf("%s: %d, want 404", p, resp.StatusCode)
		}
	}
}

// TestOwnership: two customers and a store operator. A customer reads,
// lists and replays only their own orders; someone else's order is 404
// (as if it did not exist); listing a store needs the store-read scope.
func TestOwnership(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	place := func(who, key string) string {
		t.Helper()
		resp, body := postAs(t, srv.URL, who, key, goodBody)
		if resp.StatusCode != 201 {
			t.Fatalf("%s places %s: %d %s", who, key, resp.StatusCode, body)
		}
		var o struct {
			ID         string `json:"id"`
			CustomerID string `json:"customer_id"`
		}
		if err := json.Unmarshal(body, &o); err != nil {
			t.Fatal(err)
		}
		if o.CustomerID != who {
			t.Errorf("order of %s has customer %q", who, o.CustomerID)
		}
		return o.ID
	}
	// The same Idempotency-Key from two customers is two orders.
	a1, b1 := place("alice", "same-key"), place("bob", "same-key")
	if a1 == b1 {
		t.Fatalf("alice and bob share order %s", a1)
	}
	a2 := place("alice", "k2")

	status := func(path, who string) int { return getAs(t, srv.URL+path, who).StatusCode }
	for _, c := range []struct {
		path, who string
		want      int
	}{
		{"/v1/orders/" + a1, "alice", 200},
		{"/v1/orders/" + a1, "bob", 404},
		{"/v1/orders/" + b1, "alice", 404},
		{"/v1/orders/" + b1, "store-op " + DefaultStoreReadScope, 200},
		{"/v1/orders/" + a1, "", 401},
		{"/v1/orders", "", 401},
		{"/v1/orders?store=store-1", "alice", 403},
		{"/v1/orders?store=store-1", "alice orders/stream.all", 403},
		{"/v1/orders?store=store-1", "store-op " + DefaultStoreReadScope, 200},
	} {
		if got := status(c.path, c.who); got != c.want {
			t.Errorf("GET %s as %q: %d, want %d", c.path, c.who, got, c.want)
		}
	}
	if resp, _ := postAs(t, srv.URL, "", "k", goodBody); resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") == "" {
		t.Errorf("POST without identity: %d %q, want 401 with WWW-Authenticate", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	if resp := getAs(t, srv.URL+"/v1/orders?store=store-1", "alice"); resp.Header.Get("WWW-Authenticate") == "" {
		t.Error("403 without WWW-Authenticate naming the scope")
	}

	list := func(q, who string) []string {
		t.Helper()
		resp := getAs(t, srv.URL+"/v1/orders"+q, who)
		var p apiclient.OrderPage
		if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, o := range p.Orders {
			ids = append(ids, o.ID)
		}
		return ids
	}
	if got := list("", "alice"); !slices.Equal(got, []string{a1, a2}) {
		t.Errorf("alice lists %v, want %v", got, []string{a1, a2})
	}
	if got := list("", "bob"); !slices.Equal(got, []string{b1}) {
		t.Errorf("bob lists %v, want %v", got, []string{b1})
	}
	if got := list("?store=store-1", "store-op "+DefaultStoreReadScope); len(got) != 3 {
		t.Errorf("the operator lists %d orders of store-1, want 3", len(got))
	}
	// Bob's replay of his key gives his order, not alice's.
	resp, body := postAs(t, srv.URL, "bob", "same-key", goodBody)
	if resp.StatusCode != 201 || !strings.Contains(string(body), b1) {
		t.Errorf("bob's replay: %d %s, want his order %s", resp.StatusCode, body, b1)
	}
}

// TestIdempotencyKeyExpires: a key is replayed within 24 h and places a
// new order after (the app's clock is moved, not waited for).
func TestIdempotencyKeyExpires(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	srv := newServerClock(t, clock)
	id := func(body []byte) string {
		var o struct{ ID string }
		_ = json.Unmarshal(body, &o)
		return o.ID
	}
	_, first := post(t, srv.URL, "k", goodBody)
	clock.Add(app.IdempotencyTTL - time.Second)
	resp, again := post(t, srv.URL, "k", goodBody)
	if resp.Header.Get("Idempotent-Replayed") != "true" || id(again) != id(first) {
		t.Errorf("within 24 h: replayed=%q id %s, want the first order %s", resp.Header.Get("Idempotent-Replayed"), id(again), id(first))
	}
	clock.Add(2 * time.Second)
	// After 24 h even another body is a new order, not a conflict.
	resp, later := post(t, srv.URL, "k", strings.Replace(goodBody, `"quantity":2`, `"quantity":3`, 1))
	if resp.StatusCode != 201 || resp.Header.Get("Idempotent-Replayed") != "" || id(later) == id(first) || id(later) == "" {
		t.Errorf("after 24 h: %d replayed=%q id %s, want a new order", resp.StatusCode, resp.Header.Get("Idempotent-Replayed"), id(later))
	}
}

// failingRepo is a repository whose storage fails with err.
type failingRepo struct {
	app.Repository
	err error
}

func (f failingRepo) Create(context.Context, domain.Order, app.Idempotency, events.Envelope) (app.Idempotency, bool, error) {
	return app.Idempotency{}, false, f.err
}

func (f failingRepo) CountByStatus(context.Context) (map[events.Status]int64, error) { return nil, nil }

// TestStorageFailures: a transient storage error is 503 with Retry-After
// (a retry with the same key is safe), a permanent one (Postgres refusing
// a value) is 500 without; both log their cause, and neither sends it.
func TestStorageFailures(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name       string
		err        error
		status     int
		retryAfter string
	}{
		{"connection lost", fmt.Errorf("order: create: %w", errors.New("dial tcp 10.0.0.1:5432: connection refused")), 503, "1"},
		{"NUL refused", fmt.Errorf("order: create: %w", &pgconn.PgError{Code: "22021", Message: "invalid byte sequence for encoding \"UTF8\": 0x00"}), 500, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			var logs bytes.Buffer
			a, err := app.New(context.Background(), failingRepo{err: c.err}, nopNotifier{}, app.NewMetrics(prometheus.NewRegistry()), OrderJSON)
			if err != nil {
				t.Fatal(err)
			}
			api := API{App: a, StoreReadScope: DefaultStoreReadScope, Log: slog.New(slog.NewJSONHandler(&logs, nil))}
			req := httptest.NewRequest(http.MethodPost, "/v1/orders", strings.NewReader(goodBody))
			req.Header.Set("Idempotency-Key", "k")
			req = req.WithContext(auth.WithIdentity(req.Context(), auth.Identity{Subject: "c-1"}))
			rec := httptest.NewRecorder()
			api.Routes()["POST /v1/orders"].ServeHTTP(rec, req)
			if rec.Code != c.status || rec.Header().Get("Retry-After") != c.retryAfter {
				t.Errorf("status %d Retry-After %q, want %d %q", rec.Code, rec.Header().Get("Retry-After"), c.status, c.retryAfter)
			}
			if strings.Contains(rec.Body.String(), c.err.Error()) {
				t.Errorf("the cause reached the client: %s", rec.Body)
			}
			if !strings.Contains(logs.String(), `"status":`+strconv.Itoa(c.status)) || !strings.Contains(logs.String(), "order: create") {
				t.Errorf("log %q lacks the status and the cause", logs.String())
			}
		})
	}
}
