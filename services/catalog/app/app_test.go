package app

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/bloody-sweet/platform/services/catalog/domain"
	"github.com/bloody-sweet/platform/services/events"
)

// racyRepo is an in-memory Repository whose next `races` saves lose to a
// concurrent change (the stored version moves on first).
type racyRepo struct {
	rs    map[string]domain.Restaurant
	races int
	out   []events.Envelope
}

func (m *racyRepo) List(context.Context, Query) ([]domain.Restaurant, error) { return nil, nil }
func (m *racyRepo) Get(_ context.Context, id string) (domain.Restaurant, error) {
	r, ok := m.rs[id]
	if !ok {
		return r, domain.ErrNotFound
	}
	return r, nil
}
func (m *racyRepo) Save(_ context.Context, r domain.Restaurant, prev int64, out []events.Envelope) error {
	if m.races > 0 {
		m.races--
		cur := m.rs[r.ID]
		cur.Version++
		m.rs[r.ID] = cur
		return ErrConflict
	}
	if m.rs[r.ID].Version != prev {
		return ErrConflict
	}
	m.rs[r.ID], m.out = r, append(m.out, out...)
	return nil
}

func TestChangesRetryLostRacesAndAnnounceTheVersion(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 3, 6, 12, 0, 0, 0, time.UTC)
	r := domain.Restaurant{ID: "r", Name: "R", Cuisine: "thai", Location: domain.Location{Lat: 1, Lon: 2}, PrepCapacity: 3}
	repo := &racyRepo{rs: map[string]domain.Restaurant{}}
	a := New(repo, func() time.Time { return at })
	if _, created, err := a.PutStore(ctx, r); err != nil || !created {
		t.Fatalf("create: %v %v", created, err)
	}
	menu := domain.Menu{Items: []domain.MenuItem{{ID: "a", Name: "A", PriceCents: 100, Available: true}}}
	repo.races = 2 // two other changes win first; the third try stores
	saved, err := a.PutMenu(ctx, "r", menu)
	if err != nil || saved.Version != 4 {
		t.Fatalf("menu after two lost races: version %d, %v", saved.Version, err)
	}
	last := repo.out[len(repo.out)-1]
	var d events.MenuUpdatedData
	if err := json.Unmarshal(last.Data, &d); err != nil || last.Type != events.MenuUpdated || d.Version != 4 || last.Subject != "r" {
		t.Fatalf("last event %s %s: %+v %v", last.Type, last.Subject, d, err)
	}
	repo.races = retries
	if _, err := a.PutMenu(ctx, "r", menu); !errors.Is(err, ErrConflict) {
		t.Fatalf("after %d lost races: %v, want ErrConflict", retries, err)
	}
	var ferr *domain.FieldError
	if _, err := a.PutMenu(ctx, "r", domain.Menu{Items: []domain.MenuItem{{ID: "a"}}}); !errors.As(err, &ferr) || ferr.Field != "items[0].name" {
		t.Fatalf("bad menu: %v", err)
	}
}
