// Package app holds the order service's use cases: place an order
// idempotently, read orders, and apply the saga's events.
package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/internal/admission"
	"github.com/bloody-sweet/platform/services/internal/retry"
	"github.com/bloody-sweet/platform/services/internal/storage"
	"github.com/bloody-sweet/platform/services/order/domain"
)

// IdempotencyTTL is how long an Idempotency-Key is remembered: a retry
// within it replays the first answer; after it the key places a new order.
const IdempotencyTTL = 24 * time.Hour

// Idempotency is the stored outcome of a customer's POST for one
// Idempotency-Key (keys are scoped per customer).
type Idempotency struct {
	Customer    string
	Key         string
	RequestHash string
	StatusCode  int
	Body        []byte
	CreatedAt   time.Time
}

// ListFilter selects the orders of List: a store's (StoreID set) or a
// customer's.
type ListFilter struct {
	StoreID    string
	CustomerID string
}

// Change is an order before and after one event, for metrics.
type Change struct {
	Before, After domain.Order
}

// ApplyFunc mutates an order for an event and returns events to publish.
type ApplyFunc func(o *domain.Order, in events.Incoming) ([]events.Envelope, error)

// ChangeFunc changes an order for a customer's request and returns the
// answer to remember with the request's key and the events to publish.
type ChangeFunc func(o *domain.Order) (answer []byte, out []events.Envelope, err error)

// ErrConflict is returned when an Idempotency-Key is reused with another body.
var ErrConflict = errors.New("idempotency key reused with a different request")

// UnknownOrderGrace is how long an event for an order the repository does
// not hold is retried as transient before it is dead-lettered. An order row
// is committed with its OrderPlaced event, so every later event of the saga
// finds it; the grace only rides out a database that briefly answers from
// behind (a restore, a lagging failover target) instead of dead-lettering
// during it. Measured from the event's time, so a retry always ends; kept
// below the consumer's not-ready threshold (KAFKA_CONSUMER_BLOCKED_AFTER,
// 10 s) so that one bogus event does not take an order API pod out of
// service.
const UnknownOrderGrace = 5 * time.Second

// UnknownOrderError is what Repository.ApplyEvents returns for an event
// whose order is not stored.
type UnknownOrderError struct{ Event events.Envelope }

func (e *UnknownOrderError) Error() string {
	return fmt.Sprintf("event %s %s: unknown order %q", e.Event.Type, e.Event.ID, e.Event.Subject)
}

// Repository stores orders; adapters implement it for Postgres and SQLite.
type Repository interface {
	// Create stores o, its idempotency record and its OrderPlaced event in
	// one transaction. If the customer's key exists, created less than
	// IdempotencyTTL before rec.CreatedAt, it stores nothing and returns
	// the existing record with found = true.
	Create(ctx context.Context, o domain.Order, rec Idempotency, placed events.Envelope) (existing Idempotency, found bool, err error)
	// Change applies fn to order id in one transaction with rec, the
	// customer's record for the key (its Body is fn's answer) and fn's
	// events. If the customer's key exists, created less than
	// IdempotencyTTL before rec.CreatedAt, it changes nothing and returns
	// the existing record with found = true. A missing order is
	// storage.ErrNotFound; fn's error is returned as is, nothing written.
	Change(ctx context.Context, id string, rec Idempotency, fn ChangeFunc) (existing Idempotency, found bool, err error)
	// PurgeIdempotency deletes the records created at or before before.
	PurgeIdempotency(ctx context.Context, before time.Time) (int64, error)
	Get(ctx context.Context, id string) (domain.Order, error)
	// List returns up to limit orders of f with ids after afterID.
	List(ctx context.Context, f ListFilter, afterID string, limit int) ([]domain.Order, error)
	// ApplyEvents applies each event not yet in the inbox to its order with
	// fn, in one transaction with the inbox rows and fn's outgoing events.
	// An event for an order it does not hold fails the batch with an
	// *UnknownOrderError.
	ApplyEvents(ctx context.Context, in []events.Incoming, fn ApplyFunc) ([]Change, error)
	CountByStatus(ctx context.Context) (map[events.Status]int64, error)
	// InFlight counts the orders not in a terminal status (the work the
	// pipeline holds, admission control's signal) and returns the smallest
	// id among those with an id at or above minID ("" if none).
	InFlight(ctx context.Context, minID string) (n int64, oldestID string, err error)
	// Accepted reports whether the customer's key has a record created
	// after notBefore (a retry of it replays, it places nothing new).
	Accepted(ctx context.Context, customer, key string, notBefore time.Time) (bool, error)
}

// Notifier wakes the outbox relay after a commit.
type Notifier interface{ Notify(at time.Time) }

// Metrics are the order-specific metrics.
type Metrics struct {
	ByStatus *prometheus.GaugeVec     // status
	Stages   *prometheus.HistogramVec // stage
}

// NewMetrics registers orders_by_status and saga_stage_duration_seconds.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		ByStatus: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "orders_by_status", Help: "Orders in each status, as seen by this replica's writes since start plus the stored counts at start.",
		}, []string{"status"}),
		Stages: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "saga_stage_duration_seconds", Help: "Time between the events that open and close each saga stage.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .15, .25, .5, 1, 2.5, 5, 10},
		}, []string{"stage"}),
	}
	reg.MustRegister(m.ByStatus, m.Stages)
	for _, s := range events.AllStatuses() {
		m.ByStatus.WithLabelValues(string(s))
	}
	for _, s := range domain.StageNames() {
		m.Stages.WithLabelValues(s)
	}
	return m
}

// Presenter writes an order as the API answers it. The answer to a POST is
// stored with its idempotency key, so that a retry replays it byte for
// byte; the port that owns the wire shape provides it.
type Presenter func(domain.Order) ([]byte, error)

// App is the order service.
type App struct {
	repo    Repository
	relay   Notifier
	metrics *Metrics
	present Presenter
	now     func() time.Time
	etas    ETAStore // the ETA read model (eta.go); nil: none
}

// New returns the app and loads the status gauge from storage.
func New(ctx context.Context, repo Repository, relay Notifier, m *Metrics, present Presenter) (*App, error) {
	counts, err := repo.CountByStatus(ctx)
	if err != nil {
		return nil, fmt.Errorf("order: count by status: %w", err)
	}
	for s, n := range counts {
		m.ByStatus.WithLabelValues(string(s)).Set(float64(n))
	}
	return &App{repo: repo, relay: relay, metrics: m, present: present, now: time.Now}, nil
}

// PlaceResult is the response to a POST.
type PlaceResult struct {
	StatusCode int
	Body       []byte
	Replayed   bool
}

// Place is one request to place an order.
type Place struct {
	Customer string // the verified caller
	Key      string // the Idempotency-Key, scoped to Customer
	// Fingerprint identifies the request's content (the port hashes the
	// decoded body, so formatting differences of the same JSON do not
	// count as a different request); the same key with another
	// fingerprint is ErrConflict.
	Fingerprint string
	Draft       domain.Draft // validated
}

// Place creates an order of the customer for a validated draft, or replays
// the answer stored for the customer's key.
func (a *App) Place(ctx context.Context, p Place) (PlaceResult, error) {
	hash, customer, key := p.Fingerprint, p.Customer, p.Key
	now := a.now()
	o := domain.New(uuid.Must(uuid.NewV7()).String(), customer, p.Draft, now)
	body, err := a.present(o)
	if err != nil {
		return PlaceResult{}, fmt.Errorf("order: encode: %w", err)
	}
	placed, err := o.Placed()
	if err != nil {
		return PlaceResult{}, err
	}
	rec := Idempotency{Customer: customer, Key: key, RequestHash: hash, StatusCode: 201, Body: body, CreatedAt: now}
	existing, found, err := a.repo.Create(ctx, o, rec, placed)
	if err != nil {
		return PlaceResult{}, err
	}
	if found {
		if existing.RequestHash != hash {
			return PlaceResult{}, ErrConflict
		}
		return PlaceResult{StatusCode: existing.StatusCode, Body: existing.Body, Replayed: true}, nil
	}
	a.relay.Notify(placed.Time)
	a.metrics.ByStatus.WithLabelValues(string(events.StatusPlaced)).Inc()
	return PlaceResult{StatusCode: 201, Body: body}, nil
}

// Cancel is a customer's request to cancel one of their orders.
type Cancel struct {
	Customer, Key, Fingerprint string // as in Place
	OrderID                    string
	Reason                     string // optional, validated
}

// Cancel cancels the customer's order before pickup (domain.Order.Cancel),
// or replays the answer stored for the customer's key. Someone else's
// order is storage.ErrNotFound, as a missing one; after pickup it is
// domain.ErrPickedUp, a cancelled order domain.ErrCancelled.
func (a *App) Cancel(ctx context.Context, c Cancel) (PlaceResult, error) {
	now := a.now()
	var before, after domain.Order
	rec := Idempotency{Customer: c.Customer, Key: c.Key, RequestHash: c.Fingerprint, StatusCode: 200, CreatedAt: now}
	existing, found, err := a.repo.Change(ctx, c.OrderID, rec, func(o *domain.Order) ([]byte, []events.Envelope, error) {
		if o.CustomerID != c.Customer {
			return nil, nil, storage.ErrNotFound
		}
		before = *o
		e, err := o.Cancel(c.Reason, now)
		if err != nil {
			return nil, nil, err
		}
		after = *o
		body, err := a.present(*o)
		if err != nil {
			return nil, nil, fmt.Errorf("order: encode: %w", err)
		}
		rec.Body = body
		return body, []events.Envelope{e}, nil
	})
	if err != nil {
		return PlaceResult{}, err
	}
	if found {
		if existing.RequestHash != c.Fingerprint {
			return PlaceResult{}, ErrConflict
		}
		return PlaceResult{StatusCode: existing.StatusCode, Body: existing.Body, Replayed: true}, nil
	}
	a.relay.Notify(now)
	a.metrics.ByStatus.WithLabelValues(string(before.Status)).Dec()
	a.metrics.ByStatus.WithLabelValues(string(after.Status)).Inc()
	return PlaceResult{StatusCode: 200, Body: rec.Body}, nil
}

// Revise is a customer's request to change the quantities of one of their
// orders.
type Revise struct {
	Customer, Key, Fingerprint string // as in Place
	OrderID                    string
	Lines                      []domain.Line
}

// Revise asks for a revision of the customer's order before the store
// accepts it (domain.Order.Revise): the answer is the order with its
// revision PENDING; the payment service's re-authorization decides it. A
// line the order cannot take is a *domain.FieldError; after the store
// accepted, domain.ErrAccepted; while a revision is pending,
// domain.ErrRevisionPending; otherwise as Cancel.
func (a *App) Revise(ctx context.Context, rv Revise) (PlaceResult, error) {
	now := a.now()
	rec := Idempotency{Customer: rv.Customer, Key: rv.Key, RequestHash: rv.Fingerprint, StatusCode: 202, CreatedAt: now}
	existing, found, err := a.repo.Change(ctx, rv.OrderID, rec, func(o *domain.Order) ([]byte, []events.Envelope, error) {
		if o.CustomerID != rv.Customer {
			return nil, nil, storage.ErrNotFound
		}
		if ferr := o.ValidRevision(rv.Lines); ferr != nil {
			return nil, nil, ferr
		}
		e, err := o.Revise(rv.Lines, now)
		if err != nil {
			return nil, nil, err
		}
		body, err := a.present(*o)
		if err != nil {
			return nil, nil, fmt.Errorf("order: encode: %w", err)
		}
		rec.Body = body
		return body, []events.Envelope{e}, nil
	})
	if err != nil {
		return PlaceResult{}, err
	}
	if found {
		if existing.RequestHash != rv.Fingerprint {
			return PlaceResult{}, ErrConflict
		}
		return PlaceResult{StatusCode: existing.StatusCode, Body: existing.Body, Replayed: true}, nil
	}
	a.relay.Notify(now)
	return PlaceResult{StatusCode: rec.StatusCode, Body: rec.Body}, nil
}

// InFlight counts the orders placed and not yet delivered or cancelled,
// and says when the oldest of them placed at or after ignoreBefore was
// placed (zero: none). Order ids are UUIDv7, so they sort by time.
func (a *App) InFlight(ctx context.Context, ignoreBefore time.Time) (admission.Sample, error) {
	n, oldestID, err := a.repo.InFlight(ctx, MinIDAt(ignoreBefore))
	if err != nil {
		return admission.Sample{}, err
	}
	smp := admission.Sample{InFlight: n}
	if id, err := uuid.Parse(oldestID); err == nil && id.Version() == 7 {
		sec, nsec := id.Time().UnixTime()
		smp.Oldest = time.Unix(sec, nsec)
	}
	return smp, nil
}

// MinIDAt is the smallest order id (UUIDv7, lower case) placed at or after
// t: ids compare as strings in time order.
func MinIDAt(t time.Time) string {
	ms := uint64(max(t.UnixMilli(), 0))
	return fmt.Sprintf("%08x-%04x-0000-0000-000000000000", ms>>16, ms&0xffff)
}

// Accepted reports whether a POST with the customer's key was accepted and
// is still remembered: its retry replays the first answer and adds no work.
func (a *App) Accepted(ctx context.Context, customer, key string) (bool, error) {
	return a.repo.Accepted(ctx, customer, key, a.now().Add(-IdempotencyTTL))
}

// Get returns one order.
func (a *App) Get(ctx context.Context, id string) (domain.Order, error) { return a.repo.Get(ctx, id) }

// List returns a page of a store's or a customer's orders.
func (a *App) List(ctx context.Context, f ListFilter, afterID string, limit int) ([]domain.Order, error) {
	return a.repo.List(ctx, f, afterID, limit)
}

// SetClock replaces the app's clock (tests of the idempotency expiry).
func (a *App) SetClock(now func() time.Time) { a.now = now }

// PurgeExpired deletes the idempotency records older than IdempotencyTTL.
func (a *App) PurgeExpired(ctx context.Context) (int64, error) {
	return a.repo.PurgeIdempotency(ctx, a.now().Add(-IdempotencyTTL))
}

// Handle applies a batch of saga events (the consumer's handler).
func (a *App) Handle(ctx context.Context, in []events.Incoming) error {
	in, etas, err := splitETAs(in)
	if err != nil {
		return err
	}
	if err := a.putETAs(ctx, etas); err != nil {
		return err
	}
	if len(in) == 0 {
		return nil
	}
	produced := false
	changes, err := a.repo.ApplyEvents(ctx, in, func(o *domain.Order, in events.Incoming) ([]events.Envelope, error) {
		if t := in.Event.Type; t == events.PaymentReauthorized || t == events.PaymentReauthorizationDeclined {
			p, err := events.DecodeData[events.PaymentData](in.Event)
			if err != nil {
				return nil, err
			}
			e, err := o.Decide(p.Revision, t == events.PaymentReauthorized, p.Reason, in.Event.Time)
			if err != nil || e == nil {
				return nil, err
			}
			produced = true
			return []events.Envelope{*e}, nil
		}
		reason := ""
		if in.Event.Type == events.PaymentDeclined || in.Event.Type == events.PaymentRefunded {
			p, err := events.DecodeData[events.PaymentData](in.Event)
			if err != nil {
				return nil, err
			}
			reason = p.Reason
			if in.Event.Type == events.PaymentRefunded {
				reason = "store rejected the order; payment refunded"
			}
		}
		cancel, err := o.Apply(in.Event.Type, in.Event.Time, reason)
		if err != nil {
			return nil, retry.Permanent(err) // the domain refuses this event, every time
		}
		if cancel == nil {
			return nil, nil
		}
		return []events.Envelope{*cancel}, nil
	})
	var unknown *UnknownOrderError
	if errors.As(err, &unknown) && a.now().Sub(unknown.Event.Time) > UnknownOrderGrace {
		return retry.Permanent(err)
	}
	if err != nil {
		return err // a dependency (the database): transient, the consumer retries
	}
	notify := false
	for _, c := range changes {
		if c.Before.Status != c.After.Status {
			a.metrics.ByStatus.WithLabelValues(string(c.Before.Status)).Dec()
			a.metrics.ByStatus.WithLabelValues(string(c.After.Status)).Inc()
			notify = notify || c.After.Status == events.StatusCancelled
		}
		for _, s := range domain.CompletedStages(c.Before, c.After) {
			a.metrics.Stages.WithLabelValues(s.Stage).Observe(s.Duration.Seconds())
		}
	}
	if notify || produced {
		a.relay.Notify(a.now())
	}
	return nil
}
