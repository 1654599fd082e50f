package kafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/segmentio/kafka-go"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/internal/retry"
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
// (the inbox does that): after a crash the batch is delivered again.
//
// An error fails the whole batch. An error marked retry.Permanent (or an
// events.DecodeError) says the batch holds a message that can never
// succeed: the batch is split and each message that fails permanently on
// its own goes to the dead-letter topic. Any other error is transient (a
// dependency is down): the batch is retried with backoff, uncommitted, for
// as long as it takes.
type Handler func(ctx context.Context, batch []Delivery) error

// Handle adapts an app's handler of consumed events to a Handler, so the
// apps never see the broker's delivery type.
func Handle(fn func(ctx context.Context, batch []events.Incoming) error) Handler {
	return func(ctx context.Context, batch []Delivery) error {
		in := make([]events.Incoming, len(batch))
		for i, d := range batch {
			in[i] = events.Incoming{Ctx: d.Ctx, Event: d.Event}
		}
		return fn(ctx, in)
	}
}

// ConsumerOptions configures a Consumer; zero values take the defaults.
type ConsumerOptions struct {
	Brokers  []string
	Group    string
	Topics   []string
	MaxBatch int           // default 500 messages per handler call
	MaxWait  time.Duration // fetch wait, default 100 ms (at most 500 ms)
	Backoff  time.Duration // first retry wait, doubled (with jitter) per attempt; default 50 ms
	// MaxBackoff caps the wait between retries; default 5 s.
	MaxBackoff time.Duration
	// BlockedAfter is how long transient failures may go on without
	// progress before Ready reports the consumer not ready; default 10 s.
	BlockedAfter time.Duration
	Security     Security // TLS and SASL; zero is plaintext

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
	// failingSince is when the current run of transient failures began
	// (unix nanoseconds), 0 while messages flow.
	failingSince atomic.Int64
}

// commitTimeout bounds one commit attempt: a commit waits for the group's
// generation, which a rebalance or a dead broker can hold up.
const commitTimeout = 10 * time.Second

// commitGiveUp is how long a failing commit is retried. Giving up loses
// nothing (the batch is redelivered and deduplicated by the inbox) and
// lets a consumer whose partitions moved to another member go on.
const commitGiveUp = 30 * time.Second

// NewConsumer creates the group reader; Run starts consuming.
func NewConsumer(o ConsumerOptions, h Handler) *Consumer {
	if o.MaxBatch == 0 {
		o.MaxBatch = 500
	}
	if o.MaxWait == 0 {
		o.MaxWait = 100 * time.Millisecond
	}
	if o.Backoff == 0 {
		o.Backoff = 50 * time.Millisecond
	}
	if o.MaxBackoff == 0 {
		o.MaxBackoff = 5 * time.Second
	}
	if o.BlockedAfter == 0 {
		o.BlockedAfter = 10 * time.Second
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

// ErrBlocked is what Ready returns while transient failures have stopped
// the consumer for longer than ConsumerOptions.BlockedAfter.
var ErrBlocked = errors.New("kafka: consumer blocked by transient failures")

// Ready reports whether the consumer makes progress: it returns an error
// wrapping ErrBlocked once transient failures (handler, dead-letter
// publish, commit) have gone on for BlockedAfter without a success. The
// message says for how long, never why (the cause is logged): readiness
// bodies are public.
func (c *Consumer) Ready() error {
	since := c.failingSince.Load()
	if since == 0 {
		return nil
	}
	if d := time.Since(time.Unix(0, since)); d >= c.o.BlockedAfter {
		return fmt.Errorf("%w: group %s for %s", ErrBlocked, c.o.Group, d.Round(time.Second))
	}
	return nil
}

// failed records a transient failure of stage and updates the metrics.
func (c *Consumer) failed(stage string) {
	c.failingSince.CompareAndSwap(0, time.Now().UnixNano())
	c.o.Metrics.Retries.WithLabelValues(stage).Inc()
	if c.Ready() != nil {
		c.o.Metrics.Blocked.Set(1)
	}
}

// progressed ends a run of transient failures.
func (c *Consumer) progressed() {
	if c.failingSince.Swap(0) != 0 {
		c.o.Metrics.Blocked.Set(0)
	}
}

// policy is the backoff of every retry loop of the consumer.
func (c *Consumer) policy() retry.Policy {
	return retry.Policy{Initial: c.o.Backoff, Max: c.o.MaxBackoff}
}

// permanent reports whether a handler error can never succeed on retry.
func permanent(err error) bool { return retry.IsPermanent(err) || events.IsDecodeError(err) }

// Run consumes until ctx is done. A batch whose handler is running when
// ctx ends is finished and committed before Run returns; a batch that is
// waiting to retry (a dependency is down) or to be dead-lettered is left
// uncommitted, so it is delivered again after the restart. The reader is
// closed.
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
		if err := c.process(ctx, batch); err != nil {
			runErr = err
			break
		}
	}
	if runErr != nil {
		if ctx.Err() != nil && !errors.Is(runErr, ErrKilled) {
			c.o.Log.Info("consumer stopped while retrying; the batch stays uncommitted and is delivered again",
				"group", c.o.Group, "err", runErr)
		}
		// Stopped mid-batch (ctx ended while retrying, or a simulated
		// crash): stop fetching and drop the rest uncommitted.
		go func() {
			for range msgs { //nolint:revive // drain so the pump can exit
			}
		}()
	}
	cerr := c.r.Close()
	wg.Wait()
	c.o.Metrics.Blocked.Set(0)
	if runErr != nil && (ctx.Err() == nil || errors.Is(runErr, ErrKilled)) {
		return runErr
	}
	if cerr != nil {
		return fmt.Errorf("kafka: close reader %s: %w", c.o.Group, cerr)
	}
	return nil
}

// process handles, dead-letters and commits one batch. Handler attempts run
// on a context detached from ctx (a transaction in progress is not torn
// down by a shutdown); ctx ends the waits between attempts and the
// dead-letter publish, and then process returns an error without
// committing.
func (c *Consumer) process(ctx context.Context, batch []kafka.Message) error {
	work := context.WithoutCancel(ctx)
	start := time.Now()
	var good []Delivery
	defer func() {
		for _, d := range good {
			trace.SpanFromContext(d.Ctx).End()
		}
	}()
	for _, m := range batch {
		c.o.Metrics.Lag.WithLabelValues(m.Topic, strconv.Itoa(m.Partition)).Set(float64(max(0, m.HighWaterMark-m.Offset-1)))
		e, err := events.Decode(m.Value)
		if err != nil {
			c.o.Metrics.Failed.WithLabelValues(m.Topic).Inc()
			if err := c.deadLetter(ctx, m, err); err != nil {
				return err
			}
			continue
		}
		pctx := telemetry.Propagator.Extract(work, headerCarrier{&m.Headers})
		dctx, _ := c.o.Tracer.Start(pctx, "process "+m.Topic, trace.WithSpanKind(trace.SpanKindConsumer),
			trace.WithAttributes(semconv.MessagingSystemKafka, semconv.MessagingOperationTypeProcess,
				semconv.MessagingDestinationName(m.Topic), semconv.MessagingConsumerGroupName(c.o.Group),
				semconv.MessagingDestinationPartitionID(strconv.Itoa(m.Partition)),
				semconv.MessagingKafkaOffset(int(m.Offset)), semconv.MessagingMessageID(e.ID),
				semconv.MessagingKafkaMessageKey(string(m.Key))))
		good = append(good, Delivery{Ctx: dctx, Msg: m, Event: e})
	}
	if len(good) > 0 {
		err := c.handle(ctx, work, good)
		if err != nil && !permanent(err) {
			return err // ctx ended
		}
		if err != nil && len(good) > 1 {
			// Some message of the batch can never succeed: find it.
			c.o.Log.WarnContext(good[0].Ctx, "batch failed permanently, handling its messages one by one",
				"group", c.o.Group, "batch", len(good), "err", err)
			for _, d := range good {
				err := c.handle(ctx, work, []Delivery{d})
				if err != nil && !permanent(err) {
					return err
				}
				if err != nil {
					if err := c.poisoned(ctx, d, err); err != nil {
						return err
					}
				}
			}
		} else if err != nil {
			if err := c.poisoned(ctx, good[0], err); err != nil {
				return err
			}
		}
	}
	elapsed := time.Since(start).Seconds()
	seen := map[string]bool{}
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
	return c.commit(ctx, work, batch)
}

// handle calls the handler until it succeeds or fails permanently; transient
// failures are retried with backoff until ctx ends (then the error wraps
// ctx's cause).
func (c *Consumer) handle(ctx, work context.Context, batch []Delivery) error {
	err := retry.Do(ctx, c.policy(), func() error {
		err := c.h(work, batch)
		if err == nil {
			c.progressed()
			return nil
		}
		for _, d := range batch {
			c.o.Metrics.Failed.WithLabelValues(d.Msg.Topic).Inc()
		}
		if permanent(err) {
			return retry.Permanent(err)
		}
		c.failed(telemetry.StageHandle)
		return err
	}, func(attempt int, err error, wait time.Duration) {
		c.o.Log.WarnContext(batch[0].Ctx, "handler failed, retrying", "group", c.o.Group,
			"attempt", attempt, "batch", len(batch), "wait", wait, "err", err)
	})
	if err != nil && permanent(err) {
		// A permanent answer is an answer: the consumer is not stuck.
		c.progressed()
	}
	return err
}

// poisoned dead-letters d and marks its span.
func (c *Consumer) poisoned(ctx context.Context, d Delivery, reason error) error {
	if err := c.deadLetter(ctx, d.Msg, reason); err != nil {
		return err
	}
	span := trace.SpanFromContext(d.Ctx)
	span.RecordError(reason)
	span.SetStatus(codes.Error, "dead-lettered")
	return nil
}

// deadLetter sends m to its topic's DLQ with the reason and where it came
// from in headers. A failing publish is retried until ctx ends: dropping the
// message would lose it, and returning leaves the batch uncommitted.
func (c *Consumer) deadLetter(ctx context.Context, m kafka.Message, reason error) error {
	headers := append([]kafka.Header(nil), m.Headers...)
	headers = append(headers,
		kafka.Header{Key: events.HeaderDLQReason, Value: []byte(reason.Error())},
		kafka.Header{Key: events.HeaderDLQTopic, Value: []byte(m.Topic)},
		kafka.Header{Key: events.HeaderDLQPartition, Value: []byte(strconv.Itoa(m.Partition))},
		kafka.Header{Key: events.HeaderDLQOffset, Value: []byte(strconv.FormatInt(m.Offset, 10))},
		kafka.Header{Key: events.HeaderDLQConsumer, Value: []byte(c.o.Group)},
	)
	msg := Outgoing{Topic: events.DLQ(m.Topic), Key: string(m.Key), Value: m.Value, Headers: headers}
	err := retry.Do(ctx, c.policy(), func() error {
		err := c.o.DLQ.Publish(ctx, []Outgoing{msg})
		if err != nil && ctx.Err() == nil {
			c.failed(telemetry.StageDeadLetter)
		}
		return err
	}, func(attempt int, err error, wait time.Duration) {
		c.o.Log.Error("dead-letter publish failed, retrying", "topic", msg.Topic, "attempt", attempt, "wait", wait, "err", err)
	})
	if err != nil {
		return fmt.Errorf("kafka: dead-letter %s/%d@%d: %w", m.Topic, m.Partition, m.Offset, err)
	}
	c.progressed()
	c.o.Metrics.DLQ.WithLabelValues(m.Topic).Inc()
	c.o.Log.Warn("message dead-lettered", "topic", m.Topic, "partition", m.Partition, "offset", m.Offset,
		"group", c.o.Group, "reason", reason.Error())
	return nil
}

// commit commits the batch's offsets, retrying for commitGiveUp. Each
// attempt runs detached from ctx (so the last batch of a graceful stop is
// committed) but bounded by commitTimeout; retries stop when ctx ends.
func (c *Consumer) commit(ctx, work context.Context, batch []kafka.Message) error {
	p := c.policy()
	p.Elapsed = commitGiveUp
	err := retry.Do(ctx, p, func() error {
		actx, cancel := context.WithTimeout(work, commitTimeout)
		defer cancel()
		err := c.r.CommitMessages(actx, batch...)
		if err != nil {
			c.failed(telemetry.StageCommit)
		}
		return err
	}, func(attempt int, err error, wait time.Duration) {
		c.o.Log.Warn("commit failed, retrying", "group", c.o.Group, "attempt", attempt, "wait", wait, "err", err)
	})
	if err == nil {
		c.progressed()
		return nil
	}
	if ctx.Err() != nil {
		return err
	}
	// An uncommitted batch is redelivered and deduplicated by the inbox,
	// so giving up loses nothing.
	c.o.Log.Error("commit failed, batch will be redelivered", "group", c.o.Group, "err", err)
	c.progressed()
	return nil
}
