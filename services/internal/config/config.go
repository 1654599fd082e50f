// Package config reads a service's configuration from flags whose defaults
// come from environment variables, so the same binary is configured by flags
// on a laptop and by env vars in Kubernetes (flags win when both are set).
package config

import (
	"flag"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Embedded is the value of KAFKA_BROKERS, DATABASE_URL or REDIS_URL that
// asks for the embedded part (kfake, in-memory SQLite, miniredis) in the
// process: for the demo, dev and tests. An empty setting is not embedded:
// a service that needs the part fails its start (a pod whose Secret lost a
// key must not run on a private broker or database).
const Embedded = "embedded"

// Common is the configuration every service binary shares (see
// docs/CONTRACTS.md, "Service runtime").
type Common struct {
	ServiceName string
	HTTPAddr    string
	// MetricsAddr serves /metrics, apart from the API port so that the
	// edge never routes to it and only Prometheus is let in. Empty: an
	// ephemeral port on HTTPAddr's host (tests, the embedded stack).
	MetricsAddr  string
	KafkaBrokers []string // [Embedded]: kfake in this process
	Kafka        Kafka
	DatabaseURL  string // postgres://... or sqlite://path; Embedded: in-memory SQLite
	// DatabaseIAMAuth: the password of every new Postgres connection is a
	// fresh RDS IAM auth token for DATABASE_URL's user, signed by the pod's
	// AWS role; DATABASE_URL carries no password and must ask for TLS.
	DatabaseIAMAuth bool
	RedisURL        string // Embedded: miniredis
	// RedisIAMCache is the ElastiCache replication group id; when set, the
	// Redis password is an IAM auth token signed for it (REDIS_URL's user).
	RedisIAMCache string
	LogLevel      string
	OTLPEndpoint  string // empty: spans are not exported
	ShutdownDelay time.Duration
	HTTPTimeouts  HTTPTimeouts
}

// HTTPTimeouts bound how long one client can hold the HTTP port; zero
// fields take the defaults (DefaultHTTPTimeouts). Streams (SSE) are exempt
// from Read, Write and Request and bound each write instead.
type HTTPTimeouts struct {
	ReadHeader time.Duration // request line and headers
	Read       time.Duration // the whole request, body included (slow-body clients)
	Write      time.Duration // from the end of the headers to the end of the response
	Idle       time.Duration // a keep-alive connection between requests
	Request    time.Duration // the handler's context deadline
}

// DefaultHTTPTimeouts are the defaults of HTTP_*_TIMEOUT.
var DefaultHTTPTimeouts = HTTPTimeouts{
	ReadHeader: 5 * time.Second, Read: 30 * time.Second, Write: 30 * time.Second,
	Idle: 120 * time.Second, Request: 15 * time.Second,
}

// OrDefaults fills zero fields from DefaultHTTPTimeouts.
func (t HTTPTimeouts) OrDefaults() HTTPTimeouts {
	d := DefaultHTTPTimeouts
	for _, f := range []struct{ v, def *time.Duration }{
		{&t.ReadHeader, &d.ReadHeader}, {&t.Read, &d.Read}, {&t.Write, &d.Write}, {&t.Idle, &d.Idle}, {&t.Request, &d.Request},
	} {
		if *f.v <= 0 {
			*f.v = *f.def
		}
	}
	return t
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

// showDefault makes usage output (-h, or a mistyped flag, which lands in pod
// logs) print the built-in default, never the environment's value: env
// values include passwords and URLs with credentials. The flag's value is
// still the env value.
func (b *Binder) showDefault(name, def string) { b.fs.Lookup(name).DefValue = def }

// String binds a string flag to env.
func (b *Binder) String(p *string, name, env, def, usage string) {
	shown := def
	if v, ok := b.lookup(env); ok {
		def = v
	}
	b.fs.StringVar(p, name, def, b.usage(env, usage))
	b.showDefault(name, shown)
}

// Duration binds a duration flag to env.
func (b *Binder) Duration(p *time.Duration, name, env string, def time.Duration, usage string) {
	shown := def
	if v, ok := b.lookup(env); ok {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.errs = append(b.errs, fmt.Sprintf("env %s=%q: not a duration", env, v))
		} else {
			def = d
		}
	}
	b.fs.DurationVar(p, name, def, b.usage(env, usage))
	b.showDefault(name, fmt.Sprint(shown))
}

// Float binds a float flag to env.
func (b *Binder) Float(p *float64, name, env string, def float64, usage string) {
	shown := def
	if v, ok := b.lookup(env); ok {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			b.errs = append(b.errs, fmt.Sprintf("env %s=%q: not a number", env, v))
		} else {
			def = f
		}
	}
	b.fs.Float64Var(p, name, def, b.usage(env, usage))
	b.showDefault(name, fmt.Sprint(shown))
}

// Int binds an int flag to env.
func (b *Binder) Int(p *int, name, env string, def int, usage string) {
	shown := def
	if v, ok := b.lookup(env); ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			b.errs = append(b.errs, fmt.Sprintf("env %s=%q: not an integer", env, v))
		} else {
			def = n
		}
	}
	b.fs.IntVar(p, name, def, b.usage(env, usage))
	b.showDefault(name, fmt.Sprint(shown))
}

// Bool binds a bool flag to env.
func (b *Binder) Bool(p *bool, name, env string, def bool, usage string) {
	shown := def
	if v, ok := b.lookup(env); ok {
		f, err := strconv.ParseBool(v)
		if err != nil {
			b.errs = append(b.errs, fmt.Sprintf("env %s=%q: not true or false", env, v))
		} else {
			def = f
		}
	}
	b.fs.BoolVar(p, name, def, b.usage(env, usage))
	b.showDefault(name, fmt.Sprint(shown))
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
	b.String(&c.HTTPAddr, "http-addr", "HTTP_ADDR", ":8080", "listen address of the HTTP port (health, API)")
	b.String(&c.MetricsAddr, "metrics-addr", "METRICS_ADDR", ":9090", "listen address of the Prometheus /metrics port")
	b.String(&raw.brokers, "kafka-brokers", "KAFKA_BROKERS", "", "comma-separated Kafka bootstrap brokers; \""+Embedded+"\" starts one in this process (demo, tests)")
	b.Bool(&c.Kafka.TLS, "kafka-tls", "KAFKA_TLS", false, "connect to the brokers over TLS")
	b.String(&c.Kafka.SASL, "kafka-sasl", "KAFKA_SASL", "", "SASL mechanism: aws-msk-iam, scram-sha-512 or empty for none")
	b.String(&c.Kafka.Username, "kafka-username", "KAFKA_USERNAME", "", "SCRAM user")
	b.String(&c.Kafka.Password, "kafka-password", "KAFKA_PASSWORD", "", "SCRAM password")
	b.Int(&c.Kafka.TopicReplication, "kafka-topic-replication", "KAFKA_TOPIC_REPLICATION", 0, "create this service's missing topics with this replication factor at start; 0 expects them to exist")
	b.Duration(&c.Kafka.BlockedAfter, "kafka-consumer-blocked-after", "KAFKA_CONSUMER_BLOCKED_AFTER", 10*time.Second, "report not ready after the consumer retried transient failures (database, Redis, Kafka down) this long without progress")
	b.String(&c.DatabaseURL, "database-url", "DATABASE_URL", "", "postgres://... or sqlite://path; \""+Embedded+"\" uses an in-memory SQLite (demo, tests)")
	b.Bool(&c.DatabaseIAMAuth, "database-iam-auth", "DATABASE_IAM_AUTH", false, "authenticate to Postgres with an RDS IAM token as DATABASE_URL's user (needs a postgres:// URL with a user and sslmode=require or stricter)")
	b.String(&c.RedisURL, "redis-url", "REDIS_URL", "", "redis://host:port or rediss://user@host:port; \""+Embedded+"\" starts one in this process (demo, tests)")
	b.String(&c.RedisIAMCache, "redis-iam-cache", "REDIS_IAM_CACHE", "", "ElastiCache replication group id: authenticate to Redis with an IAM token (needs rediss:// and a user)")
	b.String(&c.LogLevel, "log-level", "LOG_LEVEL", "info", "debug, info, warn or error")
	b.String(&c.OTLPEndpoint, "otlp-endpoint", "OTEL_EXPORTER_OTLP_ENDPOINT", "", "OTLP/HTTP endpoint for spans; empty disables export")
	t, d := &c.HTTPTimeouts, DefaultHTTPTimeouts
	b.Duration(&t.ReadHeader, "http-read-header-timeout", "HTTP_READ_HEADER_TIMEOUT", d.ReadHeader, "longest time to read a request's headers")
	b.Duration(&t.Read, "http-read-timeout", "HTTP_READ_TIMEOUT", d.Read, "longest time to read a whole request, body included (streams exempt)")
	b.Duration(&t.Write, "http-write-timeout", "HTTP_WRITE_TIMEOUT", d.Write, "longest time to write a response (streams bound each event instead)")
	b.Duration(&t.Idle, "http-idle-timeout", "HTTP_IDLE_TIMEOUT", d.Idle, "how long an idle keep-alive connection stays open")
	b.Duration(&t.Request, "http-request-timeout", "HTTP_REQUEST_TIMEOUT", d.Request, "deadline of a request's context (streams exempt); keep it below HTTP_WRITE_TIMEOUT so the error response can be written")
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
	if len(c.KafkaBrokers) > 1 && slices.Contains(c.KafkaBrokers, Embedded) {
		return fmt.Errorf("config: KAFKA_BROKERS: %q stands alone, not in a list of brokers", Embedded)
	}
	if c.DatabaseURL != "" && c.DatabaseURL != Embedded && !strings.HasPrefix(c.DatabaseURL, "postgres://") &&
		!strings.HasPrefix(c.DatabaseURL, "postgresql://") && !strings.HasPrefix(c.DatabaseURL, "sqlite://") {
		return fmt.Errorf("config: DATABASE_URL %q: want postgres://..., sqlite://path or %s", Redact(c.DatabaseURL), Embedded)
	}
	// Parse the URLs here, where the error can be told without the input:
	// the drivers' own parse errors quote the whole string, password included.
	for _, u := range []struct{ env, raw string }{{"DATABASE_URL", c.DatabaseURL}, {"REDIS_URL", c.RedisURL}} {
		if err := CheckURL(u.env, u.raw); err != nil {
			return err
		}
	}
	if c.RedisURL != "" && c.RedisURL != Embedded && !strings.HasPrefix(c.RedisURL, "redis://") && !strings.HasPrefix(c.RedisURL, "rediss://") {
		return fmt.Errorf("config: REDIS_URL %q: want redis://host:port, rediss://... or %s", Redact(c.RedisURL), Embedded)
	}
	if c.DatabaseIAMAuth {
		if err := validateIAMDatabaseURL(c.DatabaseURL); err != nil {
			return err
		}
	}
	if t := c.HTTPTimeouts; t.ReadHeader < 0 || t.Read < 0 || t.Write < 0 || t.Idle < 0 || t.Request < 0 {
		return fmt.Errorf("config: HTTP_*_TIMEOUT must not be negative")
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
		return fmt.Errorf("%s needs a postgres:// DATABASE_URL (got %q)", field, Redact(raw))
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%s: %w", field, CheckURL("DATABASE_URL", raw))
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

// Redact hides a URL's password for errors and logs; a string that does
// not parse as a URL is never echoed (it may be a password pasted into the
// wrong variable, or a DSN whose password the parser cannot find).
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<unparsable URL>"
	}
	return u.Redacted()
}

// CheckURL reports whether raw (the value of env) parses as a URL, naming
// the variable and the reason but never the value. Empty is fine.
func CheckURL(env, raw string) error {
	if raw == "" {
		return nil
	}
	if _, err := url.Parse(raw); err != nil {
		// Not even the parser's reason: it quotes pieces of the input
		// ("invalid port \":pa\"" for postgres://u:pa/ss@h), which can be
		// a piece of the password.
		return fmt.Errorf("config: %s does not parse as a URL (check host and port, and percent-encode special characters in the user and password)", env)
	}
	return nil
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
