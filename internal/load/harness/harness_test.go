package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bloody-sweet/platform/internal/load"
	"github.com/bloody-sweet/platform/internal/load/report"
	"github.com/bloody-sweet/platform/internal/load/scenario"
	"github.com/bloody-sweet/platform/services/authtoken"
	"github.com/bloody-sweet/platform/services/devissuer"
	"github.com/bloody-sweet/platform/services/events"
)

// fakePlatform is a stand-in for the order and notification services that
// follows the contract: POST /v1/orders with Idempotency-Key answers 201
// with an id, and GET /v1/stream emits PLACED then DELIVERED (every 5th
// order CANCELLED) as Server-Sent Events.
type fakePlatform struct {
	mu      sync.Mutex
	subs    []chan string
	n       int
	badReqs []string
	// verifier, when set, requires a valid bearer token: a customer's on
	// POST (subjects records them), the stream-all scope on the stream.
	verifier *authtoken.Verifier
	subjects map[string]int
}

func (f *fakePlatform) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.verifier != nil {
		tok, _ := authtoken.BearerToken(r.Header.Get("Authorization"))
		c, err := f.verifier.Verify(r.Context(), tok)
		stream := r.URL.Path == "/v1/stream"
		if err != nil || (stream && !authtoken.HasAnyScope(c.Scopes, []string{devissuer.StreamAllScope})) {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if !stream {
			f.mu.Lock()
			f.subjects[c.Subject]++
			f.mu.Unlock()
		}
	}
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/v1/orders":
		var body load.OrderRequest
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		err := dec.Decode(&body)
		f.mu.Lock()
		if err != nil || r.Header.Get("Idempotency-Key") == "" || body.StoreID == "" || len(body.Items) == 0 {
			f.badReqs = append(f.badReqs, fmt.Sprintf("%v %q", err, r.Header.Get("Idempotency-Key")))
		}
		f.n++
		id := fmt.Sprintf("ord-%d", f.n)
		status := events.StatusDelivered
		if f.n%5 == 0 {
			status = events.StatusCancelled
		}
		subs := append([]chan string{}, f.subs...)
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"id":%q,"status":"PLACED"}`, id)
		go func() {
			for _, s := range subs {
				s <- fmt.Sprintf(`{"order_id":%q,"status":"PLACED","time":%q}`, id, time.Now().Format(time.RFC3339Nano))
			}
			time.Sleep(20 * time.Millisecond)
			for _, s := range subs {
				s <- fmt.Sprintf(`{"order_id":%q,"status":%q,"time":%q}`, id, status, time.Now().Format(time.RFC3339Nano))
			}
		}()
	case r.Method == http.MethodGet && r.URL.Path == "/v1/stream":
		ch := make(chan string, 1000)
		f.mu.Lock()
		f.subs = append(f.subs, ch)
		f.mu.Unlock()
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		seq := 0
		for {
			select {
			case <-r.Context().Done():
				return
			case data := <-ch:
				seq++
				fmt.Fprintf(w, "id: %d\nevent: status\ndata: %s\n\n", seq, data)
				w.(http.Flusher).Flush()
			}
		}
	default:
		http.NotFound(w, r)
	}
}

func TestRunPipelineAndRaw(t *testing.T) {
	fake := &fakePlatform{}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	sc, err := scenario.Parse("t.json", []byte(`{
	  "name": "t", "seed": 1,
	  "stages": [{"name": "a", "duration": "1s", "rate": 20}, {"name": "b", "duration": "1s", "rate": 40}],
	  "delivery_timeout": "5s", "max_in_flight": 50, "stores": 20, "customers": 10,
	  "order_mix": [{"name": "one", "weight": 1, "items": [{"sku": "pizza-margherita", "quantity": 1}]}],
	  "thresholds": {"http_p95": "1s", "http_p99": "2s", "placed_to_delivered_p99": "1s", "max_error_rate": 0.01, "min_throughput": 25}
	}`))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "results")
	var progress strings.Builder
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := Run(ctx, Config{Scenario: sc, OrderURL: srv.URL, NotificationURL: srv.URL, TargetName: "fake",
		Raw: true, OutDir: out, Progress: &progress})
	if err != nil {
		t.Fatal(err)
	}
	if len(fake.badReqs) > 0 {
		t.Errorf("requests the order API would reject: %v", fake.badReqs)
	}
	p := s.Pipeline.Total
	if p.OK != 60 || p.Delivered != 48 || p.Cancelled != 12 || p.Undelivered != 0 {
		t.Errorf("pipeline ok %d delivered %d cancelled %d undelivered %d, want 60/48/12/0", p.OK, p.Delivered, p.Cancelled, p.Undelivered)
	}
	if r := s.Raw.Total; r.OK != 60 || r.Delivered != 60 {
		t.Errorf("raw ok %d delivered %d, want 60/60 (%s)", r.OK, r.Delivered, s.RawNote)
	}
	if !s.Passed {
		t.Errorf("thresholds failed: %v", s.Checks)
	}
	if len(s.Comparison) != 3 || s.Comparison[2].Stage != "total" || s.Comparison[2].ThroughputRatio <= 0 {
		t.Errorf("comparison %+v", s.Comparison)
	}
	for _, f := range []string{report.JSONFile, report.MarkdownFile, report.ChartFile} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	var back load.Summary
	data, _ := os.ReadFile(filepath.Join(out, report.JSONFile))
	if err := json.Unmarshal(data, &back); err != nil || back.Pipeline.Total.OK != 60 {
		t.Errorf("summary.json does not round-trip: %v", err)
	}
	if !strings.Contains(progress.String(), "[t pipeline] 1s") || !strings.Contains(progress.String(), "[t raw] 1s") {
		t.Errorf("progress lets no one follow the run:\n%s", progress.String())
	}
}

// TestRunWithIssuerTokens: with a local issuer (--embedded), each order
// carries its customer's token and the stream an operator's.
func TestRunWithIssuerTokens(t *testing.T) {
	is, err := devissuer.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer is.Close()
	fake := &fakePlatform{subjects: map[string]int{},
		verifier: &authtoken.Verifier{Keys: authtoken.NewKeySet(is.TLSClient(), "", is.Issuer), Issuer: is.Issuer, Audiences: []string{devissuer.Audience}}}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	sc, err := scenario.Parse("t.json", []byte(`{
	  "name": "t", "seed": 1, "stages": [{"name": "a", "duration": "1s", "rate": 20}],
	  "delivery_timeout": "5s", "max_in_flight": 50, "stores": 2, "customers": 3,
	  "order_mix": [{"name": "one", "weight": 1, "items": [{"sku": "pizza-margherita", "quantity": 1}]}],
	  "thresholds": {"http_p95": "1s", "http_p99": "2s", "placed_to_delivered_p99": "1s", "max_error_rate": 0.01, "min_throughput": 5}
	}`))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Run(context.Background(), Config{Scenario: sc, OrderURL: srv.URL, NotificationURL: srv.URL, TargetName: "fake",
		OutDir: t.TempDir(), Progress: &strings.Builder{}, Issuer: is.Signer})
	if err != nil {
		t.Fatal(err)
	}
	if p := s.Pipeline.Total; p.OK != 20 || p.Undelivered != 0 {
		t.Errorf("pipeline ok %d undelivered %d, want 20/0", p.OK, p.Undelivered)
	}
	n := 0
	for sub, k := range fake.subjects {
		if sub != "c-1" && sub != "c-2" && sub != "c-3" {
			t.Errorf("order placed as %q, want one of the scenario's customers", sub)
		}
		n += k
	}
	if n != 20 {
		t.Errorf("%d orders carried a customer's token, want 20", n)
	}
}

// TestFailingThreshold: a run that misses a threshold says which one.
func TestFailingThreshold(t *testing.T) {
	srv := httptest.NewServer(&fakePlatform{})
	defer srv.Close()
	sc, err := scenario.Parse("t.json", []byte(`{
	  "name": "t", "seed": 1, "stages": [{"name": "a", "duration": "1s", "rate": 10}],
	  "delivery_timeout": "2s", "max_in_flight": 50, "stores": 1, "customers": 1,
	  "order_mix": [{"name": "one", "weight": 1, "items": [{"sku": "pizza-margherita", "quantity": 1}]}],
	  "thresholds": {"http_p95": "1s", "http_p99": "2s", "placed_to_delivered_p99": "1ms", "max_error_rate": 0.01, "min_throughput": 5}
	}`))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Run(context.Background(), Config{Scenario: sc, OrderURL: srv.URL, NotificationURL: srv.URL, TargetName: "fake",
		OutDir: t.TempDir(), Progress: &strings.Builder{}})
	if err != nil {
		t.Fatal(err)
	}
	var failed []string
	for _, c := range s.Checks {
		if !c.Pass {
			failed = append(failed, c.Name)
		}
	}
	if s.Passed || len(failed) != 1 || failed[0] != "placed_to_delivered_p99" {
		t.Errorf("passed %v, failed %v; want only placed_to_delivered_p99 (the fake takes 20ms)", s.Passed, failed)
	}
}
