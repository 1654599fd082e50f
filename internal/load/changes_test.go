package load

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/bloody-sweet/platform/internal/load/scenario"
	"github.com/bloody-sweet/platform/services/apiclient"
)

// With change_every 4, order 1 of every 4 is cancelled right after it was
// placed and order 3 revised, each with a key derived from the order's;
// a 409 counts refused, another failure counts failed, and the arrival
// itself succeeds either way.
func TestSenderCancelsAndRevises(t *testing.T) {
	t.Parallel()
	var (
		mu    sync.Mutex
		calls []string
	)
	answer := map[string]int{"/v1/orders/o-1/cancel": 200, "/v1/orders/o-3/revise": 202, "/v1/orders/o-5/cancel": 409, "/v1/orders/o-7/revise": 500}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls = append(calls, r.Method+" "+r.URL.Path+" "+r.Header.Get("Idempotency-Key"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/v1/orders" {
			seq := strings.TrimPrefix(r.Header.Get("Idempotency-Key"), "load-run-")
			w.WriteHeader(201)
			_ = json.NewEncoder(w).Encode(apiclient.Order{ID: "o-" + seq})
			return
		}
		if strings.HasSuffix(r.URL.Path, "/revise") {
			var body apiclient.ReviseRequest
			dec := json.NewDecoder(r.Body)
			dec.DisallowUnknownFields()
			if err := dec.Decode(&body); err != nil || len(body.Items) == 0 {
				t.Errorf("revise body: %v", err)
			}
		}
		w.WriteHeader(answer[r.URL.Path])
		_, _ = w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	sc, err := scenario.Parse("t.json", []byte(`{"name": "t", "seed": 1, "stages": [{"name": "a", "duration": "1s", "rate": 1}],
		"delivery_timeout": "1s", "max_in_flight": 1, "stores": 1, "customers": 1, "change_every": 4,
		"order_mix": [{"name": "one", "weight": 1, "items": [{"sku": "calzone", "quantity": 1}, {"sku": "calzone", "quantity": 2}]}],
		"thresholds": {"http_p95": "1s", "http_p99": "1s", "placed_to_delivered_p99": "1s", "max_error_rate": 0, "min_throughput": 0.1}}`))
	if err != nil {
		t.Fatal(err)
	}
	h := &HTTPSender{BaseURL: srv.URL, Client: srv.Client(), Mix: NewMix(sc), RunID: "run", ChangeEvery: sc.ChangeEvery}
	for seq := range 8 {
		if _, err := h.Send(t.Context(), seq); err != nil {
			t.Fatalf("order %d: %v", seq, err)
		}
	}
	got := h.Changes.Snapshot()
	if got.CancelAsked != 2 || got.Cancelled != 1 || got.CancelRefused != 1 || got.ReviseAsked != 2 || got.ReviseTaken != 1 || got.Failed != 1 {
		t.Errorf("changes %+v", got)
	}
	for _, want := range []string{"POST /v1/orders/o-1/cancel load-run-1-cancel", "POST /v1/orders/o-3/revise load-run-3-revise"} {
		found := false
		for _, c := range calls {
			found = found || c == want
		}
		if !found {
			t.Errorf("no request %q among %v", want, calls)
		}
	}
	if len(calls) != 12 {
		t.Errorf("%d requests, want 8 orders and 4 changes: %v", len(calls), calls)
	}
}
