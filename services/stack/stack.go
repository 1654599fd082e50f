// Package stack runs the six order services in one process: on embedded
// defaults (kfake, in-memory SQLite, miniredis) or on the production parts
// when the Config names brokers, a database or Redis. It lives under
// services/ because it wires services/internal; the CLI (platform demo,
// dev, load --embedded) and the end-to-end tests use it directly.
package stack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"

	deliveryservice "github.com/bloody-sweet/platform/services/delivery/service"
	"github.com/bloody-sweet/platform/services/devissuer"
	etaservice "github.com/bloody-sweet/platform/services/eta/service"
	"github.com/bloody-sweet/platform/services/internal/admission"
	"github.com/bloody-sweet/platform/services/internal/auth"
	"github.com/bloody-sweet/platform/services/internal/config"
	"github.com/bloody-sweet/platform/services/internal/kafka"
	"github.com/bloody-sweet/platform/services/internal/sim"
	"github.com/bloody-sweet/platform/services/internal/svc"
	notificationports "github.com/bloody-sweet/platform/services/notification/ports"
	notificationservice "github.com/bloody-sweet/platform/services/notification/service"
	orderports "github.com/bloody-sweet/platform/services/order/ports"
	orderservice "github.com/bloody-sweet/platform/services/order/service"
	paymentadapters "github.com/bloody-sweet/platform/services/payment/adapters"
	paymentservice "github.com/bloody-sweet/platform/services/payment/service"
	storeservice "github.com/bloody-sweet/platform/services/store/service"

	kafkago "github.com/segmentio/kafka-go"
)

// Services lists the service names in start order (consumers before the
// API that feeds them).
var Services = []string{"eta", "notification", "delivery", "store", "payment", "order"}

// portOrder places the HTTP ports from BasePort: the order API first.
var portOrder = []string{"order", "payment", "store", "delivery", "notification", "eta"}

// Config says which parts to run. The zero value is fully embedded.
type Config struct {
	Brokers     []string // empty: start an embedded broker
	DatabaseURL string   // empty: one SQLite database per service (in memory, or files under DataDir)
	RedisURL    string   // empty: start miniredis
	// DataDir keeps embedded state (broker log, SQLite files) across
	// restarts; empty keeps everything in memory.
	DataDir string
	// Sim configures the simulators; nil takes sim.Defaults().
	Sim *sim.Config
	// Host and BasePort place the HTTP ports: order, payment, store,
	// delivery, notification and eta listen on BasePort, BasePort+1, ...; 0
	// picks free ports. Host defaults to 127.0.0.1.
	Host     string
	BasePort int
	// LogWriter receives the services' JSON logs; nil discards them.
	LogWriter io.Writer
	LogLevel  string // default "warn"
	// OTLPEndpoint, when set, is every service's OTEL_EXPORTER_OTLP_ENDPOINT.
	OTLPEndpoint string
	// Admission bounds the orders in flight the order API admits new ones
	// at (AdmissionDefaults() is a deployed service's default). nil keeps
	// the count bound and turns the age check off: the demo and the tests
	// drive bounded traffic that must all be admitted, and on a loaded test
	// machine an order waiting 2.5 s would shed some of it; `platform load
	// --embedded` and the admission tests set it whole.
	Admission *Admission
	// BeforeCommit, when it returns a non-nil hook for a service, passes it
	// to that service's consumer: failure tests use it to kill a consumer
	// between handling a batch and committing its offsets.
	BeforeCommit func(service string) func([]kafkago.Message) error
}

// Admission is the order API's admission control (ADMISSION_* in a
// cluster).
type Admission = admission.Config

// AdmissionDefaults is the order API's admission control when nothing is
// configured.
func AdmissionDefaults() Admission { return admission.Defaults() }

// Stack is a running local platform.
type Stack struct {
	OrderURL        string
	NotificationURL string
	// Issuer is the local identity provider the order API and the streams
	// verify tokens against, as a cluster's services do against Cognito:
	// Issuer.Token mints a customer's (or an operator's) token, and
	// Issuer.Client returns an HTTP client that sends one.
	Issuer  *devissuer.Issuer
	Brokers []string
	// URLs has every service's base URL by name.
	URLs map[string]string
	// MetricsURLs has the base URL of every service's /metrics port.
	MetricsURLs map[string]string
	// Provider is the simulated payment provider (its ledger shows charges).
	Provider *paymentadapters.SimProvider

	cfg      Config
	sim      sim.Config
	broker   *kafka.Embedded
	brokerPt int
	redis    *miniredis.Miniredis
	redisURL string

	mu       sync.Mutex
	services map[string]*svc.Service
}

// WorldScale is the simulated world's world seconds per wall second: the
// delivery times the eta service predicts are in world time.
func (s *Stack) WorldScale() float64 { return s.sim.World.Scale }

// Start runs the stack and returns once every service is serving.
func Start(ctx context.Context, cfg Config) (_ *Stack, err error) {
	s := &Stack{cfg: cfg, URLs: map[string]string{}, MetricsURLs: map[string]string{}, services: map[string]*svc.Service{}, Brokers: cfg.Brokers, redisURL: cfg.RedisURL}
	defer func() {
		if err != nil {
			_ = s.Close(context.Background())
		}
	}()
	s.sim = sim.Defaults()
	if cfg.Sim != nil {
		s.sim = *cfg.Sim
	}
	if err := s.sim.Validate(); err != nil {
		return nil, err
	}
	if s.cfg.Host == "" {
		s.cfg.Host = "127.0.0.1"
	}
	if s.cfg.LogLevel == "" {
		s.cfg.LogLevel = "warn"
	}
	if s.cfg.LogWriter == nil {
		s.cfg.LogWriter = io.Discard
	}
	if s.cfg.DataDir != "" {
		if err := os.MkdirAll(s.cfg.DataDir, 0o755); err != nil {
			return nil, fmt.Errorf("stack: data dir: %w", err)
		}
	}
	s.Provider = paymentadapters.NewSimProvider(s.sim)
	tuneGC()

	issuerPort := 0
	if s.cfg.BasePort != 0 {
		issuerPort = s.cfg.BasePort + len(portOrder) // after the six services
	}
	is, err := devissuer.Start(net.JoinHostPort(s.cfg.Host, strconv.Itoa(issuerPort)))
	if err != nil {
		return nil, fmt.Errorf("stack: %w", err)
	}
	s.Issuer = is

	if len(s.Brokers) == 0 {
		if err := s.startBroker(); err != nil {
			return nil, err
		}
	} else if err := kafka.EnsureTopics(ctx, s.Brokers, kafka.Security{}, 1, allTopics()...); err != nil {
		return nil, err
	}
	if s.redisURL == "" {
		mr, err := miniredis.Run()
		if err != nil {
			return nil, fmt.Errorf("stack: start embedded redis: %w", err)
		}
		s.redis = mr
		s.redisURL = "redis://" + mr.Addr()
	}
	for _, name := range Services {
		if err := s.StartService(ctx, name); err != nil {
			return nil, err
		}
	}
	s.OrderURL = s.URLs["order"]
	s.NotificationURL = s.URLs["notification"]
	return s, nil
}

func (s *Stack) startBroker() error {
	dir := ""
	if s.cfg.DataDir != "" {
		dir = filepath.Join(s.cfg.DataDir, "kafka")
	}
	b, err := kafka.StartEmbedded(kafka.EmbeddedOptions{Port: s.brokerPt, DataDir: dir})
	if err != nil {
		return err
	}
	s.broker = b
	s.Brokers = b.Addrs()
	_, port, err := net.SplitHostPort(s.Brokers[0])
	if err != nil {
		return fmt.Errorf("stack: broker address %s: %w", s.Brokers[0], err)
	}
	s.brokerPt, _ = strconv.Atoi(port)
	return nil
}

// RestartBroker stops the embedded broker and starts it again on the same
// port (with DataDir, on the same data); clients reconnect by themselves.
func (s *Stack) RestartBroker(ctx context.Context) error {
	if s.broker == nil {
		return errors.New("stack: no embedded broker to restart")
	}
	s.broker.Close()
	s.broker = nil
	if err := s.startBroker(); err != nil {
		return err
	}
	return kafka.WaitReachable(ctx, s.Brokers[0])
}

func allTopics() []string {
	var out []string
	for _, t := range []string{"order", "payment", "store", "delivery", "eta"} {
		out = append(out, t+".events.v1", t+".events.v1.dlq")
	}
	return out
}

func (s *Stack) spec(name string) svc.Spec {
	simCfg := s.sim
	switch name {
	case "order":
		adm := s.cfg.Admission
		if adm == nil {
			countOnly := AdmissionDefaults()
			countOnly.MaxWait = 0
			adm = &countOnly
		}
		return orderservice.Spec(&orderports.AuthConfig{Config: s.authConfig(), StoreReadScope: devissuer.StoreReadScope}, adm)
	case "payment":
		return paymentservice.Spec(s.Provider)
	case "store":
		return storeservice.Spec(&simCfg)
	case "delivery":
		return deliveryservice.Spec(&simCfg)
	case "eta":
		// The embedded model: trained at start on two simulated days of
		// the simulators' own world.
		return etaservice.Spec(&etaservice.Config{Sim: simCfg, ModelDir: config.Embedded, EmbeddedDays: 2})
	default:
		return notificationservice.Spec(&notificationports.AuthConfig{Config: s.authConfig(), StreamAllScope: devissuer.StreamAllScope}, nil)
	}
}

// authConfig makes the services verify tokens against the stack's issuer,
// required as in a cluster.
func (s *Stack) authConfig() auth.Config {
	return auth.Config{Required: true, Issuer: s.Issuer.Issuer, Audiences: []string{devissuer.Audience}, Client: s.Issuer.TLSClient()}
}

// StartService starts (or restarts after StopService) one service.
func (s *Stack) StartService(ctx context.Context, name string) error {
	i := -1
	for j, n := range portOrder {
		if n == name {
			i = j
		}
	}
	if i < 0 {
		return fmt.Errorf("stack: unknown service %q", name)
	}
	port := 0
	if s.cfg.BasePort != 0 {
		port = s.cfg.BasePort + i
	}
	if u := s.URLs[name]; u != "" && port == 0 {
		// A restarted service keeps its address.
		_, p, _ := net.SplitHostPort(u[len("http://"):])
		port, _ = strconv.Atoi(p)
	}
	// The metrics port: ephemeral, kept across a restart too.
	metricsPort := 0
	if u := s.MetricsURLs[name]; u != "" {
		_, p, _ := net.SplitHostPort(u[len("http://"):])
		metricsPort, _ = strconv.Atoi(p)
	}
	db := s.cfg.DatabaseURL
	switch {
	case db == "" && s.cfg.DataDir != "":
		db = "sqlite://" + filepath.Join(s.cfg.DataDir, name+".db")
	case db == "":
		db = config.Embedded // in-memory SQLite, asked for by name
	}
	cfg := config.Common{
		ServiceName: name, HTTPAddr: net.JoinHostPort(s.cfg.Host, strconv.Itoa(port)), KafkaBrokers: s.Brokers,
		MetricsAddr: net.JoinHostPort(s.cfg.Host, strconv.Itoa(metricsPort)),
		DatabaseURL: db, RedisURL: s.redisURL, LogLevel: s.cfg.LogLevel, OTLPEndpoint: s.cfg.OTLPEndpoint,
	}
	o := svc.Options{LogWriter: s.cfg.LogWriter}
	if s.cfg.BeforeCommit != nil {
		o.BeforeCommit = s.cfg.BeforeCommit(name)
	}
	sv, err := svc.Start(ctx, cfg, s.spec(name), o)
	if err != nil {
		return fmt.Errorf("stack: start %s: %w", name, err)
	}
	s.mu.Lock()
	s.services[name] = sv
	s.mu.Unlock()
	s.URLs[name] = sv.URL()
	s.MetricsURLs[name] = sv.MetricsURL()
	return nil
}

// StopService shuts one service down gracefully.
func (s *Stack) StopService(ctx context.Context, name string) error {
	s.mu.Lock()
	sv := s.services[name]
	delete(s.services, name)
	s.mu.Unlock()
	if sv == nil {
		return nil
	}
	return sv.Close(ctx, 0)
}

// ConsumerDone yields the result of a running service's consumer when it
// stops: nil after a graceful stop, an error wrapping kafka.ErrKilled after
// a BeforeCommit hook killed it. Nil if the service is not running.
func (s *Stack) ConsumerDone(name string) <-chan error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sv := s.services[name]; sv != nil {
		return sv.ConsumerDone()
	}
	return nil
}

// Close stops the services (the API first, so no new orders arrive), then
// the embedded broker and Redis.
func (s *Stack) Close(ctx context.Context) error {
	var errs []error
	for i := len(Services) - 1; i >= 0; i-- {
		errs = append(errs, s.StopService(ctx, Services[i]))
	}
	if s.broker != nil {
		s.broker.Close()
		s.broker = nil
	}
	if s.redis != nil {
		s.redis.Close()
		s.redis = nil
	}
	if s.Issuer != nil {
		errs = append(errs, s.Issuer.Close())
	}
	return errors.Join(errs...)
}

// Wait is a helper for callers that poll: it sleeps d or returns early when
// ctx ends.
func Wait(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// StartBroker starts a standalone embedded broker (platform kafka).
func StartBroker(port int, dataDir string) (*kafka.Embedded, error) {
	return kafka.StartEmbedded(kafka.EmbeddedOptions{Port: port, DataDir: dataDir})
}

// embeddedGCPercent is the GOGC the stack sets for its process. Five
// services, the broker and Redis in one heap allocate briskly and keep a
// small live heap (tens of MB), so the default GOGC=100 runs a GC cycle
// every few milliseconds under load: in the pipeline benchmark's CPU
// profile GC marking, assists and sweeping took ~15% of the process. 400
// trades some hundred MB of heap for most of that.
const embeddedGCPercent = 400

// tuneGC raises the GC target unless the user chose one with GOGC.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(embeddedGCPercent)
	}
}
