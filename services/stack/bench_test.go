package stack

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/bloody-sweet/platform/services/internal/sim"
)

// pipeline runs orders through a started stack and records, per order, the
// time from sending the POST to seeing its terminal status on /v1/stream.
type pipeline struct {
	st     *Stack
	client *http.Client

	mu    sync.Mutex
	sent  map[string]time.Time
	lat   []time.Duration
	done  atomic.Int64
	early map[string]time.Time // terminal seen before the POST returned
}

func newPipeline(b *testing.B, cfg Config) *pipeline {
	b.Helper()
	ctx := context.Background()
	// Admission off: the clients do not wait for delivery, so the orders in
	// flight pile up to the bound and the order API would refuse the rest;
	// the benchmarks measure what the pipeline finishes.
	off := AdmissionDefaults()
	off.MaxInFlight = 0
	cfg.Admission = &off
	st, err := Start(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close(context.Background()) })
	client, err := st.Issuer.Authorize(&http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}, "bench-customer")
	if err != nil {
		b.Fatal(err)
	}
	p := &pipeline{st: st, sent: map[string]time.Time{}, early: map[string]time.Time{}, client: client}
	sctx, cancel := context.WithCancel(ctx)
	b.Cleanup(cancel)
	if _, err := streamTerminal(sctx, st, p.terminal); err != nil {
		b.Fatal(err)
	}
	return p
}

func (p *pipeline) terminal(id string, delivered bool) {
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if t0, ok := p.sent[id]; ok {
		if delivered {
			p.lat = append(p.lat, now.Sub(t0))
		}
		delete(p.sent, id)
	} else {
		p.early[id] = now
	}
	p.done.Add(1)
}

func (p *pipeline) place(ctx context.Context, key string, r *rand.Rand) error {
	t0 := time.Now()
	id, err := placeOrderClient(ctx, p.client, p.st.OrderURL, key, r)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if t, ok := p.early[id]; ok {
		p.lat = append(p.lat, t.Sub(t0))
		delete(p.early, id)
		return nil
	}
	p.sent[id] = t0
	return nil
}

func (p *pipeline) wait(b *testing.B, n int64) {
	deadline := time.Now().Add(2 * time.Minute)
	for p.done.Load() < n {
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d orders terminal after 2 minutes", p.done.Load(), n)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func pct(ds []time.Duration, q float64) float64 {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return float64(s[min(len(s)-1, int(q*float64(len(s))))].Microseconds()) / 1000
}

// cpuTime is the CPU time (user + system) the process has used so far. On
// a machine shared with other work, CPU per order moves much less than
// orders/s, so it shows whether a change made the pipeline cheaper.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func zeroLatency() *sim.Config {
	c := sim.Defaults()
	c.PaymentLatency = sim.Range{}
	c.World.Scale = 1e15 // a world day passes in a wall nanosecond: every stage takes no wall time
	return &c
}

// BenchmarkPipelineThroughput places b.N orders from 64 concurrent clients
// and waits until all are terminal: orders/s end to end.
func BenchmarkPipelineThroughput(b *testing.B) {
	for _, tc := range []struct {
		name string
		sim  *sim.Config
	}{{"sim=defaults", nil}, {"sim=zero-latency", zeroLatency()}} {
		b.Run(tc.name, func(b *testing.B) {
			p := newPipeline(b, Config{Sim: tc.sim})
			ctx := context.Background()
			var next atomic.Int64
			b.ResetTimer()
			start, cpu0 := time.Now(), cpuTime(b)
			var wg sync.WaitGroup
			for w := 0; w < 64; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := next.Add(1)
						if i > int64(b.N) {
							return
						}
						if err := p.place(ctx, fmt.Sprintf("bt-%d", i), rand.New(rand.NewPCG(7, uint64(i)))); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			p.wait(b, int64(b.N))
			el := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/el.Seconds(), "orders/s")
			b.ReportMetric(pct(p.lat, 0.99), "p99-ms")
			b.ReportMetric(float64((cpuTime(b)-cpu0).Microseconds())/float64(b.N), "cpu-us/order")
		})
	}
}

// BenchmarkPipelineLatency offers a fixed rate (open loop) for b.N orders
// and reports placed -> delivered percentiles: 1,000/s is the target rate,
// 200/s one this 2-core machine sustains; zero simulator latency is the
// baseline (pure pipeline cost).
func BenchmarkPipelineLatency(b *testing.B) {
	for _, tc := range []struct {
		name string
		rate int
		sim  *sim.Config
	}{
		{"rate=200/sim=defaults", 200, nil}, {"rate=200/sim=zero-latency", 200, zeroLatency()},
		{"rate=1000/sim=defaults", 1000, nil}, {"rate=1000/sim=zero-latency", 1000, zeroLatency()},
	} {
		b.Run(tc.name, func(b *testing.B) {
			p := newPipeline(b, Config{Sim: tc.sim})
			ctx := context.Background()
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			sem := make(chan struct{}, 512)
			for i := 0; i < b.N; i++ {
				// Open loop: order i is due at start + i/rate whatever the
				// previous ones are doing.
				if d := time.Until(start.Add(time.Duration(i) * time.Second / time.Duration(tc.rate))); d > 0 {
					time.Sleep(d)
				}
				sem <- struct{}{}
				wg.Add(1)
				go func() {
					defer func() { <-sem; wg.Done() }()
					if err := p.place(ctx, fmt.Sprintf("bl-%d", i), rand.New(rand.NewPCG(9, uint64(i)))); err != nil {
						b.Error(err)
					}
				}()
			}
			wg.Wait()
			p.wait(b, int64(b.N))
			b.StopTimer()
			b.ReportMetric(pct(p.lat, 0.50), "p50-ms")
			b.ReportMetric(pct(p.lat, 0.95), "p95-ms")
			b.ReportMetric(pct(p.lat, 0.99), "p99-ms")
		})
	}
}
