package service

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/bloody-sweet/platform/services/apiclient"
	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/notification/app"
	"github.com/bloody-sweet/platform/services/notification/domain"
	"github.com/bloody-sweet/platform/services/notification/ports"
)

// guard is how long a test waits for something that must happen.
const guard = time.Minute

// One stream more than the pod's cap is refused with 503, Retry-After and a
// problem document; a slot freed by a closed stream is taken again.
func TestStreamCap(t *testing.T) {
	t.Parallel()
	s, _ := startServiceWith(t, nil, &ports.StreamConfig{MaxStreams: 2})
	open := func(path string) (*http.Response, context.CancelFunc) {
		ctx, cancel := context.WithTimeout(context.Background(), guard)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL()+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		return resp, func() { cancel(); _ = resp.Body.Close() }
	}
	first, closeFirst := open("/v1/stream")
	second, closeSecond := open("/v1/orders/o-1/stream")
	defer closeSecond()
	if first.StatusCode != 200 || second.StatusCode != 200 {
		t.Fatalf("streams within the cap: %d, %d", first.StatusCode, second.StatusCode)
	}

	third, closeThird := open("/v1/stream")
	body, _ := io.ReadAll(third.Body)
	closeThird()
	var p problem
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("refusal body %q: %v", body, err)
	}
	if third.StatusCode != 503 || third.Header.Get("Retry-After") != fmt.Sprint(ports.StreamRetryAfter) ||
		third.Header.Get("Content-Type") != "application/problem+json" || p.Status != 503 {
		t.Fatalf("over the cap: %d, Retry-After %q, %s %s; want 503 with Retry-After and problem+json",
			third.StatusCode, third.Header.Get("Retry-After"), third.Header.Get("Content-Type"), body)
	}

	// The slot is released when the handler sees the client go.
	closeFirst()
	deadline := time.Now().Add(guard)
	for {
		resp, done := open("/v1/stream")
		code := resp.StatusCode
		done()
		if code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a closed stream's slot was never freed (status %d)", code)
		}
		time.Sleep(10 * time.Millisecond) // poll: the handler ends when it notices the closed connection
	}
}

// smallBufferListener gives each accepted connection a small send buffer,
// so that a reader that stops reading blocks the server quickly.
type smallBufferListener struct{ net.Listener }

func (l smallBufferListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(4 << 10)
	}
	return c, err
}

// A reader of /v1/stream that stops reading is dropped once its small
// buffer fills (the connection ends), and resumes with Last-Event-ID where
// it left off.
func TestAllStreamDropsSlowReaderWhoResumes(t *testing.T) {
	t.Parallel()
	const published = 20000
	hub := app.NewHub(published)
	streams := ports.Streams{Hub: hub, Stopping: make(chan struct{}), WriteTimeout: 200 * time.Millisecond}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(streams.All))
	srv.Listener = smallBufferListener{srv.Listener}
	srv.Start()
	t.Cleanup(srv.Close)

	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.(*net.TCPConn).SetReadBuffer(4 << 10)
	if _, err := fmt.Fprintf(conn, "GET /v1/stream HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp0, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil || resp0.StatusCode != 200 { // the headers: the subscription is live
		t.Fatalf("stream: %v %v", resp0, err)
	}
	r := bufio.NewReader(resp0.Body)
	t0 := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	change := func(i int) domain.Change {
		return domain.Change{OrderID: fmt.Sprintf("o-%d", i), Status: events.StatusPlaced, Time: t0, Seq: 1}
	}
	for i := range published { // while the client reads nothing
		hub.Publish(change(i))
	}

	// Now read what arrived: the stream must end (dropped), not go on.
	// (A clean end of the body is the end of the stream; the server keeps
	// or closes the connection as HTTP says.)
	_ = conn.SetReadDeadline(time.Now().Add(guard))
	var last string
	got := 0
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("the slow reader's stream did not end (read %d events)", got)
			}
			break
		}
		if id, ok := strings.CutPrefix(strings.TrimSpace(line), "id: "); ok {
			last, got = id, got+1
		}
	}
	if got == 0 || got >= published {
		t.Fatalf("the slow reader got %d of %d events; want some, then a drop", got, published)
	}

	// Resume: the next event is the one after the last received.
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/v1/stream", nil)
	req.Header.Set("Last-Event-ID", last)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var n int
	if _, err := fmt.Sscanf(last, "o-%d:1", &n); err != nil {
		t.Fatalf("last id %q: %v", last, err)
	}
	rr := bufio.NewReader(resp.Body)
	_, data := nextEvent(t, rr)
	if want := fmt.Sprintf(`"order_id":"o-%d"`, n+1); !strings.Contains(data, want) {
		t.Errorf("resumed after %s with %s, want %s", last, data, want)
	}
}

// A Last-Event-ID that is not one of this stream's ids is a 400 naming the header.
func TestAllStreamRefusesBadLastEventID(t *testing.T) {
	t.Parallel()
	streams := ports.Streams{Hub: app.NewHub(8), Stopping: make(chan struct{})}
	for _, id := range []string{"7", "o-1:x", "o 1:3", ":3", "o-1:-1"} {
		req := httptest.NewRequest(http.MethodGet, "/v1/stream", nil)
		req.Header.Set("Last-Event-ID", id)
		rec := httptest.NewRecorder()
		streams.All(rec, req)
		if rec.Code != 400 || !strings.Contains(rec.Body.String(), "Last-Event-ID") {
			t.Errorf("Last-Event-ID %q: %d %s, want 400 naming the header", id, rec.Code, rec.Body)
		}
	}
}

// A client resuming an order's stream after its terminal status, here with
// a late PAID (another topic) stored after DELIVERED, gets the rest and the
// stream ends a grace period later instead of staying open.
func TestOrderStreamResumedAfterTerminalEnds(t *testing.T) {
	t.Parallel()
	s, store := startService(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	t0 := time.Now()
	var cs []domain.Change
	for i, st := range []events.Status{events.StatusPlaced, events.StatusDelivered, events.StatusPaid} {
		cs = append(cs, domain.Change{OrderID: "o-late", Status: st, Time: t0.Add(time.Duration(i) * time.Second), CustomerID: "c-1"})
	}
	if _, err := store.Append(ctx, cs); err != nil {
		t.Fatal(err)
	}
	for _, resume := range []string{"2", "3"} {
		c := apiclient.Client{StreamURL: s.URL()}
		var got []events.Status
		errc, err := c.StreamOrder(ctx, "o-late", resume, func(s events.StatusChange) { got = append(got, s.Status) })
		if err != nil {
			t.Fatal(err)
		}
		if err := <-errc; err != nil || ctx.Err() != nil {
			t.Fatalf("resumed after %s: %v (%v); want the server to end the stream", resume, err, ctx.Err())
		}
		if want := map[string]int{"2": 1, "3": 0}[resume]; len(got) != want {
			t.Errorf("resumed after %s: got %v, want %d change(s)", resume, got, want)
		}
	}
}
