package model

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/bloody-sweet/platform/services/world"
)

func records(t *testing.T, n int) []Record {
	t.Helper()
	w, err := world.New(world.Defaults())
	if err != nil {
		t.Fatal(err)
	}
	var out []Record
	for _, tr := range w.Simulate(world.Start(), 1)[:n] {
		r := Record{Order: tr.ID, Store: tr.Store, DistanceKm: w.Distance(tr.Store, tr.Zone), Items: tr.Items, Placed: tr.Placed}
		for s := range Stages {
			k := tr.Known(world.Stage(s))
			r.Queue[s], r.Busy[s], r.Took[s] = k.Queue, k.Busy, tr.At[s+1].Sub(tr.At[s])
		}
		out = append(out, r)
	}
	return out
}

// TestSaveAndReloadGiveTheSamePredictions: a saved version is current and
// predicts what the trained one did; a missing folder has no model.
func TestSaveAndReloadGiveTheSamePredictions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	recs := records(t, 400)
	m, err := Train(recs, world.Start())
	if err != nil {
		t.Fatal(err)
	}
	d := Dir{Path: t.TempDir() + "/models"}
	if _, err := d.Current(ctx); !errors.Is(err, ErrNoModel) {
		t.Fatalf("empty folder: %v, want ErrNoModel", err)
	}
	if err := d.Save(ctx, m); err != nil {
		t.Fatal(err)
	}
	got, err := d.Current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != m.Version {
		t.Fatalf("current %s, saved %s", got.Version, m.Version)
	}
	for from := range Stages {
		a, err1 := m.Predict(recs[0].At(from), from)
		b, err2 := got.Predict(recs[0].At(from), from)
		if err1 != nil || err2 != nil || a != b {
			t.Errorf("point %d: trained %v (%v), reloaded %v (%v)", from, a, err1, b, err2)
		}
		if !(a.P10 < a.P50 && a.P50 < a.P90) {
			t.Errorf("point %d: interval %v not ordered", from, a)
		}
	}
	again, err := Train(recs, world.Start().Add(time.Hour))
	if err != nil || again.Version != m.Version {
		t.Errorf("same data, version %s then %s (%v)", m.Version, again.Version, err)
	}
}

func TestTrainNeedsOrders(t *testing.T) {
	t.Parallel()
	if _, err := Train(records(t, MinOrders-1), world.Start()); err == nil {
		t.Error("trained on too few orders")
	}
}
