package load

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bloody-sweet/platform/internal/load/scenario"
	"github.com/bloody-sweet/platform/services/apiclient"
)

func testScenario(stages ...scenario.Stage) *scenario.Scenario {
	return &scenario.Scenario{
		Name: "t", Seed: 1, Stages: stages, MaxInFlight: 1000,
		DeliveryTimeout: scenario.Duration{Duration: 2 * time.Second},
		Stores:          3, Customers: 10,
		OrderMix: []scenario.OrderKind{{Name: "one", Weight: 1, Items: []scenario.Item{{SKU: "pizza-margherita", Quantity: 1}}}},
	}
}

func stage(name string, d time.Duration, rate float64) scenario.Stage {
	return scenario.Stage{Name: name, Duration: scenario.Duration{Duration: d}, Rate: rate}
}

type senderFunc func(ctx context.Context, seq int) (string, error)

func (f senderFunc) Send(ctx context.Context, seq int) (string, error) { return f(ctx, seq) }

// TestOpenModelNoCoordinatedOmission runs 50 arrivals in one second against
// a server that handles one request at a time in 40ms (25/s). A closed-loop
// client would wait and report ~40ms; the open model keeps sending on
// schedule and measures from the intended send time, so the queueing shows.
func TestOpenModelNoCoordinatedOmission(t *testing.T) {
	t.Parallel()
	var server sync.Mutex
	var started atomic.Int64 // when the last Send began, relative to begin
	begin := time.Now()
	send := senderFunc(func(ctx context.Context, seq int) (string, error) {
		started.Store(int64(time.Since(begin)))
		server.Lock()
		defer server.Unlock()
		time.Sleep(40 * time.Millisecond)
		return fmt.Sprint(seq), nil
	})
	res, err := Run(context.Background(), testScenario(stage("s", time.Second, 50)), send, Options{Mode: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total.OK != 50 || res.Total.Errors != 0 {
		t.Fatalf("ok %d errors %d, want 50 and 0", res.Total.OK, res.Total.Errors)
	}
	// Arrivals were not held back by slow responses: the last one started
	// on schedule (at ~0.98s), not after the queue drained (~2s).
	if last := time.Duration(started.Load()); last > 1500*time.Millisecond {
		t.Errorf("last arrival started at %s: the schedule waited for responses", last)
	}
	// The last request waited ~1s in the queue; latency must show it.
	if p99 := res.Total.Request.P99; p99 < 800 {
		t.Errorf("p99 = %.1fms, want >= 800ms (latency from the intended send time)", p99)
	}
	if p50 := res.Total.Request.P50; p50 < 200 {
		t.Errorf("p50 = %.1fms, want the queueing delay of a saturated server (>= 200ms)", p50)
	}
}

// TestDropWhenMaxInFlight: arrivals beyond max_in_flight are dropped and
// counted as errors instead of delaying the schedule.
func TestDropWhenMaxInFlight(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	send := senderFunc(func(ctx context.Context, seq int) (string, error) {
		<-release
		return fmt.Sprint(seq), nil
	})
	sc := testScenario(stage("s", 200*time.Millisecond, 100))
	sc.MaxInFlight = 5
	done := make(chan *Result)
	scheduled := make(chan struct{})
	go func() {
		res, _ := Run(context.Background(), sc, send, Options{scheduled: scheduled})
		done <- res
	}()
	// The schedule finishes even though nothing is answered; then release.
	<-scheduled
	close(release)
	res := <-done
	if res.Total.OK != 5 || res.Total.Dropped != 15 || res.Total.Errors != 15 {
		t.Errorf("ok %d dropped %d errors %d, want 5, 15, 15", res.Total.OK, res.Total.Dropped, res.Total.Errors)
	}
	if got := res.Total.ErrorRate; got != 0.75 {
		t.Errorf("error rate %g, want 0.75", got)
	}
	if res.ErrorKinds["dropped"] != 15 {
		t.Errorf("error kinds %v, want 15 dropped", res.ErrorKinds)
	}
}

// TestCompletionsJoin checks delivered, cancelled, undelivered and a
// completion that overtakes its acknowledgement, per stage.
func TestCompletionsJoin(t *testing.T) {
	t.Parallel()
	comps := make(chan Completion, 100)
	send := senderFunc(func(ctx context.Context, seq int) (string, error) {
		key := fmt.Sprintf("o-%d", seq)
		switch {
		case seq == 0: // completion arrives before the 201 is processed
			comps <- Completion{Key: key, Delivered: true, At: time.Now()}
		case seq%10 == 9: // cancelled
			go func() { comps <- Completion{Key: key, At: time.Now()} }()
		case seq == 15: // never completes
		case seq == 16:
			return "", &apiclient.HTTPError{Op: "POST /v1/orders", Status: 503, Body: "busy"}
		case seq == 17: // refused by admission control: shed, not an error
			return "", &apiclient.HTTPError{Op: "POST /v1/orders", Status: 503, Body: `{"status":503,"reason":"orders_in_flight_at_bound"}`}
		default:
			go func() {
				time.Sleep(30 * time.Millisecond)
				comps <- Completion{Key: key, Delivered: true, At: time.Now()}
			}()
		}
		return key, nil
	})
	sc := testScenario(stage("a", 100*time.Millisecond, 100), stage("b", 100*time.Millisecond, 100))
	sc.DeliveryTimeout = scenario.Duration{Duration: 300 * time.Millisecond}
	comps <- Completion{Key: "someone-else", Delivered: true, At: time.Now()}
	res, err := Run(context.Background(), sc, send, Options{Completions: comps})
	if err != nil {
		t.Fatal(err)
	}
	a, b := res.Stages[0], res.Stages[1]
	// stage a: seq 0..9, 9 cancelled; stage b: seq 10..19, 19 cancelled, 15 lost, 16 failed, 17 shed
	if a.OK != 10 || a.Delivered != 9 || a.Cancelled != 1 || a.Undelivered != 0 || a.Shed != 0 {
		t.Errorf("stage a: %+v", a)
	}
	if b.OK != 8 || b.Errors != 1 || b.Shed != 1 || b.Delivered != 6 || b.Cancelled != 1 || b.Undelivered != 1 {
		t.Errorf("stage b: %+v", b)
	}
	if res.Total.Delivered != 15 || res.Total.EndToEnd.Count != 15 || res.Total.Shed != 1 {
		t.Errorf("total delivered %d (latencies %d), shed %d, want 15 and 1", res.Total.Delivered, res.Total.EndToEnd.Count, res.Total.Shed)
	}
	shedSeconds := 0
	for _, p := range res.Series {
		shedSeconds += p.Shed
	}
	if shedSeconds != 1 {
		t.Errorf("shed in the per-second series: %d, want 1", shedSeconds)
	}
	if p50 := res.Total.EndToEnd.P50; p50 < 25 || p50 > 500 {
		t.Errorf("end-to-end p50 %.1fms, want about the 30ms the fake pipeline takes", p50)
	}
	if res.ErrorKinds["http 503"] != 1 || res.ErrorKinds["shed (http 503)"] != 1 {
		t.Errorf("error kinds %v", res.ErrorKinds)
	}
}

func TestProgressLines(t *testing.T) {
	t.Parallel()
	var buf syncBuffer
	send := senderFunc(func(ctx context.Context, seq int) (string, error) { return "k", nil })
	if _, err := Run(context.Background(), testScenario(stage("s", 2100*time.Millisecond, 10)), send, Options{Mode: "raw", Progress: &buf}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) < 2 {
		t.Fatalf("got %d progress lines in a 2.1s run, want one per second:\n%s", len(lines), buf.String())
	}
	if !strings.Contains(lines[0], "[t raw] 1s") || !strings.Contains(lines[0], "stage s (10/s)") {
		t.Errorf("first line %q lacks elapsed time and stage", lines[0])
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func closedStage(name string, limit time.Duration, clients, orders int) scenario.Stage {
	return scenario.Stage{Name: name, Duration: scenario.Duration{Duration: limit}, Clients: clients, Orders: orders}
}

// TestClosedStage: a closed stage's clients send its orders one at a time
// each (never more in flight than clients), every order once, numbered on
// from the stages before it.
func TestClosedStage(t *testing.T) {
	t.Parallel()
	var (
		mu            sync.Mutex
		inFlight, top int
		seen          = map[int]int{}
	)
	send := senderFunc(func(ctx context.Context, seq int) (string, error) {
		mu.Lock()
		inFlight++
		top = max(top, inFlight)
		seen[seq]++
		mu.Unlock()
		time.Sleep(time.Millisecond) // a response takes time, so clients overlap
		mu.Lock()
		inFlight--
		mu.Unlock()
		return fmt.Sprint(seq), nil
	})
	sc := testScenario(stage("open", time.Second, 10), closedStage("closed", time.Minute, 3, 60))
	res, err := Run(context.Background(), sc, send, Options{Mode: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total.OK != 70 || res.Total.Errors != 0 {
		t.Fatalf("ok %d errors %d, want 70 and 0", res.Total.OK, res.Total.Errors)
	}
	for seq := range 70 {
		if seen[seq] != 1 {
			t.Errorf("order %d sent %d times, want once", seq, seen[seq])
		}
	}
	if top > 3 {
		t.Errorf("%d requests in flight at once, want at most the 3 clients", top)
	}
	closed := res.Stages[1]
	if closed.OK != 60 || closed.Seconds <= 0 || closed.Seconds >= 60 || closed.Rate <= 0 {
		t.Errorf("closed stage: ok %d, %.3fs, rate %.1f/s; want 60 orders in the time they took", closed.OK, closed.Seconds, closed.Rate)
	}
	if res.SendSeconds != 1+closed.Seconds {
		t.Errorf("send phase %.3fs, want the open stage's 1s + the closed stage's %.3fs", res.SendSeconds, closed.Seconds)
	}
}

// TestClosedStageClientsBound: with one client there is never a second
// request in flight.
func TestClosedStageClientsBound(t *testing.T) {
	t.Parallel()
	var inFlight, top atomic.Int64
	send := senderFunc(func(ctx context.Context, seq int) (string, error) {
		n := inFlight.Add(1)
		for {
			old := top.Load()
			if n <= old || top.CompareAndSwap(old, n) {
				break
			}
		}
		time.Sleep(time.Millisecond)
		inFlight.Add(-1)
		return fmt.Sprint(seq), nil
	})
	res, err := Run(context.Background(), testScenario(closedStage("one", time.Minute, 1, 20)), send, Options{Mode: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total.OK != 20 || top.Load() != 1 {
		t.Errorf("ok %d, at most %d in flight; want 20 and 1", res.Total.OK, top.Load())
	}
}

// TestClosedStageDuration: orders a closed stage could not send within its
// duration are dropped (errors), not sent late.
func TestClosedStageDuration(t *testing.T) {
	t.Parallel()
	limit := 50 * time.Millisecond
	begin := time.Now()
	send := senderFunc(func(ctx context.Context, seq int) (string, error) {
		for time.Since(begin) <= 2*limit { // answer only after the stage's time is over
			time.Sleep(5 * time.Millisecond)
		}
		return fmt.Sprint(seq), nil
	})
	res, err := Run(context.Background(), testScenario(closedStage("short", limit, 2, 10)), send, Options{Mode: "test"})
	if err != nil {
		t.Fatal(err)
	}
	st := res.Stages[0]
	if st.OK != 2 || st.Dropped != 8 || st.Errors != 8 || res.ErrorKinds["dropped"] != 1 {
		t.Errorf("ok %d dropped %d errors %d kinds %v; want the 2 first orders sent and 8 dropped", st.OK, st.Dropped, st.Errors, res.ErrorKinds)
	}
}
