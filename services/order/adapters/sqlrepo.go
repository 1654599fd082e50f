// Package adapters implements the order repository on SQL (Postgres or
// SQLite through services/internal/storage).
package adapters

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/internal/storage"
	"github.com/bloody-sweet/platform/services/order/app"
	"github.com/bloody-sweet/platform/services/order/domain"
)

// Migrations are the order service's tables.
//
//go:embed migrations/*.sql
var migrationsFS embed.FS

// Migrations returns the migration files.
func Migrations() embed.FS { return migrationsFS }

// SQLRepository implements app.Repository. The order is stored as a JSON
// document with the columns queries filter on alongside.
type SQLRepository struct{ db *storage.DB }

// NewSQLRepository returns a repository on db (already migrated).
func NewSQLRepository(db *storage.DB) *SQLRepository { return &SQLRepository{db: db} }

var _ app.Repository = (*SQLRepository)(nil)

// Create implements app.Repository. The customer's record for the key is
// looked up (and an expired one deleted) in the transaction that inserts
// the order, so one key places at most one order per customer.
func (r *SQLRepository) Create(ctx context.Context, o domain.Order, rec app.Idempotency, placed events.Envelope) (app.Idempotency, bool, error) {
	var (
		existing app.Idempotency
		found    bool
	)
	created := rec.CreatedAt.UnixMicro()
	expired := rec.CreatedAt.Add(-app.IdempotencyTTL).UnixMicro()
	err := r.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, r.db.SQL(`DELETE FROM {p}idempotency_keys WHERE customer_id = ? AND idem_key = ? AND created_at <= ?`),
			rec.Customer, rec.Key, expired); err != nil {
			return fmt.Errorf("expire idempotency key: %w", err)
		}
		var err error
		existing, found, err = r.idempotency(ctx, tx, rec.Customer, rec.Key, expired)
		if err != nil || found {
			return err
		}
		body, err := encodeOrder(o)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, r.db.SQL(`INSERT INTO {p}idempotency_keys (customer_id, idem_key, request_hash, status_code, body, created_at) VALUES (?, ?, ?, ?, ?, ?)`),
			rec.Customer, rec.Key, rec.RequestHash, rec.StatusCode, string(rec.Body), created); err != nil {
			return fmt.Errorf("insert idempotency: %w", err)
		}
		if _, err := tx.ExecContext(ctx, r.db.SQL(`INSERT INTO {p}orders (id, store_id, customer_id, status, body) VALUES (?, ?, ?, ?, ?)`),
			o.ID, o.StoreID, o.CustomerID, string(o.Status), body); err != nil {
			return fmt.Errorf("insert order: %w", err)
		}
		return r.db.Enqueue(ctx, tx, placed)
	})
	if err != nil && !found {
		// Two requests with one key raced: the loser reads the winner's record.
		if e2, ok, err2 := r.idempotency(ctx, r.db, rec.Customer, rec.Key, expired); err2 == nil && ok {
			return e2, true, nil
		}
		return app.Idempotency{}, false, fmt.Errorf("order: create %s: %w", o.ID, err)
	}
	return existing, found, nil
}

// Change implements app.Repository: the customer's record for the key is
// looked up, the order read (locked) and changed, and the record, the order
// and the change's events written, in one transaction.
func (r *SQLRepository) Change(ctx context.Context, id string, rec app.Idempotency, fn app.ChangeFunc) (app.Idempotency, bool, error) {
	var (
		existing app.Idempotency
		found    bool
	)
	expired := rec.CreatedAt.Add(-app.IdempotencyTTL).UnixMicro()
	err := r.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, r.db.SQL(`DELETE FROM {p}idempotency_keys WHERE customer_id = ? AND idem_key = ? AND created_at <= ?`),
			rec.Customer, rec.Key, expired); err != nil {
			return fmt.Errorf("expire idempotency key: %w", err)
		}
		var err error
		existing, found, err = r.idempotency(ctx, tx, rec.Customer, rec.Key, expired)
		if err != nil || found {
			return err
		}
		o, err := r.get(ctx, tx, id, true)
		if err != nil {
			return err
		}
		answer, out, err := fn(&o)
		if err != nil {
			return err
		}
		body, err := encodeOrder(o)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, r.db.SQL(`INSERT INTO {p}idempotency_keys (customer_id, idem_key, request_hash, status_code, body, created_at) VALUES (?, ?, ?, ?, ?, ?)`),
			rec.Customer, rec.Key, rec.RequestHash, rec.StatusCode, string(answer), rec.CreatedAt.UnixMicro()); err != nil {
			return fmt.Errorf("insert idempotency: %w", err)
		}
		if _, err := tx.ExecContext(ctx, r.db.SQL(`UPDATE {p}orders SET status = ?, body = ? WHERE id = ?`), string(o.Status), body, o.ID); err != nil {
			return fmt.Errorf("update order %s: %w", o.ID, err)
		}
		for _, e := range out {
			if err := r.db.Enqueue(ctx, tx, e); err != nil {
				return err
			}
		}
		return nil
	})
	return existing, found, err
}

// PurgeIdempotency implements app.Repository.
func (r *SQLRepository) PurgeIdempotency(ctx context.Context, before time.Time) (int64, error) {
	res, err := r.db.ExecContext(ctx, r.db.SQL(`DELETE FROM {p}idempotency_keys WHERE created_at <= ?`), before.UnixMicro())
	if err != nil {
		return 0, fmt.Errorf("order: purge idempotency keys: %w", err)
	}
	return res.RowsAffected()
}

type rowQuerier interface {
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

// idempotency reads the customer's live record for key (created after
// expired, in micros).
func (r *SQLRepository) idempotency(ctx context.Context, q rowQuerier, customer, key string, expired int64) (app.Idempotency, bool, error) {
	rec := app.Idempotency{Customer: customer, Key: key}
	var (
		body    string
		created int64
	)
	err := q.QueryRowContext(ctx, r.db.SQL(`SELECT request_hash, status_code, body, created_at FROM {p}idempotency_keys WHERE customer_id = ? AND idem_key = ? AND created_at > ?`), customer, key, expired).
		Scan(&rec.RequestHash, &rec.StatusCode, &body, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return app.Idempotency{}, false, nil
	}
	if err != nil {
		return app.Idempotency{}, false, fmt.Errorf("read idempotency key: %w", err)
	}
	rec.Body = []byte(body)
	rec.CreatedAt = time.UnixMicro(created).UTC()
	return rec, true, nil
}

// get reads order id. Inside a transaction that will write the order back,
// forUpdate locks its row on Postgres (SQLite has one writer): a customer's
// change and a saga event of the same order then apply one after the
// other, and neither overwrites the other.
func (r *SQLRepository) get(ctx context.Context, q rowQuerier, id string, forUpdate bool) (domain.Order, error) {
	var body string
	lock := ""
	if forUpdate && r.db.Dialect == storage.Postgres {
		lock = " FOR UPDATE"
	}
	err := q.QueryRowContext(ctx, r.db.SQL(`SELECT body FROM {p}orders WHERE id = ?`+lock), id).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return domain.Order{}, storage.ErrNotFound
	}
	if err != nil {
		return domain.Order{}, fmt.Errorf("order: get %s: %w", id, err)
	}
	o, err := decodeOrder(body)
	if err != nil {
		return domain.Order{}, fmt.Errorf("order: decode %s: %w", id, err)
	}
	return o, nil
}

// Get implements app.Repository.
func (r *SQLRepository) Get(ctx context.Context, id string) (domain.Order, error) {
	return r.get(ctx, r.db, id, false)
}

// List implements app.Repository.
func (r *SQLRepository) List(ctx context.Context, f app.ListFilter, afterID string, limit int) ([]domain.Order, error) {
	col, val := "customer_id", f.CustomerID
	if f.StoreID != "" {
		col, val = "store_id", f.StoreID
	}
	if val == "" {
		return nil, errors.New("order: list needs a customer or a store")
	}
	rows, err := r.db.QueryContext(ctx, r.db.SQL(`SELECT body FROM {p}orders WHERE `+col+` = ? AND id > ? ORDER BY id LIMIT ?`), val, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("order: list by %s: %w", col, err)
	}
	defer rows.Close()
	var out []domain.Order
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			return nil, err
		}
		o, err := decodeOrder(body)
		if err != nil {
			return nil, fmt.Errorf("order: decode: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// ApplyEvents implements app.Repository. Each order is read once and
// written once per batch however many of its events the batch holds (under
// load a batch often carries several steps of one order).
func (r *SQLRepository) ApplyEvents(ctx context.Context, in []events.Incoming, fn app.ApplyFunc) ([]app.Change, error) {
	var changes []app.Change
	err := r.db.Tx(ctx, func(tx *sql.Tx) error {
		changes = changes[:0]
		orders := map[string]*domain.Order{}
		var dirty []string
		for _, ev := range in {
			fresh, err := r.db.MarkProcessed(ctx, tx, ev.Event.ID)
			if err != nil {
				return err
			}
			if !fresh {
				continue
			}
			o, ok := orders[ev.Event.Subject]
			if !ok {
				loaded, err := r.get(ctx, tx, ev.Event.Subject, true)
				if errors.Is(err, storage.ErrNotFound) {
					return &app.UnknownOrderError{Event: ev.Event}
				}
				if err != nil {
					return fmt.Errorf("event %s %s: %w", ev.Event.Type, ev.Event.ID, err)
				}
				o = &loaded
				orders[ev.Event.Subject] = o
				dirty = append(dirty, ev.Event.Subject)
			}
			before := *o
			out, err := fn(o, ev)
			if err != nil {
				return err
			}
			for _, e := range out {
				if err := r.db.Enqueue(ev.Ctx, tx, e); err != nil {
					return err
				}
			}
			changes = append(changes, app.Change{Before: before, After: *o})
		}
		for _, id := range dirty {
			o := orders[id]
			body, err := encodeOrder(*o)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, r.db.SQL(`UPDATE {p}orders SET status = ?, body = ? WHERE id = ?`), string(o.Status), body, o.ID); err != nil {
				return fmt.Errorf("update order %s: %w", o.ID, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return changes, nil
}

// inFlightQuery counts by the statuses that are not terminal, so it reads
// the status index for the orders in flight only, however many orders have
// finished.
var inFlightQuery = func() string {
	q := `SELECT COUNT(*), MIN(CASE WHEN id >= ? THEN id END) FROM {p}orders WHERE status IN (`
	n := 0
	for _, s := range events.AllStatuses() {
		if !s.Terminal() {
			if n > 0 {
				q += ", "
			}
			q += "'" + string(s) + "'"
			n++
		}
	}
	return q + ")"
}()

// InFlight implements app.Repository.
func (r *SQLRepository) InFlight(ctx context.Context, minID string) (int64, string, error) {
	var (
		n      int64
		oldest sql.NullString
	)
	if err := r.db.QueryRowContext(ctx, r.db.SQL(inFlightQuery), minID).Scan(&n, &oldest); err != nil {
		return 0, "", fmt.Errorf("order: count in flight: %w", err)
	}
	return n, oldest.String, nil
}

// Accepted implements app.Repository.
func (r *SQLRepository) Accepted(ctx context.Context, customer, key string, notBefore time.Time) (bool, error) {
	_, found, err := r.idempotency(ctx, r.db, customer, key, notBefore.UnixMicro())
	return found, err
}

// CountByStatus implements app.Repository.
func (r *SQLRepository) CountByStatus(ctx context.Context) (map[events.Status]int64, error) {
	rows, err := r.db.QueryContext(ctx, r.db.SQL(`SELECT status, COUNT(*) FROM {p}orders GROUP BY status`))
	if err != nil {
		return nil, fmt.Errorf("order: count: %w", err)
	}
	defer rows.Close()
	out := map[events.Status]int64{}
	for rows.Next() {
		var (
			s string
			n int64
		)
		if err := rows.Scan(&s, &n); err != nil {
			return nil, err
		}
		out[events.Status(s)] = n
	}
	return out, rows.Err()
}
