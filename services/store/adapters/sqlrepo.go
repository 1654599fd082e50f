// Package adapters stores the store service's orders on SQL.
package adapters

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"time"

	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/internal/storage"
	"github.com/bloody-sweet/platform/services/store/app"
	"github.com/bloody-sweet/platform/services/store/domain"
)

//go:embed migrations/*.sql
var migrationsFS embed.FS

// Migrations returns the store tables.
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
		if op.Release != nil {
			return r.release(ctx, tx, op, &due)
		}
		status := "REJECTED"
		if op.Decision.Accepted {
			status = "ACCEPTED"
		}
		ok, err := storage.Inserted(tx.ExecContext(ctx, r.db.SQL(`INSERT INTO {p}orders (order_id, store_id, status, decided_at, ready_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`), op.Ref.OrderID, op.Ref.StoreID, status,
			storage.Micros(op.Decision.DecidedAt), storage.Micros(op.Decision.ReadyAt)))
		if err != nil {
			return fmt.Errorf("store order %s: %w", op.Ref.OrderID, err)
		}
		if !ok {
			return nil
		}
		evs, err := op.Decision.Events(op.Ref)
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

// release marks an accepted order released, withdraws its OrderReady if
// that is still to come, and announces OrderReleased; a rejected, unknown
// or already released order has no slot to give up.
func (r *SQLRepository) release(ctx context.Context, tx *sql.Tx, op app.Op, due *[]time.Time) error {
	ok, err := storage.Inserted(tx.ExecContext(ctx, r.db.SQL(`UPDATE {p}orders SET status = 'RELEASED' WHERE order_id = ? AND status = 'ACCEPTED'`), op.Ref.OrderID))
	if err != nil || !ok {
		return err
	}
	if _, err := r.db.Unschedule(ctx, tx, op.Ref.OrderID, op.Release.At, events.OrderReady); err != nil {
		return err
	}
	e, err := domain.Release(op.Ref, op.Release.Reason, op.Release.At)
	if err != nil {
		return err
	}
	*due = append(*due, e.Time)
	return r.db.Enqueue(op.Ctx, tx, e)
}
