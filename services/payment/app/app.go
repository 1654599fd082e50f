// Package app is the payment service's use case: authorize the payment of
// each placed order with the provider (once), refund it if the store
// rejects the order or the customer cancels it.
package app

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/payment/domain"
)

// OpKind is what to store for one event.
type OpKind int

// The operations.
const (
	OpRecord         OpKind = iota // store a new payment (authorized or declined)
	OpRefund                       // mark an authorized payment refunded
	OpReauth                       // hold a revision's authorization beside the current one
	OpReauthDeclined               // announce that a revision's new total was declined
	OpSettle                       // the revision applied: its authorization becomes the current one
	OpDropPending                  // the revision was refused: its authorization is gone
)

// Op is one event's effect, applied with its inbox row.
type Op struct {
	Ctx     context.Context
	EventID string
	Kind    OpKind
	Payment domain.Payment
	At      time.Time
	Event   events.Type // the event to write when not the payment's status's
}

// Repository stores payments.
type Repository interface {
	// Known returns which event ids were processed and the existing
	// payments of orderIDs (a hint to avoid provider calls).
	Known(ctx context.Context, eventIDs, orderIDs []string) (map[string]bool, map[string]domain.Payment, error)
	// Apply stores ops not yet in the inbox, each with its event, in one
	// transaction; it returns the times of the events written.
	Apply(ctx context.Context, ops []Op) ([]time.Time, error)
}

// Notifier wakes the outbox relay.
type Notifier interface{ Notify(at time.Time) }

// App is the payment service.
type App struct {
	Repo     Repository
	Provider domain.Provider
	Relay    Notifier
}

// Handle processes a batch of order and store events.
func (a *App) Handle(ctx context.Context, batch []events.Incoming) error {
	var eventIDs, orderIDs []string
	for _, d := range batch {
		eventIDs = append(eventIDs, d.Event.ID)
		orderIDs = append(orderIDs, d.Event.Subject)
	}
	seen, existing, err := a.Repo.Known(ctx, eventIDs, orderIDs)
	if err != nil {
		return err
	}
	ops := make([]Op, len(batch))
	keep := make([]bool, len(batch))
	var refunds []events.Incoming
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	// A failure does not stop the loop: the provider calls already started
	// finish, and every failure of the batch is returned.
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	for i, d := range batch {
		if seen[d.Event.ID] {
			continue
		}
		switch d.Event.Type {
		case events.OrderPlaced:
			placed, err := events.DecodeData[events.OrderPlacedData](d.Event)
			if err != nil {
				fail(err)
				continue
			}
			if _, ok := existing[placed.OrderID]; ok {
				// Recorded by an earlier delivery of another event id:
				// nothing to charge, nothing to announce again.
				continue
			}
			keep[i] = true
			// Provider calls run concurrently: they are network calls.
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := a.Provider.Authorize(d.Ctx, placed.OrderID, placed.TotalCents)
				if err != nil {
					fail(fmt.Errorf("authorize %s: %w", placed.OrderID, err))
					return
				}
				ops[i] = Op{Ctx: d.Ctx, EventID: d.Event.ID, Kind: OpRecord, Payment: domain.FromResult(placed.OrderRef, placed.TotalCents, res), At: d.Event.Time.Add(res.Took)}
			}()
		case events.OrderRejected, events.OrderCancelled, events.OrderRevised, events.OrderRevisionApplied, events.OrderRevisionRefused:
			// Refunds follow the batch's authorizations: an order placed
			// and cancelled in one batch is charged, then refunded.
			refunds = append(refunds, d)
		}
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	var todo []Op
	for i, k := range keep {
		if k {
			todo = append(todo, ops[i])
		}
	}
	if err := a.apply(ctx, todo); err != nil {
		return err
	}
	if len(refunds) == 0 {
		return nil
	}
	return a.refund(ctx, refunds)
}

// refund refunds the authorized payments of rejected orders and of orders
// their customer cancelled, and handles revisions (revise), once: the provider call carries the order id
// as its idempotency key (a call repeated after a crash refunds nothing
// more) and the stored status moves from AUTHORIZED once, with the one
// PaymentRefunded event.
func (a *App) refund(ctx context.Context, batch []events.Incoming) error {
	var eventIDs, orderIDs []string
	for _, d := range batch {
		eventIDs = append(eventIDs, d.Event.ID)
		orderIDs = append(orderIDs, d.Event.Subject)
	}
	seen, existing, err := a.Repo.Known(ctx, eventIDs, orderIDs)
	if err != nil {
		return err
	}
	var ops []Op
	for _, d := range batch {
		if seen[d.Event.ID] {
			continue
		}
		var (
			reason string
			ref    events.OrderRef
		)
		switch d.Event.Type {
		case events.OrderRevised, events.OrderRevisionApplied, events.OrderRevisionRefused:
			op, keep, err := a.revise(d, existing)
			if err != nil {
				return err
			}
			if keep {
				existing[op.Payment.OrderID] = op.Payment
				ops = append(ops, op)
			}
			continue
		case events.OrderRejected:
			rej, err := events.DecodeData[events.StoreData](d.Event)
			if err != nil {
				return err
			}
			reason, ref = rej.Reason, rej.OrderRef
		case events.OrderCancelled:
			c, err := events.DecodeData[events.OrderCancelledData](d.Event)
			if err != nil {
				return err
			}
			if !c.ByCustomer {
				continue // after a decline or a refund: nothing left to give back
			}
			reason, ref = c.Reason, c.OrderRef
		}
		p, ok := existing[d.Event.Subject]
		if !ok || p.Status != domain.Authorized {
			continue
		}
		if err := a.Provider.Refund(d.Ctx, p.Key(), p.PaymentID); err != nil {
			return fmt.Errorf("refund %s: %w", p.OrderID, err)
		}
		p.Status = domain.Refunded
		p.Reason = reason
		p.CustomerID = ref.CustomerID // the refund's event carries the customer like the rest
		existing[p.OrderID] = p
		ops = append(ops, Op{Ctx: d.Ctx, EventID: d.Event.ID, Kind: OpRefund, Payment: p, At: time.Now()})
	}
	return a.apply(ctx, ops)
}

// revise re-authorizes a revision's new total beside the current
// authorization (the provider key names the revision, so a repeated call
// charges once), and once the order service decided, voids the
// authorization that lost: the original one when the revision applied, the
// revision's when it was refused.
func (a *App) revise(d events.Incoming, existing map[string]domain.Payment) (Op, bool, error) {
	p, ok := existing[d.Event.Subject]
	op := Op{Ctx: d.Ctx, EventID: d.Event.ID, At: time.Now()}
	if d.Event.Type == events.OrderRevised {
		rv, err := events.DecodeData[events.OrderRevisedData](d.Event)
		if err != nil {
			return op, false, err
		}
		if !ok || p.Status != domain.Authorized || p.Pending != nil {
			if !ok {
				p = domain.Payment{OrderID: rv.OrderID, StoreID: rv.StoreID}
			}
			p.CustomerID, p.Revision, p.Reason = rv.CustomerID, rv.Revision, "no authorized payment to revise"
			op.Kind, op.Event, op.Payment = OpReauthDeclined, events.PaymentReauthorizationDeclined, p
			return op, true, nil
		}
		key := domain.ReauthKey(p.OrderID, rv.Revision)
		res, err := a.Provider.Authorize(d.Ctx, key, rv.TotalCents)
		if err != nil {
			return op, false, fmt.Errorf("re-authorize %s: %w", key, err)
		}
		p.CustomerID, p.Revision = rv.CustomerID, rv.Revision
		if !res.Approved {
			p.Reason = res.Reason
			op.Kind, op.Event, op.Payment = OpReauthDeclined, events.PaymentReauthorizationDeclined, p
			return op, true, nil
		}
		p.Pending = &domain.Reauth{Revision: rv.Revision, Key: key, PaymentID: res.PaymentID, AmountCents: rv.TotalCents}
		op.Kind, op.Event, op.Payment = OpReauth, events.PaymentReauthorized, p
		return op, true, nil
	}
	dec, err := events.DecodeData[events.RevisionData](d.Event)
	if err != nil {
		return op, false, err
	}
	if !ok || p.Pending == nil || p.Pending.Revision != dec.Revision {
		return op, false, nil // decided already (a duplicate), or nothing held
	}
	void := p.Pending
	op.Kind = OpDropPending
	if d.Event.Type == events.OrderRevisionApplied {
		void = &domain.Reauth{Key: p.Key(), PaymentID: p.PaymentID}
		op.Kind = OpSettle
		p.AuthKey, p.PaymentID, p.AmountCents = p.Pending.Key, p.Pending.PaymentID, p.Pending.AmountCents
	}
	if err := a.Provider.Refund(d.Ctx, void.Key, void.PaymentID); err != nil {
		return op, false, fmt.Errorf("void %s: %w", void.Key, err)
	}
	p.Revision, p.Pending = dec.Revision, nil
	op.Payment = p
	return op, true, nil
}

func (a *App) apply(ctx context.Context, ops []Op) error {
	if len(ops) == 0 {
		return nil
	}
	due, err := a.Repo.Apply(ctx, ops)
	if err != nil {
		return err
	}
	if len(due) > 0 {
		a.Relay.Notify(time.Now())
	}
	return nil
}
