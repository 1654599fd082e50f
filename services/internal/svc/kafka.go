package svc

import (
	"context"
	"errors"
	"log/slog"

	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/internal/awscfg"
	"github.com/bloody-sweet/platform/services/internal/config"
	"github.com/bloody-sweet/platform/services/internal/kafka"
)

// brokers returns the bootstrap brokers of KAFKA_BROKERS, starting an
// embedded broker in this process for KAFKA_BROKERS=embedded (demo and
// tests). A service with topics and no KAFKA_BROKERS fails its start: a pod
// must never produce into a private broker nobody consumes from.
func (s *Service) brokers(cfg config.Common, spec Spec, log *slog.Logger) ([]string, error) {
	if len(cfg.KafkaBrokers) == 1 && cfg.KafkaBrokers[0] == config.Embedded {
		emb, err := kafka.StartEmbedded(kafka.EmbeddedOptions{})
		if err != nil {
			return nil, err
		}
		s.closers = append(s.closers, func() error { emb.Close(); return nil })
		log.Info("started embedded Kafka broker", "addrs", emb.Addrs())
		return emb.Addrs(), nil
	}
	if len(cfg.KafkaBrokers) == 0 && len(spec.Consumes)+len(spec.Produces) > 0 {
		return nil, errors.New("svc: KAFKA_BROKERS is not set: name the bootstrap brokers, or KAFKA_BROKERS=" + config.Embedded + " for an in-process broker (demo and tests only)")
	}
	return cfg.KafkaBrokers, nil
}

// connectKafka sets up the broker security, creates the topics the service
// owns (with KAFKA_TOPIC_REPLICATION) and the producer.
func (s *Service) connectKafka(ctx context.Context, cfg config.Common, spec Spec, rt *Runtime, aws *awscfg.Lazy) (kafka.Security, error) {
	sec, err := kafka.NewSecurity(ctx, kafka.SecurityConfig{
		TLS: cfg.Kafka.TLS, SASL: cfg.Kafka.SASL, Username: cfg.Kafka.Username, Password: cfg.Kafka.Password,
		AWS: aws.Get,
	})
	if err != nil {
		return kafka.Security{}, err
	}
	if n := cfg.Kafka.TopicReplication; n > 0 && len(cfg.KafkaBrokers) > 0 && cfg.KafkaBrokers[0] != config.Embedded {
		// Each service creates what it writes: its own topics, and the DLQs
		// of the topics it consumes (its IAM role may create only those).
		topics := append([]string(nil), spec.Produces...)
		for _, t := range spec.Consumes {
			topics = append(topics, events.DLQ(t))
		}
		if err := kafka.EnsureTopics(ctx, rt.Brokers, sec, n, topics...); err != nil {
			return kafka.Security{}, err
		}
	}
	s.prod = kafka.NewProducer(rt.Brokers, rt.Tracer, rt.Kafka, kafka.ProducerOptions{Security: sec})
	s.closers = append(s.closers, s.prod.Close)
	return sec, nil
}
