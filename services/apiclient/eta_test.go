package apiclient

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/bloody-sweet/platform/services/events"
)

// An order stream's eta events go to the ETA callback, never to the status
// one, and do not move the id the stream resumes with.
func TestStreamOrderETAs(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	eta := events.OrderETA{At: at, P10: at.Add(-time.Minute), P90: at.Add(time.Minute), Step: events.EtaStepPlaced, MadeAt: at.Add(-30 * time.Minute), ModelVersion: "m-1"}
	resumedWith := make(chan string, 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		resumedWith <- r.Header.Get("Last-Event-ID")
		w.Header().Set("Content-Type", "text/event-stream")
		if r.Header.Get("Last-Event-ID") == "" {
			data, _ := json.Marshal(events.StatusChange{OrderID: "o-1", Status: events.StatusPlaced, Seq: 1})
			fmt.Fprintf(w, "id: 1\nevent: %s\ndata: %s\n\n", events.StatusPlaced, data)
			data, _ = json.Marshal(eta)
			fmt.Fprintf(w, "event: %s\ndata: %s\n\n", events.StreamEventETA, data)
			return // dropped: the client resumes
		}
		data, _ := json.Marshal(events.StatusChange{OrderID: "o-1", Status: events.StatusDelivered, Seq: 2})
		fmt.Fprintf(w, "id: 2\nevent: %s\ndata: %s\n\n", events.StatusDelivered, data)
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var statuses []events.Status
	var etas []events.OrderETA
	c := &Client{StreamURL: srv.URL, HTTP: srv.Client()}
	errc, err := c.StreamOrderETAs(ctx, "o-1", "", func(s events.StatusChange) { statuses = append(statuses, s.Status) },
		func(e events.OrderETA) { etas = append(etas, e) })
	if err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatalf("stream ended with %v", err)
	}
	if want := []events.Status{events.StatusPlaced, events.StatusDelivered}; !slices.Equal(statuses, want) {
		t.Errorf("statuses %v, want %v", statuses, want)
	}
	if len(etas) != 1 || etas[0] != eta {
		t.Errorf("ETAs %+v, want [%+v]", etas, eta)
	}
	if first, second := <-resumedWith, <-resumedWith; first != "" || second != "1" {
		t.Errorf("opened with Last-Event-ID %q then %q, want none then 1 (an ETA has no id)", first, second)
	}
}
