package config

import (
	"flag"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestEnvIsDefaultAndFlagWins(t *testing.T) {
	t.Parallel()
	env := map[string]string{"KAFKA_BROKERS": "a:9092, b:9092", "HTTP_ADDR": ":9000", "SHUTDOWN_DELAY": "2s"}
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	b := NewBinder(fs, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	var c Common
	finish := b.BindCommon(&c, "order")
	if err := fs.Parse([]string{"-http-addr", ":7000"}); err != nil {
		t.Fatal(err)
	}
	if err := finish(); err != nil {
		t.Fatal(err)
	}
	want := Common{ServiceName: "order", HTTPAddr: ":7000", MetricsAddr: ":9090", KafkaBrokers: []string{"a:9092", "b:9092"},
		LogLevel: "info", ShutdownDelay: 2 * time.Second, HTTPTimeouts: DefaultHTTPTimeouts,
		Kafka: Kafka{BlockedAfter: 10 * time.Second}}
	if d := cmp.Diff(want, c); d != "" {
		t.Errorf("config (-want +got):\n%s", d)
	}
}

func TestBadEnvIsReported(t *testing.T) {
	t.Parallel()
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	b := NewBinder(fs, func(k string) (string, bool) {
		if k == "SHUTDOWN_DELAY" {
			return "soon", true
		}
		return "", false
	})
	var c Common
	b.BindCommon(&c, "order")
	if err := b.Err(); err == nil {
		t.Fatal("want an error for SHUTDOWN_DELAY=soon")
	}
}

func TestValidateRejectsUnknownDatabaseScheme(t *testing.T) {
	t.Parallel()
	c := Common{LogLevel: "info", DatabaseURL: "mysql://x"}
	if err := c.Validate(); err == nil {
		t.Fatal("want an error for mysql://")
	}
}

func TestManagedClusterSettings(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"KAFKA_BROKERS": "b-1:9098", "KAFKA_TLS": "true", "KAFKA_SASL": "aws-msk-iam", "KAFKA_TOPIC_REPLICATION": "3",
		"REDIS_URL": "rediss://bloody-sweet-prod-orders@master.example:6379", "REDIS_IAM_CACHE": "bloody-sweet-prod",
	}
	c, err := parseEnv(env)
	if err != nil {
		t.Fatal(err)
	}
	want := Kafka{TLS: true, SASL: "aws-msk-iam", TopicReplication: 3, BlockedAfter: 10 * time.Second}
	if d := cmp.Diff(want, c.Kafka); d != "" || c.RedisIAMCache != "bloody-sweet-prod" {
		t.Errorf("kafka (-want +got):\n%s; redis IAM cache %q", d, c.RedisIAMCache)
	}
	for name, bad := range map[string]map[string]string{
		"tls not a bool":       {"KAFKA_TLS": "yes please"},
		"negative replication": {"KAFKA_TOPIC_REPLICATION": "-1"},
		"IAM without TLS":      {"REDIS_URL": "redis://u@h:6379", "REDIS_IAM_CACHE": "c"},
	} {
		if _, err := parseEnv(bad); err == nil {
			t.Errorf("%s: accepted %v", name, bad)
		}
	}
}

func parseEnv(env map[string]string) (Common, error) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	b := NewBinder(fs, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	var c Common
	finish := b.BindCommon(&c, "order")
	if err := b.Err(); err != nil {
		return c, err
	}
	if err := fs.Parse(nil); err != nil {
		return c, err
	}
	return c, finish()
}

func TestDatabaseIAMAuth(t *testing.T) {
	t.Parallel()
	good := "postgres://order_svc@db.example:5432/orders?sslmode=require"
	c, err := parseEnv(map[string]string{"DATABASE_URL": good, "DATABASE_IAM_AUTH": "true"})
	if err != nil || !c.DatabaseIAMAuth || c.DatabaseURL != good {
		t.Fatalf("parse = %+v, %v; want IAM auth on for %s", c, err, good)
	}
	if c, err := parseEnv(map[string]string{"DATABASE_URL": "postgres://u:p@h:5432/db"}); err != nil || c.DatabaseIAMAuth {
		t.Errorf("IAM auth is off by default: %+v, %v", c, err)
	}
	for name, tc := range map[string]struct {
		url, want string
	}{
		"sqlite":        {"sqlite:///tmp/x.db", "needs a postgres:// DATABASE_URL"},
		"embedded":      {"", "needs a postgres:// DATABASE_URL"},
		"no user":       {"postgres://db.example:5432/orders?sslmode=require", "needs the database user"},
		"password":      {"postgres://u:hunter2@db.example:5432/orders?sslmode=require", "has a password"},
		"no port":       {"postgres://u@db.example/orders?sslmode=require", "needs the port"},
		"no sslmode":    {"postgres://u@db.example:5432/orders", "add sslmode=require"},
		"prefer is not": {"postgres://u@db.example:5432/orders?sslmode=prefer", "sslmode=prefer, want require"},
	} {
		_, err := parseEnv(map[string]string{"DATABASE_URL": tc.url, "DATABASE_IAM_AUTH": "true"})
		if err == nil || !strings.Contains(err.Error(), "DATABASE_IAM_AUTH=true") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error naming DATABASE_IAM_AUTH=true with %q", name, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: the error shows the password: %v", name, err)
		}
	}
	if _, err := parseEnv(map[string]string{"DATABASE_IAM_AUTH": "yes"}); err == nil || !strings.Contains(err.Error(), "DATABASE_IAM_AUTH") {
		t.Errorf("DATABASE_IAM_AUTH=yes: %v, want an error naming it", err)
	}
}

// Usage output (-h, or a mistyped flag, whose usage lands in pod logs)
// names each variable and shows the built-in default, never the env value.
func TestUsageNeverShowsEnvValues(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"KAFKA_PASSWORD": "hunter2", "DATABASE_URL": "postgres://app:s3cret-db@db:5432/orders",
		"REDIS_URL": "rediss://u:s3cret-redis@cache:6379", "SHUTDOWN_DELAY": "7s", "KAFKA_TLS": "true",
	}
	for _, args := range [][]string{{"-h"}, {"-kafka-pasword", "x"}} {
		var out strings.Builder
		fs := flag.NewFlagSet("order", flag.ContinueOnError)
		fs.SetOutput(&out)
		b := NewBinder(fs, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
		var c Common
		b.BindCommon(&c, "order")
		var extra string
		b.String(&extra, "provider-key", "PROVIDER_KEY", "", "a secret")
		if err := fs.Parse(args); err == nil {
			t.Fatalf("%v: parse succeeded", args)
		}
		usage := out.String()
		for _, secret := range []string{"hunter2", "s3cret-db", "s3cret-redis", "7s"} {
			if strings.Contains(usage, secret) {
				t.Errorf("%v: usage shows the env value %q:\n%s", args, secret, usage)
			}
		}
		for _, name := range []string{"KAFKA_PASSWORD", "DATABASE_URL", "(default 5s)"} {
			if !strings.Contains(usage, name) {
				t.Errorf("%v: usage lacks %q:\n%s", args, name, usage)
			}
		}
		// The values themselves still come from the environment.
		if c.Kafka.Password != "hunter2" || c.ShutdownDelay != 7*time.Second || !c.Kafka.TLS {
			t.Errorf("%v: env not applied: %+v", args, c)
		}
	}
}

// A mistyped URL is named by its variable; its password is never echoed.
func TestURLErrorsNeverEchoPasswords(t *testing.T) {
	t.Parallel()
	for name, env := range map[string]map[string]string{
		"wrong scheme":        {"DATABASE_URL": "mysql://app:s3cret@db:3306/orders"},
		"unparsable":          {"DATABASE_URL": "postgres://app:s3c/ret@db:5432/orders"},
		"unparsable redis":    {"REDIS_URL": "redis://u:s3c/ret@cache:6379"},
		"redis wrong scheme":  {"REDIS_URL": "http://u:s3cret@cache:6379"},
		"IAM with bad url":    {"DATABASE_URL": "postgres://app:s3c/ret@db:5432/orders", "DATABASE_IAM_AUTH": "true"},
		"IAM with a password": {"DATABASE_URL": "postgres://app:s3cret@db:5432/orders?sslmode=require", "DATABASE_IAM_AUTH": "true"},
	} {
		_, err := parseEnv(env)
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if strings.Contains(err.Error(), "s3c") || strings.Contains(err.Error(), "ret@") {
			t.Errorf("%s: error echoes the password: %v", name, err)
		}
		v := "DATABASE_URL"
		if _, ok := env["REDIS_URL"]; ok {
			v = "REDIS_URL"
		}
		if !strings.Contains(err.Error(), v) {
			t.Errorf("%s: error does not name %s: %v", name, v, err)
		}
	}
}

// "embedded" stands for the in-process part and cannot be mixed into a
// list of real brokers; it is accepted for each connection setting.
func TestEmbeddedSetting(t *testing.T) {
	if _, err := Parse("order", []string{"-kafka-brokers", "embedded,b1:9092"}, nil); err == nil || !strings.Contains(err.Error(), "KAFKA_BROKERS") {
		t.Errorf("embedded in a broker list: %v, want a KAFKA_BROKERS error", err)
	}
	c, err := Parse("order", []string{"-kafka-brokers", "embedded", "-database-url", "embedded", "-redis-url", "embedded"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.KafkaBrokers) != 1 || c.KafkaBrokers[0] != Embedded || c.DatabaseURL != Embedded || c.RedisURL != Embedded {
		t.Errorf("parsed %+v", c)
	}
}
