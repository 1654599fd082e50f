// Package config reads a service's configuration from flags whose defaults
// come from environment variables, so the same binary is configured by flags
// on a laptop and by env vars in Kubernetes (flags win when both are set).
package config

import (
	"flag"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Common is the configuration every service binary shares (see
// docs/CONTRACTS.md, "Service runtime").
type Common struct {
	ServiceName  string
	HTTPAddr     string
	KafkaBrokers []string // empty: embedded kfake
	Kafka        Kafka
	DatabaseURL  string // postgres://... or sqlite://path; empty: in-memory SQLite
	// DatabaseIAMAuth: the password of every new Postgres connection is a
	// fresh RDS IAM auth token for DATABASE_URL's user, signed by the pod's
	// AWS role; DATABASE_URL carries no password and must ask for TLS.
	DatabaseIAMAuth bool
	RedisURL        string // empty: miniredis
	// RedisIAMCache is the ElastiCache replication group id; when set, the
	// Redis password is an IAM auth token signed for it (REDIS_URL's user).
	RedisIAMCache string
	LogLevel      string
	OTLPEndpoint  string // empty: spans are not exported
	ShutdownDelay time.Duration
}

// Kafka is how a service reaches a real cluster (see kafka.SecurityConfig).
type Kafka struct {
	TLS                bool
	SASL               string // "", "aws-msk-iam" or "scram-sha-512"
	Username, Password string // SCRAM only
	// TopicReplication > 0: at start, create the topics this service
	// produces (and the DLQs of those it consumes) if they are missing,
	// with this replication factor. 0 expects them to exist.
	TopicReplication int
	// BlockedAfter is how long the consumer may retry transient failures
	// without progress before /readyz fails (kafka.ConsumerOptions; 0
	// takes its default).
	BlockedAfter time.Duration
}

// Binder registers flags on a FlagSet with defaults taken from the
// environment and remembers environment values that do not parse.
type Binder struct {
	fs     *flag.FlagSet
	lookup func(string) (string, bool)
	errs   []string
	after  []func() error
}

// AfterParse registers a check or conversion to run after parsing.
func (b *Binder) AfterParse(fn func() error) { b.after = append(b.after, fn) }

// NewBinder binds to fs, reading the environment through lookup (os.LookupEnv
// when nil; tests pass a map).
func NewBinder(fs *flag.FlagSet, lookup func(string) (string, bool)) *Binder {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	return &Binder{fs: fs, lookup: lookup}
}

func (b *Binder) usage(env, usage string) string { return fmt.Sprintf("%s (env %s)", usage, env) }

// String binds a string flag to env.
func (b *Binder) String(p *string, name, env, def, usage string) {
	if v, ok := b.lookup(env); ok {
		def = v
	}
	b.fs.StringVar(p, name, def, b.usage(env, usage))
}

// Duration binds a duration flag to env.
func (b *Binder) Duration(p *time.Duration, name, env string, def time.Duration, usage string) {
	if v, ok := b.lookup(env); ok {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.errs = append(b.errs, fmt.Sprintf("env %s=%q: not a duration", env, v))
		} else {
			def = d
		}
	}
	b.fs.DurationVar(p, name, def, b.usage(env, usage))
}

// Float binds a float flag to env.
func (b *Binder) Float(p *float64, name, env string, def float64, usage string) {
	if v, ok := b.lookup(env); ok {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			b.errs = append(b.errs, fmt.Sprintf("env %s=%q: not a number", env, v))
		} else {
			def = f
		}
	}
	b.fs.Float64Var(p, name, def, b.usage(env, usage))
}

// Int binds an int flag to env.
func (b *Binder) Int(p *int, name, env string, def int, usage string) {
	if v, ok := b.lookup(env); ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			b.errs = append(b.errs, fmt.Sprintf("env %s=%q: not an integer", env, v))
		} else {
			def = n
		}
	}
	b.fs.IntVar(p, name, def, b.usage(env, usage))
}

// Bool binds a bool flag to env.
func (b *Binder) Bool(p *bool, name, env string, def bool, usage string) {
	if v, ok := b.lookup(env); ok {
		f, err := strconv.ParseBool(v)
		if err != nil {
			b.errs = append(b.errs, fmt.Sprintf("env %s=%q: not true or false", env, v))
		} else {
			def = f
		}
	}
	b.fs.BoolVar(p, name, def, b.usage(env, usage))
}

// Err reports the environment values that did not parse.
func (b *Binder) Err() error {
	if len(b.errs) == 0 {
		return nil
	}
	return fmt.Errorf("config: %s", strings.Join(b.errs, "; "))
}

// commonRaw holds the string form of list-valued settings until Finish.
type commonRaw struct{ brokers string }

// BindCommon registers the common settings; call Finish after fs.Parse.
func (b *Binder) BindCommon(c *Common, service string) func() error {
	raw := &commonRaw{}
	b.String(&c.ServiceName, "service-name", "SERVICE_NAME", service, "service name used in logs, traces and the consumer group")
	b.String(&c.HTTPAddr, "http-addr", "HTTP_ADDR", ":8080", "listen address of the HTTP port (health, metrics, API)")
	b.String(&raw.brokers, "kafka-brokers", "KAFKA_BROKERS", "", "comma-separated Kafka bootstrap brokers; empty starts an embedded broker")
	b.Bool(&c.Kafka.TLS, "kafka-tls", "KAFKA_TLS", false, "connect to the brokers over TLS")
	b.String(&c.Kafka.SASL, "kafka-sasl", "KAFKA_SASL", "", "SASL mechanism: aws-msk-iam, scram-sha-512 or empty for none")
	b.String(&c.Kafka.Username, "kafka-username", "KAFKA_USERNAME", "", "SCRAM user")
	b.String(&c.Kafka.Password, "kafka-password", "KAFKA_PASSWORD", "", "SCRAM password")
	b.Int(&c.Kafka.TopicReplication, "kafka-topic-replication", "KAFKA_TOPIC_REPLICATION", 0, "create this service's missing topics with this replication factor at start; 0 expects them to exist")
	b.Duration(&c.Kafka.BlockedAfter, "kafka-consumer-blocked-after", "KAFKA_CONSUMER_BLOCKED_AFTER", 10*time.Second, "report not ready after the consumer retried transient failures (database, Redis, Kafka down) this long without progress")
	b.String(&c.DatabaseURL, "database-url", "DATABASE_URL", "", "postgres://... or sqlite://path; empty uses in-memory SQLite")
	b.Bool(&c.DatabaseIAMAuth, "database-iam-auth", "DATABASE_IAM_AUTH", false, "authenticate to Postgres with an RDS IAM token as DATABASE_URL's user (needs a postgres:// URL with a user and sslmode=require or stricter)")
	b.String(&c.RedisURL, "redis-url", "REDIS_URL", "", "redis://host:port or rediss://user@host:port; empty starts an embedded Redis")
	b.String(&c.RedisIAMCache, "redis-iam-cache", "REDIS_IAM_CACHE", "", "ElastiCache replication group id: authenticate to Redis with an IAM token (needs rediss:// and a user)")
	b.String(&c.LogLevel, "log-level", "LOG_LEVEL", "info", "debug, info, warn or error")
	b.String(&c.OTLPEndpoint, "otlp-endpoint", "OTEL_EXPORTER_OTLP_ENDPOINT", "", "OTLP/HTTP endpoint for spans; empty disables export")
	b.Duration(&c.ShutdownDelay, "shutdown-delay", "SHUTDOWN_DELAY", 5*time.Second, "time between failing readiness and draining HTTP on shutdown")
	return func() error {
		c.KafkaBrokers = SplitList(raw.brokers)
		return c.Validate()
	}
}

// SplitList splits a comma-separated list, dropping blanks.
func SplitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Validate checks the settings that can be checked without connecting.
func (c Common) Validate() error {
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("config: LOG_LEVEL %q: want debug, info, warn or error", c.LogLevel)
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") &&
		!strings.HasPrefix(c.DatabaseURL, "postgresql://") && !strings.HasPrefix(c.DatabaseURL, "sqlite://") {
		return fmt.Errorf("config: DATABASE_URL %q: want postgres://... or sqlite://path", c.DatabaseURL)
	}
	if c.DatabaseIAMAuth {
		if err := validateIAMDatabaseURL(c.DatabaseURL); err != nil {
			return err
		}
	}
	if c.ShutdownDelay < 0 {
		return fmt.Errorf("config: SHUTDOWN_DELAY must not be negative")
	}
	if c.Kafka.BlockedAfter < 0 {
		return fmt.Errorf("config: KAFKA_CONSUMER_BLOCKED_AFTER must not be negative")
	}
	if c.Kafka.TopicReplication < 0 {
		return fmt.Errorf("config: KAFKA_TOPIC_REPLICATION must not be negative")
	}
	if c.RedisIAMCache != "" && !strings.HasPrefix(c.RedisURL, "rediss://") {
		return fmt.Errorf("config: REDIS_IAM_CACHE needs a rediss:// REDIS_URL with a user (IAM auth is TLS only)")
	}
	return nil
}

// validateIAMDatabaseURL checks what RDS IAM auth needs of DATABASE_URL:
// Postgres, a user to sign the token for, no password of its own (the
// token is the password) and TLS (RDS takes tokens over TLS only).
func validateIAMDatabaseURL(raw string) error {
	const field = "config: DATABASE_IAM_AUTH=true"
	if !strings.HasPrefix(raw, "postgres://") && !strings.HasPrefix(raw, "postgresql://") {
		return fmt.Errorf("%s needs a postgres:// DATABASE_URL (got %q)", field, redactURL(raw))
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%s: DATABASE_URL does not parse: %v", field, err)
	}
	if u.User == nil || u.User.Username() == "" {
		return fmt.Errorf("%s needs the database user in DATABASE_URL (postgres://<user>@host:port/db)", field)
	}
	if _, has := u.User.Password(); has {
		return fmt.Errorf("%s: DATABASE_URL %q has a password; with IAM auth the password is the signed token, remove it", field, u.Redacted())
	}
	if u.Port() == "" {
		return fmt.Errorf("%s needs the port in DATABASE_URL (the token is signed for host:port)", field)
	}
	switch m := u.Query().Get("sslmode"); m {
	case "require", "verify-ca", "verify-full":
	case "":
		return fmt.Errorf("%s needs TLS: add sslmode=require (or verify-ca, verify-full) to DATABASE_URL", field)
	default:
		return fmt.Errorf("%s needs TLS: DATABASE_URL has sslmode=%s, want require, verify-ca or verify-full", field, m)
	}
	return nil
}

// redactURL hides a URL's password for error messages.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<unparsable URL>"
	}
	return u.Redacted()
}

// Parse binds the common settings plus whatever bind adds, parses args and
// validates. It is what every main.go calls.
func Parse(service string, args []string, bind func(*Binder)) (Common, error) {
	fs := flag.NewFlagSet(service, flag.ContinueOnError)
	b := NewBinder(fs, nil)
	var c Common
	finish := b.BindCommon(&c, service)
	if bind != nil {
		bind(b)
	}
	if err := b.Err(); err != nil {
		return c, err
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	for _, fn := range b.after {
		if err := fn(); err != nil {
			return c, err
		}
	}
	return c, finish()
}
