package app

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/internal/retry"
	"github.com/bloody-sweet/platform/services/order/domain"
)

// fakeRepo applies events to one stored order, or fails as told.
type fakeRepo struct {
	Repository
	order domain.Order
	err   error
}

func (f *fakeRepo) CountByStatus(context.Context) (map[events.Status]int64, error) { return nil, nil }

func (f *fakeRepo) ApplyEvents(_ context.Context, in []events.Incoming, fn ApplyFunc) ([]Change, error) {
	if f.err != nil {
		return nil, f.err
	}
	for _, e := range in {
		if e.Event.Subject != f.order.ID {
			return nil, &UnknownOrderError{Event: e.Event}
		}
		if _, err := fn(&f.order, e); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

type noNotify struct{}

func (noNotify) Notify(time.Time) {}

// TestHandleClassifiesErrors: an event for an unknown order is transient
// within UnknownOrderGrace of its time and permanent after it; a database
// error is transient; what the domain refuses is permanent.
func TestHandleClassifiesErrors(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	repo := &fakeRepo{order: domain.Order{ID: "o-1", Status: events.StatusPlaced}}
	a, err := New(context.Background(), repo, noNotify{}, NewMetrics(prometheus.NewRegistry()), nil)
	if err != nil {
		t.Fatal(err)
	}
	a.now = func() time.Time { return now }
	event := func(typ events.Type, order string, age time.Duration) []events.Incoming {
		e, err := events.New(typ, order, now.Add(-age), events.StoreData{OrderRef: events.OrderRef{OrderID: order}})
		if err != nil {
			t.Fatal(err)
		}
		return []events.Incoming{{Ctx: context.Background(), Event: e}}
	}
	ctx := context.Background()

	err = a.Handle(ctx, event(events.OrderAccepted, "ghost", time.Second))
	var unknown *UnknownOrderError
	if !errors.As(err, &unknown) || retry.IsPermanent(err) {
		t.Errorf("fresh event for an unknown order: %v (permanent %v), want a transient UnknownOrderError", err, retry.IsPermanent(err))
	}
	err = a.Handle(ctx, event(events.OrderAccepted, "ghost", UnknownOrderGrace+time.Second))
	if !errors.As(err, &unknown) || !retry.IsPermanent(err) {
		t.Errorf("event older than the grace for an unknown order: %v, want it permanent", err)
	}
	refused := event(events.OrderAccepted, "o-1", 0)
	refused[0].Event.Type = "OrderTeleported" // what a newer producer might send
	err = a.Handle(ctx, refused)
	if err == nil || !retry.IsPermanent(err) {
		t.Errorf("event the domain refuses: %v, want it permanent", err)
	}
	repo.err = errors.New("dial tcp 127.0.0.1:5432: connection refused")
	if err := a.Handle(ctx, event(events.OrderAccepted, "o-1", time.Hour)); err == nil || retry.IsPermanent(err) {
		t.Errorf("database error: %v, want it transient", err)
	}
	repo.err = nil
	if err := a.Handle(ctx, event(events.OrderAccepted, "o-1", 0)); err != nil || repo.order.Status != events.StatusAccepted {
		t.Errorf("valid event: %v, status %s", err, repo.order.Status)
	}
}

// TestMinIDAt: UUIDv7 order ids placed at or after t sort at or above
// MinIDAt(t), those placed before it below.
func TestMinIDAt(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 14, 0, 0, 0, time.UTC)
	for _, d := range []time.Duration{-time.Millisecond, 0, time.Millisecond, time.Hour} {
		id, err := uuid.NewV7()
		if err != nil {
			t.Fatal(err)
		}
		// Stamp the id with t0+d (the first 48 bits are Unix milliseconds).
		ms := uint64(t0.Add(d).UnixMilli())
		for i := range 6 {
			id[i] = byte(ms >> (40 - 8*i))
		}
		if got, want := id.String() >= MinIDAt(t0), d >= 0; got != want {
			t.Errorf("id placed at t0%+v (%s) >= MinIDAt(t0) (%s): %v, want %v", d, id, MinIDAt(t0), got, want)
		}
	}
}
