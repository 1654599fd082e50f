package kafka

import (
	"context"
	"crypto/tls"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/aws_msk_iam_v2"
	"github.com/segmentio/kafka-go/sasl/scram"

	"github.com/bloody-sweet/platform/services/internal/awscfg"
)

// Security is how a client reaches the brokers: TLS and a SASL mechanism.
// The zero value is plaintext without authentication (the embedded broker);
// MSK in our accounts takes TLS with AWS_MSK_IAM only (terraform/modules/msk).
type Security struct {
	TLS  *tls.Config
	SASL sasl.Mechanism
}

// SASL mechanisms KAFKA_SASL accepts.
const (
	SASLNone        = ""
	SASLAWSMSKIAM   = "aws-msk-iam"   // MSK IAM: the pod's IRSA role signs each connection
	SASLScramSHA512 = "scram-sha-512" // MSK SCRAM, or any broker with SCRAM users
)

// SecurityConfig is the configuration form of Security.
type SecurityConfig struct {
	TLS                bool
	SASL               string // one of the SASL* constants
	Username, Password string // SCRAM only
	// AWS returns the process's AWS configuration (MSK IAM only): the
	// service runtime passes its one lazily loaded awscfg.Lazy, shared
	// with Redis and RDS IAM auth. nil loads the default chain here.
	AWS func(context.Context) (aws.Config, error)
}

// NewSecurity builds the TLS config and SASL mechanism. MSK IAM takes the
// AWS configuration from c.AWS (IRSA's web identity token in a pod, the
// environment or profile elsewhere) and signs every new connection with
// fresh credentials from it, so rotation needs nothing from us.
func NewSecurity(ctx context.Context, c SecurityConfig) (Security, error) {
	var s Security
	if c.TLS {
		s.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	switch c.SASL {
	case SASLNone:
	case SASLAWSMSKIAM:
		if !c.TLS {
			return s, fmt.Errorf("kafka: KAFKA_SASL=%s needs KAFKA_TLS=true (MSK serves IAM auth on its TLS port only)", c.SASL)
		}
		load := c.AWS
		if load == nil {
			load = awscfg.NewLazy(nil).Get
		}
		cfg, err := load(ctx)
		if err != nil {
			return s, fmt.Errorf("kafka: AWS configuration for KAFKA_SASL=%s: %w", c.SASL, err)
		}
		s.SASL = aws_msk_iam_v2.NewMechanism(cfg)
	case SASLScramSHA512:
		if c.Username == "" || c.Password == "" {
			return s, fmt.Errorf("kafka: KAFKA_SASL=%s needs KAFKA_USERNAME and KAFKA_PASSWORD", c.SASL)
		}
		m, err := scram.Mechanism(scram.SHA512, c.Username, c.Password)
		if err != nil {
			return s, fmt.Errorf("kafka: SCRAM: %w", err)
		}
		s.SASL = m
	default:
		return s, fmt.Errorf("kafka: KAFKA_SASL %q: want %q, %q or empty", c.SASL, SASLAWSMSKIAM, SASLScramSHA512)
	}
	return s, nil
}

// transport is a new Transport (never shared: closing one client's
// connections must not affect another's) with these settings.
func (s Security) transport() *kafka.Transport {
	return &kafka.Transport{DialTimeout: 2 * time.Second, IdleTimeout: 30 * time.Second, TLS: s.TLS, SASL: s.SASL}
}

// dialer is the Reader's equivalent of transport.
func (s Security) dialer() *kafka.Dialer {
	return &kafka.Dialer{Timeout: 2 * time.Second, DualStack: true, TLS: s.TLS, SASLMechanism: s.SASL}
}
