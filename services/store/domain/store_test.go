package domain

import (
	"fmt"
	"testing"
	"time"

	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/internal/sim"
)

func TestDecideFollowsTheRejectRate(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, rate := range []float64{0, 0.25, 1} {
		cfg := sim.Defaults()
		cfg.RejectRate = rate
		w, err := cfg.NewWorld()
		if err != nil {
			t.Fatal(err)
		}
		rejected := 0
		for i := range 400 {
			ref := events.OrderRef{OrderID: fmt.Sprintf("o-%d", i), StoreID: "store-1"}
			d := Decide(cfg, w, ref, now, 0)
			evs, err := d.Events(ref)
			if err != nil {
				t.Fatal(err)
			}
			if d.Accepted {
				if len(evs) != 2 || evs[0].Type != events.OrderAccepted || evs[1].Type != events.OrderReady || evs[1].Time.Before(evs[0].Time) {
					t.Fatalf("accepted events %v", evs)
				}
			} else {
				rejected++
				if len(evs) != 1 || evs[0].Type != events.OrderRejected {
					t.Fatalf("rejected events %v", evs)
				}
			}
		}
		got := float64(rejected) / 400
		if got < rate-0.07 || got > rate+0.07 {
			t.Errorf("reject rate %v: observed %v", rate, got)
		}
	}
}

// TestPrepGrowsWithTheQueue: the same order takes longer to prepare at a
// busier kitchen, and the same inputs give the same times.
func TestPrepGrowsWithTheQueue(t *testing.T) {
	t.Parallel()
	cfg := sim.Defaults()
	cfg.RejectRate = 0
	w, err := cfg.NewWorld()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 50 {
		ref := events.OrderRef{OrderID: fmt.Sprintf("o-%d", i), StoreID: "store-3"}
		idle, busy := Decide(cfg, w, ref, now, 0), Decide(cfg, w, ref, now, 8)
		if idle != Decide(cfg, w, ref, now, 0) {
			t.Fatalf("decision for %s not deterministic", ref.OrderID)
		}
		if prep := func(d Decision) time.Duration { return d.ReadyAt.Sub(d.DecidedAt) }; prep(busy) <= prep(idle) {
			t.Errorf("%s: prep %v with 8 in the queue, %v with none", ref.OrderID, prep(busy), prep(idle))
		}
	}
}
