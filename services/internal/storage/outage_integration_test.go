//go:build integration

package storage_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/internal/kafka"
	"github.com/bloody-sweet/platform/services/internal/retry"
	"github.com/bloody-sweet/platform/services/internal/storage"
	"github.com/bloody-sweet/platform/services/internal/telemetry"
	"github.com/bloody-sweet/platform/tests/testenv"
)

// TestPostgresOutageDeadLettersNothing is the outage of issue 10 on a real
// Postgres: a consumer whose handler writes through the inbox loses its
// database (a proxy in front of Postgres drops every connection and refuses
// new ones) while 50 valid events wait. The consumer retries, reports not
// ready and commits nothing; when the database is back every event is
// applied exactly once and none was dead-lettered. The outage lasts until
// the consumer has failed 20 times and turned not ready, far beyond the old
// budget of 6 attempts in about 0.6 s.
func TestPostgresOutageDeadLettersNothing(t *testing.T) {
	pg := testenv.StartPostgres(t)
	pg.CreateDatabase(t, "outage")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	px := startProxy(t, "127.0.0.1:"+strconv.Itoa(pg.Port))
	url := fmt.Sprintf("postgres://postgres@%s/outage?sslmode=disable&connect_timeout=2", px.addr)
	db, err := storage.Open(ctx, url, "outage")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx, fstest.MapFS{"001_applied.sql": {Data: []byte(`CREATE TABLE {p}applied (event_id TEXT PRIMARY KEY)`)}}); err != nil {
		t.Fatal(err)
	}

	b, err := kafka.StartEmbedded(kafka.EmbeddedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	m := telemetry.NewKafka(prometheus.NewRegistry(), nil, []string{events.TopicOrder}, events.Partitions)
	prod := kafka.NewProducer(b.Addrs(), noop.NewTracerProvider().Tracer(""), m, kafka.ProducerOptions{})
	defer prod.Close()
	var msgs []kafka.Outgoing
	for i := range 50 {
		id := fmt.Sprintf("o-%d", i)
		e, err := events.New(events.OrderPlaced, id, time.Now(), events.OrderPlacedData{OrderRef: events.OrderRef{OrderID: id, StoreID: "s"}})
		if err != nil {
			t.Fatal(err)
		}
		v, _ := events.Encode(e)
		msgs = append(msgs, kafka.Outgoing{Topic: events.TopicOrder, Key: id, Value: v})
	}
	px.setDown(true) // the database fails before the first event arrives
	if err := prod.Publish(ctx, msgs); err != nil {
		t.Fatal(err)
	}

	var attempts atomic.Int64
	c := kafka.NewConsumer(kafka.ConsumerOptions{
		Brokers: b.Addrs(), Group: "outage", Topics: []string{events.TopicOrder}, Backoff: 5 * time.Millisecond,
		MaxBackoff: 50 * time.Millisecond, BlockedAfter: 500 * time.Millisecond, DLQ: prod,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Tracer: noop.NewTracerProvider().Tracer(""), Metrics: m,
	}, func(ctx context.Context, batch []kafka.Delivery) error {
		attempts.Add(1)
		return db.Tx(ctx, func(tx *sql.Tx) error {
			for _, d := range batch {
				fresh, err := db.MarkProcessed(ctx, tx, d.Event.ID)
				if err != nil {
					return err
				}
				if fresh {
					if _, err := tx.ExecContext(ctx, db.SQL(`INSERT INTO {p}applied (event_id) VALUES (?)`), d.Event.ID); err != nil {
						return err
					}
				}
			}
			return nil
		})
	})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- c.Run(runCtx) }()

	await(ctx, t, "20 failed attempts and not ready", func() bool {
		return attempts.Load() >= 20 && errors.Is(c.Ready(), kafka.ErrBlocked)
	})
	if n := counter(t, m.DLQ.WithLabelValues(events.TopicOrder)); n != 0 {
		t.Fatalf("%v events dead-lettered during the outage", n)
	}
	px.setDown(false)
	applied := func() int {
		var n int
		if err := db.QueryRowContext(ctx, db.SQL(`SELECT COUNT(*) FROM {p}applied`)).Scan(&n); err != nil {
			return -1
		}
		return n
	}
	await(ctx, t, "every event applied and ready", func() bool { return applied() == 50 && c.Ready() == nil })
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var inbox int
	if err := db.QueryRowContext(ctx, db.SQL(`SELECT COUNT(*) FROM {p}inbox`)).Scan(&inbox); err != nil || inbox != 50 {
		t.Errorf("inbox rows %d (%v), want 50", inbox, err)
	}
	if n := counter(t, m.DLQ.WithLabelValues(events.TopicOrder)); n != 0 {
		t.Errorf("%v events dead-lettered", n)
	}
	if n := counter(t, m.Retries.WithLabelValues(telemetry.StageHandle)); n < 19 {
		t.Errorf("kafka_retries_total{stage=handle} = %v, want >= 19", n)
	}
}

// proxy forwards TCP to target; while down it drops every connection and
// refuses new ones, as a database that went away does.
type proxy struct {
	addr   string
	target string
	down   atomic.Bool
	mu     sync.Mutex
	conns  map[net.Conn]struct{}
}

func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{addr: ln.Addr().String(), target: target, conns: map[net.Conn]struct{}{}}
	t.Cleanup(func() { _ = ln.Close(); p.setDown(true) })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if p.down.Load() {
				_ = c.Close()
				continue
			}
			go p.forward(c)
		}
	}()
	return p
}

func (p *proxy) forward(c net.Conn) {
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		_ = c.Close()
		return
	}
	p.mu.Lock()
	p.conns[c], p.conns[up] = struct{}{}, struct{}{}
	p.mu.Unlock()
	go func() { _, _ = io.Copy(up, c); _ = up.Close() }()
	_, _ = io.Copy(c, up)
	_ = c.Close()
}

// setDown cuts (true) or restores (false) the database.
func (p *proxy) setDown(v bool) {
	p.down.Store(v)
	if !v {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		_ = c.Close()
		delete(p.conns, c)
	}
}

func await(ctx context.Context, t *testing.T, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func counter(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var d dto.Metric
	if err := c.Write(&d); err != nil {
		t.Fatal(err)
	}
	return d.GetCounter().GetValue()
}

// TestTxMarksDataExceptionsPermanent: on Postgres a NUL in text (SQLSTATE
// 22021) fails the same way every time and comes back marked
// retry.Permanent; a unique violation (23505), which a concurrent writer
// can cause, stays transient.
func TestTxMarksDataExceptionsPermanent(t *testing.T) {
	pg := testenv.StartPostgres(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, err := storage.Open(ctx, pg.CreateDatabase(t, "classify"), "classify")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `CREATE TABLE t (id TEXT PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	insert := func(v string) error {
		return db.Tx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO t (id) VALUES ($1)`, v)
			return err
		})
	}
	if err := insert("c-1\x00"); err == nil || !retry.IsPermanent(err) {
		t.Errorf("NUL in text: %v (permanent %v), want a permanent error", err, retry.IsPermanent(err))
	}
	if err := insert("c-1"); err != nil {
		t.Fatal(err)
	}
	if err := insert("c-1"); err == nil || retry.IsPermanent(err) {
		t.Errorf("unique violation: %v (permanent %v), want a transient error", err, retry.IsPermanent(err))
	}
}
