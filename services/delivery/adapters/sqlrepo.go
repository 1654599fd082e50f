// Package adapters stores deliveries on SQL.
package adapters

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/bloody-sweet/platform/services/delivery/app"
	"github.com/bloody-sweet/platform/services/delivery/domain"
	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/internal/storage"
)

//go:embed migrations/*.sql
var migrationsFS embed.FS

// Migrations returns the delivery tables.
func Migrations() embed.FS { return migrationsFS }

// SQLRepository implements app.Repository.
type SQLRepository struct{ db *storage.DB }

// NewSQLRepository returns a repository on a migrated db.
func NewSQLRepository(db *storage.DB) *SQLRepository { return &SQLRepository{db: db} }

// Record implements app.Repository.
func (r *SQLRepository) Record(ctx context.Context, ops []app.Op) ([]time.Time, error) {
	var due []time.Time
	ids := make([]string, len(ops))
	for i, op := range ops {
		ids[i] = op.EventID
	}
	err := r.db.ApplyOnce(ctx, ids, func(tx *sql.Tx, i int) error {
		op := ops[i]
		if !op.ReleaseAt.IsZero() {
			return r.release(ctx, tx, op, &due)
		}
		last := op.Steps[len(op.Steps)-1]
		var picked time.Time
		for _, s := range op.Steps {
			if s.Type == "OrderPickedUp" {
				picked = s.At
			}
		}
		ok, err := storage.Inserted(tx.ExecContext(ctx, r.db.SQL(`INSERT INTO {p}deliveries (order_id, store_id, courier_id, picked_up_at, delivered_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`), op.Ref.OrderID, op.Ref.StoreID, last.Courier, storage.Micros(picked), storage.Micros(last.At)))
		if err != nil {
			return fmt.Errorf("delivery %s: %w", op.Ref.OrderID, err)
		}
		if !ok {
			return nil
		}
		evs, err := domain.Events(op.Ref, op.Steps)
		if err != nil {
			return err
		}
		for _, e := range evs {
			if err := r.db.Enqueue(op.Ctx, tx, e); err != nil {
				return err
			}
			due = append(due, e.Time)
		}
		return nil
	})
	return due, err
}

// release withdraws the order's delivery steps still to come; when the
// pickup was among them the courier is released (CourierReleased). An
// order never planned, or already picked up, has no courier to release.
func (r *SQLRepository) release(ctx context.Context, tx *sql.Tx, op app.Op, due *[]time.Time) error {
	var courier string
	err := tx.QueryRowContext(ctx, r.db.SQL(`SELECT courier_id FROM {p}deliveries WHERE order_id = ?`), op.Ref.OrderID).Scan(&courier)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("delivery %s: %w", op.Ref.OrderID, err)
	}
	// The pickup decides: once it happened the courier has the order and
	// the delivery goes on.
	gone, err := r.db.Unschedule(ctx, tx, op.Ref.OrderID, op.ReleaseAt, events.OrderPickedUp)
	if err != nil || len(gone) == 0 {
		return err
	}
	if _, err := r.db.Unschedule(ctx, tx, op.Ref.OrderID, op.ReleaseAt, domain.Withdrawn()...); err != nil {
		return err
	}
	e, err := domain.Released(op.Ref, courier, op.ReleaseAt)
	if err != nil {
		return err
	}
	*due = append(*due, e.Time)
	return r.db.Enqueue(op.Ctx, tx, e)
}
