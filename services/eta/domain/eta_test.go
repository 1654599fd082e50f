package domain

import (
	"context"
	"testing"

	"github.com/bloody-sweet/platform/services/eta/model"
	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/world"
)

// saga returns the events of simulated trips in time order, stamped in wall
// time as the services write them.
func saga(t *testing.T, w *world.World, trips []world.Trip) []events.Envelope {
	t.Helper()
	var out []events.Envelope
	c := w.Config()
	for _, tr := range trips {
		ref := events.OrderRef{OrderID: tr.ID, StoreID: tr.Store, CustomerID: "c"}
		items := []events.Item{{SKU: "x", Quantity: tr.Items, PriceCents: 100}}
		data := []any{
			events.OrderPlacedData{OrderRef: ref, Items: items, Address: events.Address{Postcode: world.Postcode(tr.Zone)}},
			events.StoreData{OrderRef: ref}, events.StoreData{OrderRef: ref},
			events.DeliveryData{OrderRef: ref, CourierID: "c1"}, events.DeliveryData{OrderRef: ref, CourierID: "c1"}, events.DeliveryData{OrderRef: ref, CourierID: "c1"},
		}
		for s, typ := range []events.Type{events.OrderPlaced, events.OrderAccepted, events.OrderReady, events.CourierAssigned, events.OrderPickedUp, events.OrderDelivered} {
			e, err := events.New(typ, tr.ID, world.Start().Add(c.ToWall(tr.At[s].Sub(world.Start()))), data[s])
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, e)
		}
	}
	sortByTime(out)
	return out
}

func sortByTime(es []events.Envelope) {
	for i := 1; i < len(es); i++ {
		for j := i; j > 0 && es[j].Time.Before(es[j-1].Time); j-- {
			es[j], es[j-1] = es[j-1], es[j]
		}
	}
}

// TestPredictsEveryStepAndScoresTheDelivery: each order gets a prediction
// at placement and at each step, an interval around a median after the
// event, and its delivery scores every one of them; about 80% fall inside
// their interval.
func TestPredictsEveryStepAndScoresTheDelivery(t *testing.T) {
	t.Parallel()
	w, err := world.New(world.Defaults())
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.TrainSimulated(w, 4)
	if err != nil {
		t.Fatal(err)
	}
	trips := w.Simulate(world.Start().AddDate(0, 0, 7), 1) // a later week than the training
	p := NewPredictor(w, m, nil)
	steps := map[string]int{}
	var outcomes []Outcome
	for _, e := range saga(t, w, trips) {
		pred, out, err := p.Observe(context.Background(), e)
		if err != nil {
			t.Fatal(err)
		}
		outcomes = append(outcomes, out...)
		if pred == nil {
			continue
		}
		steps[pred.Step]++
		if !(pred.P10.Before(pred.ETA) && pred.ETA.Before(pred.P90) && pred.At.Before(pred.P10)) || pred.ModelVersion != m.Version {
			t.Fatalf("prediction %+v is not an interval after its event", pred)
		}
		if d := pred.Data(); d.OrderID != e.Subject || d.Step != pred.Step || d.RemainingS <= 0 {
			t.Fatalf("payload %+v of event %s", d, e.Subject)
		}
	}
	for _, s := range Steps {
		if steps[s] != len(trips) {
			t.Errorf("%d predictions at %s for %d orders", steps[s], s, len(trips))
		}
	}
	if len(outcomes) != len(trips)*model.Stages {
		t.Fatalf("%d outcomes for %d orders", len(outcomes), len(trips))
	}
	hits := 0
	for _, o := range outcomes {
		if o.Hit {
			hits++
		}
	}
	if share := float64(hits) / float64(len(outcomes)); share < 0.7 || share > 0.9 {
		t.Errorf("%.2f of the deliveries inside P10-P90", share)
	}
	// A redelivered event changes nothing; a cancelled order is forgotten.
	first := saga(t, w, trips[:1])
	if pred, _, _ := p.Observe(context.Background(), first[0]); pred != nil {
		t.Errorf("a redelivered OrderPlaced of a delivered order predicted again: %+v", pred)
	}
	ref := events.OrderRef{OrderID: "gone", StoreID: "store-1"}
	placed, _ := events.New(events.OrderPlaced, "gone", world.Start(), events.OrderPlacedData{OrderRef: ref, Items: []events.Item{{SKU: "x", Quantity: 1}}})
	cancelled, _ := events.New(events.OrderCancelled, "gone", world.Start(), events.OrderCancelledData{OrderRef: ref, Reason: "declined"})
	if pred, _, err := p.Observe(context.Background(), placed); err != nil || pred == nil {
		t.Fatalf("placed: %v, %v", pred, err)
	}
	if pred, out, err := p.Observe(context.Background(), cancelled); err != nil || pred != nil || out != nil {
		t.Errorf("cancelled: %v %v %v", pred, out, err)
	}
	if _, ok := p.made["gone"]; ok {
		t.Error("a cancelled order's predictions are kept")
	}
}
