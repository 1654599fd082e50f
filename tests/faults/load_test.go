//go:build faults

package faults

import (
	"context"
	"sync"
	"time"

	"github.com/bloody-sweet/platform/internal/load"
	"github.com/bloody-sweet/platform/internal/load/scenario"
)

// newScenario is a load scenario in the shape of tests/load/scenarios
// (the same order mix as capacity.json). Its thresholds are not judged
// here: the suite checks invariants, the benchmark reports numbers.
func newScenario(name string, maxInFlight int, stages ...scenario.Stage) *scenario.Scenario {
	item := func(sku string, n int) scenario.Item { return scenario.Item{SKU: sku, Quantity: n} }
	return &scenario.Scenario{
		Name: name, Seed: 7, Stages: stages,
		DeliveryTimeout: scenario.Duration{Duration: 2 * time.Minute},
		MaxInFlight:     maxInFlight, Stores: 20, Customers: 20000,
		OrderMix: []scenario.OrderKind{
			{Name: "single", Weight: 55, Items: []scenario.Item{item("pizza-margherita", 1)}},
			{Name: "couple", Weight: 35, Items: []scenario.Item{item("pizza-margherita", 1), item("pizza-pepperoni", 1)}},
			{Name: "party", Weight: 10, Items: []scenario.Item{item("pizza-pepperoni", 4), item("pizza-margherita", 4)}},
		},
		// Loose enough never to decide anything (`platform load` insists
		// on thresholds).
		Thresholds: scenario.Thresholds{
			HTTPP95: scenario.Duration{Duration: time.Minute}, HTTPP99: scenario.Duration{Duration: time.Minute},
			PlacedToDeliveredP99: scenario.Duration{Duration: 10 * time.Minute}, MaxErrorRate: 1, MinThroughput: 0.001,
		},
	}
}

func stage(name string, d time.Duration, rate float64) scenario.Stage {
	return scenario.Stage{Name: name, Duration: scenario.Duration{Duration: d}, Rate: rate}
}

// recorder is the load harness's HTTP sender that also remembers every
// order the API accepted (201 with an id) and when.
type recorder struct {
	load.Sender
	mu    sync.Mutex
	acked map[string]time.Time
}

func newRecorder(sc *scenario.Scenario, s *stack, runID string) *recorder {
	// Each order is its customer's, placed with that customer's token.
	tokens := &load.TokenCache{Mint: func(customer string) (string, error) { return s.issuer.Token(customer) }}
	return &recorder{
		Sender: &load.HTTPSender{BaseURL: s.orderURL(), Client: load.NewHTTPClient(sc.MaxInFlight), Mix: load.NewMix(sc), RunID: runID, Tokens: tokens, ChangeEvery: sc.ChangeEvery},
		acked:  map[string]time.Time{},
	}
}

func (r *recorder) Send(ctx context.Context, seq int) (string, error) {
	id, err := r.Sender.Send(ctx, seq)
	if err == nil {
		r.mu.Lock()
		r.acked[id] = time.Now()
		r.mu.Unlock()
	}
	return id, err
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.acked)
}

// ackedBy returns the orders accepted at or before t.
func (r *recorder) ackedBy(t time.Time) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for id, at := range r.acked {
		if !at.After(t) {
			out = append(out, id)
		}
	}
	return out
}
