// Package kafka is the services' Kafka plumbing on segmentio/kafka-go:
// a producer tuned for latency, a batching consumer with retries and a
// dead-letter topic, W3C trace context in headers, and the embedded kfake
// broker used when no brokers are configured.
package kafka

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/bloody-sweet/platform/services/events"
)

// Embedded is an in-process Kafka broker (kfake) with the platform topics.
type Embedded struct {
	cluster *kfake.Cluster
	addrs   []string
}

// EmbeddedOptions configures StartEmbedded.
type EmbeddedOptions struct {
	Port    int    // 0 picks a free port
	DataDir string // empty keeps everything in memory; else data survives restarts
}

// StartEmbedded starts a one-broker kfake cluster with every platform topic
// (and dead-letter topic) seeded at events.Partitions partitions.
func StartEmbedded(o EmbeddedOptions) (*Embedded, error) {
	opts := []kfake.Opt{
		kfake.NumBrokers(1),
		// The catalog's topic too: nothing consumes it yet, so it is not
		// in AllTopics, but its producer's first write must find it.
		kfake.SeedTopics(events.Partitions, append(events.AllTopicsWithDLQ(), events.TopicCatalog)...),
		kfake.DefaultNumPartitions(events.Partitions),
		kfake.AllowAutoTopicCreation(),
		// kafka-go's consumer group uses a 30 s session; a restarted member
		// rejoins quickly because Close leaves the group.
		kfake.GroupMinSessionTimeout(time.Second),
	}
	if o.Port != 0 {
		opts = append(opts, kfake.Ports(o.Port))
	}
	if o.DataDir != "" {
		opts = append(opts, kfake.DataDir(o.DataDir))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("kafka: start embedded broker: %w", err)
	}
	return &Embedded{cluster: c, addrs: c.ListenAddrs()}, nil
}

// Addrs returns the bootstrap addresses.
func (e *Embedded) Addrs() []string { return e.addrs }

// Close stops the broker (and, with a data dir, flushes it to disk).
func (e *Embedded) Close() { e.cluster.Close() }

// EnsureTopics creates the topics (12 partitions, the given replication)
// that do not exist yet; existing topics are left as they are.
func EnsureTopics(ctx context.Context, brokers []string, sec Security, replication int, topics ...string) error {
	if len(brokers) == 0 {
		return errors.New("kafka: no brokers")
	}
	client := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 10 * time.Second, Transport: sec.transport()}
	req := &kafka.CreateTopicsRequest{}
	for _, t := range topics {
		req.Topics = append(req.Topics, kafka.TopicConfig{Topic: t, NumPartitions: events.Partitions, ReplicationFactor: replication})
	}
	resp, err := client.CreateTopics(ctx, req)
	if err != nil {
		return fmt.Errorf("kafka: create topics on %v: %w", brokers, err)
	}
	for t, terr := range resp.Errors {
		if terr != nil && !errors.Is(terr, kafka.TopicAlreadyExists) {
			return fmt.Errorf("kafka: create topic %s: %w", t, terr)
		}
	}
	return nil
}

// WaitReachable dials the first broker until it answers or ctx ends; used
// after a broker restart.
func WaitReachable(ctx context.Context, addr string) error {
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			return c.Close()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("kafka: %s not reachable: %w", addr, err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
