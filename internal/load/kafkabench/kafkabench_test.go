package kafkabench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/compress"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// One in-process broker for the whole run; every benchmark gets fresh
// topics and groups so no run reads another's messages.
var (
	brokerOnce sync.Once
	broker     *kfake.Cluster
	brokerErr  error
	topicSeq   atomic.Int64
)

func addrs(b *testing.B) []string {
	b.Helper()
	brokerOnce.Do(func() {
		broker, brokerErr = kfake.NewCluster(kfake.NumBrokers(1), kfake.DefaultNumPartitions(partitions))
	})
	if brokerErr != nil {
		b.Fatal(brokerErr)
	}
	return broker.ListenAddrs()
}

// partitions as in every environment (docs/CONTRACTS.md).
const partitions = 12

func newTopic(b *testing.B, prefix string) string {
	b.Helper()
	t := fmt.Sprintf("bench.%s.%d", prefix, topicSeq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	addr := kafka.TCP(addrs(b)...)
	cl := &kafka.Client{Addr: addr}
	resp, err := cl.CreateTopics(ctx, &kafka.CreateTopicsRequest{Addr: addr,
		Topics: []kafka.TopicConfig{{Topic: t, NumPartitions: partitions, ReplicationFactor: 1}}})
	if err == nil {
		err = resp.Errors[t]
	}
	if err != nil {
		b.Fatalf("create topic %s: %v", t, err)
	}
	// kfake keeps every record in memory: drop the topic afterwards so
	// later benchmarks do not run against a growing heap.
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := cl.DeleteTopics(ctx, &kafka.DeleteTopicsRequest{Addr: addr, Topics: []string{t}}); err != nil {
			b.Errorf("delete topic %s: %v", t, err)
		}
	})
	return t
}

// payload is an OrderPlaced-sized JSON value (about 300 bytes).
var payload = []byte(`{"specversion":"1.0","id":"0f8fad5b-d9cb-469f-a165-70867728950e","type":"OrderPlaced","source":"order","time":"2026-11-25T08:00:00Z","subject":"ord-000001","data":{"customer_id":"c-42","store_id":"store-1","items":[{"sku":"pizza-margherita","quantity":2,"price_cents":1150}],"address":{"street":"1 Main St","city":"Springfield","postcode":"12345"}}}`)

func key(i int) []byte { return fmt.Appendf(nil, "ord-%06d", i) }

func report(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// ---- producers ----

type writerCase struct {
	name         string
	batchTimeout time.Duration
	batchSize    int
	async        bool
	compression  compress.Compression
	// callers is how many goroutines write concurrently, each one message
	// per WriteMessages call; 0 means one caller writing batchSize messages
	// per call (the application batches).
	callers int
}

// BenchmarkProduce compares kafka-go Writer settings with franz-go on the
// same broker. One op is one message acknowledged by the broker (acks=all).
func BenchmarkProduce(b *testing.B) {
	cases := []writerCase{
		// One caller, one message per call: every call waits for its batch
		// to time out, so BatchTimeout bounds throughput (kafka-go's 1s
		// default would mean 1 msg/s).
		{name: "kafka-go/sync/callers=1/batch_timeout=1ms", batchTimeout: time.Millisecond, batchSize: 100, callers: 1},
		{name: "kafka-go/sync/callers=1/batch_timeout=10ms", batchTimeout: 10 * time.Millisecond, batchSize: 100, callers: 1},
		// Many concurrent callers share batches.
		{name: "kafka-go/sync/callers=64/batch_timeout=1ms", batchTimeout: time.Millisecond, batchSize: 100, callers: 64},
		{name: "kafka-go/sync/callers=64/batch_timeout=10ms", batchTimeout: 10 * time.Millisecond, batchSize: 100, callers: 64},
		// The application hands over whole batches.
		{name: "kafka-go/sync/batch_per_call=100", batchTimeout: 10 * time.Millisecond, batchSize: 100},
		{name: "kafka-go/sync/batch_per_call=1000", batchTimeout: 10 * time.Millisecond, batchSize: 1000},
		// Async: WriteMessages returns at once; the run waits in Close.
		{name: "kafka-go/async/batch_size=100", batchTimeout: 10 * time.Millisecond, batchSize: 100, async: true, callers: 1},
		{name: "kafka-go/async/batch_size=1000", batchTimeout: 10 * time.Millisecond, batchSize: 1000, async: true, callers: 1},
		{name: "kafka-go/async/batch_size=1000/compression=snappy", batchTimeout: 10 * time.Millisecond, batchSize: 1000, async: true, callers: 1, compression: kafka.Snappy},
		{name: "kafka-go/async/batch_size=1000/compression=lz4", batchTimeout: 10 * time.Millisecond, batchSize: 1000, async: true, callers: 1, compression: kafka.Lz4},
		{name: "kafka-go/async/batch_size=1000/compression=zstd", batchTimeout: 10 * time.Millisecond, batchSize: 1000, async: true, callers: 1, compression: kafka.Zstd},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) { benchWriter(b, c) })
	}
	// franz-go: ProduceSync one record at a time, then async Produce with
	// a callback (its batching is automatic: it lingers only while a
	// request to the partition is in flight).
	b.Run("franz-go/sync/callers=1", func(b *testing.B) { benchFranz(b, 1, false, kgo.NoCompression()) })
	b.Run("franz-go/sync/callers=64", func(b *testing.B) { benchFranz(b, 64, false, kgo.NoCompression()) })
	b.Run("franz-go/async", func(b *testing.B) { benchFranz(b, 1, true, kgo.NoCompression()) })
	b.Run("franz-go/async/compression=snappy", func(b *testing.B) { benchFranz(b, 1, true, kgo.SnappyCompression()) })
	b.Run("franz-go/async/compression=lz4", func(b *testing.B) { benchFranz(b, 1, true, kgo.Lz4Compression()) })
	b.Run("franz-go/async/compression=zstd", func(b *testing.B) { benchFranz(b, 1, true, kgo.ZstdCompression()) })
}

func benchWriter(b *testing.B, c writerCase) {
	topic := newTopic(b, "produce")
	var failed atomic.Int64
	w := &kafka.Writer{
		Addr:         kafka.TCP(addrs(b)...),
		Topic:        topic,
		Balancer:     &kafka.Hash{},
		BatchTimeout: c.batchTimeout,
		BatchSize:    c.batchSize,
		RequiredAcks: kafka.RequireAll,
		Async:        c.async,
		Compression:  c.compression,
	}
	if c.async {
		w.Completion = func(msgs []kafka.Message, err error) {
			if err != nil {
				failed.Add(int64(len(msgs)))
			}
		}
	}
	ctx := context.Background()
	// Warm up metadata and connections outside the timed part.
	if err := w.WriteMessages(ctx, kafka.Message{Key: []byte("warm"), Value: payload}); err != nil && !c.async {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(payload)))
	b.ResetTimer()
	switch {
	case c.callers == 0:
		batch := make([]kafka.Message, 0, c.batchSize)
		for i := 0; i < b.N; i++ {
			batch = append(batch, kafka.Message{Key: key(i), Value: payload})
			if len(batch) == c.batchSize || i == b.N-1 {
				if err := w.WriteMessages(ctx, batch...); err != nil {
					b.Fatal(err)
				}
				batch = batch[:0]
			}
		}
	default:
		var next atomic.Int64
		var wg sync.WaitGroup
		errs := make(chan error, c.callers)
		for range c.callers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := int(next.Add(1)) - 1
					if i >= b.N {
						return
					}
					if err := w.WriteMessages(ctx, kafka.Message{Key: key(i), Value: payload}); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
	// Close flushes what an async writer still holds: part of the cost.
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d messages failed", n)
	}
	report(b)
}

func benchFranz(b *testing.B, callers int, async bool, codec kgo.CompressionCodec) {
	topic := newTopic(b, "produce")
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(addrs(b)...),
		kgo.DefaultProduceTopic(topic),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerBatchCompression(codec),
		kgo.RecordPartitioner(kgo.StickyKeyPartitioner(nil)),
	)
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	ctx := context.Background()
	if err := cl.ProduceSync(ctx, &kgo.Record{Key: []byte("warm"), Value: payload}).FirstErr(); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(payload)))
	b.ResetTimer()
	if async {
		var failed atomic.Int64
		for i := 0; i < b.N; i++ {
			cl.Produce(ctx, &kgo.Record{Key: key(i), Value: payload}, func(_ *kgo.Record, err error) {
				if err != nil {
					failed.Add(1)
				}
			})
		}
		if err := cl.Flush(ctx); err != nil {
			b.Fatal(err)
		}
		if n := failed.Load(); n > 0 {
			b.Fatalf("%d records failed", n)
		}
	} else {
		var next atomic.Int64
		var wg sync.WaitGroup
		var firstErr atomic.Value
		for range callers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := int(next.Add(1)) - 1
					if i >= b.N {
						return
					}
					if err := cl.ProduceSync(ctx, &kgo.Record{Key: key(i), Value: payload}).FirstErr(); err != nil {
						firstErr.CompareAndSwap(nil, err)
						return
					}
				}
			}()
		}
		wg.Wait()
		if err, _ := firstErr.Load().(error); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	report(b)
}

// ---- consumers ----

// fill produces n+1 messages (one to join the group on) with franz-go, the
// fastest producer here, so the timed part is consumption alone.
func fill(b *testing.B, n int) string {
	b.Helper()
	topic := newTopic(b, "consume")
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs(b)...), kgo.DefaultProduceTopic(topic),
		kgo.ProducerBatchCompression(kgo.NoCompression()))
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	ctx := context.Background()
	var failed atomic.Int64
	for i := 0; i <= n; i++ {
		cl.Produce(ctx, &kgo.Record{Key: key(i), Value: payload}, func(_ *kgo.Record, err error) {
			if err != nil {
				failed.Add(1)
			}
		})
	}
	if err := cl.Flush(ctx); err != nil || failed.Load() > 0 {
		b.Fatalf("fill %s: %v (%d failed)", topic, err, failed.Load())
	}
	return topic
}

// BenchmarkConsume compares commit strategies of a consumer-group reader
// that processes each message (a counter: no work, so the commit cost
// shows). One op is one message consumed and committed.
func BenchmarkConsume(b *testing.B) {
	b.Run("kafka-go/commit=sync-each", func(b *testing.B) { benchReader(b, 0, 1) })
	b.Run("kafka-go/commit=sync-every-100", func(b *testing.B) { benchReader(b, 0, 100) })
	b.Run("kafka-go/commit=async-interval-1s", func(b *testing.B) { benchReader(b, time.Second, 1) })
	b.Run("franz-go/commit=sync-each", func(b *testing.B) { benchFranzConsume(b, "each") })
	b.Run("franz-go/commit=sync-per-poll", func(b *testing.B) { benchFranzConsume(b, "poll") })
	b.Run("franz-go/commit=autocommit-5s", func(b *testing.B) { benchFranzConsume(b, "auto") })
}

// benchReader: commitInterval 0 makes CommitMessages synchronous; every
// is how many messages go into one CommitMessages call.
func benchReader(b *testing.B, commitInterval time.Duration, every int) {
	topic := fill(b, b.N)
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers:        addrs(b),
		GroupID:        "g-" + topic,
		Topic:          topic,
		MinBytes:       1,
		MaxBytes:       10 << 20,
		MaxWait:        100 * time.Millisecond,
		CommitInterval: commitInterval,
		StartOffset:    kafka.FirstOffset,
	})
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// The first message pays for the group join: not timed.
	m, err := r.FetchMessage(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if err := r.CommitMessages(ctx, m); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(payload)))
	b.ResetTimer()
	pending := make([]kafka.Message, 0, every)
	for i := 0; i < b.N; i++ {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			b.Fatalf("after %d of %d: %v", i, b.N, err)
		}
		pending = append(pending, m)
		if len(pending) == every || i == b.N-1 {
			commitErr(b, r.CommitMessages(ctx, pending...))
			pending = pending[:0]
		}
	}
	b.StopTimer()
	report(b)
}

func benchFranzConsume(b *testing.B, strategy string) {
	topic := fill(b, b.N-1) // b.N records: franz-go needs no join message
	assigned := make(chan struct{})
	var once sync.Once
	opts := []kgo.Opt{
		kgo.SeedBrokers(addrs(b)...),
		kgo.ConsumerGroup("g-" + topic),
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxWait(100 * time.Millisecond),
		// Fetching starts once partitions are assigned: start the clock
		// there, so the group join is not timed and no fetch is missed.
		kgo.OnPartitionsAssigned(func(context.Context, *kgo.Client, map[string][]int32) {
			once.Do(func() { close(assigned) })
		}),
	}
	if strategy != "auto" {
		opts = append(opts, kgo.DisableAutoCommit())
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// PollFetches drives the join; the first poll may already return records.
	first := make(chan kgo.Fetches, 1)
	go func() { first <- cl.PollFetches(ctx) }()
	select {
	case <-assigned:
	case <-ctx.Done():
		b.Fatal("no partitions assigned")
	}
	b.SetBytes(int64(len(payload)))
	b.ResetTimer()
	seen := 0
	process := func(fs kgo.Fetches) {
		if err := fs.Err0(); err != nil {
			b.Fatalf("after %d of %d: %v", seen, b.N, err)
		}
		for _, r := range fs.Records() {
			seen++
			if strategy == "each" {
				commitErr(b, cl.CommitRecords(ctx, r))
			}
		}
		if strategy == "poll" {
			commitErr(b, cl.CommitUncommittedOffsets(ctx))
		}
	}
	process(<-first)
	for seen < b.N {
		process(cl.PollFetches(ctx))
	}
	b.StopTimer()
	report(b)
}

// commitErr fails the benchmark on a commit error, except the ones a group
// rebalance causes (a heartbeat late on a loaded machine): the records stay
// uncommitted and the next commit covers them, as in a real consumer.
func commitErr(b *testing.B, err error) {
	switch {
	case err == nil:
	case errors.Is(err, kerr.IllegalGeneration), errors.Is(err, kerr.RebalanceInProgress),
		errors.Is(err, kerr.UnknownMemberID), errors.Is(err, kerr.StaleMemberEpoch),
		errors.Is(err, kafka.IllegalGeneration), errors.Is(err, kafka.RebalanceInProgress),
		errors.Is(err, kafka.UnknownMemberId):
		b.Logf("commit during a rebalance: %v", err)
	default:
		b.Fatal(err)
	}
}
