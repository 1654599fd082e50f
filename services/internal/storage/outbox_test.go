package storage

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"net"
	"testing"
	"testing/fstest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/internal/kafka"
	"github.com/bloody-sweet/platform/services/internal/retry"
	"github.com/bloody-sweet/platform/services/internal/telemetry"
)

// TestRelayRetriesUntilBrokerIsBack: with the broker down the relay keeps
// the row and retries (counted in kafka_retries_total{stage="outbox"});
// once a broker listens on the address the row is published and deleted.
func TestRelayRetriesUntilBrokerIsBack(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()

	db, err := Open(ctx, "", "relay")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx, fstest.MapFS{"001_none.sql": {Data: []byte("SELECT 1")}}); err != nil {
		t.Fatal(err)
	}
	e, err := events.New(events.OrderPlaced, "o-1", time.Now(), events.OrderPlacedData{OrderRef: events.OrderRef{OrderID: "o-1", StoreID: "s"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Tx(ctx, func(tx *sql.Tx) error { return db.Enqueue(ctx, tx, e) }); err != nil {
		t.Fatal(err)
	}
	m := telemetry.NewKafka(prometheus.NewRegistry(), []string{events.TopicOrder}, nil, events.Partitions)
	prod := kafka.NewProducer([]string{ln.Addr().String()}, noop.NewTracerProvider().Tracer(""), m, kafka.ProducerOptions{})
	defer prod.Close()
	relay := NewRelay(db, prod, slog.New(slog.NewTextHandler(io.Discard, nil)), m)
	relay.backoff = retry.Policy{Initial: time.Millisecond, Max: 20 * time.Millisecond}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- relay.Run(runCtx, 5*time.Second) }()

	count := func() float64 {
		var d dto.Metric
		if err := m.Retries.WithLabelValues(telemetry.StageOutbox).Write(&d); err != nil {
			t.Fatal(err)
		}
		return d.GetCounter().GetValue()
	}
	rows := func() int {
		var n int
		if err := db.QueryRowContext(ctx, db.SQL(`SELECT COUNT(*) FROM {p}outbox`)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	waitFor(ctx, t, "two outbox retries", func() bool { return count() >= 2 })
	if n := rows(); n != 1 {
		t.Fatalf("%d outbox rows while the broker is down, want 1", n)
	}
	b, err := kafka.StartEmbedded(kafka.EmbeddedOptions{Port: port})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	waitFor(ctx, t, "the row published and deleted", func() bool { return rows() == 0 })
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func waitFor(ctx context.Context, t *testing.T, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(10 * time.Millisecond):
		}
	}
}
