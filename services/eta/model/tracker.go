package model

import (
	"context"
	"fmt"
	"slices"
	"sync"
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
	// counts are the orders in preparation per store, the couriers on a
	// delivery and the orders placed and not yet ready: in this process
	// (Memory), or shared by the replicas (the eta service's Redis), each
	// of which sees the orders of its partitions only.
	counts Counts
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

// Counts keeps the world state the features read. Add applies the deltas
// (orders in preparation at store, couriers on a delivery, orders placed
// and not ready) at once and returns the counts from before them.
type Counts interface {
	Add(ctx context.Context, store string, prep, busy, pipeline int) (Snapshot, error)
}

// Snapshot is the counts an order meets.
type Snapshot struct{ InPrep, Busy, Pipeline int }

// Memory is Counts in the process: one replica's view.
type Memory struct {
	mu       sync.Mutex
	inPrep   map[string]int
	busy     int
	pipeline int
}

// Add implements Counts.
func (m *Memory) Add(_ context.Context, store string, prep, busy, pipeline int) (Snapshot, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.inPrep == nil {
		m.inPrep = map[string]int{}
	}
	s := Snapshot{m.inPrep[store], m.busy, m.pipeline}
	m.inPrep[store] += prep
	m.busy += busy
	m.pipeline += pipeline
	return s, nil
}

// NewTracker keeps features in world w, its counts in c (nil: in memory).
func NewTracker(w *world.World, c Counts) *Tracker {
	if c == nil {
		c = &Memory{}
	}
	return &Tracker{w: w, orders: map[string]*tracked{}, counts: c, finished: map[string]struct{}{}, ring: make([]string, remember),
		early: map[string][]events.Envelope{}}
}

// Counts returns the orders in preparation at store, the couriers on a
// delivery and the orders placed and not ready, as the events told.
func (t *Tracker) Counts(ctx context.Context, store string) (Snapshot, error) {
	return t.counts.Add(ctx, store, 0, 0, 0)
}

// Observe applies one event. ok is false for an event that changes no
// prediction (a payment, a courier reassignment, an event of an order
// placed before the tracker started).
func (t *Tracker) Observe(ctx context.Context, e events.Envelope) (u Update, ok bool, err error) {
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
		c, err := t.counts.Add(ctx, p.StoreID, 0, 0, 1)
		if err != nil {
			return u, false, err
		}
		o.rec.Queue[0], o.rec.Busy[0], o.rec.Pipeline = c.InPrep, c.Busy, c.Pipeline
		t.orders[e.Subject] = o
		u = t.update(u, o)
		// The events that overtook the placement, in time order: the
		// update is the last step they reach.
		early := t.early[e.Subject]
		delete(t.early, e.Subject)
		slices.SortStableFunc(early, func(a, b events.Envelope) int { return a.Time.Compare(b.Time) })
		for _, x := range early {
			xu, ok, err := t.Observe(ctx, x)
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
		c, err := t.counts.Add(ctx, o.rec.Store, 1, 0, 0)
		if err != nil {
			return u, false, err
		}
		next, o.accepted = 1, true
		o.rec.Queue[1], o.rec.Busy[1] = c.InPrep, c.Busy
	case events.OrderReady:
		next = 2
		if err := t.leavePrep(ctx, o); err != nil {
			return u, false, err
		}
		o.rec.Queue[2], o.rec.Busy[2] = o.rec.Queue[1], o.rec.Busy[1]
	case events.CourierAssigned:
		if o.onRoad || o.point >= 3 {
			return u, false, nil // a reassignment (same order, same stage), or overtaken
		}
		if _, err := t.counts.Add(ctx, o.rec.Store, 0, 1, 0); err != nil {
			return u, false, err
		}
		next, o.onRoad = 3, true
		o.rec.Queue[3], o.rec.Busy[3] = o.rec.Queue[2], o.rec.Busy[2]
	case events.OrderPickedUp:
		next = 4
		o.rec.Queue[4], o.rec.Busy[4] = o.rec.Queue[3], o.rec.Busy[3]
	case events.OrderDelivered:
		o.at[Stages] = e.Time
		if err := t.forget(ctx, e.Subject, o); err != nil {
			return u, false, err
		}
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
		if err := t.forget(ctx, e.Subject, o); err != nil {
			return u, false, err
		}
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
func (t *Tracker) leavePrep(ctx context.Context, o *tracked) error {
	prep, pipeline := t.prepDeltas(o)
	if pipeline == 0 {
		return nil
	}
	_, err := t.counts.Add(ctx, o.rec.Store, prep, 0, pipeline)
	return err
}

// prepDeltas are the counts an order not ready yet leaves.
func (t *Tracker) prepDeltas(o *tracked) (prep, pipeline int) {
	if o.point >= 2 {
		return 0, 0
	}
	if o.accepted {
		prep = -1
	}
	return prep, -1
}

// forget takes a finished order out of the counts, in one Add: a failed
// one changed nothing, and the retried event takes it out once.
func (t *Tracker) forget(ctx context.Context, id string, o *tracked) error {
	prep, pipeline := t.prepDeltas(o)
	busy := 0
	if o.onRoad {
		busy = -1
	}
	if prep != 0 || busy != 0 || pipeline != 0 {
		if _, err := t.counts.Add(ctx, o.rec.Store, prep, busy, pipeline); err != nil {
			return err
		}
	}
	delete(t.orders, id)
	delete(t.finished, t.ring[t.next])
	t.ring[t.next] = id
	t.finished[id] = struct{}{}
	t.next = (t.next + 1) % remember
	return nil
}

// Replay runs a recorded event log through a tracker in time order and
// returns the delivered orders as training records.
func Replay(w *world.World, log []events.Envelope) ([]Record, error) {
	log = slices.Clone(log)
	slices.SortStableFunc(log, func(a, b events.Envelope) int { return a.Time.Compare(b.Time) })
	t := NewTracker(w, nil)
	var out []Record
	for _, e := range log {
		u, ok, err := t.Observe(context.Background(), e)
		if err != nil {
			return nil, fmt.Errorf("event %s (%s): %w", e.ID, e.Type, err)
		}
		if ok && u.Done != nil {
			out = append(out, *u.Done)
		}
	}
	return out, nil
}
