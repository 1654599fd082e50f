package load

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bloody-sweet/platform/services/events"
)

// Only terminal statuses complete an arrival; each carries its receive time.
func TestWatchStatuses(t *testing.T) {
	t.Parallel()
	changes := []events.StatusChange{
		{OrderID: "a", Status: events.StatusPlaced, Seq: 1},
		{OrderID: "a", Status: events.StatusDelivered, Seq: 6},
		{OrderID: "b", Status: events.StatusPaid, Seq: 2},
		{OrderID: "b", Status: events.StatusCancelled, Seq: 3},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/stream" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, ": keep-alive\n\n")
		for _, c := range changes {
			data, _ := json.Marshal(c)
			fmt.Fprintf(w, "id: %s:%d\nevent: %s\ndata: %s\n\n", c.OrderID, c.Seq, c.Status, data)
		}
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	comps, err := WatchStatuses(ctx, srv.Client(), srv.URL, nil, func(err error) { t.Errorf("stream ended: %v", err) })
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		Key       string
		Delivered bool
	}
	var gots []got
	for len(gots) < 2 {
		select {
		case c := <-comps:
			if c.At.IsZero() {
				t.Errorf("completion %s has no receive time", c.Key)
			}
			gots = append(gots, got{c.Key, c.Delivered})
		case <-ctx.Done():
			t.Fatalf("completions so far %v", gots)
		}
	}
	if diff := cmp.Diff([]got{{"a", true}, {"b", false}}, gots); diff != "" {
		t.Errorf("completions (-want +got):\n%s", diff)
	}
	cancel()
	for range comps { // closed once the stream ends
	}
}
