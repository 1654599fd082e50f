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
