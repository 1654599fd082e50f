package adapters

import (
	"context"
	"testing"

	"github.com/bloody-sweet/platform/services/catalog/app"
	"github.com/bloody-sweet/platform/services/catalog/seed"
	"github.com/bloody-sweet/platform/services/internal/config"
	"github.com/bloody-sweet/platform/services/internal/docdb"
)

// Seeding at every start creates the seed once and keeps an operator's
// changes: the second run creates nothing and queues no events.
func TestSeedIsIdempotent(t *testing.T) {
	ctx := context.Background()
	db, err := docdb.Open(ctx, docdb.Config{URL: config.Embedded, Database: "seed"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close(context.Background()) })
	repo := NewMongoRepository(db.Database)
	a := app.New(repo, nil)
	rs := seed.Restaurants()
	if n, err := a.Seed(ctx, rs); err != nil || n != len(rs) {
		t.Fatalf("first seed: %d, %v", n, err)
	}
	changed := rs[0]
	changed.Name = "Renamed by its operator"
	if _, _, err := a.PutStore(ctx, changed); err != nil {
		t.Fatal(err)
	}
	pend, err := repo.Pending(ctx, 1000)
	if err != nil {
		t.Fatal(err)
	}
	// StoreUpdated and MenuUpdated per restaurant, and the rename.
	if want := 2*len(rs) + 1; len(pend) != want {
		t.Fatalf("%d events queued, want %d", len(pend), want)
	}
	if n, err := a.Seed(ctx, rs); err != nil || n != 0 {
		t.Fatalf("second seed: %d, %v", n, err)
	}
	if again, err := repo.Pending(ctx, 1000); err != nil || len(again) != len(pend) {
		t.Fatalf("the second seed queued events: %d, %v", len(again), err)
	}
	got, err := a.Get(ctx, rs[0].ID)
	if err != nil || got.Name != changed.Name || got.Version != 2 {
		t.Fatalf("after the second seed: %+v, %v", got, err)
	}
}
