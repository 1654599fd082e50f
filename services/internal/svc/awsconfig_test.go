package svc

import (
	"context"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/bloody-sweet/platform/services/internal/config"
)

// TestAWSConfigLoadedOnceForEveryIAMMechanism: MSK IAM, ElastiCache IAM and
// RDS IAM share one AWS configuration per process, loaded only when some
// IAM auth is on. The servers are unreachable (port 1), so Start fails
// after the mechanisms are built; what counts is how often it loaded.
func TestAWSConfigLoadedOnceForEveryIAMMechanism(t *testing.T) {
	t.Parallel()
	creds := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret"}, nil
	})
	base := config.Common{HTTPAddr: "127.0.0.1:0", LogLevel: "error"}
	iamKafka := config.Kafka{TLS: true, SASL: "aws-msk-iam"}
	for name, tc := range map[string]struct {
		cfg       func(c *config.Common)
		db, redis bool
		loads     int32
		startErr  string // "" Start succeeds
	}{
		"no IAM auth": {cfg: func(*config.Common) {}, loads: 0},
		"kafka and redis": {cfg: func(c *config.Common) {
			c.Kafka = iamKafka
			c.RedisURL, c.RedisIAMCache = "rediss://orders@127.0.0.1:1", "bloody-sweet-dev"
		}, redis: true, loads: 1, startErr: "svc: redis 127.0.0.1:1"},
		"database only": {cfg: func(c *config.Common) {
			c.DatabaseURL, c.DatabaseIAMAuth = "postgres://order_svc@127.0.0.1:1/orders?sslmode=require", true
		}, db: true, loads: 1, startErr: "storage: connect to postgres"},
		"kafka and database": {cfg: func(c *config.Common) {
			c.Kafka = iamKafka
			c.DatabaseURL, c.DatabaseIAMAuth = "postgres://order_svc@127.0.0.1:1/orders?sslmode=require", true
		}, db: true, loads: 1, startErr: "storage: connect to postgres"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var loads atomic.Int32
			cfg := base
			cfg.ServiceName = "probe"
			tc.cfg(&cfg)
			spec := Spec{Name: "probe", UsesRedis: tc.redis, Build: func(context.Context, *Runtime) (*Parts, error) { return &Parts{}, nil }}
			if tc.db {
				spec.Migrations = emptyMigrations
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s, err := Start(ctx, cfg, spec, Options{LogWriter: io.Discard, LoadAWSConfig: func(context.Context) (aws.Config, error) {
				loads.Add(1)
				return aws.Config{Region: "eu-west-1", Credentials: creds}, nil
			}})
			if err == nil {
				defer s.Close(context.Background(), 0)
			}
			if tc.startErr == "" && err != nil {
				t.Fatalf("Start: %v", err)
			}
			if tc.startErr != "" && (err == nil || !strings.Contains(err.Error(), tc.startErr)) {
				t.Fatalf("Start = %v, want an error with %q", err, tc.startErr)
			}
			if n := loads.Load(); n != tc.loads {
				t.Errorf("AWS configuration loaded %d times, want %d", n, tc.loads)
			}
		})
	}
}

var emptyMigrations = fstest.MapFS{"001_x.sql": {Data: []byte("CREATE TABLE IF NOT EXISTS {p}x (id INT)")}}
