package kafka

import (
	"context"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/bloody-sweet/platform/services/internal/telemetry"
)

// Producer writes messages synchronously (the outbox deletes a row only
// after the broker acknowledged it) with settings tuned for latency.
type Producer struct {
	w       *kafka.Writer
	tracer  trace.Tracer
	metrics *telemetry.Kafka
}

// ProducerOptions tunes the writer; zero values take the defaults.
type ProducerOptions struct {
	BatchTimeout time.Duration // default 2 ms (kafka-go's 1 s default makes every sync write take 1 s)
	BatchSize    int           // default 500
	Security     Security      // TLS and SASL; zero is plaintext
}

// NewProducer returns a producer for brokers. The Writer has its own
// Transport so closing one service's connections never affects another's.
func NewProducer(brokers []string, tracer trace.Tracer, m *telemetry.Kafka, o ProducerOptions) *Producer {
	if o.BatchTimeout == 0 {
		o.BatchTimeout = 2 * time.Millisecond
	}
	if o.BatchSize == 0 {
		o.BatchSize = 500
	}
	w := &kafka.Writer{
		Addr:         kafka.TCP(brokers...),
		Balancer:     &kafka.Hash{}, // key = order id: one order's events stay in order
		BatchTimeout: o.BatchTimeout,
		BatchSize:    o.BatchSize,
		BatchBytes:   4 << 20,
		RequiredAcks: kafka.RequireAll,
		MaxAttempts:  10,
		// Retries of a sync write back off quickly: a restarted broker is
		// usually back within a second.
		WriteBackoffMin: 10 * time.Millisecond,
		WriteBackoffMax: 500 * time.Millisecond,
		Transport:       o.Security.transport(),
	}
	return &Producer{w: w, tracer: tracer, metrics: m}
}

// Outgoing is one message to produce. Parent carries the trace context the
// message continues (from the outbox row); it may be empty.
type Outgoing struct {
	Topic   string
	Key     string
	Value   []byte
	Headers []kafka.Header
	Parent  trace.SpanContext
}

// Publish writes msgs and waits for the broker's acknowledgement. Each
// message gets a "send" span, child of its Parent, whose context goes into
// the traceparent header.
func (p *Producer) Publish(ctx context.Context, msgs []Outgoing) error {
	if len(msgs) == 0 {
		return nil
	}
	out := make([]kafka.Message, len(msgs))
	spans := make([]trace.Span, len(msgs))
	for i, m := range msgs {
		pctx := ctx
		if m.Parent.IsValid() {
			pctx = trace.ContextWithRemoteSpanContext(ctx, m.Parent)
		}
		sctx, span := p.tracer.Start(pctx, "send "+m.Topic, trace.WithSpanKind(trace.SpanKindProducer),
			trace.WithAttributes(semconv.MessagingSystemKafka, semconv.MessagingOperationTypeSend,
				semconv.MessagingDestinationName(m.Topic), semconv.MessagingKafkaMessageKey(m.Key)))
		spans[i] = span
		headers := append([]kafka.Header(nil), m.Headers...)
		telemetry.Propagator.Inject(sctx, headerCarrier{&headers})
		out[i] = kafka.Message{Topic: m.Topic, Key: []byte(m.Key), Value: m.Value, Headers: headers}
	}
	err := p.w.WriteMessages(ctx, out...)
	for i, s := range spans {
		if err != nil {
			s.RecordError(err)
			s.SetStatus(codes.Error, "write failed")
		} else {
			s.SetAttributes(attribute.Int("messaging.batch.message_count", len(msgs)))
			p.metrics.Produced.WithLabelValues(msgs[i].Topic).Inc()
		}
		s.End()
	}
	if err != nil {
		return fmt.Errorf("kafka: write %d messages: %w", len(msgs), err)
	}
	return nil
}

// Close flushes and closes the writer.
func (p *Producer) Close() error { return p.w.Close() }
