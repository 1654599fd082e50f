package adapters

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/bloody-sweet/platform/services/order/app"
)

var _ app.ETAStore = (*SQLRepository)(nil)

// PutETAs implements app.ETAStore: one upsert per ETA, in one transaction,
// that keeps the row ranking higher (step, then time made).
func (r *SQLRepository) PutETAs(ctx context.Context, etas []app.ETA) error {
	q := r.db.SQL(`INSERT INTO {p}eta AS cur (order_id, step, step_rank, made_at, model_version, eta, eta_p10, eta_p90)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (order_id) DO UPDATE SET step = excluded.step, step_rank = excluded.step_rank, made_at = excluded.made_at,
	model_version = excluded.model_version, eta = excluded.eta, eta_p10 = excluded.eta_p10, eta_p90 = excluded.eta_p90
WHERE excluded.step_rank > cur.step_rank OR (excluded.step_rank = cur.step_rank AND excluded.made_at > cur.made_at)`)
	return r.db.Tx(ctx, func(tx *sql.Tx) error {
		for _, e := range etas {
			if _, err := tx.ExecContext(ctx, q, e.OrderID, e.Step, app.StepRank(e.Step), e.MadeAt.UnixNano(), e.ModelVersion,
				e.At.UnixNano(), e.P10.UnixNano(), e.P90.UnixNano()); err != nil {
				return fmt.Errorf("order: store the eta of %s: %w", e.OrderID, err)
			}
		}
		return nil
	})
}

// ETAs implements app.ETAStore.
func (r *SQLRepository) ETAs(ctx context.Context, ids []string) (map[string]app.ETA, error) {
	out := map[string]app.ETA{}
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := r.db.QueryContext(ctx, r.db.SQL(`SELECT order_id, step, made_at, model_version, eta, eta_p10, eta_p90 FROM {p}eta
WHERE order_id IN (?`+strings.Repeat(",?", len(ids)-1)+`)`), args...)
	if err != nil {
		return nil, fmt.Errorf("order: read etas: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e app.ETA
		var made, at, p10, p90 int64
		if err := rows.Scan(&e.OrderID, &e.Step, &made, &e.ModelVersion, &at, &p10, &p90); err != nil {
			return nil, fmt.Errorf("order: read etas: %w", err)
		}
		e.MadeAt, e.At, e.P10, e.P90 = time.Unix(0, made).UTC(), time.Unix(0, at).UTC(), time.Unix(0, p10).UTC(), time.Unix(0, p90).UTC()
		out[e.OrderID] = e
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("order: read etas: %w", err)
	}
	return out, nil
}
