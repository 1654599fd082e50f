// Package adapters keeps the eta service's predictions on SQL, measures
// them in Prometheus and loads the model versions.
package adapters

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"time"

	"github.com/bloody-sweet/platform/services/eta/app"
	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/internal/storage"
)

//go:embed migrations/*.sql
var migrationsFS embed.FS

// Migrations returns the eta tables.
func Migrations() embed.FS { return migrationsFS }

// SQLRepository implements app.Repository: each prediction is a row (what
// was promised, by which model) and an EtaUpdated in the outbox.
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
		p := ops[i].Prediction
		ok, err := storage.Inserted(tx.ExecContext(ctx, r.db.SQL(`INSERT INTO {p}predictions
			(order_id, step, model_version, predicted_at, eta, eta_p10, eta_p90) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`),
			p.Ref.OrderID, p.Step, p.ModelVersion, storage.Micros(p.At), storage.Micros(p.ETA), storage.Micros(p.P10), storage.Micros(p.P90)))
		if err != nil {
			return fmt.Errorf("eta prediction %s/%s: %w", p.Ref.OrderID, p.Step, err)
		}
		if !ok {
			return nil
		}
		e, err := events.New(events.EtaUpdated, p.Ref.OrderID, p.At, p.Data())
		if err != nil {
			return err
		}
		if err := r.db.Enqueue(ops[i].Ctx, tx, e); err != nil {
			return err
		}
		due = append(due, e.Time)
		return nil
	})
	return due, err
}
