//go:build faults

package faults

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	kafkago "github.com/segmentio/kafka-go"

	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/notification/adapters"
)

// orderStatuses reads every order's status from the order service's table,
// the source of truth of what the app shows.
func orderStatuses(ctx context.Context, db *sql.DB) (map[string]string, error) {
	return pairs(ctx, db, `SELECT id, status FROM order_orders`)
}

// payments reads the payment service's table: order id -> status. The
// order id is its primary key, so an order has at most one row.
func payments(ctx context.Context, db *sql.DB) (map[string]string, error) {
	return pairs(ctx, db, `SELECT order_id, status FROM payment_payments`)
}

// pairs runs a query of two text columns into a map of the first to the
// second.
func pairs(ctx context.Context, db *sql.DB, query string) (map[string]string, error) {
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, rows.Err()
}

func terminal(status string) bool { return events.Status(status).Terminal() }

// readTopic returns every message in topic, all partitions, from the first
// offset to the end as it is now.
func readTopic(ctx context.Context, addr, topic string) ([]kafkago.Message, error) {
	conn, err := kafkago.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	parts, err := conn.ReadPartitions(topic)
	conn.Close()
	if err != nil {
		return nil, fmt.Errorf("partitions of %s: %w", topic, err)
	}
	var out []kafkago.Message
	for _, p := range parts {
		pc, err := kafkago.DialLeader(ctx, "tcp", addr, topic, p.ID)
		if err != nil {
			return nil, err
		}
		first, last, err := pc.ReadOffsets()
		pc.Close()
		if err != nil {
			return nil, fmt.Errorf("offsets of %s/%d: %w", topic, p.ID, err)
		}
		if last <= first {
			continue
		}
		r := kafkago.NewReader(kafkago.ReaderConfig{Brokers: []string{addr}, Topic: topic, Partition: p.ID, MaxWait: 100 * time.Millisecond})
		if err := r.SetOffset(first); err != nil {
			r.Close()
			return nil, err
		}
		for off := first; off < last; off++ {
			m, err := r.ReadMessage(ctx)
			if err != nil {
				r.Close()
				return nil, fmt.Errorf("read %s/%d at %d: %w", topic, p.ID, off, err)
			}
			out = append(out, m)
		}
		r.Close()
	}
	return out, nil
}

// validEvent reports whether b is an event a consumer should have
// processed: a valid envelope whose data is an object about its subject
// (every payload embeds OrderRef). A poison message is neither.
func validEvent(b []byte) (events.Envelope, bool) {
	ev, err := events.Decode(b)
	if err != nil {
		return ev, false
	}
	_, err = events.DecodeData[events.OrderRef](ev)
	return ev, err == nil
}

// dlqReport counts the valid events in every dead-letter topic, by the
// consumer group that gave up on them (the dlq_consumer header).
type dlqReport struct {
	valid    int
	invalid  int
	byGroup  map[string]int
	reasons  map[string]string // group -> one reason, for the failure message
	orderIDs map[string]bool
}

func readDLQs(ctx context.Context, addr string) (dlqReport, error) {
	r := dlqReport{byGroup: map[string]int{}, reasons: map[string]string{}, orderIDs: map[string]bool{}}
	for _, topic := range events.AllTopics() {
		msgs, err := readTopic(ctx, addr, events.DLQ(topic))
		if err != nil {
			return r, err
		}
		for _, m := range msgs {
			ev, ok := validEvent(m.Value)
			if !ok {
				r.invalid++
				continue
			}
			r.valid++
			r.orderIDs[ev.Subject] = true
			group, reason := "?", ""
			for _, h := range m.Headers {
				switch h.Key {
				case events.HeaderDLQConsumer:
					group = string(h.Value)
				case events.HeaderDLQReason:
					reason = string(h.Value)
				}
			}
			r.byGroup[group]++
			if _, ok := r.reasons[group]; !ok {
				r.reasons[group] = reason
			}
		}
	}
	return r, nil
}

func (r dlqReport) String() string {
	if r.valid == 0 {
		return "0"
	}
	var groups []string
	for g, n := range r.byGroup {
		groups = append(groups, fmt.Sprintf("%s:%d", g, n))
	}
	sort.Strings(groups)
	return fmt.Sprintf("%d(%s)", r.valid, strings.Join(groups, ","))
}

// authorizations counts, per order, the distinct PaymentAuthorized events
// on the payment topic. A redelivered event keeps its id; a second charge
// would be a second event.
func authorizations(ctx context.Context, addr string) (map[string]int, error) {
	msgs, err := readTopic(ctx, addr, events.TopicPayment)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	out := map[string]int{}
	for _, m := range msgs {
		ev, err := events.Decode(m.Value)
		if err != nil || ev.Type != events.PaymentAuthorized || seen[ev.ID] {
			continue
		}
		seen[ev.ID] = true
		out[ev.Subject]++
	}
	return out, nil
}

// tracker follows orders to terminal as the customer sees them: the order
// table says DELIVERED or CANCELLED, and the notification service has
// recorded that same status in its history (what the status streams
// replay). An order once terminal in both stays so, so it is not read
// again.
type tracker struct {
	db    *sql.DB
	notes *adapters.Store

	mu   sync.Mutex
	done map[string]bool
}

func newTracker(db *sql.DB, redisAddr string) (*tracker, func()) {
	rdb := redis.NewClient(&redis.Options{Addr: redisAddr, DialTimeout: time.Second, ReadTimeout: time.Second, MaxRetries: -1})
	return &tracker{db: db, notes: adapters.NewStore(rdb), done: map[string]bool{}}, func() { rdb.Close() }
}

// pending returns how many of ids are not terminal yet, and every order's
// status in the order table. An error means a store could not be read
// (it may be the fault).
func (tr *tracker) pending(ctx context.Context, ids []string) (int, map[string]string, error) {
	st, err := orderStatuses(ctx, tr.db)
	if err != nil {
		return 0, nil, err
	}
	left := 0
	for _, id := range ids {
		tr.mu.Lock()
		done := tr.done[id]
		tr.mu.Unlock()
		if done {
			continue
		}
		if !terminal(st[id]) {
			left++
			continue
		}
		hist, err := tr.notes.History(ctx, id, 0)
		if err != nil {
			return 0, nil, err
		}
		seen := false
		for _, c := range hist {
			seen = seen || string(c.Status) == st[id]
		}
		if !seen {
			left++
			continue
		}
		tr.mu.Lock()
		tr.done[id] = true
		tr.mu.Unlock()
	}
	return left, st, nil
}

// isDone reports whether id was seen terminal in both views.
func (tr *tracker) isDone(id string) bool {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.done[id]
}
