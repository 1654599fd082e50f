// Package ports serves the status streams over Server-Sent Events.
package ports

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/internal/auth"
	"github.com/bloody-sweet/platform/services/internal/config"
	"github.com/bloody-sweet/platform/services/internal/httpserver"
	"github.com/bloody-sweet/platform/services/notification/app"
	"github.com/bloody-sweet/platform/services/notification/domain"
)

// TerminalGrace is how long an order stream stays open after its terminal
// status: changes travel on four topics, so a late one (say PAID after
// DELIVERED) can still arrive. A client that reconnects later with
// Last-Event-ID gets anything that came after.
const TerminalGrace = time.Second

// Heartbeat is the interval of SSE comment lines that keep idle streams
// open through proxies.
const Heartbeat = 15 * time.Second

// OwnerWait is how long an order stream waits for the first change of an
// order it has not seen yet (a client opens the stream right after the
// POST's 201, usually milliseconds before OrderPlaced arrives here) before
// answering 404.
const OwnerWait = 5 * time.Second

// EventWriteTimeout bounds writing one event (or heartbeat) to a client: a
// reader that stops reading is dropped after it and resumes with
// Last-Event-ID.
const EventWriteTimeout = 10 * time.Second

// Buffers of one connection's subscription, in changes (about 64 bytes
// each). A client whose buffer fills is dropped (the connection ends) and
// resumes with Last-Event-ID: an order stream from the stored history, the
// all-orders stream from the hub's window of recent changes.
const (
	OrderStreamBuffer = 64
	AllStreamBuffer   = 1024
)

// DefaultMaxStreams caps the open streams of one pod (see StreamConfig).
const DefaultMaxStreams = 1000

// StreamRetryAfter is the Retry-After (seconds) of a stream refused for
// capacity.
const StreamRetryAfter = 5

// StreamConfig bounds the streams of one pod (docs/CONTRACTS.md, STREAM_*).
type StreamConfig struct {
	// MaxStreams is the most streams (both endpoints) open at once; one
	// more is refused with 503 and Retry-After. Zero: DefaultMaxStreams.
	MaxStreams int
}

// BindStreams registers the STREAM_* flags.
func BindStreams(b *config.Binder, c *StreamConfig) {
	b.Int(&c.MaxStreams, "stream-max-connections", "STREAM_MAX_CONNECTIONS", DefaultMaxStreams, "most SSE streams open at once on this pod; beyond it 503 with Retry-After")
	b.AfterParse(func() error {
		if c.MaxStreams < 1 {
			return fmt.Errorf("config: STREAM_MAX_CONNECTIONS must be at least 1")
		}
		return nil
	})
}

// History is what the streams read of the stored status changes.
type History interface {
	// History returns order id's changes after seq afterSeq, in order.
	History(ctx context.Context, id string, afterSeq int64) ([]domain.Change, error)
	// Customer returns the customer of order id; "" when no change of it
	// is stored yet.
	Customer(ctx context.Context, id string) (string, error)
}

// Streams serves the SSE endpoints.
type Streams struct {
	Store    History
	Hub      *app.Hub
	Stopping <-chan struct{}
	// AllScope lets its holders (operators) follow any order's stream.
	AllScope string
	// Log receives the cause of every 5xx answer.
	Log *slog.Logger
	// AllBuffer is the /v1/stream subscription buffer; zero:
	// AllStreamBuffer (the benchmark compares sizes).
	AllBuffer int
	// WriteTimeout bounds each event's write; zero: EventWriteTimeout.
	WriteTimeout time.Duration
	// slots holds one token per open stream; nil: no cap.
	slots chan struct{}
}

// Capped returns s serving at most max streams at once (both endpoints);
// one more is refused with 503 and Retry-After.
func (s Streams) Capped(max int) Streams {
	s.slots = make(chan struct{}, max)
	return s
}

// unavailable answers 503 and logs why (the cause is never sent).
func (s Streams) unavailable(w http.ResponseWriter, r *http.Request, err error) {
	if s.Log != nil {
		s.Log.Error("request failed", "path", r.URL.Path, "status", http.StatusServiceUnavailable, "err", err.Error())
	}
	w.Header().Set("Retry-After", "1")
	httpserver.Problem(w, http.StatusServiceUnavailable, "Service Unavailable", "status history unavailable", "")
}

// customer returns the customer of order id, waiting up to OwnerWait on
// sub (subscribed to the order) for its first change when none is stored
// yet. The change read from sub is not lost: the stream reads the history
// afterwards.
func (s Streams) customer(ctx context.Context, id string, sub *app.Subscriber) (string, error) {
	c, err := s.Store.Customer(ctx, id)
	if c != "" || err != nil {
		return c, err
	}
	wait := time.NewTimer(OwnerWait)
	defer wait.Stop()
	select {
	case <-sub.C:
		return s.Store.Customer(ctx, id)
	case <-wait.C:
		return "", nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// Routes are the stream endpoints (api/openapi.yaml), each verified by
// guard (nil: no tokens) before the stream starts, so no 200 is sent
// first. Streams have no request deadline, a write deadline per event.
func (s Streams) Routes(guard *auth.Guard) map[string]http.Handler {
	return map[string]http.Handler{
		"GET /v1/orders/{id}/stream": httpserver.Stream(guard.Require(s.Limit(s.Order))),
		"GET /v1/stream":             httpserver.Stream(guard.Require(s.Limit(s.All), s.AllScope)),
	}
}

// Limit refuses a stream beyond the pod's cap with 503, Retry-After and
// problem+json, before anything is subscribed or written.
func (s Streams) Limit(next http.HandlerFunc) http.HandlerFunc {
	if s.slots == nil {
		return next
	}
	return func(w http.ResponseWriter, r *http.Request) {
		select {
		case s.slots <- struct{}{}:
			defer func() { <-s.slots }()
			next(w, r)
		default:
			w.Header().Set("Retry-After", strconv.Itoa(StreamRetryAfter))
			httpserver.Problem(w, http.StatusServiceUnavailable, "Service Unavailable",
				fmt.Sprintf("this replica serves its maximum of %d streams; retry after %d s", cap(s.slots), StreamRetryAfter), "")
		}
	}
}

func (s Streams) startSSE(w http.ResponseWriter) (*httpserver.StreamWriter, bool) {
	timeout := s.WriteTimeout
	if timeout <= 0 {
		timeout = EventWriteTimeout
	}
	sw, err := httpserver.StartStream(w, timeout)
	if err != nil {
		httpserver.Problem(w, http.StatusInternalServerError, "streaming unsupported", "", "")
		return nil, false
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	if err := sw.Send(func(io.Writer) error { w.WriteHeader(http.StatusOK); return nil }); err != nil {
		return nil, false
	}
	return sw, true
}

func heartbeat(w io.Writer) error {
	_, err := io.WriteString(w, ": keep-alive\n\n")
	return err
}

// Order serves GET /v1/orders/{id}/stream: the order's history after
// Last-Event-ID, then live changes; it ends TerminalGrace after a terminal
// status.
func (s Streams) Order(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !domain.ValidOrderID(id) {
		httpserver.Problem(w, http.StatusBadRequest, "Bad Request", "order id has characters outside [A-Za-z0-9._:-]", "id")
		return
	}
	var last int64
	if v := r.Header.Get("Last-Event-ID"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			httpserver.Problem(w, http.StatusBadRequest, "Bad Request", "must be a sequence number sent by this stream", "Last-Event-ID")
			return
		}
		last = n
	}
	// Subscribe before reading history so nothing falls in between.
	sub := s.Hub.Subscribe(id, OrderStreamBuffer)
	defer s.Hub.Unsubscribe(sub)
	if who, ok := auth.FromContext(r.Context()); ok && !who.HasScope(s.AllScope) {
		// Only the order's customer follows it; anyone else learns nothing,
		// not even that it exists (404, as the order API answers).
		owner, err := s.customer(r.Context(), id, sub)
		if err != nil {
			s.unavailable(w, r, err)
			return
		}
		if owner != who.Subject {
			httpserver.Problem(w, http.StatusNotFound, "Not Found", fmt.Sprintf("no order %q", id), "id")
			return
		}
	}
	// The whole history (a handful of changes), not only what follows
	// Last-Event-ID: a client resuming after the terminal status, or after
	// a late change that followed it, still gets its stream ended.
	hist, err := s.Store.History(r.Context(), id, 0)
	if err != nil {
		s.unavailable(w, r, err)
		return
	}
	if last > 0 && slices.ContainsFunc(hist, func(c domain.Change) bool { return c.Status.Terminal() }) &&
		!slices.ContainsFunc(hist, func(c domain.Change) bool { return c.Seq > last }) {
		// The order ended and the client has seen everything: 204 tells an
		// SSE client to stop reconnecting.
		w.WriteHeader(http.StatusNoContent)
		return
	}
	sw, ok := s.startSSE(w)
	if !ok {
		return
	}
	send := func(c domain.Change) (bool, error) {
		if c.Seq <= last {
			return false, nil
		}
		if c.Seq > last+1 {
			// A change we have not seen yet sits in between: read it.
			more, err := s.Store.History(r.Context(), id, last)
			if err != nil {
				return false, err
			}
			err = sw.Send(func(w io.Writer) error {
				for _, m := range more {
					if err := writeSSE(w, m, true); err != nil {
						return err
					}
					last = m.Seq
				}
				return nil
			})
			if err != nil {
				return false, err
			}
			return len(more) > 0 && more[len(more)-1].Status.Terminal(), nil
		}
		if err := sw.Send(func(w io.Writer) error { return writeSSE(w, c, true) }); err != nil {
			return false, err
		}
		last = c.Seq
		return c.Status.Terminal(), nil
	}
	var grace <-chan time.Time
	ended := func() {
		if grace == nil {
			grace = time.After(TerminalGrace)
		}
	}
	for _, c := range hist {
		done, err := send(c)
		if err != nil {
			return
		}
		if done || c.Status.Terminal() {
			ended()
		}
	}
	tick := time.NewTicker(Heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-grace:
			return
		case c, ok := <-sub.C:
			if !ok {
				return // dropped as too slow; the client resumes
			}
			done, err := send(c)
			if err != nil {
				return
			}
			if done {
				ended()
			}
		case e := <-sub.ETA:
			// This stream's caller passed the owner check above, as for
			// the status changes.
			if err := sw.Send(func(w io.Writer) error { return writeETA(w, e) }); err != nil {
				return
			}
		case <-tick.C:
			if err := sw.Send(heartbeat); err != nil {
				return
			}
		case <-r.Context().Done():
			return
		case <-s.Stopping:
			return
		}
	}
}

// All serves GET /v1/stream: every live change of every order. A client
// that was dropped resumes with Last-Event-ID ("<order id>:<seq>", the id
// of the last event it got): the changes after it in the hub's window of
// recent changes come first. An id no longer in the window starts the
// stream live (changes in between may be missed; the order streams still
// hold each order's history).
func (s Streams) All(w http.ResponseWriter, r *http.Request) {
	var resume *domain.Change
	if v := r.Header.Get("Last-Event-ID"); v != "" {
		i := strings.LastIndexByte(v, ':')
		seq, err := strconv.ParseInt(v[i+1:], 10, 64)
		if i < 0 || err != nil || seq < 0 || !domain.ValidOrderID(v[:i]) {
			httpserver.Problem(w, http.StatusBadRequest, "Bad Request", "must be an event id sent by this stream (<order id>:<seq>)", "Last-Event-ID")
			return
		}
		resume = &domain.Change{OrderID: v[:i], Seq: seq}
	}
	buffer := s.AllBuffer
	if buffer <= 0 {
		buffer = AllStreamBuffer
	}
	sub, replay, _ := s.Hub.SubscribeAll(buffer, resume)
	defer s.Hub.Unsubscribe(sub)
	sw, ok := s.startSSE(w)
	if !ok {
		return
	}
	if len(replay) > 0 {
		err := sw.Send(func(w io.Writer) error {
			for _, c := range replay {
				if err := writeSSE(w, c, false); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return
		}
	}
	tick := time.NewTicker(Heartbeat)
	defer tick.Stop()
	for {
		select {
		case c, ok := <-sub.C:
			if !ok {
				return // dropped as too slow; the client resumes
			}
			// Write what is queued too: one flush per burst.
			err := sw.Send(func(w io.Writer) error {
				if err := writeSSE(w, c, false); err != nil {
					return err
				}
				for n := len(sub.C); n > 0; n-- {
					c, ok := <-sub.C
					if !ok {
						return nil
					}
					if err := writeSSE(w, c, false); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return
			}
		case <-tick.C:
			if err := sw.Send(heartbeat); err != nil {
				return
			}
		case <-r.Context().Done():
			return
		case <-s.Stopping:
			return
		}
	}
}

// writeSSE writes c as one SSE event. id is the per-order sequence on an
// order stream and "<order id>:<seq>" on the all-orders stream.
func writeSSE(w io.Writer, c domain.Change, perOrder bool) error {
	data, err := json.Marshal(c) // events.StatusChange: the wire shape
	if err != nil {
		return err
	}
	id := strconv.FormatInt(c.Seq, 10)
	if !perOrder {
		id = c.OrderID + ":" + id
	}
	_, err = fmt.Fprintf(w, "id: %s\nevent: %s\ndata: %s\n\n", id, c.Status, data)
	return err
}

// writeETA writes an order's new ETA as one SSE event named eta. It has
// no id: an ETA is not in the order's history, so the id a client resumes
// with stays the last status change's.
func writeETA(w io.Writer, e events.OrderETA) error {
	data, err := json.Marshal(e) // events.OrderETA: the wire shape
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "event: %s\ndata: %s\n\n", events.StreamEventETA, data)
	return err
}
