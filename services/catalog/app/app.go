// Package app is the catalog's use cases: customers browse restaurants and
// menus, operators change them, and every change queues its event
// (StoreUpdated, MenuUpdated) in the same write as the change.
package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bloody-sweet/platform/services/catalog/domain"
	"github.com/bloody-sweet/platform/services/events"
)

// ErrConflict is a write that lost a race: the stored version is no longer
// the one the change was made from.
var ErrConflict = errors.New("catalog: the restaurant changed meanwhile")

// Query selects a page of restaurants, in id order.
type Query struct {
	Cuisine string // "" for all
	After   string // the last id of the previous page
	Limit   int
}

// Repository stores restaurants with their menus, one document each, and
// their outgoing events in that document (the outbox: DocumentDB and
// FerretDB write one document atomically, so the change and its event are
// stored together or not at all).
type Repository interface {
	List(ctx context.Context, q Query) ([]domain.Restaurant, error)
	// Get returns domain.ErrNotFound for an unknown id.
	Get(ctx context.Context, id string) (domain.Restaurant, error)
	// Save stores r if the stored version is still prev (0: r is new) and
	// queues out with it; otherwise it returns ErrConflict.
	Save(ctx context.Context, r domain.Restaurant, prev int64, out []events.Envelope) error
}

// MaxPage bounds a page of restaurants.
const MaxPage = 100

// App is the catalog.
type App struct {
	repo Repository
	now  func() time.Time
}

// New returns the catalog on repo; now is the clock (nil: time.Now).
func New(repo Repository, now func() time.Time) *App {
	if now == nil {
		now = time.Now
	}
	return &App{repo: repo, now: now}
}

// List returns a page of restaurants.
func (a *App) List(ctx context.Context, q Query) ([]domain.Restaurant, error) {
	if q.Limit <= 0 || q.Limit > MaxPage {
		q.Limit = MaxPage
	}
	return a.repo.List(ctx, q)
}

// Get returns one restaurant with its menu.
func (a *App) Get(ctx context.Context, id string) (domain.Restaurant, error) {
	if domain.ID("id", id) != nil {
		return domain.Restaurant{}, domain.ErrNotFound
	}
	return a.repo.Get(ctx, id)
}

// retries is how often a change is re-applied on a newer version after
// losing a race to another operator's change.
const retries = 3

// PutStore creates the restaurant r.ID or replaces its own fields (its
// menu stays), and announces it with StoreUpdated (and, when new, its
// empty menu with MenuUpdated). created says which.
func (a *App) PutStore(ctx context.Context, r domain.Restaurant) (domain.Restaurant, bool, error) {
	if ferr := r.Validate(); ferr != nil {
		return domain.Restaurant{}, false, ferr
	}
	for range retries {
		cur, err := a.repo.Get(ctx, r.ID)
		created := errors.Is(err, domain.ErrNotFound)
		if err != nil && !created {
			return domain.Restaurant{}, false, err
		}
		next := r
		next.Menu = cur.Menu
		next.Version, next.UpdatedAt = cur.Version+1, a.now().UTC().Truncate(time.Millisecond)
		out, err := announce(next, true, created)
		if err != nil {
			return domain.Restaurant{}, false, err
		}
		err = a.repo.Save(ctx, next, cur.Version, out)
		if errors.Is(err, ErrConflict) {
			continue
		}
		return next, created, err
	}
	return domain.Restaurant{}, false, ErrConflict
}

// PutMenu replaces the menu of restaurant id and announces it with
// MenuUpdated.
func (a *App) PutMenu(ctx context.Context, id string, m domain.Menu) (domain.Restaurant, error) {
	if ferr := m.Validate(); ferr != nil {
		return domain.Restaurant{}, ferr
	}
	for range retries {
		cur, err := a.Get(ctx, id)
		if err != nil {
			return domain.Restaurant{}, err
		}
		next := cur
		next.Menu = m
		next.Version, next.UpdatedAt = cur.Version+1, a.now().UTC().Truncate(time.Millisecond)
		out, err := announce(next, false, true)
		if err != nil {
			return domain.Restaurant{}, err
		}
		err = a.repo.Save(ctx, next, cur.Version, out)
		if errors.Is(err, ErrConflict) {
			continue
		}
		return next, err
	}
	return domain.Restaurant{}, ErrConflict
}

// Seed creates each of rs that does not exist yet, with its menu, and
// leaves the existing ones as they are (an operator's changes survive a
// restart). It returns how many it created.
func (a *App) Seed(ctx context.Context, rs []domain.Restaurant) (int, error) {
	n := 0
	for i, r := range rs {
		if ferr := r.Validate(); ferr != nil {
			return n, fmt.Errorf("seed restaurant %d (%s): %w", i, r.ID, ferr)
		}
		if ferr := r.Menu.Validate(); ferr != nil {
			return n, fmt.Errorf("seed restaurant %d (%s): menu: %w", i, r.ID, ferr)
		}
		r.Version, r.UpdatedAt = 1, a.now().UTC().Truncate(time.Millisecond)
		out, err := announce(r, true, true)
		if err != nil {
			return n, err
		}
		switch err := a.repo.Save(ctx, r, 0, out); {
		case errors.Is(err, ErrConflict):
			// Exists already.
		case err != nil:
			return n, fmt.Errorf("seed restaurant %s: %w", r.ID, err)
		default:
			n++
		}
	}
	return n, nil
}

// announce makes the events of a change to r.
func announce(r domain.Restaurant, store, menu bool) ([]events.Envelope, error) {
	var out []events.Envelope
	if store {
		e, err := events.New(events.StoreUpdated, r.ID, r.UpdatedAt, events.StoreUpdatedData{Restaurant: WireRestaurant(r)})
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	if menu {
		e, err := events.New(events.MenuUpdated, r.ID, r.UpdatedAt, events.MenuUpdatedData{Menu: WireMenu(r)})
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}
