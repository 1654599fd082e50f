package ports

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/bloody-sweet/platform/services/internal/storage"
	"github.com/bloody-sweet/platform/services/order/adapters"
	"github.com/bloody-sweet/platform/services/order/app"
)

type nopNotifier struct{}

func (nopNotifier) Notify(time.Time) {}

func newServer(t *testing.T) *httptest.Server {
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
	a, err := app.New(ctx, adapters.NewSQLRepository(db), nopNotifier{}, app.NewMetrics(prometheus.NewRegistry()))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	for p, h := range (API{App: a}).Routes() {
		mux.Handle(p, h)
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

const goodBody = `{"customer_id":"c-42","store_id":"store-1","items":[{"sku":"pizza-margherita","quantity":2}],"address":{"street":"1 Main St","city":"Springfield","postcode":"12345"}}`

func post(t *testing.T, url, key, body string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+"/v1/orders", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
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
	// The order is readable.
	g, err := http.Get(srv.URL + "/v1/orders/" + o.ID)
	if err != nil || g.StatusCode != 200 {
		t.Fatalf("get: %v %v", err, g.Status)
	}
	g.Body.Close()
}

func TestBadInputIsProblemNamingTheField(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	cases := []struct {
		name, key, body string
		status          int
		field           string
	}{
		{"malformed JSON", "k", `{"customer_id":`, 400, "body"},
		{"not an object", "k", `[1,2]`, 400, "body"},
		{"unknown field", "k", strings.Replace(goodBody, `{"customer_id"`, `{"coupon":"x","customer_id"`, 1), 400, "coupon"},
		{"wrong type", "k", strings.Replace(goodBody, `"quantity":2`, `"quantity":"two"`, 1), 400, "items.quantity"},
		{"too large", "k", `{"customer_id":"` + strings.Repeat("x", MaxBodyBytes) + `"}`, 413, "body"},
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
	var ids []string
	token := ""
	for page := 0; page < 5; page++ {
		resp, err := http.Get(srv.URL + "/v1/orders?store=store-1&page_size=2&page_token=" + token)
		if err != nil {
			t.Fatal(err)
		}
		var p Page
		if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		for _, o := range p.Orders {
			ids = append(ids, o.ID)
		}
		if token = p.NextPageToken; token == "" {
			break
		}
	}
	if len(ids) != 3 {
		t.Errorf("listed %d orders over pages, want 3", len(ids))
	}
	for _, q := range []string{"store=nowhere", "store=store-1&page_size=0", "store=store-1&page_token=!!!"} {
		resp, err := http.Get(srv.URL + "/v1/orders?" + q)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Errorf("%s: status %d, want 400", q, resp.StatusCode)
		}
	}
	resp, err := http.Get(srv.URL + "/v1/orders/does-not-exist")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("missing order: %d", resp.StatusCode)
	}
}
