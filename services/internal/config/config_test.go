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
	want := Common{ServiceName: "order", HTTPAddr: ":7000", KafkaBrokers: []string{"a:9092", "b:9092"},
		LogLevel: "info", ShutdownDelay: 2 * time.Second, Kafka: Kafka{BlockedAfter: 10 * time.Second}}
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
