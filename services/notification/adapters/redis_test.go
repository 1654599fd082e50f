package adapters

import (
	"context"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/notification/domain"
)

// TestAppend checks the append script: one change per (order, status),
// sequence numbers per order, history TTL on both keys of every order the
// call touched, and replays storing nothing.
func TestAppend(t *testing.T) {
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	s := NewStore(rdb)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	ch := func(id string, st events.Status, sec int) domain.Change {
		return domain.Change{OrderID: id, Status: st, Time: t0.Add(time.Duration(sec) * time.Second)}
	}
	batch := []domain.Change{
		ch("a", events.StatusPlaced, 0), ch("b", events.StatusPlaced, 1),
		ch("a", events.StatusPaid, 2), ch("a", events.StatusPlaced, 0), // a replay inside the batch
	}
	n, err := s.Append(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("Append stored %d changes, want 3", n)
	}
	// A redelivered batch stores nothing.
	if n, err := s.Append(ctx, batch[:2]); err != nil || n != 0 {
		t.Errorf("replayed Append = %d, %v; want 0, nil", n, err)
	}
	for _, id := range []string{"a", "b"} {
		for _, k := range []string{seenKey(id), listKey(id)} {
			if ttl := mr.TTL(k); ttl != HistoryTTL {
				t.Errorf("TTL of %s = %v, want %v", k, ttl, HistoryTTL)
			}
		}
	}
	got, err := s.History(ctx, "a", 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []domain.Change{ch("a", events.StatusPlaced, 0), ch("a", events.StatusPaid, 2)}
	want[0].Seq, want[1].Seq = 1, 2
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("History(a) (-want +got):\n%s", d)
	}
}

// TestCustomer: the first change that carries the customer records it for
// the order; orders without one answer "".
func TestCustomer(t *testing.T) {
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	s := NewStore(rdb)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	if _, err := s.Append(ctx, []domain.Change{
		{OrderID: "a", Status: events.StatusPaid, Time: t0, CustomerID: "alice"},
		{OrderID: "a", Status: events.StatusPlaced, Time: t0, CustomerID: "mallory"}, // cannot change it
		{OrderID: "b", Status: events.StatusPlaced, Time: t0},
	}); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{"a": "alice", "b": "", "unknown": ""} {
		if got, err := s.Customer(ctx, id); err != nil || got != want {
			t.Errorf("Customer(%s) = %q, %v; want %q", id, got, err, want)
		}
	}
	// The customer is not a status: the history holds the two changes only.
	if h, err := s.History(ctx, "a", 0); err != nil || len(h) != 2 {
		t.Errorf("History(a) = %v, %v; want 2 changes", h, err)
	}
}
