package load

import (
	"sort"
	"sync"
	"time"

	"github.com/bloody-sweet/platform/internal/load/hdr"
	"github.com/bloody-sweet/platform/services/events"
)

// StreamHop names the time from a terminal status's event time (stamped by
// the services) to its arrival at the load generator.
const StreamHop = "terminal event -> stream"

// Hops measures where orders wait inside the pipeline: for every order on
// the status stream it keeps the last status and its event time, and
// records the time between consecutive statuses ("PLACED -> PAID", ...)
// and from the terminal event to its arrival on the stream. Under overload
// it shows which stage holds the admitted orders (docs/PERFORMANCE.md).
type Hops struct {
	mu   sync.Mutex
	last map[string]events.StatusChange
	hist map[string]*hdr.Histogram
}

// NewHops returns an empty collector.
func NewHops() *Hops {
	return &Hops{last: map[string]events.StatusChange{}, hist: map[string]*hdr.Histogram{}}
}

// Observe takes one status change, received at at.
func (h *Hops) Observe(s events.StatusChange, at time.Time) {
	if h == nil || s.OrderID == "" {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if prev, ok := h.last[s.OrderID]; ok && !s.Time.Before(prev.Time) {
		h.record(string(prev.Status)+" -> "+string(s.Status), s.Time.Sub(prev.Time))
	}
	if s.Status.Terminal() {
		delete(h.last, s.OrderID)
		h.record(StreamHop, at.Sub(s.Time))
		return
	}
	h.last[s.OrderID] = s
}

func (h *Hops) record(name string, d time.Duration) {
	hist, ok := h.hist[name]
	if !ok {
		hist = hdr.New()
		h.hist[name] = hist
	}
	hist.Record(max(d, 0))
}

// Hop is one transition's latency summary.
type Hop struct {
	Hop string `json:"hop"`
	Latency
}

// Summary returns the transitions seen, most frequent first.
func (h *Hops) Summary() []Hop {
	if h == nil {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]Hop, 0, len(h.hist))
	for name, hist := range h.hist {
		out = append(out, Hop{Hop: name, Latency: summarize(hist)})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Hop < out[j].Hop
	})
	return out
}
