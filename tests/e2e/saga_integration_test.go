//go:build integration

package e2e

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/stack"
)

// TestSaga runs orders through all five services on kfake, Postgres and
// Redis: every order terminal, both outcomes present, nobody charged twice,
// and the all-orders stream saw every terminal status.
func TestSaga(t *testing.T) {
	t.Parallel()
	p := startPlatform(t, stack.Config{})
	seen := map[string]events.Status{}
	var mu sync.Mutex
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := operator(t, p).StreamAll(ctx, "", func(s events.StatusChange) {
		if s.Status.Terminal() {
			mu.Lock()
			seen[s.OrderID] = s.Status
			mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	ids := placeOrders(t, p, "saga", 150)
	final := awaitTerminal(t, p, ids, 60*time.Second)
	checkInvariants(t, p, final)
	count := map[events.Status]int{}
	for _, s := range final {
		count[s]++
	}
	if count[events.StatusDelivered] == 0 || count[events.StatusCancelled] == 0 {
		t.Errorf("outcomes %v: want both", count)
	}
	eventually(t, 10*time.Second, "terminal statuses on /v1/stream", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(seen) == len(ids)
	})
	mu.Lock()
	for id, s := range final {
		if seen[id] != s {
			t.Errorf("stream says %s is %q, order service %q", id, seen[id], s)
		}
	}
	mu.Unlock()

	// Every status event, whichever service produced it, carries the
	// order's customer: the notification service checks a stream's owner
	// with it, whichever event of an order it sees first. (The eta topic
	// carries predictions, no status.)
	statusTopics := map[string]bool{}
	for _, typ := range events.AllTypes() {
		if _, status := events.StatusOf(typ); status {
			statusTopics[events.Envelope{Type: typ}.Topic()] = true
		}
	}
	for _, topic := range events.AllTopics() {
		if !statusTopics[topic] {
			continue
		}
		n, bad := 0, 0
		for _, m := range readAll(t, p.Brokers, topic) {
			e, err := events.Decode(m.Value)
			if err != nil {
				t.Fatalf("%s: %v", topic, err)
			}
			if _, status := events.StatusOf(e.Type); !status {
				continue
			}
			ref, err := events.DecodeData[events.OrderRef](e)
			if err != nil || !strings.HasPrefix(ref.CustomerID, "c-") {
				if bad++; bad == 1 {
					t.Errorf("%s %s of %s carries customer %q (%v)", topic, e.Type, e.Subject, ref.CustomerID, err)
				}
			}
			n++
		}
		if n == 0 || bad > 0 {
			t.Errorf("%s: %d status events, %d without the customer", topic, n, bad)
		}
	}
}

// TestConsumerKilledMidBatch kills the payment consumer after it committed
// a batch's effects to Postgres but before it committed the offsets, then
// restarts it: the batch is delivered again and the inbox makes it a no-op.
func TestConsumerKilledMidBatch(t *testing.T) {
	t.Parallel()
	var batches, killedSize atomic.Int64
	p := startPlatform(t, stack.Config{BeforeCommit: func(service string) func([]kafkago.Message) error {
		if service != "payment" {
			return nil
		}
		return func(batch []kafkago.Message) error {
			if batches.Add(1) == 3 {
				killedSize.Store(int64(len(batch)))
				return errors.New("kill -9 between database commit and offset commit")
			}
			return nil
		}
	}})
	ids := placeOrders(t, p, "kill", 120)
	select {
	case err := <-p.ConsumerDone("payment"):
		if !errors.Is(err, errKilled(err)) || err == nil {
			t.Fatalf("payment consumer ended with %v, want a kill", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("payment consumer was not killed")
	}
	ctx := context.Background()
	if err := p.StopService(ctx, "payment"); err != nil {
		t.Fatal(err)
	}
	if err := p.StartService(ctx, "payment"); err != nil {
		t.Fatal(err)
	}
	if killedSize.Load() == 0 {
		t.Fatal("the killed batch was empty")
	}
	final := awaitTerminal(t, p, ids, 60*time.Second)
	checkInvariants(t, p, final)
}

func errKilled(err error) error {
	if err != nil && strings.Contains(err.Error(), "killed before commit") {
		return err
	}
	return errors.New("not killed")
}

// TestBrokerRestart restarts the embedded broker (kfake with a data dir)
// while orders are in flight: clients reconnect, nothing is lost.
func TestBrokerRestart(t *testing.T) {
	t.Parallel()
	p := startPlatform(t, stack.Config{DataDir: t.TempDir()})
	first := placeOrders(t, p, "before", 60)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.RestartBroker(ctx); err != nil {
		t.Fatal(err)
	}
	second := placeOrders(t, p, "after", 60)
	final := awaitTerminal(t, p, append(first, second...), 90*time.Second)
	checkInvariants(t, p, final)
}

// consumers lists the consumer groups of each topic (docs/CONTRACTS.md).
var consumers = map[string]int{
	events.TopicOrder:    3, // payment, notification, eta
	events.TopicPayment:  3, // order, store, notification
	events.TopicStore:    5, // order, payment, delivery, notification, eta
	events.TopicDelivery: 3, // order, notification, eta
	events.TopicETA:      1, // notification
}

// TestDuplicatedDeliveries runs orders to completion, then publishes a
// second copy of every event on every topic: no effect may happen twice.
func TestDuplicatedDeliveries(t *testing.T) {
	t.Parallel()
	p := startPlatform(t, stack.Config{})
	ids := placeOrders(t, p, "dup", 60)
	before := awaitTerminal(t, p, ids, 60*time.Second)
	charges := p.Provider.Charges()
	consumedBefore := 0.0
	for _, s := range stack.Services {
		consumedBefore += metric(t, p.MetricsURLs[s], "kafka_messages_consumed_total")
	}

	copies := copyTopics(t, p.Brokers)
	want := 0
	for topic, n := range copies {
		want += n * consumers[topic]
	}
	eventually(t, 60*time.Second, fmt.Sprintf("%d duplicate deliveries consumed", want), func() bool {
		got := 0.0
		for _, s := range stack.Services {
			got += metric(t, p.MetricsURLs[s], "kafka_messages_consumed_total")
		}
		return got >= consumedBefore+float64(want)
	})
	after := awaitTerminal(t, p, ids, 10*time.Second)
	for id, s := range before {
		if after[id] != s {
			t.Errorf("order %s changed from %s to %s on duplicates", id, s, after[id])
		}
	}
	for id, n := range p.Provider.Charges() {
		if n != charges[id] {
			t.Errorf("order %s charges %d -> %d on duplicates", id, charges[id], n)
		}
	}
	// No service produced anything new in response to the copies.
	for topic, n := range copies {
		if got := countMessages(t, p.Brokers, topic); got != 2*n {
			t.Errorf("%s holds %d messages, want %d originals + %d copies", topic, got, n, n)
		}
	}
	checkInvariants(t, p, after)
}

// TestPoisonMessage puts malformed messages on a topic while orders flow:
// each goes to the DLQ with a reason, consumers keep going.
func TestPoisonMessage(t *testing.T) {
	t.Parallel()
	p := startPlatform(t, stack.Config{})
	w := &kafkago.Writer{Addr: kafkago.TCP(p.Brokers...), BatchTimeout: time.Millisecond, Transport: &kafkago.Transport{}}
	defer w.Close()
	badData, _ := events.New(events.OrderPlaced, "o-poison", time.Now(), map[string]any{"order_id": 42})
	bad, _ := events.Encode(badData)
	poison := []kafkago.Message{
		{Topic: events.TopicOrder, Key: []byte("p1"), Value: []byte(`{"id": "truncated`)},
		{Topic: events.TopicOrder, Key: []byte("p2"), Value: []byte(`{"id":"x","type":"OrderTeleported","source":"/x","specversion":"1.0","time":"2026-01-01T00:00:00Z","subject":"p2","dataversion":1,"data":{}}`)},
		{Topic: events.TopicOrder, Key: []byte("o-poison"), Value: bad},
	}
	first := placeOrders(t, p, "pre", 30)
	if err := w.WriteMessages(context.Background(), poison...); err != nil {
		t.Fatal(err)
	}
	second := placeOrders(t, p, "post", 30)
	final := awaitTerminal(t, p, append(first, second...), 60*time.Second)
	checkInvariants(t, p, final)
	// payment, notification and eta (the order topic's three consumers)
	// must dead-letter all three: the third has a payload none can read
	// (notification reads every status event's order reference for the
	// customer who may stream it; eta reads the placed order's features).
	consumers := []string{"payment", "notification", "eta"}
	eventually(t, 30*time.Second, "dead letters counted", func() bool {
		for _, c := range consumers {
			if metric(t, p.MetricsURLs[c], "kafka_dlq_messages_total", `topic="order.events.v1"`) != 3 {
				return false
			}
		}
		return true
	})
	dlq := readAll(t, p.Brokers, events.DLQ(events.TopicOrder))
	if want := 3 * len(consumers); len(dlq) != want {
		t.Fatalf("%d dead letters, want %d", len(dlq), want)
	}
	for _, m := range dlq {
		if headerValue(m, events.HeaderDLQReason) == "" || headerValue(m, events.HeaderDLQTopic) != events.TopicOrder {
			t.Errorf("dead letter without reason/topic headers: %v", m.Headers)
		}
	}
}
