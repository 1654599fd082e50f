package kafka

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/segmentio/kafka-go"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/bloody-sweet/platform/services/events"
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
	return NewConsumer(ConsumerOptions{
		Brokers: r.broker.Addrs(), Group: group, Topics: []string{events.TopicOrder}, Attempts: 2, Backoff: time.Millisecond,
		DLQ: r.prod, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Tracer: noop.NewTracerProvider().Tracer(""), Metrics: r.metrics,
	}, h)
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
	done := make(chan struct{})
	c := r.consumer("t1", func(_ context.Context, batch []Delivery) error {
		mu.Lock()
		defer mu.Unlock()
		for _, d := range batch {
			if d.Event.Subject == "o-7" {
				return errors.New("o-7 is cursed")
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

func value(c prometheus.Counter) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		panic(err)
	}
	return m.GetCounter().GetValue()
}
