package kafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/internal/telemetry"
)

// Delivery is one decoded message handed to a Handler. Ctx carries the
// message's "process" span (child of the producer's trace context), so work
// done for it, including outbox rows it writes, continues the trace.
type Delivery struct {
	Ctx   context.Context
	Msg   kafka.Message
	Event events.Envelope
}

// Handler applies a batch of deliveries. It must be idempotent per event id
// (the inbox does that): after a crash the batch is delivered again. An
// error fails the whole batch, which is then retried and, if it keeps
// failing, split to find and dead-letter the message at fault.
type Handler func(ctx context.Context, batch []Delivery) error

// ConsumerOptions configures a Consumer; zero values take the defaults.
type ConsumerOptions struct {
	Brokers  []string
	Group    string
	Topics   []string
	MaxBatch int           // default 500 messages per handler call
	MaxWait  time.Duration // fetch wait, default 100 ms (at most 500 ms)
	Attempts int           // handler attempts before splitting / dead-lettering, default 6
	Backoff  time.Duration // first retry delay, doubled per attempt up to 2 s; default 20 ms
	Security Security      // TLS and SASL; zero is plaintext

	DLQ     *Producer // where poison messages go (topic + ".dlq")
	Log     *slog.Logger
	Tracer  trace.Tracer
	Metrics *telemetry.Kafka

	// BeforeCommit, when set, runs after a batch was handled and before its
	// offsets are committed; an error stops the consumer without committing,
	// exactly like a process killed at that point. Failure tests use it.
	BeforeCommit func(batch []kafka.Message) error
}

// ErrKilled is returned by Run when BeforeCommit stopped the consumer.
var ErrKilled = errors.New("kafka: consumer killed before commit")

// Consumer reads a consumer group's topics in batches.
type Consumer struct {
	o ConsumerOptions
	h Handler
	r *kafka.Reader
}

// NewConsumer creates the group reader; Run starts consuming.
func NewConsumer(o ConsumerOptions, h Handler) *Consumer {
	if o.MaxBatch == 0 {
		o.MaxBatch = 500
	}
	if o.MaxWait == 0 {
		o.MaxWait = 100 * time.Millisecond
	}
	if o.Attempts == 0 {
		o.Attempts = 6
	}
	if o.Backoff == 0 {
		o.Backoff = 20 * time.Millisecond
	}
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers:           o.Brokers,
		GroupID:           o.Group,
		GroupTopics:       o.Topics,
		MinBytes:          1,
		MaxBytes:          4 << 20,
		MaxWait:           o.MaxWait,
		QueueCapacity:     1000,
		StartOffset:       kafka.FirstOffset,
		CommitInterval:    0, // synchronous: offsets are committed only after the handler's transaction
		HeartbeatInterval: time.Second,
		SessionTimeout:    10 * time.Second,
		RebalanceTimeout:  5 * time.Second,
		JoinGroupBackoff:  100 * time.Millisecond,
		ReadBackoffMin:    10 * time.Millisecond,
		ReadBackoffMax:    250 * time.Millisecond,
		MaxAttempts:       1000, // keep reconnecting while a broker restarts
		Dialer:            o.Security.dialer(),
	})
	return &Consumer{o: o, h: h, r: r}
}

// Run consumes until ctx is done. The batch in flight when ctx ends is
// finished and committed before Run returns; the reader is closed.
func (c *Consumer) Run(ctx context.Context) error {
	msgs := make(chan kafka.Message, c.o.MaxBatch)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(msgs)
		for {
			m, err := c.r.FetchMessage(ctx)
			if err != nil {
				if ctx.Err() == nil {
					c.o.Log.Error("kafka fetch", "group", c.o.Group, "err", err)
				}
				return
			}
			select {
			case msgs <- m:
			case <-ctx.Done():
				return
			}
		}
	}()
	// Work started for a batch finishes even when ctx is cancelled.
	work := context.WithoutCancel(ctx)
	var runErr error
	for {
		first, ok := <-msgs
		if !ok {
			break
		}
		batch := []kafka.Message{first}
	drain:
		for len(batch) < c.o.MaxBatch {
			select {
			case m, ok := <-msgs:
				if !ok {
					break drain
				}
				batch = append(batch, m)
			default:
				break drain
			}
		}
		if err := c.process(work, batch); err != nil {
			runErr = err
			break
		}
	}
	if runErr != nil {
		// Simulated crash: stop fetching and drop the rest uncommitted.
		go func() {
			for range msgs { //nolint:revive // drain so the pump can exit
			}
		}()
	}
	cerr := c.r.Close()
	wg.Wait()
	if runErr != nil {
		return runErr
	}
	if cerr != nil {
		return fmt.Errorf("kafka: close reader %s: %w", c.o.Group, cerr)
	}
	return nil
}

func (c *Consumer) process(ctx context.Context, batch []kafka.Message) error {
	start := time.Now()
	var good []Delivery
	for _, m := range batch {
		c.o.Metrics.Lag.WithLabelValues(m.Topic, strconv.Itoa(m.Partition)).Set(float64(max(0, m.HighWaterMark-m.Offset-1)))
		e, err := events.Decode(m.Value)
		if err != nil {
			c.o.Metrics.Failed.WithLabelValues(m.Topic).Inc()
			c.deadLetter(ctx, m, err)
			continue
		}
		pctx := telemetry.Propagator.Extract(ctx, headerCarrier{&m.Headers})
		dctx, _ := c.o.Tracer.Start(pctx, "process "+m.Topic, trace.WithSpanKind(trace.SpanKindConsumer),
			trace.WithAttributes(semconv.MessagingSystemKafka, semconv.MessagingOperationTypeProcess,
				semconv.MessagingDestinationName(m.Topic), semconv.MessagingConsumerGroupName(c.o.Group),
				semconv.MessagingDestinationPartitionID(strconv.Itoa(m.Partition)),
				semconv.MessagingKafkaOffset(int(m.Offset)), semconv.MessagingMessageID(e.ID),
				semconv.MessagingKafkaMessageKey(string(m.Key))))
		good = append(good, Delivery{Ctx: dctx, Msg: m, Event: e})
	}
	if len(good) > 0 {
		if err := c.retry(ctx, good); err != nil {
			// The batch as a whole keeps failing: find the culprit(s).
			for _, d := range good {
				if err := c.retry(ctx, []Delivery{d}); err != nil {
					c.deadLetter(ctx, d.Msg, err)
					span := trace.SpanFromContext(d.Ctx)
					span.RecordError(err)
					span.SetStatus(codes.Error, "dead-lettered")
				}
			}
		}
	}
	elapsed := time.Since(start).Seconds()
	seen := map[string]bool{}
	for _, d := range good {
		trace.SpanFromContext(d.Ctx).End()
	}
	for _, m := range batch {
		c.o.Metrics.Consumed.WithLabelValues(m.Topic).Inc()
		if !seen[m.Topic] {
			seen[m.Topic] = true
			c.o.Metrics.HandlerDuration.WithLabelValues(m.Topic).Observe(elapsed)
		}
	}
	if c.o.BeforeCommit != nil {
		if err := c.o.BeforeCommit(batch); err != nil {
			return fmt.Errorf("%w: %v", ErrKilled, err)
		}
	}
	return c.commit(ctx, batch)
}

// retry calls the handler until it succeeds or the attempts are used up.
func (c *Consumer) retry(ctx context.Context, batch []Delivery) error {
	delay := c.o.Backoff
	var err error
	for attempt := 1; attempt <= c.o.Attempts; attempt++ {
		if err = c.h(ctx, batch); err == nil {
			return nil
		}
		for _, d := range batch {
			c.o.Metrics.Failed.WithLabelValues(d.Msg.Topic).Inc()
		}
		if events.IsDecodeError(err) && len(batch) == 1 {
			return err // a payload that does not parse will never parse
		}
		c.o.Log.WarnContext(batch[0].Ctx, "handler failed, retrying", "group", c.o.Group,
			"attempt", attempt, "batch", len(batch), "err", err)
		if attempt < c.o.Attempts {
			time.Sleep(delay)
			delay = min(2*delay, 2*time.Second)
		}
	}
	return err
}

// deadLetter sends m to its topic's DLQ with the reason in headers. If even
// that fails the consumer keeps trying: dropping the message would lose it.
func (c *Consumer) deadLetter(ctx context.Context, m kafka.Message, reason error) {
	headers := append([]kafka.Header(nil), m.Headers...)
	headers = append(headers,
		kafka.Header{Key: events.HeaderDLQReason, Value: []byte(reason.Error())},
		kafka.Header{Key: events.HeaderDLQTopic, Value: []byte(m.Topic)},
		kafka.Header{Key: events.HeaderDLQOffset, Value: []byte(strconv.FormatInt(m.Offset, 10))},
		kafka.Header{Key: events.HeaderDLQConsumer, Value: []byte(c.o.Group)},
	)
	msg := Outgoing{Topic: events.DLQ(m.Topic), Key: string(m.Key), Value: m.Value, Headers: headers}
	delay := c.o.Backoff
	for {
		err := c.o.DLQ.Publish(ctx, []Outgoing{msg})
		if err == nil {
			break
		}
		c.o.Log.Error("dead-letter publish failed, retrying", "topic", msg.Topic, "err", err)
		time.Sleep(delay)
		delay = min(2*delay, 2*time.Second)
	}
	c.o.Metrics.DLQ.WithLabelValues(m.Topic).Inc()
	c.o.Log.Warn("message dead-lettered", "topic", m.Topic, "partition", m.Partition, "offset", m.Offset,
		"group", c.o.Group, "reason", reason.Error())
}

func (c *Consumer) commit(ctx context.Context, batch []kafka.Message) error {
	delay := c.o.Backoff
	for attempt := 1; ; attempt++ {
		err := c.r.CommitMessages(ctx, batch...)
		if err == nil {
			return nil
		}
		// An uncommitted batch is redelivered and deduplicated by the
		// inbox, so giving up after a few tries loses nothing.
		if attempt == c.o.Attempts {
			c.o.Log.Error("commit failed, batch will be redelivered", "group", c.o.Group, "err", err)
			return nil
		}
		time.Sleep(delay)
		delay = min(2*delay, 2*time.Second)
	}
}
