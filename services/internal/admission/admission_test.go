package admission

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/bloody-sweet/platform/services/internal/config"
)

var testMetrics = Metrics{Shed: "t_shed_total", InFlight: "t_in_flight", Bound: "t_bound"}

// counter is a CountFunc whose answer the test sets.
type counter struct {
	mu           sync.Mutex
	n            int64
	oldest       time.Time
	err          error
	ignoreBefore time.Time // the last call's
}

func (c *counter) set(n int64, err error) { c.mu.Lock(); c.n, c.err = n, err; c.mu.Unlock() }
func (c *counter) count(_ context.Context, ignoreBefore time.Time) (Sample, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ignoreBefore = ignoreBefore
	return Sample{InFlight: c.n, Oldest: c.oldest}, c.err
}

func newGate(t *testing.T, max int, c *counter, logs *bytes.Buffer) (*Gate, *prometheus.Registry) {
	t.Helper()
	cfg := Defaults()
	cfg.MaxInFlight = max
	reg := prometheus.NewRegistry()
	g, err := New(cfg, c.count, testMetrics, reg, slog.New(slog.NewJSONHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return g, reg
}

func serve(g *Gate, bypass func(*http.Request) bool) *httptest.ResponseRecorder {
	h := g.Middleware(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusCreated) }, bypass)
	rec := httptest.NewRecorder()
	h(rec, httptest.NewRequest(http.MethodPost, "/v1/orders", nil))
	return rec
}

// value reads a counter's or a gauge's value.
func value(t *testing.T, m prometheus.Metric) float64 {
	t.Helper()
	var d dto.Metric
	if err := m.Write(&d); err != nil {
		t.Fatal(err)
	}
	if d.Counter != nil {
		return d.Counter.GetValue()
	}
	return d.Gauge.GetValue()
}

// TestShedAndRecover: below the bound requests pass and each counts until
// the next sample; at the bound they are 503 with Retry-After, a problem
// body naming the reason, and counted; once the count falls they pass.
func TestShedAndRecover(t *testing.T) {
	t.Parallel()
	c := &counter{}
	var logs bytes.Buffer
	g, reg := newGate(t, 3, c, &logs)
	ctx := context.Background()

	c.set(3, nil)
	g.Sample(ctx)
	g.Sample(ctx)
	if n := strings.Count(logs.String(), "shedding new orders"); n != 1 {
		t.Errorf("shedding logged %d times over two samples at the bound, want once: %s", n, logs.String())
	}
	c.set(1, nil)
	g.Sample(ctx)
	// 1 in flight: two more fit, the third would be the fourth.
	for i, want := range []int{201, 201, 503, 503} {
		if got := serve(g, nil).Code; got != want {
			t.Fatalf("request %d: %d, want %d", i, got, want)
		}
	}
	rec := serve(g, nil)
	if rec.Code != 503 || rec.Header().Get("Retry-After") != "1" || rec.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("shed: %d Retry-After %q Content-Type %q", rec.Code, rec.Header().Get("Retry-After"), rec.Header().Get("Content-Type"))
	}
	var p Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	if p.Status != 503 || p.Reason != ReasonOverloaded || !strings.Contains(p.Detail, "Idempotency-Key") {
		t.Errorf("problem %+v", p)
	}
	if n := value(t, g.shed.WithLabelValues(ReasonOverloaded)); n != 3 {
		t.Errorf("shed counter %v, want 3", n)
	}
	if n := value(t, g.shed.WithLabelValues(ReasonTooSlow)); n != 0 {
		t.Errorf("shed counter for %s %v, want 0", ReasonTooSlow, n)
	}
	fams, err := reg.Gather()
	if err != nil || len(fams) != 3 {
		t.Errorf("registered %d metric families (%v), want shed, in flight and bound", len(fams), err)
	}

	// The pipeline drains: the next sample admits again.
	c.set(2, nil)
	g.Sample(ctx)
	if !strings.Contains(logs.String(), "admitting new orders again") {
		t.Errorf("recovery not logged: %s", logs.String())
	}
	if got := serve(g, nil).Code; got != 201 {
		t.Errorf("after draining: %d, want 201", got)
	}
	if got := value(t, g.inFlight); got != 2 {
		t.Errorf("in-flight gauge %v, want the last count 2", got)
	}
}

// TestOldestOrderWaitingTooLong: below the bound, a new order is refused
// while the oldest order in flight has waited MaxWait (the pipeline
// finishes fewer than the bound assumed); orders older than StuckFactor x
// MaxWait are left out of that age by the count.
func TestOldestOrderWaitingTooLong(t *testing.T) {
	t.Parallel()
	c := &counter{}
	var logs bytes.Buffer
	g, _ := newGate(t, 100, c, &logs)
	now := time.Date(2026, 12, 3, 14, 0, 0, 0, time.UTC)
	g.now = func() time.Time { return now }
	ctx := context.Background()

	c.mu.Lock()
	c.n, c.oldest = 10, now.Add(-DefaultMaxWait+time.Millisecond)
	c.mu.Unlock()
	g.Sample(ctx)
	if want := now.Add(-StuckFactor * DefaultMaxWait); !c.ignoreBefore.Equal(want) {
		t.Errorf("ignoreBefore %s, want %s", c.ignoreBefore, want)
	}
	if got := serve(g, nil).Code; got != 201 {
		t.Errorf("oldest waited just under MaxWait: %d, want 201", got)
	}
	now = now.Add(time.Millisecond) // the same order has now waited MaxWait
	rec := serve(g, nil)
	var p Problem
	if rec.Code != 503 || json.Unmarshal(rec.Body.Bytes(), &p) != nil || p.Reason != ReasonTooSlow {
		t.Errorf("oldest waited MaxWait: %d %s, want 503 naming %s", rec.Code, rec.Body, ReasonTooSlow)
	}
	if n := value(t, g.shed.WithLabelValues(ReasonTooSlow)); n != 1 {
		t.Errorf("shed counter %v, want 1", n)
	}
	c.mu.Lock()
	c.oldest = time.Time{} // drained
	c.mu.Unlock()
	g.Sample(ctx)
	if got := serve(g, nil).Code; got != 201 {
		t.Errorf("nothing old in flight: %d, want 201", got)
	}
}

// TestBypass: a request bypass accepts passes at the bound and is not
// counted as shed; bypass is asked only when the gate would shed.
func TestBypass(t *testing.T) {
	t.Parallel()
	c := &counter{}
	var logs bytes.Buffer
	g, _ := newGate(t, 1, c, &logs)
	c.set(5, nil)
	g.Sample(context.Background())
	asked := 0
	if got := serve(g, func(*http.Request) bool { asked++; return true }).Code; got != 201 || asked != 1 {
		t.Errorf("retry of an accepted request: %d (bypass asked %d times), want 201", got, asked)
	}
	if got := serve(g, func(*http.Request) bool { return false }).Code; got != 503 {
		t.Errorf("a new request: %d, want 503", got)
	}
	if n := value(t, g.shed.WithLabelValues(ReasonOverloaded)); n != 1 {
		t.Errorf("shed counter %v, want 1", n)
	}
	c.set(0, nil)
	g.Sample(context.Background())
	asked = 0
	if got := serve(g, func(*http.Request) bool { asked++; return false }).Code; got != 201 || asked != 0 {
		t.Errorf("below the bound: %d, bypass asked %d times, want 201 and never", got, asked)
	}
}

// TestFailOpen: while the signal cannot be counted (the database is down)
// the gate admits, logs the outage once, and sheds again once it counts.
func TestFailOpen(t *testing.T) {
	t.Parallel()
	c := &counter{}
	var logs bytes.Buffer
	g, _ := newGate(t, 1, c, &logs)
	ctx := context.Background()
	if got := serve(g, nil).Code; got != 201 {
		t.Errorf("before the first count: %d, want 201", got)
	}
	c.set(9, nil)
	g.Sample(ctx)
	c.set(0, errors.New("connection refused"))
	g.Sample(ctx)
	g.Sample(ctx)
	if got := serve(g, nil).Code; got != 201 {
		t.Errorf("count failing: %d, want 201", got)
	}
	if n := strings.Count(logs.String(), "cannot count"); n != 1 {
		t.Errorf("outage logged %d times, want once: %s", n, logs.String())
	}
	c.set(9, nil)
	g.Sample(ctx)
	if got := serve(g, nil).Code; got != 503 {
		t.Errorf("counting again at 9 of 1: %d, want 503", got)
	}
}

// TestOff: MaxInFlight 0 is no gate; the bound gauge still says 0.
func TestOff(t *testing.T) {
	t.Parallel()
	cfg := Defaults()
	cfg.MaxInFlight = 0
	reg := prometheus.NewRegistry()
	g, err := New(cfg, (&counter{}).count, testMetrics, reg, slog.Default())
	if err != nil || g != nil {
		t.Fatalf("New = %v, %v; want a nil gate", g, err)
	}
	if got := serve(g, nil).Code; got != 201 {
		t.Errorf("no gate: %d", got)
	}
	if err := g.Run(context.Background()); err != nil {
		t.Errorf("Run of no gate: %v", err)
	}
}

// TestRunSamples: Run counts until its context ends.
func TestRunSamples(t *testing.T) {
	t.Parallel()
	c := &counter{}
	c.set(7, nil)
	var logs bytes.Buffer
	g, _ := newGate(t, 3, c, &logs)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()
	deadline := time.Now().Add(30 * time.Second)
	for serve(g, nil).Code != 503 {
		if time.Now().After(deadline) {
			t.Fatal("Run never counted the signal")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
}

// TestConfig: the ADMISSION_* settings bind, and a bad one fails the
// start naming its variable.
func TestConfig(t *testing.T) {
	t.Parallel()
	var c Config
	if _, err := config.Parse("order", []string{"-admission-max-in-flight=400", "-admission-retry-after=2s"}, func(b *config.Binder) { Bind(b, &c) }); err != nil {
		t.Fatal(err)
	}
	if c.MaxInFlight != 400 || c.RetryAfter != 2*time.Second || c.Signal != SignalOrdersInFlight || c.SampleInterval != DefaultSampleInterval {
		t.Errorf("bound config %+v", c)
	}
	for name, arg := range map[string]string{
		"ADMISSION_MAX_IN_FLIGHT":   "-admission-max-in-flight=-1",
		"ADMISSION_SIGNAL":          "-admission-signal=cpu",
		"ADMISSION_SAMPLE_INTERVAL": "-admission-sample-interval=1ms",
		"ADMISSION_RETRY_AFTER":     "-admission-retry-after=0s",
		"ADMISSION_MAX_WAIT":        "-admission-max-wait=-1s",
	} {
		var c Config
		if _, err := config.Parse("order", []string{arg}, func(b *config.Binder) { Bind(b, &c) }); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: err %v, want one naming %s", arg, err, name)
		}
	}
}

// TestBypassChecksBounded: while MaxBypassChecks checks are running (each
// blocked on a slow lookup) a further shed request is refused without
// asking bypass, so shed requests cannot queue on the lookup's database;
// once a check returns, the next request is asked again.
func TestBypassChecksBounded(t *testing.T) {
	t.Parallel()
	c := &counter{}
	var logs bytes.Buffer
	g, _ := newGate(t, 1, c, &logs)
	c.set(5, nil)
	g.Sample(context.Background())
	release := make(chan struct{})
	var started sync.WaitGroup
	started.Add(MaxBypassChecks)
	var done sync.WaitGroup
	for range MaxBypassChecks {
		done.Add(1)
		go func() {
			defer done.Done()
			serve(g, func(*http.Request) bool { started.Done(); <-release; return true })
		}()
	}
	started.Wait()
	asked := false
	if got := serve(g, func(*http.Request) bool { asked = true; return true }).Code; got != 503 || asked {
		t.Errorf("with %d checks running: %d, bypass asked %v; want 503 without asking", MaxBypassChecks, got, asked)
	}
	close(release)
	done.Wait()
	if got := serve(g, func(*http.Request) bool { asked = true; return true }).Code; got != 201 || !asked {
		t.Errorf("after the checks returned: %d, bypass asked %v; want 201 after asking", got, asked)
	}
}

// TestFrontBudget: while the gate sheds, Front lets BypassBurst requests on
// to the authenticated chain and refuses the rest 503 before it (counted);
// below the bound it lets every request on.
func TestFrontBudget(t *testing.T) {
	t.Parallel()
	c := &counter{}
	var logs bytes.Buffer
	g, _ := newGate(t, 1, c, &logs)
	reached := 0
	h := g.Front(func(w http.ResponseWriter, _ *http.Request) { reached++; w.WriteHeader(http.StatusCreated) })
	call := func() int {
		rec := httptest.NewRecorder()
		h(rec, httptest.NewRequest(http.MethodPost, "/v1/orders", nil))
		return rec.Code
	}
	c.set(0, nil)
	g.Sample(context.Background())
	for range 3 * BypassBurst {
		if got := call(); got != 201 {
			t.Fatalf("below the bound: %d, want 201", got)
		}
	}
	c.set(5, nil)
	g.Sample(context.Background())
	reached = 0
	refused := 0
	for range 3 * BypassBurst {
		if call() == http.StatusServiceUnavailable {
			refused++
		}
	}
	// The limiter refills BypassChecksPerSecond a second, so a slow run may
	// let one or two more through; never all of them.
	if reached < BypassBurst || refused == 0 || reached+refused != 3*BypassBurst {
		t.Errorf("shedding: %d reached the chain, %d refused in front; want about %d and the rest", reached, refused, BypassBurst)
	}
	if n := value(t, g.shed.WithLabelValues(ReasonOverloaded)); int(n) != refused {
		t.Errorf("shed counter %v, want %d", n, refused)
	}
}
