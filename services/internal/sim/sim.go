// Package sim holds the knobs of the simulated outside world (payment
// provider, stores, couriers): outcome rates, the payment provider's latency
// and the delivery world (services/world) the store and delivery simulators
// draw their times from. Every decision is a pure function of the seed, the
// order id and the world state, so a run is reproducible whatever order the
// messages arrive in.
package sim

import (
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"time"

	"github.com/bloody-sweet/platform/services/internal/config"
	"github.com/bloody-sweet/platform/services/world"
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
	DeclineRate     float64      // share of payments the provider declines
	RejectRate      float64      // share of paid orders the store rejects
	CourierFailRate float64      // share of deliveries whose first courier drops out
	PaymentLatency  Range        // provider call (wall time: the provider is outside the world)
	World           world.Config // stores, couriers and their times; World.Seed is Seed
}

// Defaults are the embedded defaults: a few percent of each failure,
// millisecond payment latencies and a world where a wall millisecond is
// two world minutes, so the demo shows every outcome in seconds.
func Defaults() Config {
	ms := time.Millisecond
	return Config{
		Seed: 1, DeclineRate: 0.04, RejectRate: 0.04, CourierFailRate: 0.05,
		PaymentLatency: Range{1 * ms, 4 * ms}, World: world.Defaults(),
	}
}

// Validate checks rates, ranges and the world.
func (c Config) Validate() error {
	for name, r := range map[string]float64{"decline rate": c.DeclineRate, "reject rate": c.RejectRate, "courier fail rate": c.CourierFailRate} {
		if r < 0 || r > 1 {
			return fmt.Errorf("sim: %s %v not in [0,1]", name, r)
		}
	}
	if r := c.PaymentLatency; r.Min < 0 || r.Max < r.Min {
		return fmt.Errorf("sim: payment latency range [%v, %v] is invalid", r.Min, r.Max)
	}
	return c.WorldConfig().Validate()
}

// WorldConfig is the world with the simulators' seed.
func (c Config) WorldConfig() world.Config {
	w := c.World
	w.Seed = c.Seed
	return w
}

// NewWorld builds the world of c.
func (c Config) NewWorld() (*world.World, error) { return world.New(c.WorldConfig()) }

// U returns a deterministic uniform number in [0,1) for (seed, orderID, salt).
func (c Config) U(orderID, salt string) float64 {
	h := fnv.New64a()
	_, _ = fmt.Fprintf(h, "%d/%s/%s", c.Seed, orderID, salt)
	return float64(h.Sum64()>>11) / float64(1<<53)
}

// Bind registers the simulator flags (SIM_* environment variables). A bad
// value fails the start with the variable's name.
func Bind(b *config.Binder, c *Config) {
	d := Defaults()
	*c = d
	var seed, stores, zones, couriers int
	b.Int(&seed, "sim-seed", "SIM_SEED", int(d.Seed), "seed of the simulators")
	b.Float(&c.DeclineRate, "sim-decline-rate", "SIM_DECLINE_RATE", d.DeclineRate, "share of payments declined")
	b.Float(&c.RejectRate, "sim-reject-rate", "SIM_REJECT_RATE", d.RejectRate, "share of orders stores reject")
	b.Float(&c.CourierFailRate, "sim-courier-fail-rate", "SIM_COURIER_FAIL_RATE", d.CourierFailRate, "share of deliveries reassigned")
	b.Duration(&c.PaymentLatency.Min, "sim-payment-latency-min", "SIM_PAYMENT_LATENCY_MIN", d.PaymentLatency.Min, "payment provider latency (minimum)")
	b.Duration(&c.PaymentLatency.Max, "sim-payment-latency-max", "SIM_PAYMENT_LATENCY_MAX", d.PaymentLatency.Max, "payment provider latency (maximum)")
	w, dw := &c.World, d.World
	env := map[string]string{} // world field -> its variable, for errors
	fl := func(p *float64, field, name string, def float64, usage string) {
		v := "SIM_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
		env[field] = v
		b.Float(p, "sim-"+name, v, def, usage)
	}
	in := func(p *int, field, name string, def int, usage string) {
		v := "SIM_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
		env[field] = v
		b.Int(p, "sim-"+name, v, def, usage)
	}
	fl(&w.Scale, "Scale", "scale", dw.Scale, "world seconds per wall second (1 = real time)")
	in(&stores, "Stores", "stores", dw.Stores, "stores in the simulated city")
	in(&zones, "Zones", "zones", dw.Zones, "delivery zones (postcode areas)")
	fl(&w.CityKm, "CityKm", "city-km", dw.CityKm, "side of the square city, km")
	in(&couriers, "Couriers", "couriers", dw.Couriers, "couriers on shift at the busiest hour")
	fl(&w.OrdersPerDay, "OrdersPerDay", "orders-per-day", dw.OrdersPerDay, "orders per world day (eval simulation)")
	fl(&w.AcceptMinutes, "AcceptMinutes", "accept-minutes", dw.AcceptMinutes, "median world minutes a store takes to accept")
	fl(&w.PrepMinutes, "PrepMinutes", "prep-minutes", dw.PrepMinutes, "median world minutes to prepare one item at an idle store")
	fl(&w.QueueSlowdown, "QueueSlowdown", "queue-slowdown", dw.QueueSlowdown, "prep grows by exp(this x queue/capacity)")
	fl(&w.AssignMinutes, "AssignMinutes", "assign-minutes", dw.AssignMinutes, "median world minutes to find a courier when couriers are free")
	fl(&w.ScarcitySlowdown, "ScarcitySlowdown", "scarcity-slowdown", dw.ScarcitySlowdown, "courier wait grows by exp(this x busy/on-shift)")
	fl(&w.SpeedKmh, "SpeedKmh", "speed-kmh", dw.SpeedKmh, "courier speed off-peak, km/h")
	fl(&w.RushSlowdown, "RushSlowdown", "rush-slowdown", dw.RushSlowdown, "extra travel time at the top of rush hour (0.5 = +50%)")
	fl(&w.Noise, "Noise", "noise", dw.Noise, "sigma of the log-normal noise of each stage")
	b.AfterParse(func() error {
		c.Seed = int64(seed)
		w.Stores, w.Zones, w.Couriers = stores, zones, couriers
		err := c.Validate()
		var fe *world.FieldError
		if errors.As(err, &fe) {
			return fmt.Errorf("%s: %w", env[fe.Field], err)
		}
		return err
	})
}
