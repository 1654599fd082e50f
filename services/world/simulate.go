package world

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Trip is one simulated order from placement to delivery.
type Trip struct {
	Order
	// Seen is the state when the order is placed, what a predictor can know
	// then: orders in preparation at its store and couriers on a delivery.
	Seen State
	// Met is the state the world used: the queue when the store accepted
	// the order and the couriers busy when it was ready.
	Met State
	// At holds the time each stage started, and At[NumStages] the delivery:
	// placed, accepted, ready, courier assigned, picked up, delivered.
	At [NumStages + 1]time.Time
}

// Duration is the time from the start of stage from to delivery.
func (t Trip) Duration(from Stage) time.Duration { return t.At[NumStages].Sub(t.At[from]) }

// Known is the state a predictor knows at the start of stage from: the
// queue it met once the store accepted, the busy couriers once it is ready.
func (t Trip) Known(from Stage) State {
	s := t.Seen
	if from >= Prep {
		s.Queue = t.Met.Queue
	}
	if from >= Assign {
		s.Busy = t.Met.Busy
	}
	return s
}

// Simulate runs days of orders from start (world time): arrivals follow
// Demand, each order picks a zone and a store near it, and the world's queue
// and couriers evolve as the orders go through. Orders are served in
// placement order (an earlier order has the kitchen and the couriers
// first). Every order is delivered: rejections and payments are the
// simulators' business, not the ETA's. Deterministic for a seed.
func (w *World) Simulate(start time.Time, days int) []Trip {
	c := w.cfg
	rng := rand.New(rand.NewPCG(uint64(c.Seed), 0x5eed))
	// The arrival rate per minute is OrdersPerDay x Demand / (Demand per day).
	perDay, peak := 0.0, 0.0
	for m := 0; m < 7*24*60; m++ {
		d := Demand(anchor.Add(time.Duration(m) * time.Minute))
		perDay += d / 7
		peak = math.Max(peak, d)
	}
	rateMax := c.OrdersPerDay * peak / perDay // per minute
	// Customers order from stores near them, popular ones more.
	cum := make([][]float64, len(w.zones))
	for z, at := range w.zones {
		sum := 0.0
		for _, s := range w.stores {
			sum += s.Popularity * math.Exp(-s.At.Km(at)/2.5)
			cum[z] = append(cum[z], sum)
		}
	}
	type span struct{ from, to time.Time }
	inPrep := make([][]span, len(w.stores)) // accepted -> ready, per store
	var onRoad []span                       // courier assigned -> delivered
	count := func(ss []span, at time.Time) int {
		n := 0
		for _, s := range ss {
			if !at.Before(s.from) && at.Before(s.to) {
				n++
			}
		}
		return n
	}
	prune := func(ss []span, before time.Time) []span {
		out := ss[:0]
		for _, s := range ss {
			if !s.to.Before(before) {
				out = append(out, s)
			}
		}
		return out
	}
	var trips []Trip
	end := start.Add(time.Duration(days) * 24 * time.Hour)
	for t := start; ; {
		t = t.Add(time.Duration(rng.ExpFloat64() / rateMax * float64(time.Minute)))
		if !t.Before(end) {
			return trips
		}
		if rng.Float64()*peak >= Demand(t) {
			continue
		}
		z := rng.IntN(len(w.zones))
		r := rng.Float64() * cum[z][len(cum[z])-1]
		si := 0
		for cum[z][si] < r {
			si++
		}
		items := 1
		for items < 8 && rng.Float64() < 0.45 {
			items++
		}
		o := Order{ID: fmt.Sprintf("w%d-%06d", c.Seed, len(trips)+1), Store: w.stores[si].ID, Zone: z, Items: items, Placed: t}
		if len(trips)%256 == 0 {
			for i := range inPrep {
				inPrep[i] = prune(inPrep[i], t)
			}
			onRoad = prune(onRoad, t)
		}
		trip := Trip{Order: o, Seen: State{Queue: count(inPrep[si], t), Busy: count(onRoad, t)}}
		// Accept does not depend on the state: draw it to learn the queue met.
		trip.At[Accept] = t
		trip.At[Prep] = t.Add(w.Sample(o, State{})[Accept])
		trip.Met.Queue = count(inPrep[si], trip.At[Prep])
		d := w.Sample(o, trip.Met)
		trip.At[Assign] = trip.At[Prep].Add(d[Prep])
		trip.Met.Busy = count(onRoad, trip.At[Assign])
		d = w.Sample(o, trip.Met)
		for s := Assign; s < NumStages; s++ {
			trip.At[s+1] = trip.At[s].Add(d[s])
		}
		inPrep[si] = append(inPrep[si], span{trip.At[Prep], trip.At[Assign]})
		onRoad = append(onRoad, span{trip.At[Pickup], trip.At[NumStages]})
		trips = append(trips, trip)
	}
}

// Start is the world time eval simulations start at: a Monday midnight.
func Start() time.Time { return anchor }
