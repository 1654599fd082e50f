package adapters

import (
	"context"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/bloody-sweet/platform/services/eta/domain"
	"github.com/bloody-sweet/platform/services/eta/model"
	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/world"
)

// sagaOf returns the events of simulated trips in time order, stamped in
// wall time as the services write them.
func sagaOf(t *testing.T, w *world.World, trips []world.Trip) []events.Envelope {
	t.Helper()
	var out []events.Envelope
	c := w.Config()
	types := []events.Type{events.OrderPlaced, events.OrderAccepted, events.OrderReady, events.CourierAssigned, events.OrderPickedUp, events.OrderDelivered}
	for _, tr := range trips {
		ref := events.OrderRef{OrderID: tr.ID, StoreID: tr.Store, CustomerID: "c"}
		for s, typ := range types {
			var data any = events.DeliveryData{OrderRef: ref, CourierID: "c1"}
			switch typ {
			case events.OrderPlaced:
				data = events.OrderPlacedData{OrderRef: ref, Items: []events.Item{{SKU: "x", Quantity: tr.Items}}, Address: events.Address{Postcode: world.Postcode(tr.Zone)}}
			case events.OrderAccepted, events.OrderReady:
				data = events.StoreData{OrderRef: ref}
			}
			e, err := events.New(typ, tr.ID, world.Start().Add(c.ToWall(tr.At[s].Sub(world.Start()))), data)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, e)
		}
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Time.Before(out[j-1].Time); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// runSharedCounts: two predictors, each seeing half of the orders (as two
// replicas each consume some partitions) and sharing counts made by
// shared(), predict every order at every step exactly as one predictor
// seeing every order; two that keep their counts each in memory do not.
func runSharedCounts(t *testing.T, shared func() model.Counts) {
	ctx := context.Background()
	w, err := world.New(world.Defaults())
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.TrainSimulated(w, 1)
	if err != nil {
		t.Fatal(err)
	}
	// A lunch peak of a later day: queues and busy couriers vary.
	trips := w.Simulate(world.Start().AddDate(0, 0, 7).Add(11*3600e9), 1)
	if len(trips) > 400 {
		trips = trips[:400]
	}
	owner := map[string]int{}
	for i, tr := range trips {
		owner[tr.ID] = i % 2
	}
	log := sagaOf(t, w, trips)
	predict := func(ps [2]*domain.Predictor) map[string]domain.Prediction {
		out := map[string]domain.Prediction{}
		for _, e := range log {
			p, _, err := ps[owner[e.Subject]].Observe(ctx, e)
			if err != nil {
				t.Fatal(err)
			}
			if p != nil {
				out[e.Subject+"/"+p.Step] = *p
			}
		}
		return out
	}
	one := domain.NewPredictor(w, m, nil)
	want := predict([2]*domain.Predictor{one, one})
	c := shared()
	got := predict([2]*domain.Predictor{domain.NewPredictor(w, m, c), domain.NewPredictor(w, m, c)})
	apart := predict([2]*domain.Predictor{domain.NewPredictor(w, m, nil), domain.NewPredictor(w, m, nil)})
	if len(got) != len(want) || len(want) < 5*len(trips)/2 {
		t.Fatalf("%d predictions shared, %d by one predictor, for %d orders", len(got), len(want), len(trips))
	}
	differ := 0
	for k, p := range want {
		if g := got[k]; g != p {
			t.Errorf("%s: shared counts predict %v (%v-%v), one predictor %v (%v-%v)", k, g.ETA, g.P10, g.P90, p.ETA, p.P10, p.P90)
		}
		if apart[k] != p {
			differ++
		}
	}
	if differ == 0 {
		t.Error("replicas counting apart predict like one: the orders met no queue and no busy courier, the test proves nothing")
	}
}

func TestSharedCountsMiniredis(t *testing.T) {
	t.Parallel()
	mr := miniredis.RunT(t)
	runSharedCounts(t, func() model.Counts {
		rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
		t.Cleanup(func() { _ = rdb.Close() })
		return NewRedisCounts(rdb)
	})
}
