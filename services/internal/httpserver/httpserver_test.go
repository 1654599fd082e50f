package httpserver

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/bloody-sweet/platform/services/internal/config"
	"github.com/bloody-sweet/platform/services/internal/telemetry"
)

// The tests' timeouts are short so that the cases run quickly; the guard is
// how long a test waits for something that must happen before failing.
const guard = time.Minute

func serve(t *testing.T, timeouts config.HTTPTimeouts, routes map[string]http.Handler) *Server {
	t.Helper()
	reg := prometheus.NewRegistry()
	s, err := New("127.0.0.1:0", "", timeouts, reg, telemetry.NewHTTP(reg), slog.New(slog.DiscardHandler), noop.NewTracerProvider().Tracer("t"))
	if err != nil {
		t.Fatal(err)
	}
	for p, h := range routes {
		s.Handle(p, h)
	}
	go func() { _ = s.Serve() }()
	t.Cleanup(func() { _ = s.srv.Close(); _ = s.metricsSrv.Close() })
	return s
}

func dial(t *testing.T, s *Server) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(s.URL(), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// A client that sends its body slowly is cut off after the read timeout
// instead of holding the connection and a handler.
func TestSlowBodyClientIsCutOff(t *testing.T) {
	t.Parallel()
	bodyErr := make(chan error, 1)
	s := serve(t, config.HTTPTimeouts{Read: 300 * time.Millisecond}, map[string]http.Handler{
		"POST /v1/things": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, err := io.ReadAll(r.Body)
			bodyErr <- err
		}),
	})
	c := dial(t, s)
	// Promise 1000 bytes, send 10, then stall.
	if _, err := fmt.Fprintf(c, "POST /v1/things HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n0123456789"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-bodyErr:
		if err == nil {
			t.Fatal("the handler read a whole body the client never sent")
		}
	case <-time.After(guard):
		t.Fatal("the handler is still reading the slow body")
	}
	// And the connection is closed by the server.
	_ = c.SetReadDeadline(time.Now().Add(guard))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("the server kept the slow client's connection open")
	}
}

// An ordinary route's context ends after the request timeout.
func TestRequestDeadline(t *testing.T) {
	t.Parallel()
	s := serve(t, config.HTTPTimeouts{Request: 100 * time.Millisecond}, map[string]http.Handler{
		"GET /v1/slow": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
				Problem(w, http.StatusServiceUnavailable, "Service Unavailable", r.Context().Err().Error(), "")
			case <-time.After(guard):
				w.WriteHeader(http.StatusOK)
			}
		}),
	})
	resp, err := http.Get(s.URL() + "/v1/slow")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "deadline exceeded") {
		t.Errorf("status %d %s, want 503 after the request deadline", resp.StatusCode, body)
	}
}

// A stream outlives the write (and read) timeout of ordinary requests, while
// a stream whose reader stalls is dropped after one event's write timeout.
func TestStreamOutlivesWriteTimeoutStalledReaderDropped(t *testing.T) {
	t.Parallel()
	const events = 12
	payload := strings.Repeat("x", 64<<10) // fills socket buffers fast
	ended := make(chan error, 1)
	s := serve(t, config.HTTPTimeouts{Read: 200 * time.Millisecond, Write: 200 * time.Millisecond, Request: 200 * time.Millisecond}, map[string]http.Handler{
		"GET /v1/ticks": Stream(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			sw, err := StartStream(w, 200*time.Millisecond)
			if err != nil {
				t.Error(err)
				return
			}
			for i := range events {
				if err := sw.Send(func(w io.Writer) error { _, err := fmt.Fprintf(w, "data: %d\n\n", i); return err }); err != nil {
					t.Errorf("event %d: %v", i, err)
					return
				}
				select {
				case <-time.After(50 * time.Millisecond): // 12 x 50 ms: three times the write timeout
				case <-r.Context().Done():
					t.Errorf("stream context ended at event %d: %v", i, r.Context().Err())
					return
				}
			}
		})),
		"GET /v1/flood": Stream(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			sw, err := StartStream(w, 200*time.Millisecond)
			if err != nil {
				ended <- err
				return
			}
			for {
				if err := sw.Send(func(w io.Writer) error { _, err := io.WriteString(w, "data: "+payload+"\n\n"); return err }); err != nil {
					ended <- err
					return
				}
			}
		})),
	})

	resp, err := http.Get(s.URL() + "/v1/ticks")
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(resp.Body)
	n := 0
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "data: ") {
			n++
		}
	}
	_ = resp.Body.Close()
	if n != events {
		t.Errorf("read %d events (%v), want all %d: the stream was cut", n, sc.Err(), events)
	}

	// The stalled reader: request, read nothing.
	c := dial(t, s)
	if _, err := fmt.Fprintf(c, "GET /v1/flood HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-ended:
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Errorf("stalled stream ended with %v, want a write timeout", err)
		}
	case <-time.After(guard):
		t.Fatal("a stream whose reader stalled was never dropped")
	}
}

// /metrics answers on its own port only, not on the API port.
func TestMetricsOnItsOwnPort(t *testing.T) {
	t.Parallel()
	s := serve(t, config.HTTPTimeouts{}, nil)
	for _, tc := range []struct {
		url  string
		want int
	}{{s.MetricsURL() + "/metrics", 200}, {s.URL() + "/metrics", 404}, {s.URL() + "/healthz", 200}} {
		resp, err := http.Get(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("GET %s: %d, want %d", tc.url, resp.StatusCode, tc.want)
		}
	}
}
