// Package adapters implements the payment repository on SQL and the
// simulated payment provider.
package adapters

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bloody-sweet/platform/services/internal/storage"
	"github.com/bloody-sweet/platform/services/payment/app"
	"github.com/bloody-sweet/platform/services/payment/domain"
)

//go:embed migrations/*.sql
var migrationsFS embed.FS

// Migrations returns the payment tables.
func Migrations() embed.FS { return migrationsFS }

// SQLRepository implements app.Repository.
type SQLRepository struct{ db *storage.DB }

// NewSQLRepository returns a repository on a migrated db.
func NewSQLRepository(db *storage.DB) *SQLRepository { return &SQLRepository{db: db} }

var _ app.Repository = (*SQLRepository)(nil)

// Known implements app.Repository.
func (r *SQLRepository) Known(ctx context.Context, eventIDs, orderIDs []string) (map[string]bool, map[string]domain.Payment, error) {
	seen, err := r.db.Processed(ctx, eventIDs)
	if err != nil {
		return nil, nil, err
	}
	pays := map[string]domain.Payment{}
	if len(orderIDs) == 0 {
		return seen, pays, nil
	}
	args := make([]any, len(orderIDs))
	for i, id := range orderIDs {
		args[i] = id
	}
	rows, err := r.db.QueryContext(ctx, r.db.SQL(`SELECT `+paymentColumns+` FROM {p}payments WHERE order_id IN (?`+strings.Repeat(",?", len(args)-1)+`)`), args...)
	if err != nil {
		return nil, nil, fmt.Errorf("payment: lookup: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		p, err := scanPayment(rows)
		if err != nil {
			return nil, nil, err
		}
		pays[p.OrderID] = p
	}
	return seen, pays, rows.Err()
}

// Apply implements app.Repository.
func (r *SQLRepository) Apply(ctx context.Context, ops []app.Op) ([]time.Time, error) {
	var due []time.Time
	ids := make([]string, len(ops))
	for i, op := range ops {
		ids[i] = op.EventID
	}
	err := r.db.ApplyOnce(ctx, ids, func(tx *sql.Tx, i int) error {
		op := ops[i]
		var (
			ok  bool
			err error
		)
		p := op.Payment
		now := time.Now().UnixMicro()
		switch op.Kind {
		case app.OpRecord:
			ok, err = storage.Inserted(tx.ExecContext(ctx, r.db.SQL(`INSERT INTO {p}payments (order_id, store_id, amount_cents, status, payment_id, reason, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`), p.OrderID, p.StoreID, p.AmountCents, p.Status, p.PaymentID, p.Reason, now))
		case app.OpRefund:
			ok, err = storage.Inserted(tx.ExecContext(ctx, r.db.SQL(`UPDATE {p}payments SET status = ?, updated_at = ? WHERE order_id = ? AND status = ?`),
				domain.Refunded, now, p.OrderID, domain.Authorized))
		case app.OpReauth:
			ok, err = storage.Inserted(tx.ExecContext(ctx, r.db.SQL(`UPDATE {p}payments SET pending_revision = ?, pending_key = ?, pending_payment_id = ?, pending_amount_cents = ?, updated_at = ?
				WHERE order_id = ? AND status = ? AND pending_revision = 0`), p.Pending.Revision, p.Pending.Key, p.Pending.PaymentID, p.Pending.AmountCents, now, p.OrderID, domain.Authorized))
		case app.OpReauthDeclined:
			ok = true // no state: the inbox makes its event once
		case app.OpSettle, app.OpDropPending:
			set := `pending_revision = 0, pending_key = '', pending_payment_id = '', pending_amount_cents = 0`
			if op.Kind == app.OpSettle {
				set = `auth_key = pending_key, payment_id = pending_payment_id, amount_cents = pending_amount_cents, ` + set
			}
			_, err = tx.ExecContext(ctx, r.db.SQL(`UPDATE {p}payments SET `+set+`, updated_at = ? WHERE order_id = ? AND pending_revision = ?`), now, p.OrderID, p.Revision)
			// no event: the order service decided, and announced it
		default:
			return fmt.Errorf("payment: unknown op %d", op.Kind)
		}
		if err != nil {
			return fmt.Errorf("payment %s: %w", p.OrderID, err)
		}
		if !ok {
			return nil // already recorded or refunded: no second event
		}
		e, err := p.Event(op.At)
		if op.Event != "" {
			e, err = p.EventOf(op.Event, op.At)
		}
		if err != nil {
			return err
		}
		due = append(due, e.Time)
		return r.db.Enqueue(op.Ctx, tx, e)
	})
	return due, err
}

// Get returns an order's payment (tests and diagnostics).
func (r *SQLRepository) Get(ctx context.Context, orderID string) (domain.Payment, error) {
	p, err := scanPayment(r.db.QueryRowContext(ctx, r.db.SQL(`SELECT `+paymentColumns+` FROM {p}payments WHERE order_id = ?`), orderID))
	if errors.Is(err, sql.ErrNoRows) {
		return p, storage.ErrNotFound
	}
	return p, err
}

const paymentColumns = `order_id, store_id, amount_cents, status, payment_id, reason, auth_key, pending_revision, pending_key, pending_payment_id, pending_amount_cents`

func scanPayment(row interface{ Scan(...any) error }) (domain.Payment, error) {
	var (
		p       domain.Payment
		pending domain.Reauth
	)
	err := row.Scan(&p.OrderID, &p.StoreID, &p.AmountCents, &p.Status, &p.PaymentID, &p.Reason, &p.AuthKey, &pending.Revision, &pending.Key, &pending.PaymentID, &pending.AmountCents)
	if pending.Revision != 0 {
		p.Pending = &pending
	}
	return p, err
}

// Count returns the number of payments per status.
func (r *SQLRepository) Count(ctx context.Context) (map[string]int, error) {
	rows, err := r.db.QueryContext(ctx, r.db.SQL(`SELECT status, COUNT(*) FROM {p}payments GROUP BY status`))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var (
			s string
			n int
		)
		if err := rows.Scan(&s, &n); err != nil {
			return nil, err
		}
		out[s] = n
	}
	return out, rows.Err()
}
