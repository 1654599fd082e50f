// Package adapters keeps each order's status history in Redis and fans
// changes out to every notification replica through Redis pub/sub.
package adapters

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/notification/domain"
)

// Channel is the pub/sub channel all replicas subscribe to.
const Channel = "notification:status"

// ETAChannel carries the orders' new ETAs to every replica (one JSON
// object per message); they are not kept: the order API answers the
// latest.
const ETAChannel = "notification:eta"

// HistoryTTL is how long an order's history is kept for resuming streams.
const HistoryTTL = 24 * time.Hour

// appendScript records each change once per (order, status): HSETNX makes
// redelivered events no-ops, RPUSH assigns the per-order sequence number,
// and one PUBLISH carries every new change of the batch (one per line).
// The order's customer, when a new change carries it, is kept in the same
// hash (field CustomerField; an order's customer never changes, so the
// first one stays). An order's two keys get their TTL once per call however many
// of its changes the batch holds (each redis.call from Lua is costly in
// miniredis, the embedded default). It runs atomically, so a crash cannot
// leave a change stored but unsent.
var appendScript = redis.NewScript(`
local out = {}
local touched = {}
local ttl = tonumber(ARGV[1])
for i = 2, #ARGV, 4 do
  local k = (i - 2) / 4 * 2
  local seen, list = KEYS[k + 1], KEYS[k + 2]
  local oid, status, t, customer = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  if redis.call('HSETNX', seen, status, '1') == 1 then
    if customer ~= '' then
      redis.call('HSETNX', seen, '` + CustomerField + `', customer)
    end
    local seq = redis.call('RPUSH', list, status .. '|' .. t)
    touched[seen] = list
    out[#out + 1] = oid .. '|' .. status .. '|' .. t .. '|' .. seq
  end
end
for seen, list in pairs(touched) do
  redis.call('EXPIRE', seen, ttl)
  redis.call('EXPIRE', list, ttl)
end
if #out > 0 then
  redis.call('PUBLISH', KEYS[#KEYS], table.concat(out, '\n'))
end
return #out
`)

// CustomerField is the field of an order's seen hash that holds its
// customer (statuses are upper case, so it cannot collide).
const CustomerField = "@customer"

// Store is the Redis side of the notification service.
type Store struct{ rdb *redis.Client }

// NewStore returns a store on rdb.
func NewStore(rdb *redis.Client) *Store { return &Store{rdb: rdb} }

func seenKey(id string) string { return "notification:{" + id + "}:seen" }
func listKey(id string) string { return "notification:{" + id + "}:events" }

// Append stores and publishes the changes not seen before; it returns how
// many were new.
func (s *Store) Append(ctx context.Context, cs []domain.Change) (int, error) {
	if len(cs) == 0 {
		return 0, nil
	}
	keys := make([]string, 0, 2*len(cs)+1)
	args := make([]any, 0, 4*len(cs)+1)
	args = append(args, int(HistoryTTL.Seconds()))
	for _, c := range cs {
		keys = append(keys, seenKey(c.OrderID), listKey(c.OrderID))
		args = append(args, c.OrderID, string(c.Status), c.Time.Format(time.RFC3339Nano), c.CustomerID)
	}
	keys = append(keys, Channel)
	n, err := appendScript.Run(ctx, s.rdb, keys, args...).Int()
	if err != nil {
		return 0, fmt.Errorf("notification: append %d changes: %w", len(cs), err)
	}
	return n, nil
}

// History returns an order's changes with sequence numbers after afterSeq.
func (s *Store) History(ctx context.Context, orderID string, afterSeq int64) ([]domain.Change, error) {
	vals, err := s.rdb.LRange(ctx, listKey(orderID), afterSeq, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("notification: history %s: %w", orderID, err)
	}
	out := make([]domain.Change, 0, len(vals))
	for i, v := range vals {
		status, ts, ok := strings.Cut(v, "|")
		if !ok {
			return nil, fmt.Errorf("notification: history %s: bad entry %q", orderID, v)
		}
		t, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			return nil, fmt.Errorf("notification: history %s: %w", orderID, err)
		}
		out = append(out, domain.Change{OrderID: orderID, Status: eventsStatus(status), Time: t, Seq: afterSeq + int64(i) + 1})
	}
	return out, nil
}

// Customer returns the customer of an order, "" while no change carrying
// it was stored (the order is unknown here, or its events predate the
// field).
func (s *Store) Customer(ctx context.Context, orderID string) (string, error) {
	v, err := s.rdb.HGet(ctx, seenKey(orderID), CustomerField).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("notification: customer of %s: %w", orderID, err)
	}
	return v, nil
}

// etaMessage is an ETA on ETAChannel.
type etaMessage struct {
	OrderID    string          `json:"order_id"`
	CustomerID string          `json:"customer_id,omitempty"`
	ETA        events.OrderETA `json:"eta"`
}

// PublishETAs sends each ETA to every replica (fire and forget: a replica
// that is not subscribed has no stream to forward it to).
func (s *Store) PublishETAs(ctx context.Context, etas []domain.ETA) error {
	if len(etas) == 0 {
		return nil
	}
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, e := range etas {
			b, err := json.Marshal(etaMessage{OrderID: e.OrderID, CustomerID: e.CustomerID, ETA: e.ETA})
			if err != nil {
				return err
			}
			p.Publish(ctx, ETAChannel, b)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("notification: publish %d etas: %w", len(etas), err)
	}
	return nil
}

// Sink takes what the replicas publish: status changes and ETAs (the hub).
type Sink interface {
	Publish(domain.Change)
	PublishETA(domain.ETA)
}

// Subscribe delivers every published change and ETA to sink until ctx
// ends. ready is closed once the subscription is confirmed.
func (s *Store) Subscribe(ctx context.Context, ready chan<- struct{}, sink Sink) error {
	ps := s.rdb.Subscribe(ctx, Channel, ETAChannel)
	defer ps.Close()
	for range 2 { // one confirmation per channel
		if _, err := ps.Receive(ctx); err != nil {
			return fmt.Errorf("notification: subscribe: %w", err)
		}
	}
	close(ready)
	ch := ps.Channel(redis.WithChannelSize(4096))
	for {
		select {
		case <-ctx.Done():
			return nil
		case m, ok := <-ch:
			if !ok {
				return nil
			}
			if m.Channel == ETAChannel {
				var e etaMessage
				if err := json.Unmarshal([]byte(m.Payload), &e); err != nil || !domain.ValidOrderID(e.OrderID) {
					continue // written by a newer replica, or corrupt: skip
				}
				sink.PublishETA(domain.ETA{OrderID: e.OrderID, CustomerID: e.CustomerID, ETA: e.ETA})
				continue
			}
			for _, line := range strings.Split(m.Payload, "\n") {
				c, err := parseLine(line)
				if err != nil {
					continue // written by a newer replica, or corrupt: skip
				}
				sink.Publish(c)
			}
		}
	}
}

func parseLine(line string) (domain.Change, error) {
	parts := strings.Split(line, "|")
	if len(parts) != 4 {
		return domain.Change{}, fmt.Errorf("bad line %q", line)
	}
	t, err := time.Parse(time.RFC3339Nano, parts[2])
	if err != nil {
		return domain.Change{}, err
	}
	var seq int64
	if err := json.Unmarshal([]byte(parts[3]), &seq); err != nil {
		return domain.Change{}, err
	}
	return domain.Change{OrderID: parts[0], Status: eventsStatus(parts[1]), Time: t, Seq: seq}, nil
}
