// Package awscfg loads a service process's AWS configuration once, on first
// use, for every IAM mechanism that needs it (MSK IAM for Kafka, ElastiCache
// IAM for Redis, RDS IAM for Postgres): one credential chain, one cache of
// the IRSA web identity credentials, one region. A process that uses no IAM
// auth never loads it.
package awscfg

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
)

// LoadFunc loads an AWS configuration.
type LoadFunc func(ctx context.Context) (aws.Config, error)

// Default is the standard chain: IRSA's web identity token in a pod, the
// environment or a profile elsewhere.
func Default(ctx context.Context) (aws.Config, error) {
	return awsconfig.LoadDefaultConfig(ctx)
}

// Lazy loads the configuration on the first Get and returns the same
// result (configuration or error) to every later caller.
type Lazy struct {
	load LoadFunc
	once sync.Once
	cfg  aws.Config
	err  error
}

// NewLazy wraps load (nil: Default).
func NewLazy(load LoadFunc) *Lazy {
	if load == nil {
		load = Default
	}
	return &Lazy{load: load}
}

// Get returns the configuration, loading it on the first call. A
// configuration without a region is an error: every IAM signature needs one.
func (l *Lazy) Get(ctx context.Context) (aws.Config, error) {
	l.once.Do(func() {
		l.cfg, l.err = l.load(ctx)
		if l.err != nil {
			l.err = fmt.Errorf("awscfg: load AWS configuration: %w", l.err)
		} else if l.cfg.Region == "" {
			l.err = fmt.Errorf("awscfg: IAM auth needs an AWS region: set AWS_REGION")
		}
	})
	return l.cfg, l.err
}
