package svc

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	kafkago "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/internal/config"
	"github.com/bloody-sweet/platform/services/internal/kafka"
)

// TestShutdownFailsReadinessThenDrains: during the shutdown delay /readyz
// answers 503 while /healthz and in-flight requests still succeed; the
// request in flight when draining starts completes.
func TestShutdownFailsReadinessThenDrains(t *testing.T) {
	t.Parallel()
	release, entered := make(chan struct{}), make(chan struct{})
	spec := Spec{Name: "probe", API: true, Build: func(context.Context, *Runtime) (*Parts, error) {
		return &Parts{Routes: map[string]http.Handler{
			"GET /slow": http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				close(entered)
				<-release
				_, _ = io.WriteString(w, "done")
			}),
		}}, nil
	}}
	s, err := Start(context.Background(), config.Common{ServiceName: "probe", HTTPAddr: "127.0.0.1:0", LogLevel: "error"}, spec, Options{LogWriter: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) int {
		resp, err := http.Get(s.URL() + path)
		if err != nil {
			return -1
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if c := get("/readyz"); c != 200 {
		t.Fatalf("readyz before shutdown: %d", c)
	}
	slow := make(chan string, 1)
	go func() {
		resp, err := http.Get(s.URL() + "/slow")
		if err != nil {
			slow <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		slow <- string(b)
	}()
	// The slow request is in the handler before shutdown starts.
	<-entered
	deadline := time.Now().Add(5 * time.Second)
	closed := make(chan error, 1)
	go func() { closed <- s.Close(context.Background(), 500*time.Millisecond) }()
	for get("/readyz") != 503 {
		if time.Now().After(deadline) {
			t.Fatal("readiness never failed during shutdown")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if c := get("/healthz"); c != 200 {
		t.Errorf("healthz during the shutdown delay: %d, want 200", c)
	}
	close(release)
	if got := <-slow; got != "done" {
		t.Errorf("in-flight request got %q, want it drained to completion", got)
	}
	if err := <-closed; err != nil {
		t.Errorf("close: %v", err)
	}
	if c := get("/healthz"); c != -1 {
		t.Errorf("server still answering after close: %d", c)
	}
}

// TestCreatesItsOwnTopics: with KAFKA_TOPIC_REPLICATION set, a service
// creates the topics it produces and the DLQs of those it consumes on a
// cluster that has none (and that does not auto-create), and nothing else.
func TestCreatesItsOwnTopics(t *testing.T) {
	t.Parallel()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.DefaultNumPartitions(events.Partitions))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	spec := Spec{Name: "store", Produces: []string{events.TopicStore}, Consumes: []string{events.TopicPayment},
		Build: func(context.Context, *Runtime) (*Parts, error) { return &Parts{}, nil }}
	cfg := config.Common{ServiceName: "store", HTTPAddr: "127.0.0.1:0", LogLevel: "error",
		KafkaBrokers: c.ListenAddrs(), Kafka: config.Kafka{TopicReplication: 1}}
	s, err := Start(context.Background(), cfg, spec, Options{LogWriter: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background(), 0)

	conn, err := kafkago.Dial("tcp", c.ListenAddrs()[0])
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	parts, err := conn.ReadPartitions()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, p := range parts {
		got[p.Topic]++
	}
	want := map[string]int{events.TopicStore: events.Partitions, events.DLQ(events.TopicPayment): events.Partitions}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("topics on the cluster (-want +got):\n%s", d)
	}
}

// TestBlockedConsumerFailsReadiness: while the handler fails transiently
// (a dependency is down) for longer than KAFKA_CONSUMER_BLOCKED_AFTER,
// /readyz answers 503; once it succeeds again, 200, and the message was
// handled once.
func TestBlockedConsumerFailsReadiness(t *testing.T) {
	t.Parallel()
	var down atomic.Bool
	down.Store(true)
	var handled atomic.Int64
	spec := Spec{Name: "blocked", Consumes: []string{events.TopicOrder}, Build: func(context.Context, *Runtime) (*Parts, error) {
		return &Parts{Handler: func(context.Context, []kafka.Delivery) error {
			if down.Load() {
				return errors.New("database is down")
			}
			handled.Add(1)
			return nil
		}}, nil
	}}
	cfg := config.Common{ServiceName: "blocked", HTTPAddr: "127.0.0.1:0", LogLevel: "error", KafkaBrokers: []string{config.Embedded},
		Kafka: config.Kafka{BlockedAfter: 200 * time.Millisecond}}
	s, err := Start(context.Background(), cfg, spec, Options{LogWriter: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background(), 0)
	e, _ := events.New(events.OrderPlaced, "o-1", time.Now(), events.OrderPlacedData{OrderRef: events.OrderRef{OrderID: "o-1", StoreID: "s"}})
	b, _ := events.Encode(e)
	w := &kafkago.Writer{Addr: kafkago.TCP(s.Runtime.Brokers...), BatchTimeout: time.Millisecond}
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := w.WriteMessages(ctx, kafkago.Message{Topic: events.TopicOrder, Key: []byte("o-1"), Value: b}); err != nil {
		t.Fatal(err)
	}
	var body string
	readyz := func() int {
		resp, err := http.Get(s.URL() + "/readyz")
		if err != nil {
			return -1
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body = string(b)
		return resp.StatusCode
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for !cond() {
			select {
			case <-ctx.Done():
				t.Fatalf("timed out waiting for %s", what)
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
	waitFor("readyz 503 while the handler fails", func() bool { return readyz() == http.StatusServiceUnavailable })
	if !strings.Contains(body, "consumer blocked") || strings.Contains(body, "database") {
		t.Errorf("readyz body %q: want it to say the consumer is blocked, without the cause", body)
	}
	down.Store(false)
	waitFor("readyz 200 after recovery", func() bool { return readyz() == http.StatusOK })
	if n := handled.Load(); n != 1 {
		t.Errorf("handled %d times, want once", n)
	}
}

// TestEmbeddedOnlyWhenAsked: a service whose KAFKA_BROKERS, DATABASE_URL
// or REDIS_URL is empty fails its start naming the setting (a pod whose
// Secret lost a key must not run on a private broker, database or Redis);
// "embedded" starts the part in the process.
func TestEmbeddedOnlyWhenAsked(t *testing.T) {
	t.Parallel()
	spec := Spec{Name: "store", Consumes: []string{events.TopicPayment}, Produces: []string{events.TopicStore},
		Migrations: emptyMigrations, UsesRedis: true,
		Build: func(context.Context, *Runtime) (*Parts, error) { return &Parts{}, nil }}
	embedded := config.Common{ServiceName: "store", HTTPAddr: "127.0.0.1:0", LogLevel: "error",
		KafkaBrokers: []string{config.Embedded}, DatabaseURL: config.Embedded, RedisURL: config.Embedded}
	for setting, unset := range map[string]func(*config.Common){
		"KAFKA_BROKERS": func(c *config.Common) { c.KafkaBrokers = nil },
		"DATABASE_URL":  func(c *config.Common) { c.DatabaseURL = "" },
		"REDIS_URL":     func(c *config.Common) { c.RedisURL = "" },
	} {
		cfg := embedded
		unset(&cfg)
		s, err := Start(context.Background(), cfg, spec, Options{LogWriter: io.Discard})
		if err == nil {
			_ = s.Close(context.Background(), 0)
			t.Errorf("started with %s empty", setting)
			continue
		}
		if !strings.Contains(err.Error(), setting+" is not set") {
			t.Errorf("%s empty: error %q does not name it", setting, err)
		}
	}
	s, err := Start(context.Background(), embedded, spec, Options{LogWriter: io.Discard})
	if err != nil {
		t.Fatalf("everything embedded by name: %v", err)
	}
	defer s.Close(context.Background(), 0)
	if len(s.Runtime.Brokers) != 1 || s.Runtime.Brokers[0] == config.Embedded || s.Runtime.DB == nil || s.Runtime.Redis == nil {
		t.Errorf("embedded parts not started: brokers %v, db %v, redis %v", s.Runtime.Brokers, s.Runtime.DB != nil, s.Runtime.Redis != nil)
	}
}

// A service that consumes nothing (the catalog) runs until it is told to
// stop: Main must not take its absent consumer for a stopped one.
func TestNoConsumerNothingStops(t *testing.T) {
	t.Parallel()
	spec := Spec{Name: "probe", API: true, Build: func(context.Context, *Runtime) (*Parts, error) { return &Parts{}, nil }}
	s, err := Start(context.Background(), config.Common{ServiceName: "probe", HTTPAddr: "127.0.0.1:0", LogLevel: "error"}, spec, Options{LogWriter: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background(), 0) })
	if s.consumerStopped() != nil {
		t.Fatal("Main would stop a service without a consumer at once")
	}
}
