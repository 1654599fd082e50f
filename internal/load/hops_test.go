package load

import (
	"testing"
	"time"

	"github.com/bloody-sweet/platform/services/events"
)

// TestHops: consecutive statuses of one order are timed by their event
// times, each terminal event by its arrival; a finished order is forgotten
// and a status older than the last one seen is not timed.
func TestHops(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	h := NewHops()
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	h.Observe(events.StatusChange{OrderID: "a", Status: events.StatusPlaced, Time: at(0)}, at(5))
	h.Observe(events.StatusChange{OrderID: "b", Status: events.StatusPlaced, Time: at(0)}, at(5))
	h.Observe(events.StatusChange{OrderID: "a", Status: events.StatusPaid, Time: at(300)}, at(310))
	h.Observe(events.StatusChange{OrderID: "b", Status: events.StatusPaid, Time: at(100)}, at(110))
	h.Observe(events.StatusChange{OrderID: "a", Status: events.StatusDelivered, Time: at(2300)}, at(2350))
	h.Observe(events.StatusChange{OrderID: "b", Status: events.StatusAccepted, Time: at(50)}, at(120)) // older than PAID
	want := map[string]struct {
		count uint64
		max   float64
	}{
		"PLACED -> PAID":    {2, 300},
		"PAID -> DELIVERED": {1, 2000},
		StreamHop:           {1, 50},
	}
	got := h.Summary()
	if len(got) != len(want) {
		t.Fatalf("hops %+v, want %v", got, want)
	}
	for _, hop := range got {
		w, ok := want[hop.Hop]
		if !ok || hop.Count != w.count || hop.Max < w.max*0.99 || hop.Max > w.max*1.01 {
			t.Errorf("hop %q: count %d max %v ms, want %+v", hop.Hop, hop.Count, hop.Max, w)
		}
	}
	if got[0].Hop != "PLACED -> PAID" {
		t.Errorf("first hop %q, want the most frequent", got[0].Hop)
	}
	if _, ok := h.last["a"]; ok {
		t.Error("a delivered order is still tracked")
	}
}
