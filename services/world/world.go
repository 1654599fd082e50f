// Package world is the generative model of the delivery world the
// simulators (store, delivery) draw from and `platform eta eval` simulates:
// a city with stores and delivery zones, a day with lunch and dinner peaks,
// kitchens that slow down as their queue grows, couriers who get scarce at
// peaks and slow in rush hour, and log-normal noise on every stage (what
// real delivery times look like: right-skewed, multiplicative).
//
// An order goes through five stages, each a world duration:
//
//	accept  placed -> accepted    median AcceptMinutes
//	prep    accepted -> ready     store base x basket x exp(QueueSlowdown*queue/capacity)
//	assign  ready -> courier      AssignMinutes x exp(ScarcitySlowdown*busy/on-shift)
//	pickup  courier -> picked up  courier travel to the store, slower in congestion and when couriers are scarce
//	drive   picked up -> delivered (distance+0.5 km)/speed x congestion
//
// Each stage is its expected shape times exp(Noise*z), z standard normal
// drawn from (seed, order id, stage) only, so a draw is deterministic per
// seed and order whatever order messages arrive in. The state an order meets
// (the store's queue at acceptance, the couriers busy when it is ready) is
// world state, taken when the store accepts the order: the simulators track it, and Expected/Quantiles take it, so
// the model is also the oracle: the best any predictor can do is to know the
// state and the shape and not the noise.
//
// Time runs on a world clock: Clock maps wall time to world time with Scale
// (world seconds per wall second), so the demo runs a world day in seconds
// while every duration is reported in world minutes.
package world

import (
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"time"

	"gonum.org/v1/gonum/stat/distuv"
)

// Stage is one step of an order's life.
type Stage int

// The stages in saga order.
const (
	Accept Stage = iota
	Prep
	Assign
	Pickup
	Drive
	NumStages
)

var stageNames = [NumStages]string{"accept", "prep", "assign", "pickup", "drive"}

func (s Stage) String() string { return stageNames[s] }

// Config holds the knobs of the world. Every field is validated by Validate,
// whose errors name the field.
type Config struct {
	Seed             int64   // every draw is a function of the seed and the order id
	Scale            float64 // world seconds per wall second (1 = real time)
	Stores           int     // stores in the city
	Zones            int     // delivery zones (postcode areas)
	CityKm           float64 // side of the square city
	Couriers         int     // couriers on shift at the busiest hour
	OrdersPerDay     float64 // mean orders per day in the whole city (Simulate only)
	AcceptMinutes    float64 // median time a store takes to accept
	PrepMinutes      float64 // median preparation of a one-item order at an average idle store
	QueueSlowdown    float64 // prep grows by exp(QueueSlowdown*queue/capacity), queue/capacity capped at 3
	AssignMinutes    float64 // median wait for a courier when couriers are free
	ScarcitySlowdown float64 // assign and pickup grow by exp(ScarcitySlowdown*busy/on-shift), busy/on-shift capped at 1.5
	SpeedKmh         float64 // courier speed off-peak
	RushSlowdown     float64 // extra travel time at the top of rush hour (0.5 = +50%)
	Noise            float64 // sigma of the log-normal noise of each stage
}

// Defaults are the embedded defaults: a mid-size city where one wall
// millisecond is two world minutes, so a demo order (about 35 world
// minutes) takes under 20 ms, as the uniform latencies before it did.
func Defaults() Config {
	return Config{
		Seed: 1, Scale: 120_000, Stores: 20, Zones: 30, CityKm: 8, Couriers: 60, OrdersPerDay: 1000,
		AcceptMinutes: 1.5, PrepMinutes: 9, QueueSlowdown: 0.35, AssignMinutes: 1.5, ScarcitySlowdown: 2,
		SpeedKmh: 18, RushSlowdown: 0.6, Noise: 0.25,
	}
}

// FieldError is a Config field out of range.
type FieldError struct {
	Field  string // the Config field, e.g. "Noise"
	Reason string
}

func (e *FieldError) Error() string { return "world: " + e.Field + " " + e.Reason }

// Validate names the first field out of range (a *FieldError).
func (c Config) Validate() error {
	pos := []struct {
		name string
		v    float64
	}{
		{"Scale", c.Scale}, {"Stores", float64(c.Stores)}, {"Zones", float64(c.Zones)}, {"CityKm", c.CityKm},
		{"Couriers", float64(c.Couriers)}, {"OrdersPerDay", c.OrdersPerDay}, {"AcceptMinutes", c.AcceptMinutes},
		{"PrepMinutes", c.PrepMinutes}, {"AssignMinutes", c.AssignMinutes}, {"SpeedKmh", c.SpeedKmh},
	}
	for _, p := range pos {
		if !(p.v > 0) || math.IsInf(p.v, 0) {
			return &FieldError{p.name, fmt.Sprintf("= %v must be > 0", p.v)}
		}
	}
	nonneg := []struct {
		name   string
		v, max float64
	}{
		{"QueueSlowdown", c.QueueSlowdown, 3}, {"ScarcitySlowdown", c.ScarcitySlowdown, 5},
		{"RushSlowdown", c.RushSlowdown, 5}, {"Noise", c.Noise, 2},
	}
	for _, p := range nonneg {
		if !(p.v >= 0 && p.v <= p.max) {
			return &FieldError{p.name, fmt.Sprintf("= %v not in [0, %v]", p.v, p.max)}
		}
	}
	if c.Stores > 10_000 {
		return &FieldError{"Stores", fmt.Sprintf("= %d must be at most 10000", c.Stores)}
	}
	if c.Zones > 10_000 {
		return &FieldError{"Zones", fmt.Sprintf("= %d must be at most 10000", c.Zones)}
	}
	return nil
}

// Point is a place in the city, in km from its south-west corner.
type Point struct{ X, Y float64 }

// Km is the straight-line distance between p and q.
func (p Point) Km(q Point) float64 { return math.Hypot(p.X-q.X, p.Y-q.Y) }

// Store is one store of the city.
type Store struct {
	ID         string
	At         Point
	Speed      float64 // prep time factor (1 = average; 1.4 = 40% slower)
	Capacity   int     // orders it prepares at once without slowing down
	Popularity float64 // relative share of orders
}

// World is the city of a Config: its stores and zones are drawn from the
// seed once.
type World struct {
	cfg    Config
	stores []Store
	zones  []Point
	index  map[string]int
}

// New builds the world of c.
func New(c Config) (*World, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	w := &World{cfg: c, index: map[string]int{}}
	for i := range c.Stores {
		id := fmt.Sprintf("store-%d", i+1)
		w.stores = append(w.stores, Store{
			ID:         id,
			At:         Point{c.u("store-x", id) * c.CityKm, c.u("store-y", id) * c.CityKm},
			Speed:      math.Exp(0.35 * c.z("store-speed", id)),
			Capacity:   2 + int(c.u("store-capacity", id)*4),
			Popularity: math.Exp(0.6 * c.z("store-popularity", id)),
		})
		w.index[id] = i
	}
	for i := range c.Zones {
		id := fmt.Sprint(i)
		w.zones = append(w.zones, Point{c.u("zone-x", id) * c.CityKm, c.u("zone-y", id) * c.CityKm})
	}
	return w, nil
}

// Config returns the world's configuration.
func (w *World) Config() Config { return w.cfg }

// Stores returns the stores of the city.
func (w *World) Stores() []Store { return w.stores }

// Store returns the store with id; an id the city does not know (a live
// order for a store outside the simulated city) maps onto one of its stores
// by hash, so every order has a kitchen.
func (w *World) Store(id string) Store {
	if i, ok := w.index[id]; ok {
		return w.stores[i]
	}
	return w.stores[int(w.cfg.u("store-of", id)*float64(len(w.stores)))]
}

// Zone returns the zone of a postcode: the zone Postcode named, or any
// other postcode by hash (the city's map).
func (w *World) Zone(postcode string) int {
	var z int
	if n, err := fmt.Sscanf(postcode, "Z%d", &z); err == nil && n == 1 && z >= 0 && z < len(w.zones) && postcode == Postcode(z) {
		return z
	}
	return int(w.cfg.u("zone-of", postcode) * float64(len(w.zones)))
}

// Postcode is the postcode of zone z in simulated orders.
func Postcode(z int) string { return fmt.Sprintf("Z%04d", z) }

// ZoneAt returns the centre of zone z.
func (w *World) ZoneAt(z int) Point { return w.zones[z] }

// Distance is the km from store to zone, the public map data an ETA model
// may use.
func (w *World) Distance(storeID string, zone int) float64 {
	return w.Store(storeID).At.Km(w.zones[zone])
}

// Order is what the world knows of an order when it is placed.
type Order struct {
	ID     string
	Store  string
	Zone   int
	Items  int
	Placed time.Time // world time
}

// Placed is the world's view of a live order whose events carry its
// basket (items, quantities summed) and drop-off postcode: the store and
// delivery simulators and the eta service build the same Order from them.
// What an event written before they were carried lacks (items 0, postcode
// "") is drawn from the order id as Live does.
func (w *World) Placed(orderID, storeID, postcode string, items int, placed time.Time) Order {
	o := w.Live(orderID, storeID, placed)
	if items > 0 {
		o.Items = items
	}
	if postcode != "" {
		o.Zone = w.Zone(postcode)
	}
	return o
}

// Live is the world's view of a live order known by its id and store
// only: the zone and the basket size are drawn from the order id (like
// every other draw).
func (w *World) Live(orderID, storeID string, placed time.Time) Order {
	items := 1
	for i := 0; items < 8 && w.cfg.u(fmt.Sprint("basket-", i), orderID) < 0.45; i++ {
		items++
	}
	return Order{ID: orderID, Store: storeID, Zone: int(w.cfg.u("zone-of-order", orderID) * float64(len(w.zones))), Items: items, Placed: placed}
}

// State is the world state an order meets when the store accepts it: the
// store's queue and the couriers busy (the platform books a courier then).
// The simulators measure it; the oracle takes it.
type State struct {
	Queue int // orders in preparation at the store
	Busy  int // couriers on a delivery
}

// hourOf is the world hour of t (0-23) and whether it is a weekend.
func hourOf(t time.Time) (int, bool) {
	t = t.UTC()
	wd := t.Weekday()
	return t.Hour(), wd == time.Saturday || wd == time.Sunday
}

func bump(h, centre, width float64) float64 {
	d := (h - centre) / width
	return math.Exp(-d * d / 2)
}

// Demand is the relative order intensity at t: low at night, a lunch peak at
// 12:30 and a bigger dinner peak at 19:30 (later and bigger on weekends).
func Demand(t time.Time) float64 {
	h, weekend := hourOf(t)
	x := float64(h) + float64(t.UTC().Minute())/60
	if weekend {
		return 0.08 + 0.7*bump(x, 13, 1.5) + 1.3*bump(x, 20, 1.8)
	}
	return 0.08 + 1.0*bump(x, 12.5, 1.0) + 1.0*bump(x, 19.5, 1.4)
}

// Congestion is the travel-time factor at t: rush hours at 8:30 and 17:30
// on weekdays. It is constant within a world hour.
func (c Config) Congestion(t time.Time) float64 {
	h, weekend := hourOf(t)
	if weekend {
		return 1 + 0.2*c.RushSlowdown*bump(float64(h), 14, 3)
	}
	return 1 + c.RushSlowdown*(bump(float64(h), 8.5, 1)+bump(float64(h), 17.5, 1.2))
}

// OnShift is how many couriers work in the world hour of t: a fleet sized
// for the busiest hour but thinner outside the peaks, so couriers get scarce
// when demand rises faster than shifts.
func (c Config) OnShift(t time.Time) int {
	h, weekend := hourOf(t)
	x := float64(h)
	share := 0.25 + 0.5*bump(x, 12.5, 2) + 0.75*bump(x, 19.5, 2.5)
	if weekend {
		share = 0.25 + 0.45*bump(x, 13, 2.5) + 0.75*bump(x, 20, 2.5)
	}
	return max(1, int(math.Round(float64(c.Couriers)*min(share, 1))))
}

// Medians returns the median duration of each stage of order o meeting
// state s: the shape without noise.
func (w *World) Medians(o Order, s State) [NumStages]time.Duration {
	c := w.cfg
	st := w.Store(o.Store)
	items := max(o.Items, 1)
	mins := func(m float64) time.Duration { return time.Duration(m * float64(time.Minute)) }
	var d [NumStages]time.Duration
	d[Accept] = mins(c.AcceptMinutes)
	d[Prep] = mins(c.PrepMinutes * st.Speed * (1 + 0.15*float64(items-1)) * math.Exp(c.QueueSlowdown*math.Min(float64(s.Queue)/float64(st.Capacity), 3)))
	// Ready at placement time plus what came before: the hour for the
	// courier stages is the hour the order is ready in, approximated by the
	// placement hour plus the medians of accept and prep.
	ready := o.Placed.Add(d[Accept] + d[Prep])
	scarcity := math.Exp(c.ScarcitySlowdown * math.Min(float64(s.Busy)/float64(c.OnShift(ready)), 1.5))
	cong := c.Congestion(ready)
	d[Assign] = mins(c.AssignMinutes * scarcity)
	// A courier comes from about 1.2 km away, farther when few are free.
	d[Pickup] = mins(60 * 1.2 * math.Sqrt(scarcity) / c.SpeedKmh * cong)
	d[Drive] = mins(60 * (w.Distance(o.Store, o.Zone) + 0.5) / c.SpeedKmh * cong)
	return d
}

// Sample returns the durations of each stage for o meeting s: the medians
// times log-normal noise drawn from (seed, order id, stage).
func (w *World) Sample(o Order, s State) [NumStages]time.Duration {
	d := w.Medians(o, s)
	for i := range d {
		d[i] = time.Duration(float64(d[i]) * math.Exp(w.cfg.Noise*w.cfg.z("noise-"+Stage(i).String(), o.ID)))
	}
	return d
}

// Quantiles returns the quantiles qs of the remaining time of o from the
// start of stage from (Accept = from placement) to delivery, given s: the
// oracle. The sum of log-normals has no closed form; it is integrated on a
// fixed set of draws (the same for every order, so the oracle is
// deterministic).
func (w *World) Quantiles(o Order, s State, from Stage, qs ...float64) []time.Duration {
	med := w.Medians(o, s)
	var mu []float64
	for st := from; st < NumStages; st++ {
		mu = append(mu, float64(med[st]))
	}
	sig := make([]float64, len(mu))
	for i := range sig {
		sig[i] = w.cfg.Noise
	}
	return SumLogNormalQuantiles(mu, sig, qs...)
}

// Expected is the oracle's point estimate: the median remaining time from
// stage from.
func (w *World) Expected(o Order, s State, from Stage) time.Duration {
	return w.Quantiles(o, s, from, 0.5)[0]
}

// quadrature are fixed standard normal draws (Halton-like stratified per
// stage), shared by every call so results are deterministic.
var quadrature = func() [][NumStages]float64 {
	const n = 512
	out := make([][NumStages]float64, n)
	for s := range int(NumStages) {
		for i := range n {
			// A different stride per stage decorrelates the stages.
			k := (i*[]int{1, 167, 293, 379, 461}[s] + s*31) % n
			out[i][s] = distuv.UnitNormal.Quantile((float64(k) + 0.5) / n)
		}
	}
	return out
}()

// SumLogNormalQuantiles returns quantiles qs of the sum of independent
// log-normals with medians mu and log-sigmas sig (at most NumStages terms).
func SumLogNormalQuantiles(mu, sig []float64, qs ...float64) []time.Duration {
	sums := make([]float64, len(quadrature))
	for i, z := range quadrature {
		for j := range mu {
			sums[i] += mu[j] * math.Exp(sig[j]*z[j])
		}
	}
	slices.Sort(sums)
	out := make([]time.Duration, len(qs))
	for i, q := range qs {
		out[i] = time.Duration(sums[min(len(sums)-1, int(q*float64(len(sums))))])
	}
	return out
}

// u is a deterministic uniform in [0,1) for (seed, salt, key).
func (c Config) u(salt, key string) float64 {
	h := fnv.New64a()
	_, _ = fmt.Fprintf(h, "%d/%s/%s", c.Seed, key, salt)
	return float64(h.Sum64()>>11) / float64(1<<53)
}

// z is a deterministic standard normal for (seed, salt, key).
func (c Config) z(salt, key string) float64 {
	return distuv.UnitNormal.Quantile(math.Max(c.u(salt, key), 1e-12))
}
