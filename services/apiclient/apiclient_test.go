package apiclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bloody-sweet/platform/services/events"
)

// A dropped stream is reopened with the Last-Event-ID of the last event
// seen, and the events the server replays from there reach fn in order.
func TestStreamResumesWithLastEventID(t *testing.T) {
	t.Parallel()
	statuses := []events.Status{events.StatusPlaced, events.StatusPaid, events.StatusAccepted, events.StatusDelivered}
	var (
		mu      sync.Mutex
		lastIDs []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		lastIDs = append(lastIDs, r.Header.Get("Last-Event-ID"))
		n := len(lastIDs)
		mu.Unlock()
		from := 0
		if id := r.Header.Get("Last-Event-ID"); id != "" {
			fmt.Sscanf(id, "o-1:%d", &from)
		}
		w.Header().Set("Content-Type", "text/event-stream")
		for seq := from + 1; seq <= len(statuses); seq++ {
			data, _ := json.Marshal(events.StatusChange{OrderID: "o-1", Status: statuses[seq-1], Seq: int64(seq)})
			fmt.Fprintf(w, ": keep-alive\n\nid: o-1:%d\nevent: %s\ndata: %s\n\n", seq, statuses[seq-1], data)
			w.(http.Flusher).Flush()
			if n == 1 && seq == 2 {
				return // the first connection drops after two events
			}
		}
		<-r.Context().Done()
	}))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	got := make(chan events.StatusChange, 16)
	c := &Client{StreamURL: srv.URL, HTTP: srv.Client()}
	errc, err := c.StreamAll(ctx, "", func(s events.StatusChange) { got <- s })
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range statuses {
		select {
		case s := <-got:
			if s.Status != want || s.Seq != int64(i+1) {
				t.Fatalf("event %d: %+v, want %s seq %d", i, s, want, i+1)
			}
		case err := <-errc:
			t.Fatalf("stream ended after %d events: %v", i, err)
		case <-ctx.Done():
			t.Fatalf("only %d events", i)
		}
	}
	mu.Lock()
	ids := append([]string(nil), lastIDs...)
	mu.Unlock()
	if len(ids) != 2 || ids[0] != "" || ids[1] != "o-1:2" {
		t.Errorf("Last-Event-ID per connection %q, want [\"\" \"o-1:2\"]", ids)
	}
	cancel()
	if err := <-errc; err != nil {
		t.Errorf("after cancel: %v", err)
	}
}

// A stream the server refuses fails at once, not after reconnecting.
func TestStreamRefused(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "no", http.StatusForbidden)
	}))
	defer srv.Close()
	c := &Client{StreamURL: srv.URL, HTTP: srv.Client()}
	if _, err := c.StreamAll(context.Background(), "", func(events.StatusChange) {}); err == nil || !errors.Is(err, errRefused) || !strings.Contains(err.Error(), "403") {
		t.Errorf("refused stream: %v", err)
	}
}

// PlaceOrder sends the body, the Idempotency-Key and the request's token;
// an answer other than 201 is an HTTPError with the status.
func TestPlaceOrder(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var o OrderRequest
		if err := json.NewDecoder(r.Body).Decode(&o); err != nil || o.StoreID == "" || len(o.Items) != 1 || o.Address.City != "Springfield" {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		if r.Header.Get("Idempotency-Key") != "k-1" || r.Header.Get("Authorization") != "Bearer tok" {
			http.Error(w, "headers", http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"id":"o-7","status":"PLACED"}`))
	}))
	defer srv.Close()
	c := &Client{OrderURL: srv.URL, HTTP: srv.Client()}
	order := OrderRequest{StoreID: "store-1", Items: []Item{{SKU: "calzone", Quantity: 1}}, Address: events.Address{Street: "1 Main St", City: "Springfield", Postcode: "12345"}}
	id, err := c.PlaceOrder(context.Background(), Place{Key: "k-1", Token: "tok", Order: order})
	if err != nil || id != "o-7" {
		t.Fatalf("PlaceOrder = %q, %v", id, err)
	}
	_, err = c.PlaceOrder(context.Background(), Place{Key: "k-2", Token: "tok", Order: order})
	var he *HTTPError
	if !errors.As(err, &he) || he.Status != http.StatusUnauthorized || he.Kind() != "http 401" {
		t.Errorf("refused order: %v", err)
	}
}

// An order stream the server closes after the terminal status is done,
// also when a late change (PAID after DELIVERED: they travel on different
// topics) came last: errc yields nil and the client does not reconnect.
func TestStreamOrderEndsAfterTerminal(t *testing.T) {
	t.Parallel()
	var (
		mu    sync.Mutex
		opens int
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/orders/o-1/stream" {
			http.NotFound(w, r)
			return
		}
		mu.Lock()
		opens++
		mu.Unlock()
		w.Header().Set("Content-Type", "text/event-stream")
		for i, s := range []events.Status{events.StatusPlaced, events.StatusDelivered, events.StatusPaid} {
			data, _ := json.Marshal(events.StatusChange{OrderID: "o-1", Status: s, Seq: int64(i + 1)})
			fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", i+1, s, data)
		}
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var got []events.Status
	c := &Client{StreamURL: srv.URL, HTTP: srv.Client()}
	errc, err := c.StreamOrder(ctx, "o-1", "", func(s events.StatusChange) { got = append(got, s.Status) })
	if err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil || ctx.Err() != nil {
		t.Fatalf("order stream ended with %v (ctx %v)", err, ctx.Err())
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []events.Status{events.StatusPlaced, events.StatusDelivered, events.StatusPaid}; opens != 1 || !slices.Equal(got, want) {
		t.Errorf("%d connections, statuses %v; want 1 connection, %v", opens, got, want)
	}
}
