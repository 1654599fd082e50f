package adapters

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/bloody-sweet/platform/services/catalog/app"
	"github.com/bloody-sweet/platform/services/catalog/domain"
	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/internal/kafka"
)

// runRepositorySuite is the one repository test suite; it runs on FerretDB
// embedded on SQLite (unit tests) and on FerretDB over a real Postgres
// (integration tests). open returns an empty database.
func runRepositorySuite(t *testing.T, open func(t *testing.T) *mongo.Database) {
	ctx := context.Background()
	newRepo := func(t *testing.T) *MongoRepository {
		r := NewMongoRepository(open(t))
		for range 2 { // idempotent
			if err := r.EnsureIndexes(ctx); err != nil {
				t.Fatal(err)
			}
		}
		return r
	}
	t0 := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)
	pizza := domain.Restaurant{
		ID: "luigis", Name: "Luigi's", Cuisine: "italian", Location: domain.Location{Lat: 52.52, Lon: 13.405},
		Hours:        []domain.OpeningHours{{Day: time.Friday, Open: 17 * 60, Close: 26 * 60}},
		PrepCapacity: 6, Version: 1, UpdatedAt: t0,
		Menu: domain.Menu{Items: []domain.MenuItem{{ID: "margherita", Name: "Margherita", PriceCents: 950, Available: true,
			Options: []domain.OptionGroup{{ID: "size", Name: "Size", Min: 1, Max: 1, Choices: []domain.Choice{{ID: "m", Name: "Medium"}, {ID: "l", Name: "Large", PriceCents: 300}}}}}}},
	}
	ev := func(t *testing.T, typ events.Type, r domain.Restaurant) events.Envelope {
		e, err := events.New(typ, r.ID, r.UpdatedAt, map[string]any{"store_id": r.ID})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}

	t.Run("save then get round-trips with the menu", func(t *testing.T) {
		r := newRepo(t)
		if err := r.Save(ctx, pizza, 0, nil); err != nil {
			t.Fatal(err)
		}
		got, err := r.Get(ctx, pizza.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(pizza, got); d != "" {
			t.Fatalf("round trip (-want +got):\n%s", d)
		}
		if _, err := r.Get(ctx, "nobody"); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("unknown id: %v, want ErrNotFound", err)
		}
	})

	t.Run("a second create and a stale update conflict and change nothing", func(t *testing.T) {
		r := newRepo(t)
		if err := r.Save(ctx, pizza, 0, nil); err != nil {
			t.Fatal(err)
		}
		again := pizza
		again.Name = "Impostor"
		if err := r.Save(ctx, again, 0, []events.Envelope{ev(t, events.StoreUpdated, again)}); !errors.Is(err, app.ErrConflict) {
			t.Fatalf("second create: %v, want ErrConflict", err)
		}
		v2 := pizza
		v2.Name, v2.Version = "Luigi's Trattoria", 2
		if err := r.Save(ctx, v2, 1, nil); err != nil {
			t.Fatal(err)
		}
		stale := pizza
		stale.Name, stale.Version = "Stale", 2
		if err := r.Save(ctx, stale, 1, []events.Envelope{ev(t, events.StoreUpdated, stale)}); !errors.Is(err, app.ErrConflict) {
			t.Fatalf("stale update: %v, want ErrConflict", err)
		}
		got, err := r.Get(ctx, pizza.ID)
		if err != nil || got.Name != "Luigi's Trattoria" || got.Version != 2 {
			t.Fatalf("after the races: %+v, %v", got, err)
		}
		if p, err := r.Pending(ctx, 100); err != nil || len(p) != 0 {
			t.Fatalf("a refused write queued events: %v, %v", p, err)
		}
	})

	t.Run("list pages in id order and filters by cuisine", func(t *testing.T) {
		r := newRepo(t)
		ids := []string{"e", "a", "d", "b", "c"}
		for i, id := range ids {
			x := pizza
			x.ID = id
			if i%2 == 0 {
				x.Cuisine = "thai"
			}
			if err := r.Save(ctx, x, 0, nil); err != nil {
				t.Fatal(err)
			}
		}
		var seen []string
		after := ""
		for {
			page, err := r.List(ctx, app.Query{After: after, Limit: 2})
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			for _, p := range page {
				seen = append(seen, p.ID)
			}
			after = page[len(page)-1].ID
		}
		if d := cmp.Diff([]string{"a", "b", "c", "d", "e"}, seen); d != "" {
			t.Fatalf("pages (-want +got):\n%s", d)
		}
		thai, err := r.List(ctx, app.Query{Cuisine: "thai", Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range thai {
			got = append(got, p.ID)
		}
		if d := cmp.Diff([]string{"c", "d", "e"}, got); d != "" {
			t.Fatalf("thai (-want +got):\n%s", d)
		}
	})

	t.Run("the outbox keeps events until they are sent, in order", func(t *testing.T) {
		r := newRepo(t)
		e1, e2 := ev(t, events.StoreUpdated, pizza), ev(t, events.MenuUpdated, pizza)
		if err := r.Save(ctx, pizza, 0, []events.Envelope{e1, e2}); err != nil {
			t.Fatal(err)
		}
		v2 := pizza
		v2.Version = 2
		e3 := ev(t, events.MenuUpdated, v2)
		if err := r.Save(ctx, v2, 1, []events.Envelope{e3}); err != nil {
			t.Fatal(err)
		}
		failing := &fakePub{err: errors.New("broker down")}
		if n, err := r.RelayOnce(ctx, failing, 100); err == nil || n != 0 {
			t.Fatalf("relay to a failing broker: %d, %v", n, err)
		}
		pub := &fakePub{}
		if n, err := r.RelayOnce(ctx, pub, 100); err != nil || n != 3 {
			t.Fatalf("relay: %d, %v", n, err)
		}
		var got []string
		for _, m := range pub.sent {
			var e events.Envelope
			if err := json.Unmarshal(m.Value, &e); err != nil {
				t.Fatal(err)
			}
			if m.Topic != events.TopicCatalog || m.Key != pizza.ID {
				t.Fatalf("message on %s key %s", m.Topic, m.Key)
			}
			got = append(got, e.ID)
		}
		if d := cmp.Diff([]string{e1.ID, e2.ID, e3.ID}, got); d != "" {
			t.Fatalf("published (-want +got):\n%s", d)
		}
		if n, err := r.RelayOnce(ctx, pub, 100); err != nil || n != 0 {
			t.Fatalf("second relay published %d again (%v)", n, err)
		}
		// The outbox is invisible to readers.
		if got, err := r.Get(ctx, pizza.ID); err != nil || got.Version != 2 {
			t.Fatalf("get after relay: %+v, %v", got, err)
		}
	})
}

type fakePub struct {
	err  error
	sent []kafka.Outgoing
}

func (p *fakePub) Publish(_ context.Context, msgs []kafka.Outgoing) error {
	if p.err != nil {
		return p.err
	}
	p.sent = append(p.sent, slices.Clone(msgs)...)
	return nil
}
