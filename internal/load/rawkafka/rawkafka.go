// Package rawkafka is the baseline the order pipeline is compared against:
// the same number of topic hops (order -> payment -> store -> delivery ->
// notification is 4 topics) with kafka-go alone, no HTTP, no database, no
// outbox. An arrival is produced to hop 1; three relays consume each hop
// and produce to the next; a sink consuming hop 4 reports completions.
// Whatever the pipeline costs beyond this is the price of its business
// logic and guarantees.
package rawkafka

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/bloody-sweet/platform/internal/load"
)

// Hops is the number of topics a message crosses, as in the order saga.
const Hops = 4

// Partitions per topic, as in every environment (docs/CONTRACTS.md).
const Partitions = 12

// Chain is a running 4-hop relay chain. It implements load.Sender.
type Chain struct {
	brokers []string
	topics  []string
	mix     *load.Mix
	runID   string

	first   *kafka.Writer
	writers []*kafka.Writer
	readers []*kafka.Reader
	out     chan load.Completion

	cancel context.CancelFunc
	wg     sync.WaitGroup
	errMu  sync.Mutex
	err    error // first relay error, reported by Close
}

// Start creates the chain's topics (named after runID so runs never read
// each other's messages), starts the relays and the sink, and waits until
// a probe message has crossed all hops, so consumer-group joins are not
// measured as latency.
func Start(ctx context.Context, brokers []string, runID string, mix *load.Mix) (*Chain, error) {
	c := &Chain{brokers: brokers, mix: mix, runID: runID, out: make(chan load.Completion, 4096)}
	for i := 1; i <= Hops; i++ {
		c.topics = append(c.topics, fmt.Sprintf("load.raw.%s.hop%d", runID, i))
	}
	if err := c.createTopics(ctx); err != nil {
		return nil, err
	}
	c.first = c.writer(c.topics[0], false)
	runCtx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	for i := 0; i < Hops-1; i++ {
		r := c.reader(c.topics[i], fmt.Sprintf("load-raw-%s-relay%d", runID, i+1))
		w := c.writer(c.topics[i+1], true)
		c.readers = append(c.readers, r)
		c.writers = append(c.writers, w)
		c.wg.Add(1)
		go c.relay(runCtx, r, w)
	}
	sink := c.reader(c.topics[Hops-1], fmt.Sprintf("load-raw-%s-sink", runID))
	c.readers = append(c.readers, sink)
	probe := make(chan struct{})
	c.wg.Add(1)
	go c.sink(runCtx, sink, probe)

	if err := c.first.WriteMessages(ctx, kafka.Message{Key: []byte("probe"), Value: []byte(`{"probe":true}`)}); err != nil {
		c.Close(context.Background())
		return nil, fmt.Errorf("raw baseline: produce probe: %w", err)
	}
	select {
	case <-probe:
		return c, nil
	case <-ctx.Done():
		c.Close(context.Background())
		return nil, fmt.Errorf("raw baseline: probe did not cross %d hops: %w", Hops, ctx.Err())
	}
}

// Topics returns the chain's topic names, hop 1 first.
func (c *Chain) Topics() []string { return c.topics }

// Completions reports every message that reached the end of hop 4.
func (c *Chain) Completions() <-chan load.Completion { return c.out }

// Send produces arrival seq to hop 1 and waits for the broker's ack.
// The value is the order the pipeline would have been sent, so message
// sizes match.
func (c *Chain) Send(ctx context.Context, seq int) (string, error) {
	order, _ := c.mix.Order(seq)
	value, err := json.Marshal(order)
	if err != nil {
		return "", fmt.Errorf("encode order: %w", err)
	}
	key := strconv.Itoa(seq)
	if err := c.first.WriteMessages(ctx, kafka.Message{Key: []byte(key), Value: value}); err != nil {
		return "", fmt.Errorf("produce hop 1: %w", err)
	}
	return key, nil
}

// writer is tuned like a service's producer: small linger so a message is
// not held back at low rates, batches still form at high rates. Relays
// write asynchronously so a relay keeps consuming while a batch is in
// flight; the first hop writes synchronously, to measure the ack.
func (c *Chain) writer(topic string, async bool) *kafka.Writer {
	w := &kafka.Writer{
		Addr:         kafka.TCP(c.brokers...),
		Topic:        topic,
		Balancer:     &kafka.Hash{},
		BatchTimeout: 2 * time.Millisecond,
		BatchSize:    500,
		RequiredAcks: kafka.RequireAll,
		Async:        async,
	}
	if async {
		w.Completion = func(_ []kafka.Message, err error) {
			if err != nil {
				c.fail(fmt.Errorf("relay produce to %s: %w", topic, err))
			}
		}
	}
	return w
}

func (c *Chain) reader(topic, group string) *kafka.Reader {
	return kafka.NewReader(kafka.ReaderConfig{
		Brokers:        c.brokers,
		GroupID:        group,
		Topic:          topic,
		MinBytes:       1,
		MaxBytes:       10 << 20,
		MaxWait:        100 * time.Millisecond,
		CommitInterval: time.Second,
		StartOffset:    kafka.FirstOffset,
	})
}

func (c *Chain) relay(ctx context.Context, r *kafka.Reader, w *kafka.Writer) {
	defer c.wg.Done()
	for {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			if ctx.Err() == nil {
				c.fail(fmt.Errorf("relay consume %s: %w", r.Config().Topic, err))
			}
			return
		}
		if err := w.WriteMessages(ctx, kafka.Message{Key: m.Key, Value: m.Value}); err != nil {
			if ctx.Err() == nil {
				c.fail(fmt.Errorf("relay produce %s: %w", w.Topic, err))
			}
			return
		}
		if err := r.CommitMessages(ctx, m); err != nil && ctx.Err() == nil {
			c.fail(fmt.Errorf("relay commit %s: %w", r.Config().Topic, err))
			return
		}
	}
}

func (c *Chain) sink(ctx context.Context, r *kafka.Reader, probe chan<- struct{}) {
	defer c.wg.Done()
	defer close(c.out)
	for {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			if ctx.Err() == nil {
				c.fail(fmt.Errorf("sink consume: %w", err))
			}
			return
		}
		now := time.Now()
		if string(m.Key) == "probe" {
			if probe != nil {
				close(probe)
				probe = nil
			}
		} else {
			select {
			case c.out <- load.Completion{Key: string(m.Key), Delivered: true, At: now}:
			case <-ctx.Done():
				return
			}
		}
		if err := r.CommitMessages(ctx, m); err != nil && ctx.Err() == nil {
			c.fail(fmt.Errorf("sink commit: %w", err))
			return
		}
	}
}

func (c *Chain) fail(err error) {
	c.errMu.Lock()
	defer c.errMu.Unlock()
	if c.err == nil {
		c.err = err
	}
}

// Close stops the relays, closes every client, deletes the chain's topics
// and returns the first error a relay met, if any.
func (c *Chain) Close(ctx context.Context) error {
	if c.cancel != nil {
		c.cancel()
	}
	c.wg.Wait()
	var errs []error
	for _, r := range c.readers {
		errs = append(errs, r.Close())
	}
	for _, w := range append([]*kafka.Writer{c.first}, c.writers...) {
		if w != nil {
			errs = append(errs, w.Close())
		}
	}
	errs = append(errs, c.deleteTopics(ctx))
	c.errMu.Lock()
	errs = append([]error{c.err}, errs...)
	c.errMu.Unlock()
	return errors.Join(errs...)
}

func (c *Chain) client() (*kafka.Client, net.Addr) {
	addr := kafka.TCP(c.brokers...)
	return &kafka.Client{Addr: addr, Timeout: 10 * time.Second}, addr
}

func (c *Chain) createTopics(ctx context.Context) error {
	cl, addr := c.client()
	req := &kafka.CreateTopicsRequest{Addr: addr}
	// Replication -1 takes the broker's default, so the chain gets the same
	// durability (and min.insync.replicas behaviour) as the service topics
	// on a real cluster, and 1 on kfake.
	for _, t := range c.topics {
		req.Topics = append(req.Topics, kafka.TopicConfig{Topic: t, NumPartitions: Partitions, ReplicationFactor: -1})
	}
	resp, err := cl.CreateTopics(ctx, req)
	if err != nil {
		return fmt.Errorf("raw baseline: create topics: %w", err)
	}
	for t, err := range resp.Errors {
		if err != nil && !errors.Is(err, kafka.TopicAlreadyExists) {
			return fmt.Errorf("raw baseline: create topic %s: %w", t, err)
		}
	}
	return nil
}

func (c *Chain) deleteTopics(ctx context.Context) error {
	cl, addr := c.client()
	resp, err := cl.DeleteTopics(ctx, &kafka.DeleteTopicsRequest{Addr: addr, Topics: c.topics})
	if err != nil {
		return fmt.Errorf("raw baseline: delete topics: %w", err)
	}
	for t, err := range resp.Errors {
		if err != nil {
			return fmt.Errorf("raw baseline: delete topic %s: %w", t, err)
		}
	}
	return nil
}
