package storage

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/internal/kafka"
	"github.com/bloody-sweet/platform/services/internal/retry"
	"github.com/bloody-sweet/platform/services/internal/telemetry"

	kafkago "github.com/segmentio/kafka-go"
)

// MarkProcessed records that event id was processed inside tx. It returns false if
// it already was: the caller must then skip the event's effects.
func (db *DB) MarkProcessed(ctx context.Context, tx *sql.Tx, eventID string) (bool, error) {
	res, err := tx.ExecContext(ctx, db.SQL(`INSERT INTO {p}inbox (event_id, processed_at) VALUES (?, ?) ON CONFLICT DO NOTHING`),
		eventID, time.Now().UnixMicro())
	if err != nil {
		return false, fmt.Errorf("storage: inbox %s: %w", eventID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("storage: inbox %s: %w", eventID, err)
	}
	return n == 1, nil
}

// Processed reports which of ids are already in the inbox (outside a
// transaction: a hint to skip slow side effects, not a guarantee).
func (db *DB) Processed(ctx context.Context, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		rows, err := db.QueryContext(ctx, db.SQL(`SELECT event_id FROM {p}inbox WHERE event_id IN (?`+strings.Repeat(",?", len(chunk)-1)+`)`), args...)
		if err != nil {
			return nil, fmt.Errorf("storage: inbox lookup: %w", err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			out[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Enqueue writes e to the outbox inside tx; it is published once tx has
// committed and e.Time has come. ctx's span becomes the parent of the send.
func (db *DB) Enqueue(ctx context.Context, tx *sql.Tx, e events.Envelope) error {
	b, err := events.Encode(e)
	if err != nil {
		return err
	}
	tp := ""
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		tp = traceparent(sc)
	}
	_, err = tx.ExecContext(ctx, db.SQL(`INSERT INTO {p}outbox (topic, msg_key, event_type, event_id, payload, traceparent, available_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`), e.Topic(), e.Subject, string(e.Type), e.ID, string(b), tp, e.Time.UnixMicro())
	if err != nil {
		return fmt.Errorf("storage: enqueue %s %s: %w", e.Type, e.ID, err)
	}
	return nil
}

// Unschedule withdraws, inside tx, the events of types about subject that
// are still in the outbox with a time to come (a simulator's future steps
// that a cancellation stops from happening); it returns the types it
// withdrew. A row whose time has come is left to the relay: it happened.
// On Postgres the relay locks the rows it publishes, so a row being
// published is waited for and then already gone.
func (db *DB) Unschedule(ctx context.Context, tx *sql.Tx, subject string, now time.Time, types ...events.Type) ([]events.Type, error) {
	if len(types) == 0 {
		return nil, nil
	}
	args := []any{subject, now.UnixMicro()}
	for _, t := range types {
		args = append(args, string(t))
	}
	rows, err := tx.QueryContext(ctx, db.SQL(`DELETE FROM {p}outbox WHERE msg_key = ? AND available_at > ? AND event_type IN (?`+strings.Repeat(",?", len(types)-1)+`) RETURNING event_type`), args...)
	if err != nil {
		return nil, fmt.Errorf("storage: unschedule %s: %w", subject, err)
	}
	defer rows.Close()
	var out []events.Type
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, fmt.Errorf("storage: unschedule %s: %w", subject, err)
		}
		out = append(out, events.Type(t))
	}
	return out, rows.Err()
}

func traceparent(sc trace.SpanContext) string {
	return fmt.Sprintf("00-%s-%s-%s", sc.TraceID(), sc.SpanID(), sc.TraceFlags())
}

func parseTraceparent(s string) trace.SpanContext {
	var sc trace.SpanContext
	parts := strings.Split(s, "-")
	if len(parts) != 4 {
		return sc
	}
	tid, err1 := trace.TraceIDFromHex(parts[1])
	sid, err2 := trace.SpanIDFromHex(parts[2])
	if err1 != nil || err2 != nil {
		return sc
	}
	flags := trace.TraceFlags(0)
	if parts[3] == "01" {
		flags = trace.FlagsSampled
	}
	return trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: flags, Remote: true})
}

// Relay publishes outbox rows to Kafka in id order and deletes them once the
// broker acknowledged them. Writers call Notify after committing so the
// relay wakes at once instead of on its next poll.
type Relay struct {
	db      *DB
	prod    *kafka.Producer
	log     *slog.Logger
	metrics *telemetry.Kafka
	batch   int
	poll    time.Duration
	backoff retry.Policy // between failed publishes

	wake chan struct{}
	mu   sync.Mutex
	next time.Time // earliest known future available_at
}

// NewRelay returns a relay for db's outbox.
func NewRelay(db *DB, prod *kafka.Producer, log *slog.Logger, m *telemetry.Kafka) *Relay {
	return &Relay{db: db, prod: prod, log: log, metrics: m, batch: 1000, poll: 250 * time.Millisecond,
		backoff: retry.Policy{Initial: 50 * time.Millisecond, Max: 5 * time.Second}, wake: make(chan struct{}, 1)}
}

// Notify tells the relay rows became available at at (now or later).
func (r *Relay) Notify(at time.Time) {
	if at.After(time.Now()) {
		r.mu.Lock()
		if r.next.IsZero() || at.Before(r.next) {
			r.next = at
		}
		r.mu.Unlock()
	}
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run publishes until ctx ends, then flushes what is already available
// (bounded by flushTimeout) so a graceful shutdown leaves no due rows.
func (r *Relay) Run(ctx context.Context, flushTimeout time.Duration) error {
	timer := time.NewTimer(0)
	defer timer.Stop()
	lastCount := time.Time{}
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), flushTimeout)
			defer cancel()
			for {
				n, err := r.publishDue(fctx)
				if err != nil {
					return fmt.Errorf("storage: outbox flush: %w", err)
				}
				if n == 0 {
					return nil
				}
			}
		case <-r.wake:
		case <-timer.C:
		}
		// A broker or database that is down is retried with the
		// consumer's backoff until it is back or ctx ends (then the flush
		// above takes over).
		var n int
		err := retry.Do(ctx, r.backoff, func() error {
			var err error
			n, err = r.publishDue(ctx)
			if err != nil && ctx.Err() == nil {
				r.metrics.Retries.WithLabelValues(telemetry.StageOutbox).Inc()
			}
			return err
		}, func(attempt int, err error, wait time.Duration) {
			r.log.Error("outbox publish failed, retrying", "attempt", attempt, "wait", wait, "err", err)
		})
		if err != nil && ctx.Err() == nil {
			// Permanent (a row the database refuses): tried again next poll.
			r.log.Error("outbox publish failed", "err", err)
		}
		if time.Since(lastCount) > time.Second {
			r.updateBacklog(ctx)
			lastCount = time.Now()
		}
		// Sleep until the earliest scheduled row or the next poll, unless a
		// full batch suggests more is waiting.
		d := r.poll
		if n == r.batch {
			d = 0
		}
		if n < r.batch {
			// Scheduled rows (simulated latencies) may be waiting: sleep
			// until the earliest one rather than a whole poll interval.
			if next, ok := r.earliest(ctx); ok {
				r.mu.Lock()
				if r.next.IsZero() || next.Before(r.next) {
					r.next = next
				}
				r.mu.Unlock()
			}
		}
		r.mu.Lock()
		if !r.next.IsZero() {
			if until := time.Until(r.next); until < d {
				d = max(until, 0)
			}
			if !r.next.After(time.Now()) {
				r.next = time.Time{}
			}
		}
		r.mu.Unlock()
		timer.Reset(d)
	}
}

// earliest returns the earliest available_at in the outbox.
func (r *Relay) earliest(ctx context.Context) (time.Time, bool) {
	var us sql.NullInt64
	if err := r.db.QueryRowContext(ctx, r.db.SQL(`SELECT MIN(available_at) FROM {p}outbox`)).Scan(&us); err != nil || !us.Valid {
		return time.Time{}, false
	}
	return time.UnixMicro(us.Int64), true
}

func (r *Relay) updateBacklog(ctx context.Context) {
	var n int64
	if err := r.db.QueryRowContext(ctx, r.db.SQL(`SELECT COUNT(*) FROM {p}outbox`)).Scan(&n); err == nil {
		r.metrics.OutboxBacklog.Set(float64(n))
	}
}

type outboxRow struct {
	id      int64
	msg     kafka.Outgoing
	eventID string
}

// publishDue publishes one batch of due rows and returns how many.
func (r *Relay) publishDue(ctx context.Context) (int, error) {
	now := time.Now().UnixMicro()
	if r.db.Dialect == Postgres {
		// Several replicas may relay: lock the rows this one publishes.
		var n int
		err := r.db.Tx(ctx, func(tx *sql.Tx) error {
			rows, err := r.claim(ctx, tx, now, " FOR UPDATE SKIP LOCKED")
			if err != nil {
				return err
			}
			n = len(rows)
			return r.send(ctx, tx, rows)
		})
		return n, err
	}
	rows, err := r.claim(ctx, r.db, now, "")
	if err != nil {
		return 0, err
	}
	return len(rows), r.send(ctx, r.db, rows)
}

type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
}

func (r *Relay) claim(ctx context.Context, q querier, now int64, lock string) ([]outboxRow, error) {
	rows, err := q.QueryContext(ctx, r.db.SQL(`SELECT id, topic, msg_key, event_type, event_id, payload, traceparent
		FROM {p}outbox WHERE available_at <= ? ORDER BY id LIMIT ?`+lock), now, r.batch)
	if err != nil {
		return nil, fmt.Errorf("select outbox: %w", err)
	}
	defer rows.Close()
	var out []outboxRow
	for rows.Next() {
		var (
			row                 outboxRow
			typ, payload, tpHdr string
		)
		if err := rows.Scan(&row.id, &row.msg.Topic, &row.msg.Key, &typ, &row.eventID, &payload, &tpHdr); err != nil {
			return nil, fmt.Errorf("scan outbox: %w", err)
		}
		row.msg.Value = []byte(payload)
		row.msg.Parent = parseTraceparent(tpHdr)
		row.msg.Headers = []kafkago.Header{{Key: events.HeaderType, Value: []byte(typ)}, {Key: events.HeaderID, Value: []byte(row.eventID)}}
		out = append(out, row)
	}
	return out, rows.Err()
}

func (r *Relay) send(ctx context.Context, q querier, rows []outboxRow) error {
	if len(rows) == 0 {
		return nil
	}
	msgs := make([]kafka.Outgoing, len(rows))
	args := make([]any, len(rows))
	for i, row := range rows {
		msgs[i] = row.msg
		args[i] = row.id
	}
	if err := r.prod.Publish(ctx, msgs); err != nil {
		return err
	}
	// A crash here republishes these rows: consumers dedupe by event id.
	for start := 0; start < len(args); start += 500 {
		chunk := args[start:min(start+500, len(args))]
		if _, err := q.ExecContext(ctx, r.db.SQL(`DELETE FROM {p}outbox WHERE id IN (?`+strings.Repeat(",?", len(chunk)-1)+`)`), chunk...); err != nil {
			return fmt.Errorf("delete published outbox rows: %w", err)
		}
	}
	return nil
}
