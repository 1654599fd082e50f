// Package svc is the runtime every service shares: it turns a Spec (what a
// service consumes, produces and stores, and how its app is wired) into a
// running process part with telemetry, storage, outbox relay, consumer and
// HTTP port, and shuts it down in the right order. main.go files and
// services/stack both start services through it, so the embedded stack
// runs exactly the production wiring.
//
// The files by job: svc.go (Spec, Start, Close), kafka.go (brokers,
// topics, producer), database.go (open, migrate or check), redis.go,
// main.go (the process: flags, signals, exit codes), migrate.go (the
// "<service> migrate" mode).
package svc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/trace"

	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/internal/awscfg"
	"github.com/bloody-sweet/platform/services/internal/config"
	"github.com/bloody-sweet/platform/services/internal/httpserver"
	"github.com/bloody-sweet/platform/services/internal/kafka"
	"github.com/bloody-sweet/platform/services/internal/storage"
	"github.com/bloody-sweet/platform/services/internal/telemetry"

	kafkago "github.com/segmentio/kafka-go"
)

// Spec describes a service to the runtime.
type Spec struct {
	Name       string
	API        bool     // serves an API besides health and metrics
	Consumes   []string // topics read by the service's consumer group
	Produces   []string // topics written through the outbox
	Migrations fs.FS    // the service's *.sql migrations; nil: no SQL database
	UsesRedis  bool
	// Build wires the app on the runtime's plumbing.
	Build func(ctx context.Context, rt *Runtime) (*Parts, error)
}

// Parts is what a service's Build returns.
type Parts struct {
	Handler kafka.Handler           // nil if the service consumes nothing
	Routes  map[string]http.Handler // ServeMux pattern -> handler
	// Background runs alongside the consumer until ctx ends (optional).
	Background func(ctx context.Context) error
	Close      func() error // optional
}

// Runtime is the plumbing handed to a service's Build.
type Runtime struct {
	Config   config.Common
	Log      *slog.Logger
	Registry *prometheus.Registry
	Kafka    *telemetry.Kafka
	Tracer   trace.Tracer
	DB       *storage.DB    // nil without Migrations
	Relay    *storage.Relay // nil without Migrations
	Redis    *redis.Client  // nil unless UsesRedis
	// Producer writes to Kafka; a service whose outbox is not the SQL one
	// (the catalog's lives in its documents) relays with it.
	Producer *kafka.Producer
	Brokers  []string
	// Stopping is closed when shutdown starts, so long-lived requests
	// (SSE streams) end and HTTP can drain.
	Stopping <-chan struct{}
}

// Options are knobs for tests and the embedded stack.
type Options struct {
	LogWriter io.Writer // default os.Stderr
	// BeforeCommit is passed to the consumer (failure tests).
	BeforeCommit func([]kafkago.Message) error
	// ConsumerMaxWait overrides the fetch wait.
	ConsumerMaxWait time.Duration
	// LoadAWSConfig loads the process's AWS configuration, once, when the
	// first IAM mechanism (MSK, ElastiCache, RDS) needs it; nil: the
	// default chain (IRSA in a pod).
	LoadAWSConfig awscfg.LoadFunc
	// DBPassword, with DATABASE_IAM_AUTH, replaces the RDS IAM token signer
	// (tests give the password a real Postgres role has).
	DBPassword storage.PasswordFunc
}

// Service is a started service.
type Service struct {
	Spec    Spec
	Runtime *Runtime
	server  *httpserver.Server
	prod    *kafka.Producer
	trc     *telemetry.Tracing
	parts   *Parts
	closers []func() error

	stopping   chan struct{}
	cancelCons context.CancelFunc
	cancelBg   context.CancelFunc
	cancelRel  context.CancelFunc
	consClosed chan struct{} // closed when the consumer returned
	consErr    error
	bgDone     chan error
	relDone    chan error
	srvDone    chan error
	closeOnce  sync.Once
	closeErr   error
}

// URL is the service's HTTP base URL.
func (s *Service) URL() string { return s.server.URL() }

// MetricsURL is the base URL of the service's /metrics port.
func (s *Service) MetricsURL() string { return s.server.MetricsURL() }

// ConsumerDone yields the consumer's result when it stops (nil after a
// graceful stop, kafka.ErrKilled after a simulated crash). Every call gets
// its own channel, so watching it does not steal the result from Close.
func (s *Service) ConsumerDone() <-chan error {
	out := make(chan error, 1)
	go func() {
		<-s.consClosed
		out <- s.consErr
	}()
	return out
}

// Start builds and starts the service described by spec.
func Start(ctx context.Context, cfg config.Common, spec Spec, o Options) (_ *Service, err error) {
	if o.LogWriter == nil {
		o.LogWriter = os.Stderr
	}
	s := &Service{Spec: spec, stopping: make(chan struct{})}
	defer func() {
		if err != nil {
			s.closeAll()
		}
	}()
	log, err := telemetry.NewLogger(o.LogWriter, cfg.LogLevel, cfg.ServiceName)
	if err != nil {
		return nil, err
	}
	reg := telemetry.NewRegistry()
	km := telemetry.NewKafka(reg, spec.Produces, spec.Consumes, events.Partitions)
	trc, err := telemetry.NewTracing(ctx, cfg.ServiceName, cfg.OTLPEndpoint)
	if err != nil {
		return nil, err
	}
	s.trc = trc
	s.closers = append(s.closers, func() error { return trc.Shutdown(context.Background()) })
	rt := &Runtime{Config: cfg, Log: log, Registry: reg, Kafka: km, Tracer: trc.Tracer, Brokers: cfg.KafkaBrokers, Stopping: s.stopping}
	s.Runtime = rt

	// One AWS configuration for the whole process, loaded on first use by
	// whichever IAM mechanism is on (none: never loaded).
	aws := awscfg.NewLazy(o.LoadAWSConfig)
	if rt.Brokers, err = s.brokers(cfg, spec, log); err != nil {
		return nil, err
	}
	sec, err := s.connectKafka(ctx, cfg, spec, rt, aws)
	if err != nil {
		return nil, err
	}
	rt.Producer = s.prod
	if spec.Migrations != nil {
		if rt.DB, err = s.openDatabase(ctx, cfg, spec, aws, o); err != nil {
			return nil, err
		}
		rt.Relay = storage.NewRelay(rt.DB, s.prod, log, km)
	}
	if spec.UsesRedis {
		if rt.Redis, err = s.openRedis(ctx, cfg, aws); err != nil {
			return nil, err
		}
	}

	parts, err := spec.Build(ctx, rt)
	if err != nil {
		return nil, fmt.Errorf("svc: build %s: %w", spec.Name, err)
	}
	s.parts = parts
	if parts.Close != nil {
		s.closers = append(s.closers, parts.Close)
	}

	hm := telemetry.NewHTTP(reg)
	srv, err := httpserver.New(cfg.HTTPAddr, cfg.MetricsAddr, cfg.HTTPTimeouts, reg, hm, log, rt.Tracer)
	if err != nil {
		return nil, err
	}
	s.server = srv
	for pattern, h := range parts.Routes {
		srv.Handle(pattern, h)
	}

	// Background work runs on contexts detached from ctx: shutdown is
	// driven by Close, in order, not by whoever cancels ctx first.
	base := context.WithoutCancel(ctx)
	if rt.Relay != nil {
		rctx, cancel := context.WithCancel(base)
		s.cancelRel, s.relDone = cancel, make(chan error, 1)
		go func() { s.relDone <- rt.Relay.Run(rctx, 10*time.Second) }()
	}
	if parts.Background != nil {
		bctx, cancel := context.WithCancel(base)
		s.cancelBg, s.bgDone = cancel, make(chan error, 1)
		go func() { s.bgDone <- parts.Background(bctx) }()
	}
	s.consClosed = make(chan struct{})
	if parts.Handler == nil {
		close(s.consClosed)
	} else {
		cons := kafka.NewConsumer(kafka.ConsumerOptions{
			Brokers: rt.Brokers, Group: cfg.ServiceName, Topics: spec.Consumes, DLQ: s.prod, Log: log, Tracer: rt.Tracer,
			Metrics: km, BeforeCommit: o.BeforeCommit, MaxWait: o.ConsumerMaxWait, Security: sec,
			BlockedAfter: cfg.Kafka.BlockedAfter,
		}, parts.Handler)
		// A consumer that cannot make progress (a dependency is down) takes
		// the pod out of service and stalls a rollout until it recovers.
		srv.AddReadyCheck(cons.Ready)
		cctx, cancel := context.WithCancel(base)
		s.cancelCons = cancel
		go func() {
			s.consErr = cons.Run(cctx)
			close(s.consClosed)
		}()
	}
	s.srvDone = make(chan error, 1)
	go func() { s.srvDone <- srv.Serve() }()
	log.Info("service started", "url", srv.URL(), "metrics", srv.MetricsURL(), "brokers", rt.Brokers, "database", dbKind(rt.DB), "consumes", spec.Consumes)
	return s, nil
}

// Close shuts down in order: readiness fails, after delay HTTP drains, the
// consumer finishes its batch and commits, the outbox flushes, then
// connections close. It is safe to call more than once.
func (s *Service) Close(ctx context.Context, delay time.Duration) error {
	s.closeOnce.Do(func() {
		var errs []error
		if s.server != nil {
			s.server.SetReady(false)
			select {
			case <-time.After(delay):
			case <-ctx.Done():
			}
			close(s.stopping)
			errs = append(errs, s.server.Shutdown(ctx))
			errs = append(errs, <-s.srvDone)
		}
		if s.cancelCons != nil {
			s.cancelCons()
			<-s.consClosed
			if err := s.consErr; err != nil && !errors.Is(err, kafka.ErrKilled) {
				errs = append(errs, err)
			}
		}
		if s.cancelBg != nil {
			s.cancelBg()
			errs = append(errs, <-s.bgDone)
		}
		if s.cancelRel != nil {
			s.cancelRel()
			errs = append(errs, <-s.relDone)
		}
		errs = append(errs, s.closeAll())
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

func (s *Service) closeAll() error {
	var errs []error
	for i := len(s.closers) - 1; i >= 0; i-- {
		errs = append(errs, s.closers[i]())
	}
	s.closers = nil
	return errors.Join(errs...)
}
