package world

import (
	"container/heap"
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
	// Pipeline is the orders placed and not yet ready, city-wide, when the
	// order is placed: the deliveries about to need a courier, which a
	// dispatcher knows and a predictor of the courier wait can use.
	Pipeline int
	// Met is the state the world used, both taken when the store accepted
	// the order: its queue, and the couriers busy (the platform books the
	// courier then, to arrive when the food is ready).
	Met State
	// At holds the time each stage started, and At[NumStages] the delivery:
	// placed, accepted, ready, courier assigned, picked up, delivered.
	At [NumStages + 1]time.Time
}

// Duration is the time from the start of stage from to delivery.
func (t Trip) Duration(from Stage) time.Duration { return t.At[NumStages].Sub(t.At[from]) }

// Known is the state a predictor knows at the start of stage from: what
// it saw at placement, and the state the order met once the store accepted.
func (t Trip) Known(from Stage) State {
	if from >= Prep {
		return t.Met
	}
	return t.Seen
}

// Simulate runs days of orders from start (world time): arrivals follow
// Demand, each order picks a zone and a store near it, and the world's
// queues and couriers evolve as the orders go through, event by event in
// time order. Every order is delivered: rejections and payments are the
// simulators' business, not the ETA's. Deterministic for a seed.
func (w *World) Simulate(start time.Time, days int) []Trip {
	trips := w.arrivals(start, days)
	idx := map[string]int{}
	for i, s := range w.stores {
		idx[s.ID] = i
	}
	inPrep := make([]int, len(w.stores))
	busy, pipeline := 0, 0
	q := &stageQueue{}
	for i := range trips {
		heap.Push(q, stageStart{trips[i].Placed, i, Accept})
	}
	for q.Len() > 0 {
		ev := heap.Pop(q).(stageStart)
		t := &trips[ev.trip]
		si := idx[t.Store]
		switch ev.stage {
		case Accept:
			t.Seen = State{Queue: inPrep[si], Busy: busy}
			t.Pipeline = pipeline
			pipeline++
		case Prep:
			t.Met.Queue = inPrep[si]
			t.Met.Busy = busy
			inPrep[si]++
		case Assign:
			inPrep[si]--
			pipeline--
		case Pickup:
			busy++
		case NumStages:
			busy--
			continue
		}
		t.At[ev.stage] = ev.at
		// The draws are a function of the order and the state met so far;
		// the state of a later stage does not change an earlier stage's.
		d := w.Sample(t.Order, t.Met)
		heap.Push(q, stageStart{ev.at.Add(d[ev.stage]), ev.trip, ev.stage + 1})
		if ev.stage == Drive {
			t.At[NumStages] = ev.at.Add(d[Drive])
		}
	}
	return trips
}

// arrivals draws the orders of days from start.
func (w *World) arrivals(start time.Time, days int) []Trip {
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
		trips = append(trips, Trip{Order: Order{ID: fmt.Sprintf("w%d-%06d", c.Seed, len(trips)+1), Store: w.stores[si].ID, Zone: z, Items: items, Placed: t}})
	}
}

// stageStart is the moment a trip enters a stage (NumStages: delivered).
type stageStart struct {
	at    time.Time
	trip  int
	stage Stage
}

// stageQueue orders stage starts by time, then by trip (placement order).
type stageQueue []stageStart

func (q stageQueue) Len() int { return len(q) }
func (q stageQueue) Less(i, j int) bool {
	if c := q[i].at.Compare(q[j].at); c != 0 {
		return c < 0
	}
	return q[i].trip < q[j].trip
}
func (q stageQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *stageQueue) Push(x any)   { *q = append(*q, x.(stageStart)) }
func (q *stageQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}

// Start is the world time eval simulations start at: a Monday midnight.
func Start() time.Time { return anchor }
