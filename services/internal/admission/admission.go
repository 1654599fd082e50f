// Package admission is load shedding at an API's door: a Gate samples the
// work the pipeline already holds (a count the service supplies, such as
// its orders in flight) and, while it is at the configured bound, answers
// new requests 503 with Retry-After instead of queueing them behind work
// that would then miss its deadline.
//
// The bound comes from Little's law: the pipeline finishes at most X items
// a second, so with N items in it a new one waits about N/X; to finish
// within a target T, N must stay below X*T. The deployment model (cue/)
// computes it and renders it as ADMISSION_MAX_IN_FLIGHT.
package admission

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"

	"github.com/bloody-sweet/platform/services/internal/config"
	"github.com/bloody-sweet/platform/services/internal/httpserver"
)

// Signals the gate can count. One today: the model's schema lists the same.
const SignalOrdersInFlight = "orders-in-flight"

// Reasons a request is shed (the counter's reason label and the problem
// body's reason member): the orders in flight reached MaxInFlight, or the
// oldest of them has waited MaxWait (the pipeline finishes fewer than
// MaxInFlight assumed: the machine got slower, a consumer fell behind).
const (
	ReasonOverloaded = "orders_in_flight_at_bound"
	ReasonTooSlow    = "oldest_order_waiting_too_long"
)

// StuckFactor: an order in flight for longer than StuckFactor x MaxWait is
// taken to be stuck (its saga waits on a human, a DLQ replay) and left out
// of the oldest order's age, so one such order cannot shed all traffic.
const StuckFactor = 10

// MaxBypassChecks bounds the bypass checks (was this request already
// accepted?) running at once. A check reads the database, and under
// overload shed requests are most of what arrives: unbounded, thousands of
// them queued on the order service's database connection ahead of its
// outbox relay and of the gate's own count, so nothing new entered the
// pipeline while the gate shed (docs/PERFORMANCE.md, Overload). A request
// that finds no free check is refused like any other; its retry with the
// same key gets the original answer once a check or the handler runs.
const MaxBypassChecks = 2

// BypassChecksPerSecond (burst BypassBurst) bounds how many shed requests
// a second Front lets on to authentication and the bypass check. Verifying
// a token (ECDSA) costs more CPU than everything else a refusal does; at 4x
// the knee, checking every shed request took CPU from the pipeline it was
// shedding for. Retries of accepted requests are rare (a lost response):
// one over the budget is refused and answered when it retries.
const (
	BypassChecksPerSecond = 100
	BypassBurst           = 10
)

// Defaults when the environment sets nothing (the embedded stack, a
// developer's process): about what one 2-core machine finishes in a
// second (docs/PERFORMANCE.md) times a 2 s placed -> delivered target.
const (
	DefaultMaxInFlight    = 1500
	DefaultSampleInterval = 100 * time.Millisecond
	DefaultRetryAfter     = time.Second
	DefaultMaxWait        = 2500 * time.Millisecond
)

// Config says when the gate sheds. MaxInFlight 0 turns it off; MaxWait 0
// turns off the age check only.
type Config struct {
	Signal         string
	MaxInFlight    int
	MaxWait        time.Duration
	SampleInterval time.Duration
	RetryAfter     time.Duration
}

// Defaults returns the built-in configuration.
func Defaults() Config {
	return Config{Signal: SignalOrdersInFlight, MaxInFlight: DefaultMaxInFlight, MaxWait: DefaultMaxWait, SampleInterval: DefaultSampleInterval, RetryAfter: DefaultRetryAfter}
}

// Validate checks the settings, naming the variable at fault.
func (c Config) Validate() error {
	var errs []error
	if c.Signal != SignalOrdersInFlight {
		errs = append(errs, fmt.Errorf("config: ADMISSION_SIGNAL=%q: must be %q", c.Signal, SignalOrdersInFlight))
	}
	if c.MaxInFlight < 0 {
		errs = append(errs, fmt.Errorf("config: ADMISSION_MAX_IN_FLIGHT=%d: must be 0 (off) or more", c.MaxInFlight))
	}
	if c.MaxWait < 0 || c.MaxWait > time.Hour {
		errs = append(errs, fmt.Errorf("config: ADMISSION_MAX_WAIT=%s: must be between 0 (off) and 1h", c.MaxWait))
	}
	if c.SampleInterval < 10*time.Millisecond || c.SampleInterval > time.Minute {
		errs = append(errs, fmt.Errorf("config: ADMISSION_SAMPLE_INTERVAL=%s: must be between 10ms and 1m", c.SampleInterval))
	}
	if c.RetryAfter < time.Second || c.RetryAfter > 10*time.Minute {
		errs = append(errs, fmt.Errorf("config: ADMISSION_RETRY_AFTER=%s: must be between 1s and 10m", c.RetryAfter))
	}
	return errors.Join(errs...)
}

// Bind registers the ADMISSION_* flags and checks them after parsing.
func Bind(b *config.Binder, c *Config) {
	d := Defaults()
	b.String(&c.Signal, "admission-signal", "ADMISSION_SIGNAL", d.Signal, "what the admission bound counts ("+SignalOrdersInFlight+")")
	b.Int(&c.MaxInFlight, "admission-max-in-flight", "ADMISSION_MAX_IN_FLIGHT", d.MaxInFlight, "new orders are refused 503 while this many are in flight (0: never)")
	b.Duration(&c.MaxWait, "admission-max-wait", "ADMISSION_MAX_WAIT", d.MaxWait, "new orders are refused 503 while the oldest order in flight has waited this long (0: never)")
	b.Duration(&c.SampleInterval, "admission-sample-interval", "ADMISSION_SAMPLE_INTERVAL", d.SampleInterval, "how often the signal is counted")
	b.Duration(&c.RetryAfter, "admission-retry-after", "ADMISSION_RETRY_AFTER", d.RetryAfter, "Retry-After of a refused request")
	b.AfterParse(func() error { return c.Validate() })
}

// Sample is the work the pipeline holds now: how many orders, and when the
// oldest of them placed after ignoreBefore was placed (zero: none).
type Sample struct {
	InFlight int64
	Oldest   time.Time
}

// CountFunc counts the signal, leaving orders placed before ignoreBefore
// out of Oldest (not out of InFlight).
type CountFunc func(ctx context.Context, ignoreBefore time.Time) (Sample, error)

// Metrics names the gate's metrics.
type Metrics struct {
	Shed     string // counter, label reason
	InFlight string // gauge: the last count
	Bound    string // gauge: the bound (0 off)
}

// Gate decides whether a request is admitted. A nil *Gate admits all.
type Gate struct {
	cfg   Config
	count CountFunc
	log   *slog.Logger

	// sampled is the last count, plus what this replica admitted since
	// (so a burst between two samples does not overshoot by a whole
	// interval's arrivals); known is false until a count succeeds and
	// after one fails: the gate then admits (fail open) and the handler
	// meets the failing dependency itself.
	sampled atomic.Int64
	oldest  atomic.Int64 // unix nanoseconds of Sample.Oldest, 0 none
	known   atomic.Bool
	now     func() time.Time
	mu      sync.Mutex // serialises Sample; down and full log each change once
	down    bool
	full    bool // the last count was at the bound

	checks chan struct{} // MaxBypassChecks tokens
	budget *rate.Limiter // BypassChecksPerSecond

	shed     *prometheus.CounterVec
	inFlight prometheus.Gauge
}

// New returns the gate of cfg counting with count, or nil when cfg turns
// it off. Run must run for it to shed.
func New(cfg Config, count CountFunc, m Metrics, reg prometheus.Registerer, log *slog.Logger) (*Gate, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	bound := prometheus.NewGauge(prometheus.GaugeOpts{Name: m.Bound, Help: "Admission bound: new requests are refused 503 while the signal is at or above it (0: never)."})
	bound.Set(float64(cfg.MaxInFlight))
	reg.MustRegister(bound)
	if cfg.MaxInFlight == 0 {
		return nil, nil
	}
	g := &Gate{
		cfg: cfg, count: count, log: log, now: time.Now, checks: make(chan struct{}, MaxBypassChecks),
		budget: rate.NewLimiter(BypassChecksPerSecond, BypassBurst),
		shed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: m.Shed, Help: "Requests refused 503 by admission control, by reason.",
		}, []string{"reason"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{Name: m.InFlight, Help: "The admission signal at its last count."}),
	}
	g.shed.WithLabelValues(ReasonOverloaded)
	g.shed.WithLabelValues(ReasonTooSlow)
	reg.MustRegister(g.shed, g.inFlight)
	return g, nil
}

// Run counts the signal every SampleInterval until ctx ends.
func (g *Gate) Run(ctx context.Context) error {
	if g == nil {
		return nil
	}
	t := time.NewTicker(g.cfg.SampleInterval)
	defer t.Stop()
	for {
		g.Sample(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Sample counts the signal once.
func (g *Gate) Sample(ctx context.Context) {
	smp, err := g.count(ctx, g.now().Add(-StuckFactor*g.cfg.MaxWait))
	n := smp.InFlight
	g.mu.Lock()
	defer g.mu.Unlock()
	if err != nil {
		g.known.Store(false)
		if !g.down && ctx.Err() == nil {
			g.log.Warn("admission: cannot count the signal, admitting every request until it can", "signal", g.cfg.Signal, "err", err.Error())
		}
		g.down = true
		return
	}
	if g.down {
		g.log.Info("admission: counting the signal again", "signal", g.cfg.Signal)
	}
	g.down = false
	g.sampled.Store(n)
	var oldest int64
	if !smp.Oldest.IsZero() {
		oldest = smp.Oldest.UnixNano()
	}
	g.oldest.Store(oldest)
	g.known.Store(true)
	g.inFlight.Set(float64(n))
	// Every shed 503 is counted, and its cause logged here once per
	// episode (not per request: a flood of refusals would flood the log).
	reason := g.reason(n)
	if full := reason != ""; full != g.full {
		g.full = full
		if full {
			g.log.Warn("admission: shedding new orders (503)", "reason", reason, "in_flight", n, "bound", g.cfg.MaxInFlight, "max_wait", g.cfg.MaxWait.String())
		} else {
			g.log.Info("admission: admitting new orders again", "in_flight", n, "bound", g.cfg.MaxInFlight)
		}
	}
}

// reason says why a new order is refused with n in flight, or "".
func (g *Gate) reason(n int64) string {
	if n >= int64(g.cfg.MaxInFlight) {
		return ReasonOverloaded
	}
	if o := g.oldest.Load(); o != 0 && g.cfg.MaxWait > 0 && g.now().Sub(time.Unix(0, o)) >= g.cfg.MaxWait {
		return ReasonTooSlow
	}
	return ""
}

// Admit returns "" when a new request is admitted now (it then counts
// towards the bound until the next sample), else the reason to refuse it.
func (g *Gate) Admit() string {
	if g == nil || !g.known.Load() {
		return ""
	}
	if r := g.reason(g.sampled.Add(1) - 1); r != "" {
		g.sampled.Add(-1)
		return r
	}
	return ""
}

// Front goes before authentication: while the gate sheds, a request over
// the bypass budget (BypassChecksPerSecond) is refused 503 before next
// verifies its token, so refusing costs little CPU. next is the
// authenticated chain ending in Middleware, which decides for the rest.
// The refusal names no customer and no order: it is safe unauthenticated.
func (g *Gate) Front(next http.HandlerFunc) http.HandlerFunc {
	if g == nil {
		return next
	}
	return func(w http.ResponseWriter, r *http.Request) {
		if g.known.Load() {
			if reason := g.reason(g.sampled.Load()); reason != "" && !g.budget.Allow() {
				g.Refuse(w, reason)
				return
			}
		}
		next(w, r)
	}
}

// Middleware sheds requests to next while the gate is at its bound, except
// those bypass lets through (a retry of an already accepted request gets
// its original answer), as far as MaxBypassChecks and Front's budget allow:
// a retry refused here is answered when it retries. bypass may be nil.
func (g *Gate) Middleware(next http.HandlerFunc, bypass func(*http.Request) bool) http.HandlerFunc {
	if g == nil {
		return next
	}
	return func(w http.ResponseWriter, r *http.Request) {
		reason := g.Admit()
		if reason == "" || g.bypass(r, bypass) {
			next(w, r)
			return
		}
		g.Refuse(w, reason)
	}
}

// bypass asks bypass about r if one of the MaxBypassChecks is free, and
// answers false without asking otherwise.
func (g *Gate) bypass(r *http.Request, bypass func(*http.Request) bool) bool {
	if bypass == nil {
		return false
	}
	select {
	case g.checks <- struct{}{}:
		defer func() { <-g.checks }()
		return bypass(r)
	default:
		return false
	}
}

// Problem is the body of a shed request: an RFC 9457 problem with the
// reason as an extension member.
type Problem struct {
	httpserver.ProblemDetails
	Reason string `json:"reason"`
}

// Refuse answers 503 with Retry-After and counts it under reason.
func (g *Gate) Refuse(w http.ResponseWriter, reason string) {
	g.shed.WithLabelValues(reason).Inc()
	detail := fmt.Sprintf("overloaded: %d orders are in flight, the bound this service can finish in time", g.cfg.MaxInFlight)
	if reason == ReasonTooSlow {
		detail = fmt.Sprintf("overloaded: the oldest order in flight has waited %s, longer than new orders may", g.cfg.MaxWait)
	}
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(g.cfg.RetryAfter.Seconds()))))
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(http.StatusServiceUnavailable)
	_ = json.NewEncoder(w).Encode(Problem{
		ProblemDetails: httpserver.ProblemDetails{
			Type: "about:blank", Title: "Service Unavailable", Status: http.StatusServiceUnavailable,
			Detail: fmt.Sprintf("%s; retry after %s with the same Idempotency-Key", detail, g.cfg.RetryAfter),
		},
		Reason: reason,
	})
}
