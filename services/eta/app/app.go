// Package app is the eta service's use case: predict on every step of the
// saga, announce the prediction once per order and step, and score the
// predictions when the order is delivered.
package app

import (
	"context"
	"sync"
	"time"

	"github.com/bloody-sweet/platform/services/eta/domain"
	"github.com/bloody-sweet/platform/services/events"
)

// Op is one prediction to record and announce.
type Op struct {
	Ctx        context.Context
	EventID    string
	Prediction domain.Prediction
}

// Repository records predictions with their EtaUpdated events, once per
// event id and once per order and step; it returns the events' times.
type Repository interface {
	Record(ctx context.Context, ops []Op) ([]time.Time, error)
}

// Notifier wakes the outbox relay.
type Notifier interface{ Notify(at time.Time) }

// Metrics receives the outcome of each prediction of a delivered order.
type Metrics interface{ Outcome(o domain.Outcome) }

// App is the eta service.
type App struct {
	Repo    Repository
	Relay   Notifier
	Metrics Metrics

	mu        sync.Mutex
	predictor *domain.Predictor
	// pending are predictions made but not recorded yet: when a batch
	// fails part-way (Redis or the database down), it is redelivered, and
	// the predictor, which has seen its first events, does not predict for
	// them again; they are recorded with the next batch that gets through
	// (Record is idempotent per event id).
	pending []Op
}

// New returns the app predicting with p.
func New(repo Repository, relay Notifier, m Metrics, p *domain.Predictor) *App {
	return &App{Repo: repo, Relay: relay, Metrics: m, predictor: p}
}

// Handle processes a batch of the saga's events. The features are kept in
// memory: a batch that is retried is observed again, and the tracker drops
// the steps it has seen.
func (a *App) Handle(ctx context.Context, batch []events.Incoming) error {
	a.mu.Lock()
	ops := a.pending
	a.pending = nil
	for _, d := range batch {
		p, outcomes, err := a.predictor.Observe(ctx, d.Event)
		if err != nil {
			a.pending = ops
			a.mu.Unlock()
			return err
		}
		for _, o := range outcomes {
			a.Metrics.Outcome(o)
		}
		if p != nil {
			ops = append(ops, Op{Ctx: d.Ctx, EventID: d.Event.ID, Prediction: *p})
		}
	}
	a.mu.Unlock()
	if len(ops) == 0 {
		return nil
	}
	due, err := a.Repo.Record(ctx, ops)
	if err != nil {
		a.mu.Lock()
		a.pending = append(ops, a.pending...)
		a.mu.Unlock()
		return err
	}
	for _, t := range due {
		a.Relay.Notify(t)
	}
	return nil
}
