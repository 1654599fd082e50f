package kafka

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/segmentio/kafka-go"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/internal/retry"
	"github.com/bloody-sweet/platform/services/internal/telemetry"
)

func envelope(t testing.TB, orderID string) []byte {
	t.Helper()
	e, err := events.New(events.OrderPlaced, orderID, time.Now(), events.OrderPlacedData{OrderRef: events.OrderRef{OrderID: orderID, StoreID: "store-1"}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := events.Encode(e)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type rig struct {
	broker  *Embedded
	metrics *telemetry.Kafka
	prod    *Producer
}

func newRig(t testing.TB) *rig {
	t.Helper()
	b, err := StartEmbedded(EmbeddedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	m := telemetry.NewKafka(prometheus.NewRegistry(), events.AllTopics(), events.AllTopics(), events.Partitions)
	p := NewProducer(b.Addrs(), noop.NewTracerProvider().Tracer(""), m, ProducerOptions{})
	t.Cleanup(func() { _ = p.Close() })
	return &rig{broker: b, metrics: m, prod: p}
}

func (r *rig) consumer(group string, h Handler, _ any) *Consumer {
	return NewConsumer(r.options(group), h)
}

// options are fast retries (1-10 ms) and a short not-ready threshold.
func (r *rig) options(group string) ConsumerOptions {
	return ConsumerOptions{
		Brokers: r.broker.Addrs(), Group: group, Topics: []string{events.TopicOrder},
		Backoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond, BlockedAfter: 100 * time.Millisecond,
		DLQ: r.prod, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Tracer: noop.NewTracerProvider().Tracer(""), Metrics: r.metrics,
	}
}

// TestPoisonGoesToDLQAndConsumerContinues publishes a malformed message and
// an event the handler always rejects between good ones: both land on the
// dead-letter topic, every good one is handled.
func TestPoisonGoesToDLQAndConsumerContinues(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var msgs []Outgoing
	for i := range 20 {
		msgs = append(msgs, Outgoing{Topic: events.TopicOrder, Key: fmt.Sprint(i), Value: envelope(t, fmt.Sprintf("o-%d", i))})
	}
	msgs[5] = Outgoing{Topic: events.TopicOrder, Key: "5", Value: []byte(`{"not":"an event"`)}
	if err := r.prod.Publish(ctx, msgs); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	handled := map[string]bool{}
	var cursed kafka.Message
	done := make(chan struct{})
	c := r.consumer("t1", func(_ context.Context, batch []Delivery) error {
		mu.Lock()
		defer mu.Unlock()
		for _, d := range batch {
			if d.Event.Subject == "o-7" {
				cursed = d.Msg
				return retry.Permanent(errors.New("o-7 is cursed"))
			}
		}
		for _, d := range batch {
			handled[d.Event.Subject] = true
		}
		if len(handled) == 18 {
			select {
			case <-done:
			default:
				close(done)
			}
		}
		return nil
	}, nil)
	runCtx, stop := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() { errc <- c.Run(runCtx) }()
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatalf("handled %d of 18 before timeout", len(handled))
	}
	for !(value(r.metrics.DLQ.WithLabelValues(events.TopicOrder)) == 2) {
		if ctx.Err() != nil {
			t.Fatalf("dlq count %v, want 2", value(r.metrics.DLQ.WithLabelValues(events.TopicOrder)))
		}
		time.Sleep(5 * time.Millisecond)
	}
	stop()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if handled["o-5"] || handled["o-7"] {
		t.Errorf("poison messages reached the handler as success: %v", handled)
	}
	// Both dead letters say where they came from; o-7's position is the
	// one its handler saw.
	dead := readTopic(t, ctx, r.broker.Addrs(), events.DLQ(events.TopicOrder), 2)
	for _, m := range dead {
		if Header(m, events.HeaderDLQTopic) != events.TopicOrder || Header(m, events.HeaderDLQConsumer) != "t1" || Header(m, events.HeaderDLQReason) == "" {
			t.Errorf("dead letter %s: headers %v", m.Key, m.Headers)
		}
		part, err1 := strconv.Atoi(Header(m, events.HeaderDLQPartition))
		off, err2 := strconv.ParseInt(Header(m, events.HeaderDLQOffset), 10, 64)
		if err1 != nil || err2 != nil {
			t.Errorf("dead letter %s: partition %q, offset %q", m.Key, Header(m, events.HeaderDLQPartition), Header(m, events.HeaderDLQOffset))
		}
		mu.Lock()
		if string(m.Key) == "7" && (part != cursed.Partition || off != cursed.Offset) {
			t.Errorf("o-7 dead-lettered as %d@%d, consumed from %d@%d", part, off, cursed.Partition, cursed.Offset)
		}
		mu.Unlock()
	}
	if Header(dead[0], events.HeaderDLQReason) == Header(dead[1], events.HeaderDLQReason) {
		t.Errorf("both dead letters give the same reason %q", Header(dead[0], events.HeaderDLQReason))
	}
}

// TestKilledBeforeCommitRedelivers stops a consumer between handling a batch
// and committing it; a new consumer in the same group gets the batch again.
func TestKilledBeforeCommitRedelivers(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := r.prod.Publish(ctx, []Outgoing{{Topic: events.TopicOrder, Key: "a", Value: envelope(t, "a")}}); err != nil {
		t.Fatal(err)
	}
	first := NewConsumer(ConsumerOptions{
		Brokers: r.broker.Addrs(), Group: "t2", Topics: []string{events.TopicOrder}, DLQ: r.prod,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Tracer: noop.NewTracerProvider().Tracer(""), Metrics: r.metrics,
		BeforeCommit: func(batch []kafka.Message) error { return errors.New("kill -9") },
	}, func(context.Context, []Delivery) error { return nil })
	if err := first.Run(ctx); !errors.Is(err, ErrKilled) {
		t.Fatalf("first run: %v, want ErrKilled", err)
	}
	got := make(chan string, 1)
	second := r.consumer("t2", func(_ context.Context, batch []Delivery) error {
		select {
		case got <- batch[0].Event.Subject:
		default:
		}
		return nil
	}, nil)
	runCtx, stop := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() { errc <- second.Run(runCtx) }()
	select {
	case s := <-got:
		if s != "a" {
			t.Errorf("redelivered %q, want a", s)
		}
	case <-ctx.Done():
		t.Fatal("batch not redelivered after the kill")
	}
	stop()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

// TestTransientFailureIsRetriedNotDeadLettered fails the handler with a
// transient error (a dependency that is down) far longer than the old
// budget of 6 attempts, until the consumer reports not ready: nothing goes
// to the DLQ, no offset is committed meanwhile, and once the dependency is
// back the message is handled once, committed, and the consumer is ready.
func TestTransientFailureIsRetriedNotDeadLettered(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := r.prod.Publish(ctx, []Outgoing{{Topic: events.TopicOrder, Key: "a", Value: envelope(t, "a")}}); err != nil {
		t.Fatal(err)
	}
	var down atomic.Bool // the test's switch: the database is down
	down.Store(true)
	var attempts, handled atomic.Int64
	c := r.consumer("t3", func(context.Context, []Delivery) error {
		attempts.Add(1)
		if down.Load() {
			return errors.New("dial tcp 127.0.0.1:5432: connect: connection refused")
		}
		handled.Add(1)
		return nil
	}, nil)
	if err := c.Ready(); err != nil {
		t.Fatalf("ready before anything failed: %v", err)
	}
	runCtx, stop := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() { errc <- c.Run(runCtx) }()
	await(t, ctx, "30 failed attempts and not ready", func() bool {
		return attempts.Load() >= 30 && errors.Is(c.Ready(), ErrBlocked) && gauge(r.metrics.Blocked) == 1
	})
	if n := value(r.metrics.DLQ.WithLabelValues(events.TopicOrder)); n != 0 {
		t.Errorf("%v messages dead-lettered during a transient failure", n)
	}
	if off := committed(t, ctx, r, "t3"); len(off) != 0 {
		t.Errorf("offsets committed while the handler failed: %v", off)
	}
	if n := value(r.metrics.Retries.WithLabelValues(telemetry.StageHandle)); n < 29 {
		t.Errorf("kafka_retries_total{stage=handle} = %v, want >= 29", n)
	}
	down.Store(false)
	await(t, ctx, "handled, committed and ready again", func() bool {
		return handled.Load() == 1 && len(committed(t, ctx, r, "t3")) == 1 && c.Ready() == nil && gauge(r.metrics.Blocked) == 0
	})
	stop()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if handled.Load() != 1 {
		t.Errorf("handled %d times, want once", handled.Load())
	}
	if n := value(r.metrics.DLQ.WithLabelValues(events.TopicOrder)); n != 0 {
		t.Errorf("%v messages dead-lettered", n)
	}
}

// TestCancelDuringTransientFailureDoesNotCommit stops a consumer whose
// handler fails without end: Run returns without committing, and the next
// member of the group gets the message again.
func TestCancelDuringTransientFailureDoesNotCommit(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := r.prod.Publish(ctx, []Outgoing{{Topic: events.TopicOrder, Key: "b", Value: envelope(t, "b")}}); err != nil {
		t.Fatal(err)
	}
	var attempts atomic.Int64
	c := r.consumer("t4", func(context.Context, []Delivery) error {
		attempts.Add(1)
		return errors.New("redis: connection pool timeout")
	}, nil)
	runCtx, stop := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() { errc <- c.Run(runCtx) }()
	await(t, ctx, "3 failed attempts", func() bool { return attempts.Load() >= 3 })
	stop()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("Run after cancel: %v, want nil", err)
		}
	case <-ctx.Done():
		t.Fatal("Run did not return after cancel")
	}
	if off := committed(t, ctx, r, "t4"); len(off) != 0 {
		t.Errorf("offsets committed after a cancelled retry: %v", off)
	}
	redelivered(t, ctx, r, "t4", "b")
}

// TestCancelDuringDeadLetterPublishDoesNotCommit dead-letters into a broker
// that is gone: the publish is retried (and the consumer turns not ready)
// until ctx ends, then Run returns without committing and the message is
// delivered again.
func TestCancelDuringDeadLetterPublishDoesNotCommit(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := r.prod.Publish(ctx, []Outgoing{{Topic: events.TopicOrder, Key: "c", Value: envelope(t, "c")}}); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	_ = ln.Close()
	dlq := NewProducer([]string{dead}, noop.NewTracerProvider().Tracer(""), r.metrics, ProducerOptions{})
	t.Cleanup(func() { _ = dlq.Close() })
	o := r.options("t5")
	o.DLQ = dlq
	c := NewConsumer(o, func(context.Context, []Delivery) error {
		return retry.Permanent(errors.New("unknown order"))
	})
	runCtx, stop := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() { errc <- c.Run(runCtx) }()
	await(t, ctx, "dead-letter retries and not ready", func() bool {
		return value(r.metrics.Retries.WithLabelValues(telemetry.StageDeadLetter)) >= 2 && errors.Is(c.Ready(), ErrBlocked)
	})
	stop()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("Run after cancel: %v, want nil", err)
		}
	case <-ctx.Done():
		t.Fatal("Run did not return after cancel")
	}
	if n := value(r.metrics.DLQ.WithLabelValues(events.TopicOrder)); n != 0 {
		t.Errorf("dead-letter count %v, want 0", n)
	}
	if off := committed(t, ctx, r, "t5"); len(off) != 0 {
		t.Errorf("offsets committed although the dead letter was never written: %v", off)
	}
	redelivered(t, ctx, r, "t5", "c")
}

// redelivered runs a new member of group and waits for subject.
func redelivered(t *testing.T, ctx context.Context, r *rig, group, subject string) {
	t.Helper()
	got := make(chan string, 1)
	c := r.consumer(group, func(_ context.Context, batch []Delivery) error {
		select {
		case got <- batch[0].Event.Subject:
		default:
		}
		return nil
	}, nil)
	runCtx, stop := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() { errc <- c.Run(runCtx) }()
	select {
	case s := <-got:
		if s != subject {
			t.Errorf("redelivered %q, want %q", s, subject)
		}
	case <-ctx.Done():
		t.Errorf("%s not redelivered to group %s", subject, group)
	}
	stop()
	if err := <-errc; err != nil {
		t.Error(err)
	}
}

// committed returns the group's committed offsets of the order topic by
// partition (partitions without a commit left out).
func committed(t *testing.T, ctx context.Context, r *rig, group string) map[int]int64 {
	t.Helper()
	parts := make([]int, events.Partitions)
	for i := range parts {
		parts[i] = i
	}
	cl := &kafka.Client{Addr: kafka.TCP(r.broker.Addrs()...), Timeout: 5 * time.Second}
	resp, err := cl.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{events.TopicOrder: parts}})
	if err != nil || resp.Error != nil {
		t.Fatalf("offset fetch: %v %v", err, resp)
	}
	out := map[int]int64{}
	for _, p := range resp.Topics[events.TopicOrder] {
		if p.CommittedOffset >= 0 {
			out[p.Partition] = p.CommittedOffset
		}
	}
	return out
}

// readTopic reads n messages from every partition of topic.
func readTopic(t *testing.T, ctx context.Context, addrs []string, topic string, n int) []kafka.Message {
	t.Helper()
	var out []kafka.Message
	for p := 0; p < events.Partitions && len(out) < n; p++ {
		conn, err := (&kafka.Dialer{Timeout: 5 * time.Second}).DialLeader(ctx, "tcp", addrs[0], topic, p)
		if err != nil {
			t.Fatal(err)
		}
		last, err := conn.ReadLastOffset()
		if err != nil {
			t.Fatal(err)
		}
		for off := int64(0); off < last; off++ {
			_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			m, err := conn.ReadMessage(1 << 20)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, m)
		}
		_ = conn.Close()
	}
	if len(out) != n {
		t.Fatalf("%s holds %d messages, want %d", topic, len(out), n)
	}
	return out
}

// await polls cond until it holds or ctx ends.
func await(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func value(c prometheus.Counter) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		panic(err)
	}
	return m.GetCounter().GetValue()
}

func gauge(g prometheus.Gauge) float64 {
	var m dto.Metric
	if err := g.Write(&m); err != nil {
		panic(err)
	}
	return m.GetGauge().GetValue()
}
