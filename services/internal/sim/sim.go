// Package sim holds the knobs of the simulated outside world (payment
// provider, stores, couriers): outcome rates and latencies. Every decision
// is a pure function of the seed and the order id, so a run is reproducible
// whatever order the messages arrive in.
package sim

import (
	"fmt"
	"hash/fnv"
	"time"

	"github.com/bloody-sweet/platform/services/internal/config"
)

// Range is a latency range; a draw is uniform in [Min, Max].
type Range struct{ Min, Max time.Duration }

// Draw returns the latency for u in [0,1).
func (r Range) Draw(u float64) time.Duration {
	if r.Max <= r.Min {
		return r.Min
	}
	return r.Min + time.Duration(u*float64(r.Max-r.Min))
}

// Config is the simulators' configuration.
type Config struct {
	Seed            int64
	DeclineRate     float64 // share of payments the provider declines
	RejectRate      float64 // share of paid orders the store rejects
	CourierFailRate float64 // share of deliveries whose first courier drops out
	PaymentLatency  Range   // provider call
	AcceptLatency   Range   // store decides
	PrepTime        Range   // store prepares (accepted -> ready)
	PickupTime      Range   // courier reaches the store (ready -> picked up)
	DriveTime       Range   // courier drives (picked up -> delivered)
}

// Defaults are the embedded defaults: a few percent of each failure and
// millisecond latencies, so the demo shows every outcome in seconds.
func Defaults() Config {
	ms := time.Millisecond
	return Config{
		Seed: 1, DeclineRate: 0.04, RejectRate: 0.04, CourierFailRate: 0.05,
		PaymentLatency: Range{1 * ms, 4 * ms}, AcceptLatency: Range{1 * ms, 3 * ms},
		PrepTime: Range{3 * ms, 10 * ms}, PickupTime: Range{3 * ms, 10 * ms}, DriveTime: Range{5 * ms, 15 * ms},
	}
}

// Validate checks rates and ranges.
func (c Config) Validate() error {
	for name, r := range map[string]float64{"decline rate": c.DeclineRate, "reject rate": c.RejectRate, "courier fail rate": c.CourierFailRate} {
		if r < 0 || r > 1 {
			return fmt.Errorf("sim: %s %v not in [0,1]", name, r)
		}
	}
	for name, r := range map[string]Range{"payment latency": c.PaymentLatency, "accept latency": c.AcceptLatency, "prep time": c.PrepTime, "pickup time": c.PickupTime, "drive time": c.DriveTime} {
		if r.Min < 0 || r.Max < r.Min {
			return fmt.Errorf("sim: %s range [%v, %v] is invalid", name, r.Min, r.Max)
		}
	}
	return nil
}

// U returns a deterministic uniform number in [0,1) for (seed, orderID, salt).
func (c Config) U(orderID, salt string) float64 {
	h := fnv.New64a()
	_, _ = fmt.Fprintf(h, "%d/%s/%s", c.Seed, orderID, salt)
	return float64(h.Sum64()>>11) / float64(1<<53)
}

// Bind registers the simulator flags (SIM_* environment variables).
func Bind(b *config.Binder, c *Config) {
	d := Defaults()
	*c = d
	var seed int
	b.Int(&seed, "sim-seed", "SIM_SEED", int(d.Seed), "seed of the simulators")
	b.Float(&c.DeclineRate, "sim-decline-rate", "SIM_DECLINE_RATE", d.DeclineRate, "share of payments declined")
	b.Float(&c.RejectRate, "sim-reject-rate", "SIM_REJECT_RATE", d.RejectRate, "share of orders stores reject")
	b.Float(&c.CourierFailRate, "sim-courier-fail-rate", "SIM_COURIER_FAIL_RATE", d.CourierFailRate, "share of deliveries reassigned")
	rng := func(r *Range, name, env string, def Range, usage string) {
		b.Duration(&r.Min, name+"-min", env+"_MIN", def.Min, usage+" (minimum)")
		b.Duration(&r.Max, name+"-max", env+"_MAX", def.Max, usage+" (maximum)")
	}
	rng(&c.PaymentLatency, "sim-payment-latency", "SIM_PAYMENT_LATENCY", d.PaymentLatency, "payment provider latency")
	rng(&c.AcceptLatency, "sim-accept-latency", "SIM_ACCEPT_LATENCY", d.AcceptLatency, "store decision latency")
	rng(&c.PrepTime, "sim-prep-time", "SIM_PREP_TIME", d.PrepTime, "store preparation time")
	rng(&c.PickupTime, "sim-pickup-time", "SIM_PICKUP_TIME", d.PickupTime, "courier time to pick up")
	rng(&c.DriveTime, "sim-drive-time", "SIM_DRIVE_TIME", d.DriveTime, "courier drive time")
	b.AfterParse(func() error {
		c.Seed = int64(seed)
		return c.Validate()
	})
}
