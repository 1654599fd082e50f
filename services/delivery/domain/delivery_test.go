package domain

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/internal/sim"
)

func TestPlanIsDeterministicOrderedAndAlwaysDelivers(t *testing.T) {
	t.Parallel()
	cfg := sim.Defaults()
	cfg.CourierFailRate = 0.5
	w, err := cfg.NewWorld()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	reassigned := 0
	for i := range 200 {
		ref := events.OrderRef{OrderID: string(rune('a'+i%26)) + time.Duration(i).String(), StoreID: "store-1"}
		p := Plan(cfg, w, ref, now, 0)
		if d := cmp.Diff(p, Plan(cfg, w, ref, now, 0)); d != "" {
			t.Fatalf("plan not deterministic:\n%s", d)
		}
		if p[len(p)-1].Type != events.OrderDelivered || p[len(p)-2].Type != events.OrderPickedUp {
			t.Fatalf("plan %v does not end picked up, delivered", p)
		}
		for j := 1; j < len(p); j++ {
			if p[j].At.Before(p[j-1].At) {
				t.Fatalf("plan %v goes back in time", p)
			}
		}
		if len(p) == 4 {
			reassigned++
		}
	}
	if reassigned < 60 || reassigned > 140 {
		t.Errorf("%d of 200 reassigned at rate 0.5", reassigned)
	}
}

// TestScarceCouriersDeliverLater: with most couriers busy the same order is
// delivered later.
func TestScarceCouriersDeliverLater(t *testing.T) {
	t.Parallel()
	cfg := sim.Defaults()
	cfg.CourierFailRate = 0
	w, err := cfg.NewWorld()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 50 {
		ref := events.OrderRef{OrderID: time.Duration(i).String(), StoreID: "store-1"}
		free, scarce := Plan(cfg, w, ref, now, 0), Plan(cfg, w, ref, now, cfg.World.Couriers)
		if end := func(p []Step) time.Time { return p[len(p)-1].At }; !end(scarce).After(end(free)) {
			t.Errorf("%s: delivered at %v with every courier busy, %v with none", ref.OrderID, end(scarce), end(free))
		}
	}
}
