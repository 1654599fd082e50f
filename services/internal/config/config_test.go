package config

import (
	"flag"
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
		LogLevel: "info", ShutdownDelay: 2 * time.Second}
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
	want := Kafka{TLS: true, SASL: "aws-msk-iam", TopicReplication: 3}
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
