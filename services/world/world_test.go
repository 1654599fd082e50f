package world

import (
	"errors"
	"testing"
	"time"
)

func TestValidateNamesTheField(t *testing.T) {
	t.Parallel()
	for field, mut := range map[string]func(*Config){
		"Scale":         func(c *Config) { c.Scale = 0 },
		"Stores":        func(c *Config) { c.Stores = -1 },
		"Noise":         func(c *Config) { c.Noise = 3 },
		"RushSlowdown":  func(c *Config) { c.RushSlowdown = -0.1 },
		"PrepMinutes":   func(c *Config) { c.PrepMinutes = 0 },
		"Zones":         func(c *Config) { c.Zones = 20_000 },
		"QueueSlowdown": func(c *Config) { c.QueueSlowdown = -1 },
	} {
		c := Defaults()
		mut(&c)
		var fe *FieldError
		if err := c.Validate(); !errors.As(err, &fe) || fe.Field != field {
			t.Errorf("%s out of range: %v, want a FieldError naming it", field, err)
		}
	}
	if err := Defaults().Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
}

// TestSimulateIsDeterministicAndShaped: the same seed gives the same days;
// dinner is busier than the small hours, and the state an order meets
// makes it slower.
func TestSimulateIsDeterministicAndShaped(t *testing.T) {
	t.Parallel()
	w, err := New(Defaults())
	if err != nil {
		t.Fatal(err)
	}
	a, b := w.Simulate(Start(), 3), w.Simulate(Start(), 3)
	if len(a) != len(b) || len(a) < 2000 {
		t.Fatalf("%d and %d orders in 3 days", len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("order %d differs between two runs: %+v vs %+v", i, a[i], b[i])
		}
	}
	byHour := map[int]int{}
	for _, tr := range a {
		byHour[tr.Placed.Hour()]++
		for s := range NumStages {
			if !tr.At[s+1].After(tr.At[s]) {
				t.Fatalf("order %s: stage %s does not take time: %v", tr.ID, s, tr.At)
			}
		}
	}
	if byHour[19] < 5*byHour[3] {
		t.Errorf("orders at 19h %d, at 3h %d: want a dinner peak", byHour[19], byHour[3])
	}
	o := a[0].Order
	idle, loaded := w.Medians(o, State{}), w.Medians(o, State{Queue: 6, Busy: w.Config().Couriers})
	for _, s := range []Stage{Prep, Assign, Pickup} {
		if loaded[s] <= idle[s] {
			t.Errorf("%s: %v loaded, %v idle", s, loaded[s], idle[s])
		}
	}
	if q := w.Quantiles(o, State{}, Accept, 0.1, 0.5, 0.9); !(q[0] < q[1] && q[1] < q[2]) {
		t.Errorf("oracle quantiles %v not increasing", q)
	}
}

func TestClockMapsWallToWorld(t *testing.T) {
	t.Parallel()
	c := Defaults()
	c.Scale = 60_000 // a wall millisecond is a world minute
	wall := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	if got := c.Now(wall.Add(time.Millisecond)).Sub(c.Now(wall)); got != time.Minute {
		t.Errorf("1 wall ms is %v of world time, want 1m", got)
	}
	if got := c.ToWall(30 * time.Minute); got != 30*time.Millisecond {
		t.Errorf("30 world minutes take %v of wall time", got)
	}
	c.Scale = 1
	if got := c.Now(wall); got.Weekday() != wall.Weekday() || got.Hour() != wall.Hour() {
		t.Errorf("real-time world at %v is %v", wall, got)
	}
}

// A live order whose events carry its basket and postcode is that order;
// one whose events lack them draws them from its id, as Live does.
func TestPlacedTakesTheBasketAndPostcode(t *testing.T) {
	w, err := New(Defaults())
	if err != nil {
		t.Fatal(err)
	}
	at := Start().Add(12 * time.Hour)
	o := w.Placed("o-1", "store-2", Postcode(7), 5, at)
	if o.Items != 5 || o.Zone != 7 || o.Store != "store-2" || !o.Placed.Equal(at) {
		t.Errorf("Placed = %+v, want 5 items in zone 7 of store-2 at %v", o, at)
	}
	if got, want := w.Placed("o-1", "store-2", "", 0, at), w.Live("o-1", "store-2", at); got != want {
		t.Errorf("Placed without basket and postcode = %+v, want Live's %+v", got, want)
	}
}
