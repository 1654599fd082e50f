// Package httpserver is the HTTP side of a service: /healthz, /readyz,
// /metrics (on its own port), request metrics per route, RFC 9457 problem responses, and a
// shutdown that fails readiness before draining.
package httpserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/bloody-sweet/platform/services/internal/config"
	"github.com/bloody-sweet/platform/services/internal/telemetry"
)

// Server is a service's one HTTP port.
type Server struct {
	mux      *http.ServeMux
	srv      *http.Server
	ln       net.Listener
	ready    atomic.Bool
	checks   []func() error // readiness checks besides ready, set before Serve
	metrics  *telemetry.HTTP
	log      *slog.Logger
	tracer   trace.Tracer
	timeouts config.HTTPTimeouts
	// The /metrics port.
	metricsSrv *http.Server
	metricsLn  net.Listener
}

// New listens on addr (":0" picks a free port) and serves the health and
// metrics endpoints; add API routes with Handle before Serve. API requests
// get a server span from tracer, continuing the caller's W3C traceparent.
// Every connection is bounded by timeouts (zero fields: the defaults), so a
// slow or stalled client cannot hold it; streams are exempt (see Stream).
//
// /metrics is served on its own listener, metricsAddr (empty: an ephemeral
// port on addr's host), never on the API port.
func New(addr, metricsAddr string, timeouts config.HTTPTimeouts, reg *prometheus.Registry, m *telemetry.HTTP, log *slog.Logger, tracer trace.Tracer) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("httpserver: listen %s: %w", addr, err)
	}
	if metricsAddr == "" {
		host, _, _ := net.SplitHostPort(addr)
		metricsAddr = net.JoinHostPort(host, "0")
	}
	mln, err := net.Listen("tcp", metricsAddr)
	if err != nil {
		_ = ln.Close()
		return nil, fmt.Errorf("httpserver: listen %s (metrics): %w", metricsAddr, err)
	}
	t := timeouts.OrDefaults()
	s := &Server{mux: http.NewServeMux(), ln: ln, metrics: m, log: log, tracer: tracer, timeouts: t, metricsLn: mln}
	s.srv = &http.Server{Handler: s.mux, ReadHeaderTimeout: t.ReadHeader, ReadTimeout: t.Read, WriteTimeout: t.Write, IdleTimeout: t.Idle}
	mmux := http.NewServeMux()
	mmux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	s.metricsSrv = &http.Server{Handler: mmux, ReadHeaderTimeout: t.ReadHeader, ReadTimeout: t.Read, WriteTimeout: t.Write, IdleTimeout: t.Idle}
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	s.mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !s.ready.Load() {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		for _, check := range s.checks {
			if err := check(); err != nil {
				http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
				return
			}
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	return s, nil
}

// URL is the base URL of the server on loopback.
func (s *Server) URL() string { return loopbackURL(s.ln) }

// MetricsURL is the base URL of the /metrics port on loopback.
func (s *Server) MetricsURL() string { return loopbackURL(s.metricsLn) }

func loopbackURL(ln net.Listener) string {
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return "http://127.0.0.1:" + port
}

// Handle registers an API route (a ServeMux pattern such as
// "POST /v1/orders"); its requests are counted under that pattern. Its
// context ends after the request timeout, unless h is a Stream.
func (s *Server) Handle(pattern string, h http.Handler) {
	method, route := splitPattern(pattern)
	for _, code := range []string{"200", "201", "400", "404", "409", "413", "415", "422"} {
		s.metrics.Requests.WithLabelValues(route, method, code)
		s.metrics.Duration.WithLabelValues(route, method, code)
	}
	if _, stream := h.(streamHandler); !stream {
		h = withDeadline(s.timeouts.Request, h)
	}
	s.mux.Handle(pattern, s.instrument(route, h))
}

// withDeadline bounds a request's context: database and Redis calls made on
// it give up instead of holding the connection past the write timeout.
func withDeadline(d time.Duration, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}

type streamHandler struct{ http.Handler }

// Stream marks h as a long-lived response (Server-Sent Events): no request
// deadline, and h is expected to call StartStream, which lifts the
// connection's read and write timeouts and bounds each write instead.
func Stream(h http.Handler) http.Handler { return streamHandler{h} }

// StreamWriter writes a stream's events, each within its own deadline, so a
// stream lives as long as it needs while a reader that stops reading is
// dropped after one event's timeout.
type StreamWriter struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
}

// StartStream lifts the connection deadlines set for ordinary requests
// (the read deadline too: when it fires, the server cancels the request's
// context) and returns a writer that sets a write deadline of timeout
// before each event.
func StartStream(w http.ResponseWriter, timeout time.Duration) (*StreamWriter, error) {
	rc := http.NewResponseController(w)
	if err := rc.SetReadDeadline(time.Time{}); err != nil {
		return nil, fmt.Errorf("httpserver: stream: %w", err)
	}
	if err := rc.SetWriteDeadline(time.Time{}); err != nil {
		return nil, fmt.Errorf("httpserver: stream: %w", err)
	}
	return &StreamWriter{w: w, rc: rc, timeout: timeout}, nil
}

// Send writes one event with write and flushes it, all within the timeout.
func (s *StreamWriter) Send(write func(io.Writer) error) error {
	if err := s.rc.SetWriteDeadline(time.Now().Add(s.timeout)); err != nil {
		return err
	}
	if err := write(s.w); err != nil {
		return err
	}
	return s.rc.Flush()
}

func splitPattern(p string) (string, string) {
	for i := 0; i < len(p); i++ {
		if p[i] == ' ' {
			return p[:i], p[i+1:]
		}
	}
	return "", p
}

type recorder struct {
	http.ResponseWriter
	code int
}

func (r *recorder) WriteHeader(code int) {
	r.code = code
	r.ResponseWriter.WriteHeader(code)
}

// Flush lets streaming handlers (SSE) flush through the recorder.
func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// instrument counts, times and traces a route's requests. The server span
// is the parent of everything the request causes, events written to the
// outbox included, so one order is one trace across the services.
func (s *Server) instrument(route string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w, code: http.StatusOK}
		ctx := telemetry.Propagator.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		ctx, span := s.tracer.Start(ctx, r.Method+" "+route, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(semconv.HTTPRequestMethodKey.String(r.Method), semconv.HTTPRoute(route), semconv.URLPath(r.URL.Path)))
		r = r.WithContext(ctx)
		defer func() {
			if p := recover(); p != nil {
				// A bug must not take the process down or leak a stack trace.
				s.log.ErrorContext(r.Context(), "handler panic", "route", route, "panic", fmt.Sprint(p))
				rec.code = http.StatusInternalServerError
				Problem(rec, http.StatusInternalServerError, "internal error", "", "")
			}
			span.SetAttributes(semconv.HTTPResponseStatusCode(rec.code))
			if rec.code >= 500 {
				span.SetStatus(codes.Error, http.StatusText(rec.code))
			}
			span.End()
			code := strconv.Itoa(rec.code)
			s.metrics.Requests.WithLabelValues(route, r.Method, code).Inc()
			s.metrics.Duration.WithLabelValues(route, r.Method, code).Observe(time.Since(start).Seconds())
		}()
		h.ServeHTTP(rec, r)
	})
}

// Serve serves until Shutdown; readiness turns on when serving starts.
func (s *Server) Serve() error {
	s.ready.Store(true)
	go func() {
		if err := s.metricsSrv.Serve(s.metricsLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("metrics port stopped", "err", err)
		}
	}()
	if err := s.srv.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("httpserver: %w", err)
	}
	return nil
}

// AddReadyCheck makes /readyz answer 503 with check's error while it
// returns one (e.g. a consumer blocked by a dependency that is down). The
// error is shown to whoever probes: it must not carry secrets. Call it
// before Serve.
func (s *Server) AddReadyCheck(check func() error) { s.checks = append(s.checks, check) }

// SetReady flips the readiness probe.
func (s *Server) SetReady(v bool) { s.ready.Store(v) }

// Shutdown fails readiness and drains in-flight requests until ctx ends.
// The delay that lets load balancers notice the failed readiness first is
// the caller's (svc.Service.Close), which also ends long-lived streams.
func (s *Server) Shutdown(ctx context.Context) error {
	s.ready.Store(false)
	// /metrics last: Prometheus sees the drain.
	defer func() { _ = s.metricsSrv.Close() }()
	if err := s.srv.Shutdown(ctx); err != nil {
		_ = s.srv.Close()
		return fmt.Errorf("httpserver: drain: %w", err)
	}
	return nil
}

// ProblemDetails is an RFC 9457 problem document. Field names the request
// field at fault (an extension member).
type ProblemDetails struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	Field  string `json:"field,omitempty"`
}

// Problem writes an application/problem+json response.
func Problem(w http.ResponseWriter, status int, title, detail, field string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(ProblemDetails{Type: "about:blank", Title: title, Status: status, Detail: detail, Field: field})
}

// JSON writes v as a JSON response with status.
func JSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
