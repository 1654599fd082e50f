package stack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/internal/sim"
	"github.com/bloody-sweet/platform/tests/testenv"
)

// span is what the test keeps of an exported span.
type span struct {
	service, name string
	traceID, id   string
	parent        string
	kind          string
}

// otlpReceiver is a minimal OTLP/HTTP traces endpoint (protobuf), the
// protocol a collector speaks: only POST /v1/traces exists, as on a real
// collector, so an exporter posting elsewhere loses its spans here too.
type otlpReceiver struct {
	mu    sync.Mutex
	spans []span
}

func (r *otlpReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	var msg collectortrace.ExportTraceServiceRequest
	if !testenv.ReadOTLP(w, req, "/v1/traces", &msg) {
		return
	}
	r.mu.Lock()
	for _, rs := range msg.ResourceSpans {
		service := ""
		for _, a := range rs.GetResource().GetAttributes() {
			if a.Key == "service.name" {
				service = a.GetValue().GetStringValue()
			}
		}
		for _, ss := range rs.ScopeSpans {
			for _, s := range ss.Spans {
				r.spans = append(r.spans, span{
					service: service, name: s.Name, traceID: fmt.Sprintf("%x", s.TraceId),
					id: fmt.Sprintf("%x", s.SpanId), parent: fmt.Sprintf("%x", s.ParentSpanId), kind: s.Kind.String(),
				})
			}
		}
	}
	r.mu.Unlock()
	out, _ := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

func (r *otlpReceiver) trace(id string) []span {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []span
	for _, s := range r.spans {
		if s.traceID == id {
			out = append(out, s)
		}
	}
	return out
}

// TestOneOrderIsOneTrace: an order placed with the app's traceparent is one
// trace across all six services, exported over OTLP to the collector URL
// given as OTEL_EXPORTER_OTLP_ENDPOINT: the order API's server span is the
// child of the app's span, and every other span's parent is a span of the
// same trace (HTTP -> outbox -> Kafka send -> process -> outbox -> ...).
// This is what lets an engineer follow one failed order through the saga.
func TestOneOrderIsOneTrace(t *testing.T) {
	recv := &otlpReceiver{}
	collector := httptest.NewServer(recv)
	defer collector.Close()

	cfg := sim.Defaults()
	cfg.DeclineRate, cfg.RejectRate, cfg.CourierFailRate = 0, 0, 0 // every stage happens
	st, err := Start(context.Background(), Config{Sim: &cfg, OTLPEndpoint: collector.URL})
	if err != nil {
		t.Fatal(err)
	}
	closeStack := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := st.Close(ctx); err != nil {
			t.Errorf("close: %v", err)
		}
	}
	defer closeStack() // idempotent

	rng := rand.New(rand.NewPCG(7, 7))
	traceID := fmt.Sprintf("%016x%016x", rng.Uint64(), rng.Uint64())
	appSpan := fmt.Sprintf("%016x", rng.Uint64())
	body := `{"store_id":"store-1","items":[{"sku":"pizza-margherita","quantity":1}],"address":{"street":"1 Main St","city":"Springfield","postcode":"12345"}}`
	req, _ := http.NewRequest(http.MethodPost, st.OrderURL+"/v1/orders", bytes.NewBufferString(body))
	req.Header.Set("Idempotency-Key", "trace-1")
	req.Header.Set("traceparent", "00-"+traceID+"-"+appSpan+"-01")
	customer, err := st.Issuer.Client("c-1")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := customer.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var placed struct{ ID string }
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("place: %s %s", resp.Status, raw)
	}
	if err := json.Unmarshal(raw, &placed); err != nil {
		t.Fatal(err)
	}
	if got := awaitTerminal(t, st, []string{placed.ID}, 30*time.Second)[placed.ID]; got != events.StatusDelivered {
		t.Fatalf("order %s ended %s, want DELIVERED", placed.ID, got)
	}
	closeStack() // flushes every service's span batcher

	spans := recv.trace(traceID)
	ids := map[string]bool{appSpan: true}
	services := map[string]bool{}
	for _, s := range spans {
		ids[s.id] = true
		services[s.service] = true
	}
	var got []string
	for s := range services {
		got = append(got, s)
	}
	sort.Strings(got)
	want := []string{"delivery", "eta", "notification", "order", "payment", "store"}
	if !slices.Equal(got, want) {
		t.Errorf("services in the order's trace = %v, want %v (%d spans)", got, want, len(spans))
	}
	var server int
	for _, s := range spans {
		if !ids[s.parent] {
			t.Errorf("%s span %q has parent %s outside the trace", s.service, s.name, s.parent)
		}
		if s.kind == "SPAN_KIND_SERVER" && s.name == "POST /v1/orders" {
			server++
			if s.parent != appSpan {
				t.Errorf("order API span's parent = %s, want the app's span %s", s.parent, appSpan)
			}
		}
	}
	if server != 1 {
		t.Errorf("%d POST /v1/orders server spans in the trace, want 1", server)
	}
}
