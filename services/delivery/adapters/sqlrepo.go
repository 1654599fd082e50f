// Package adapters stores deliveries on SQL.
package adapters

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"time"

	"github.com/bloody-sweet/platform/services/delivery/app"
	"github.com/bloody-sweet/platform/services/delivery/domain"
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
		last := op.Steps[len(op.Steps)-1]
		var picked time.Time
		for _, s := range op.Steps {
			if s.Type == "OrderPickedUp" {
				picked = s.At
			}
		}
		ok, err := storage.Inserted(tx.ExecContext(ctx, r.db.Q(`INSERT INTO {p}deliveries (order_id, store_id, courier_id, picked_up_at, delivered_at)
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
