package model

import (
	"fmt"
	"slices"
	"time"

	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/world"
)

// Tracker keeps the features of the saga's orders from their events: what
// each order is (store, distance, basket, world hour), the orders in
// preparation per store and the couriers on a delivery. The eta service
// feeds it live; `platform eta train --from` replays a recorded log.
//
// Event times are wall times; the world clock (the world's Scale) turns
// them into world hours and world durations. A log must be replayed in
// time order (Replay sorts it): the queue and the busy couriers an order
// meets depend on the other orders.
type Tracker struct {
	w      *world.World
	orders map[string]*tracked
	inPrep map[string]int
	busy   int
	// pipeline is the orders placed and not yet ready.
	pipeline int
	// finished remembers the last orders delivered or cancelled, so a
	// redelivered event of one does not start it again.
	finished map[string]struct{}
	ring     []string
	next     int
	// early holds the events of orders whose OrderPlaced has not arrived:
	// each topic is consumed on its own, so a store event can overtake the
	// order's placement.
	early map[string][]events.Envelope
}

// maxEarly bounds the orders whose events wait for their placement.
const maxEarly = 1 << 14

// remember is how many finished orders the tracker remembers.
const remember = 1 << 16

type tracked struct {
	rec      Record
	at       [Stages + 1]time.Time // wall time each stage started; [Stages] delivered
	point    int                   // the last prediction point reached
	accepted bool
	onRoad   bool
}

// Update is what one event changed: the order it is about and its
// features at the prediction point it reached, or the finished record.
type Update struct {
	OrderID  string
	Point    int       // the prediction point the order reached (0 = placed)
	At       time.Time // when it reached it (the event's time)
	Features Features  // what is known at Point
	Done     *Record   // set when the order was delivered
	Gone     bool      // cancelled or rejected: no more predictions
}

// NewTracker keeps features in world w.
func NewTracker(w *world.World) *Tracker {
	return &Tracker{w: w, orders: map[string]*tracked{}, inPrep: map[string]int{}, finished: map[string]struct{}{}, ring: make([]string, remember),
		early: map[string][]events.Envelope{}}
}

// InPrep is the number of orders in preparation at store, and Busy the
// couriers on a delivery, as the events told.
func (t *Tracker) InPrep(store string) int { return t.inPrep[store] }

// Busy is the number of couriers on a delivery.
func (t *Tracker) Busy() int { return t.busy }

// Observe applies one event. ok is false for an event that changes no
// prediction (a payment, a courier reassignment, an event of an order
// placed before the tracker started).
func (t *Tracker) Observe(e events.Envelope) (u Update, ok bool, err error) {
	u.OrderID = e.Subject
	o := t.orders[e.Subject]
	if _, done := t.finished[e.Subject]; done {
		return u, false, nil
	}
	if e.Type == events.OrderPlaced {
		if o != nil {
			return u, false, nil // redelivered
		}
		p, err := events.DecodeData[events.OrderPlacedData](e)
		if err != nil {
			return u, false, err
		}
		items := 0
		for _, it := range p.Items {
			items += it.Quantity
		}
		// The order as the store and delivery simulators meet it (the
		// basket and postcode they read from the events' OrderRef).
		wo := t.w.Placed(e.Subject, p.StoreID, p.Address.Postcode, items, t.w.Config().Now(e.Time))
		o = &tracked{rec: Record{Order: e.Subject, Store: p.StoreID, DistanceKm: t.w.Distance(wo.Store, wo.Zone), Items: wo.Items,
			Placed: wo.Placed}}
		o.at[0] = e.Time
		o.rec.Queue[0], o.rec.Busy[0], o.rec.Pipeline = t.inPrep[p.StoreID], t.busy, t.pipeline
		t.pipeline++
		t.orders[e.Subject] = o
		u = t.update(u, o)
		// The events that overtook the placement, in time order: the
		// update is the last step they reach.
		early := t.early[e.Subject]
		delete(t.early, e.Subject)
		slices.SortStableFunc(early, func(a, b events.Envelope) int { return a.Time.Compare(b.Time) })
		for _, x := range early {
			xu, ok, err := t.Observe(x)
			if err != nil {
				return u, true, err
			}
			if ok {
				u = xu
			}
		}
		return u, true, nil
	}
	if o == nil {
		if len(t.early[e.Subject]) < 8 && (len(t.early) < maxEarly || t.early[e.Subject] != nil) {
			t.early[e.Subject] = append(t.early[e.Subject], e)
		}
		return u, false, nil
	}
	next := -1
	switch e.Type {
	case events.OrderAccepted:
		if o.accepted || o.point >= 1 {
			return u, false, nil // redelivered, or overtaken by a later step
		}
		next, o.accepted = 1, true
		o.rec.Queue[1], o.rec.Busy[1] = t.inPrep[o.rec.Store], t.busy
		t.inPrep[o.rec.Store]++
	case events.OrderReady:
		next = 2
		t.leavePrep(o)
		o.rec.Queue[2], o.rec.Busy[2] = o.rec.Queue[1], o.rec.Busy[1]
	case events.CourierAssigned:
		if o.onRoad || o.point >= 3 {
			return u, false, nil // a reassignment (same order, same stage), or overtaken
		}
		next, o.onRoad = 3, true
		t.busy++
		o.rec.Queue[3], o.rec.Busy[3] = o.rec.Queue[2], o.rec.Busy[2]
	case events.OrderPickedUp:
		next = 4
		o.rec.Queue[4], o.rec.Busy[4] = o.rec.Queue[3], o.rec.Busy[3]
	case events.OrderDelivered:
		o.at[Stages] = e.Time
		t.forget(e.Subject, o)
		for s := range Stages {
			if o.at[s].IsZero() || o.at[s+1].Before(o.at[s]) {
				// A step overtaken by a later one (each topic is consumed
				// on its own): the order's stages cannot be told apart,
				// so it is neither learned from nor scored.
				u.Gone = true
				return u, true, nil
			}
			o.rec.Took[s] = t.w.Config().ToWorld(o.at[s+1].Sub(o.at[s]))
		}
		rec := o.rec
		u.Done, u.Point = &rec, Stages-1
		return u, true, nil
	case events.OrderCancelled, events.OrderRejected:
		t.forget(e.Subject, o)
		u.Gone = true
		return u, true, nil
	default:
		return u, false, nil
	}
	if next <= o.point && next != 0 {
		return u, false, nil // redelivered
	}
	o.point = next
	o.at[next] = e.Time
	return t.update(u, o), true, nil
}

func (t *Tracker) update(u Update, o *tracked) Update {
	u.Point, u.At = o.point, o.at[o.point]
	u.Features = o.rec.At(o.point)
	return u
}

// leavePrep takes an order that was not ready yet out of the queue and
// the pipeline.
func (t *Tracker) leavePrep(o *tracked) {
	if o.point >= 2 {
		return
	}
	t.pipeline--
	if o.accepted {
		t.inPrep[o.rec.Store]--
	}
}

func (t *Tracker) forget(id string, o *tracked) {
	t.leavePrep(o)
	if o.onRoad {
		t.busy--
	}
	delete(t.orders, id)
	delete(t.finished, t.ring[t.next])
	t.ring[t.next] = id
	t.finished[id] = struct{}{}
	t.next = (t.next + 1) % remember
}

// Replay runs a recorded event log through a tracker in time order and
// returns the delivered orders as training records.
func Replay(w *world.World, log []events.Envelope) ([]Record, error) {
	log = slices.Clone(log)
	slices.SortStableFunc(log, func(a, b events.Envelope) int { return a.Time.Compare(b.Time) })
	t := NewTracker(w)
	var out []Record
	for _, e := range log {
		u, ok, err := t.Observe(e)
		if err != nil {
			return nil, fmt.Errorf("event %s (%s): %w", e.ID, e.Type, err)
		}
		if ok && u.Done != nil {
			out = append(out, *u.Done)
		}
	}
	return out, nil
}
