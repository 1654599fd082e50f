package adapters

import (
	"context"
	"testing"
	"time"

	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/internal/storage"
	"github.com/bloody-sweet/platform/services/order/app"
)

// runETASuite is the ETA read model's test, on SQLite here and on a real
// Postgres in the integration tests.
func runETASuite(t *testing.T, db *storage.DB) {
	ctx := context.Background()
	if err := db.Migrate(ctx, Migrations()); err != nil {
		t.Fatal(err)
	}
	r := NewSQLRepository(db)
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	eta := func(id, step string, made time.Duration, at time.Duration) app.ETA {
		return app.ETA{OrderID: id, Step: step, ModelVersion: "v-" + step, MadeAt: t0.Add(made),
			At: t0.Add(at), P10: t0.Add(at - time.Minute), P90: t0.Add(at + time.Minute)}
	}
	placed := eta("o-1", events.EtaStepPlaced, 0, 30*time.Minute)
	ready := eta("o-1", events.EtaStepReady, 10*time.Minute, 32*time.Minute)
	readyLater := eta("o-1", events.EtaStepReady, 11*time.Minute, 33*time.Minute)
	other := eta("o-2", events.EtaStepAccepted, time.Minute, 40*time.Minute)
	// In one batch and across batches, out of order and redelivered: the
	// latest step wins, then the latest made at the same step.
	for _, batch := range [][]app.ETA{{placed, ready, other}, {placed}, {readyLater}, {ready, placed}} {
		if err := r.PutETAs(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	got, err := r.ETAs(ctx, []string{"o-1", "o-2", "o-3"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]app.ETA{"o-1": readyLater, "o-2": other}
	if len(got) != len(want) {
		t.Fatalf("ETAs = %+v, want %+v", got, want)
	}
	for id, w := range want {
		g := got[id]
		if g.Step != w.Step || g.ModelVersion != w.ModelVersion || !g.MadeAt.Equal(w.MadeAt) || !g.At.Equal(w.At) || !g.P10.Equal(w.P10) || !g.P90.Equal(w.P90) {
			t.Errorf("ETA of %s = %+v, want %+v", id, g, w)
		}
	}
}

func TestETAReadModelSQLite(t *testing.T) {
	t.Parallel()
	db, err := storage.Open(context.Background(), "", "order")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	runETASuite(t, db)
}
