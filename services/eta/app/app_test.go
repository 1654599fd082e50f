package app

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/bloody-sweet/platform/services/eta/domain"
	"github.com/bloody-sweet/platform/services/eta/model"
	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/world"
)

// flakyCounts is the shared counts with Redis refusing call failAt (1, 2,
// ...) only.
type flakyCounts struct {
	model.Memory
	calls, failAt int
}

func (f *flakyCounts) Add(ctx context.Context, store string, prep, busy, pipeline int) (model.Snapshot, error) {
	f.calls++
	if f.calls == f.failAt {
		return model.Snapshot{}, errors.New("redis: connection refused")
	}
	return f.Memory.Add(ctx, store, prep, busy, pipeline)
}

type recorded struct{ ops map[string]Op }

func (r *recorded) Record(_ context.Context, ops []Op) ([]time.Time, error) {
	for _, op := range ops {
		r.ops[op.EventID] = op
	}
	return nil, nil
}

type noRelay struct{}

func (noRelay) Notify(time.Time) {}

type noMetrics struct{}

func (noMetrics) Outcome(domain.Outcome) {}

// A batch that fails part-way (Redis down at its second order) is
// redelivered; the predictor has seen its first order and does not predict
// for it again, yet both orders' predictions are recorded once the batch
// gets through.
func TestBatchFailingPartWayLosesNoPrediction(t *testing.T) {
	t.Parallel()
	w, err := world.New(world.Defaults())
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.TrainSimulated(w, 1)
	if err != nil {
		t.Fatal(err)
	}
	counts := &flakyCounts{failAt: 2} // the second order's count
	repo := &recorded{ops: map[string]Op{}}
	a := New(repo, noRelay{}, noMetrics{}, domain.NewPredictor(w, m, counts))
	var batch []events.Incoming
	for _, id := range []string{"o-1", "o-2"} {
		ref := events.OrderRef{OrderID: id, StoreID: "store-1", CustomerID: "c-1"}
		e, err := events.New(events.OrderPlaced, id, world.Start(), events.OrderPlacedData{OrderRef: ref,
			Items: []events.Item{{SKU: "x", Quantity: 1, PriceCents: 100}}, Address: events.Address{Postcode: "12345"}})
		if err != nil {
			t.Fatal(err)
		}
		batch = append(batch, events.Incoming{Ctx: context.Background(), Event: e})
	}
	ctx := context.Background()
	if err := a.Handle(ctx, batch); err == nil {
		t.Fatal("the batch succeeded with Redis refusing")
	}
	if err := a.Handle(ctx, batch); err != nil { // the redelivery
		t.Fatal(err)
	}
	for _, in := range batch {
		if _, ok := repo.ops[in.Event.ID]; !ok {
			t.Errorf("no prediction recorded for %s", in.Event.Subject)
		}
	}
}
