// Package svc is the runtime every service shares: it turns a Spec (what a
// service consumes, produces and stores, and how its app is wired) into a
// running process part with telemetry, storage, outbox relay, consumer and
// HTTP port, and shuts it down in the right order. main.go files and
// internal/devstack both start services through it, so the embedded stack
// runs exactly the production wiring.
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
	"strings"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/trace"

	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/internal/awscfg"
	"github.com/bloody-sweet/platform/services/internal/config"
	"github.com/bloody-sweet/platform/services/internal/httpserver"
	"github.com/bloody-sweet/platform/services/internal/kafka"
	"github.com/bloody-sweet/platform/services/internal/rdsauth"
	"github.com/bloody-sweet/platform/services/internal/redisauth"
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

	if len(rt.Brokers) == 0 {
		emb, err := kafka.StartEmbedded(kafka.EmbeddedOptions{})
		if err != nil {
			return nil, err
		}
		s.closers = append(s.closers, func() error { emb.Close(); return nil })
		rt.Brokers = emb.Addrs()
		log.Info("started embedded Kafka broker", "addrs", rt.Brokers)
	}
	// One AWS configuration for the whole process, loaded on first use by
	// whichever IAM mechanism is on (none: never loaded).
	aws := awscfg.NewLazy(o.LoadAWSConfig)
	sec, err := kafka.NewSecurity(ctx, kafka.SecurityConfig{
		TLS: cfg.Kafka.TLS, SASL: cfg.Kafka.SASL, Username: cfg.Kafka.Username, Password: cfg.Kafka.Password,
		AWS: aws.Get,
	})
	if err != nil {
		return nil, err
	}
	if n := cfg.Kafka.TopicReplication; n > 0 && len(cfg.KafkaBrokers) > 0 {
		// Each service creates what it writes: its own topics, and the DLQs
		// of the topics it consumes (its IAM role may create only those).
		topics := append([]string(nil), spec.Produces...)
		for _, t := range spec.Consumes {
			topics = append(topics, events.DLQ(t))
		}
		if err := kafka.EnsureTopics(ctx, rt.Brokers, sec, n, topics...); err != nil {
			return nil, err
		}
	}
	s.prod = kafka.NewProducer(rt.Brokers, rt.Tracer, km, kafka.ProducerOptions{Security: sec})
	prod := s.prod
	s.closers = append(s.closers, prod.Close)

	if spec.Migrations != nil {
		var dbOpts storage.Options
		if cfg.DatabaseIAMAuth {
			if dbOpts.Password, err = dbPassword(ctx, aws, o.DBPassword); err != nil {
				return nil, err
			}
		}
		db, err := storage.Open(ctx, cfg.DatabaseURL, spec.Name, dbOpts)
		if err != nil {
			return nil, err
		}
		s.closers = append(s.closers, db.Close)
		if err := migrateOrCheck(ctx, db, cfg, spec); err != nil {
			return nil, err
		}
		rt.DB = db
		rt.Relay = storage.NewRelay(db, prod, log, km)
	}
	if spec.UsesRedis {
		url := cfg.RedisURL
		if url == "" {
			mr, err := miniredis.Run()
			if err != nil {
				return nil, fmt.Errorf("svc: start embedded redis: %w", err)
			}
			s.closers = append(s.closers, func() error { mr.Close(); return nil })
			url = "redis://" + mr.Addr()
		}
		opt, err := redis.ParseURL(url)
		if err != nil {
			return nil, fmt.Errorf("svc: REDIS_URL: %w", err)
		}
		if cfg.RedisIAMCache != "" {
			if err := useIAMAuth(ctx, opt, cfg.RedisIAMCache, aws); err != nil {
				return nil, err
			}
		}
		rt.Redis = redis.NewClient(opt)
		s.closers = append(s.closers, rt.Redis.Close)
		if err := rt.Redis.Ping(ctx).Err(); err != nil {
			return nil, fmt.Errorf("svc: redis %s: %w", opt.Addr, err)
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
	srv, err := httpserver.New(cfg.HTTPAddr, reg, hm, log, rt.Tracer)
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
			Brokers: rt.Brokers, Group: cfg.ServiceName, Topics: spec.Consumes, DLQ: prod, Log: log, Tracer: rt.Tracer,
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
	log.Info("service started", "url", srv.URL(), "brokers", rt.Brokers, "database", dbKind(rt.DB), "consumes", spec.Consumes)
	return s, nil
}

// useIAMAuth makes every new Redis connection authenticate as REDIS_URL's
// user with a fresh ElastiCache IAM token signed by the pod's AWS role.
func useIAMAuth(ctx context.Context, opt *redis.Options, cache string, aws *awscfg.Lazy) error {
	if opt.Username == "" || opt.TLSConfig == nil {
		return fmt.Errorf("svc: REDIS_IAM_CACHE needs REDIS_URL rediss://<user>@host:port")
	}
	awsCfg, err := aws.Get(ctx)
	if err != nil {
		return fmt.Errorf("svc: AWS configuration for Redis IAM auth: %w", err)
	}
	opt.CredentialsProviderContext = redisauth.Signer{
		Cache: cache, User: opt.Username, Region: awsCfg.Region, Creds: awsCfg.Credentials,
	}.Credentials
	return nil
}

// migrateOrCheck applies the migrations, except with DATABASE_IAM_AUTH: the
// service then runs as its own database user, the migrate hook (a PreSync
// Job running "<service> migrate" as the master user) has applied them
// before the pods change, and the service only checks that none is
// pending. It runs no DDL, so a new version cannot start against a schema
// the hook has not migrated (it fails its start instead).
func migrateOrCheck(ctx context.Context, db *storage.DB, cfg config.Common, spec Spec) error {
	if !cfg.DatabaseIAMAuth {
		return db.Migrate(ctx, spec.Migrations)
	}
	pending, err := db.Pending(ctx, spec.Migrations)
	if err != nil {
		return err
	}
	if len(pending) > 0 {
		return fmt.Errorf("svc: migrations %v are not applied in schema %s: run %q with the master user's DATABASE_URL first (the chart's PreSync migrate Job does)",
			pending, storage.ServiceRole(spec.Name), spec.Name+" migrate")
	}
	return nil
}

// dbPassword is the password source of DATABASE_IAM_AUTH: the test's stub,
// or RDS IAM tokens signed with the process's AWS configuration.
func dbPassword(ctx context.Context, aws *awscfg.Lazy, stub storage.PasswordFunc) (storage.PasswordFunc, error) {
	if stub != nil {
		return stub, nil
	}
	awsCfg, err := aws.Get(ctx)
	if err != nil {
		return nil, fmt.Errorf("svc: AWS configuration for DATABASE_IAM_AUTH: %w", err)
	}
	return rdsauth.Signer{Region: awsCfg.Region, Creds: awsCfg.Credentials}.Password, nil
}

func dbKind(db *storage.DB) string {
	if db == nil {
		return "none"
	}
	return db.Dialect.String()
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
			errs = append(errs, s.server.Shutdown(ctx, 0))
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

// Main is what a service's main.go calls: parse configuration (bind adds
// the service's own flags), start, run until SIGINT/SIGTERM, shut down.
// It returns the process exit code.
//
// "<service> migrate [flags]" runs the migrate mode instead (Migrate).
func Main(ctx context.Context, spec Spec, args []string, bind func(*config.Binder)) int {
	if len(args) > 0 && args[0] == "migrate" {
		return migrateMain(ctx, spec, args[1:], bind)
	}
	cfg, err := config.Parse(spec.Name, args, bind)
	if err != nil {
		fmt.Fprintln(os.Stderr, spec.Name+":", err)
		return 2
	}
	s, err := Start(ctx, cfg, spec, Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, spec.Name+":", err)
		return 1
	}
	select {
	case <-ctx.Done():
	case <-s.consClosed:
		s.Runtime.Log.Error("consumer stopped", "err", s.consErr)
	}
	s.Runtime.Log.Info("shutting down", "delay", cfg.ShutdownDelay)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownDelay+30*time.Second)
	defer cancel()
	if err := s.Close(sctx, cfg.ShutdownDelay); err != nil {
		fmt.Fprintln(os.Stderr, spec.Name+": shutdown:", err)
		return 1
	}
	return 0
}

// migrateMain is Main's migrate mode: exit 2 for bad configuration, 1 when
// a step fails, 0 when the database is ready for the service.
func migrateMain(ctx context.Context, spec Spec, args []string, bind func(*config.Binder)) int {
	cfg, err := config.Parse(spec.Name, args, bind)
	if err == nil {
		err = checkMigrateConfig(cfg, spec)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, spec.Name+" migrate:", err)
		return 2
	}
	log, err := telemetry.NewLogger(os.Stderr, cfg.LogLevel, cfg.ServiceName)
	if err != nil {
		fmt.Fprintln(os.Stderr, spec.Name+" migrate:", err)
		return 2
	}
	if err := Migrate(ctx, cfg, spec, log); err != nil {
		fmt.Fprintln(os.Stderr, spec.Name+" migrate:", err)
		return 1
	}
	return 0
}

func checkMigrateConfig(cfg config.Common, spec Spec) error {
	if spec.Migrations == nil {
		return fmt.Errorf("the %s service has no database to migrate", spec.Name)
	}
	if cfg.DatabaseIAMAuth {
		return errors.New("DATABASE_IAM_AUTH=true: migrate connects as the master user with DATABASE_URL's password; unset DATABASE_IAM_AUTH")
	}
	if u := cfg.DatabaseURL; !strings.HasPrefix(u, "postgres://") && !strings.HasPrefix(u, "postgresql://") {
		return fmt.Errorf("DATABASE_URL must be the master user's postgres:// URL (database roles and schemas are Postgres only)")
	}
	return nil
}

// Migrate prepares the database for the service, idempotently: as the
// user of cfg.DatabaseURL (the RDS master user) it provisions the role
// <service>_svc and its schema (storage.ProvisionRole), moves the tables
// the service kept in schema public before roles existed into that schema
// (storage.AdoptLegacyTables), then applies the service's migrations as
// the role (SET ROLE), so the role owns its tables and nobody else's. It
// is the migrate hook; the service then runs as <service>_svc with
// DATABASE_IAM_AUTH and only checks the migrations.
func Migrate(ctx context.Context, cfg config.Common, spec Spec, log *slog.Logger) error {
	if err := checkMigrateConfig(cfg, spec); err != nil {
		return err
	}
	role := storage.ServiceRole(spec.Name)
	admin, err := storage.Open(ctx, cfg.DatabaseURL, spec.Name)
	if err != nil {
		return err
	}
	p, err := storage.ProvisionRole(ctx, admin, role)
	var adopted []string
	if err == nil {
		// Before roles, the service's tables were the master user's, in
		// schema public: they move into the role's schema with their data.
		adopted, err = storage.AdoptLegacyTables(ctx, admin, spec.Name, role)
	}
	if cerr := admin.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("svc: close admin connection: %w", cerr)
	}
	if err != nil {
		return err
	}
	log.Info("database role ready", "role", role, "created", p.CreatedRole, "rds_iam", p.RDSIAM, "adopted_from_public", adopted)
	db, err := storage.Open(ctx, cfg.DatabaseURL, spec.Name, storage.Options{Role: role})
	if err != nil {
		return err
	}
	defer db.Close()
	before, err := db.Pending(ctx, spec.Migrations)
	if err != nil {
		return err
	}
	if err := db.Migrate(ctx, spec.Migrations); err != nil {
		return err
	}
	log.Info("migrations applied", "schema", role, "applied", before)
	return nil
}
