//go:build integration

package e2e

import (
	"context"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/bloody-sweet/platform/services/events"
)

// readAll reads every message currently in topic (all partitions).
func readAll(t *testing.T, brokers []string, topic string) []kafkago.Message {
	t.Helper()
	conn, err := kafkago.Dial("tcp", brokers[0])
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	parts, err := conn.ReadPartitions(topic)
	if err != nil {
		t.Fatal(err)
	}
	var out []kafkago.Message
	for _, part := range parts {
		pc, err := kafkago.DialLeader(context.Background(), "tcp", brokers[0], topic, part.ID)
		if err != nil {
			t.Fatal(err)
		}
		first, last, err := pc.ReadOffsets()
		pc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if last <= first {
			continue
		}
		r := kafkago.NewReader(kafkago.ReaderConfig{Brokers: brokers, Topic: topic, Partition: part.ID, MaxWait: 100 * time.Millisecond})
		if err := r.SetOffset(first); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		for off := first; off < last; off++ {
			m, err := r.ReadMessage(ctx)
			if err != nil {
				cancel()
				r.Close()
				t.Fatalf("read %s/%d at %d: %v", topic, part.ID, off, err)
			}
			out = append(out, m)
		}
		cancel()
		r.Close()
	}
	return out
}

func countMessages(t *testing.T, brokers []string, topic string) int {
	return len(readAll(t, brokers, topic))
}

// copyTopics publishes a second copy of every message of the event topics
// (same key, value and headers) and returns how many per topic.
func copyTopics(t *testing.T, brokers []string) map[string]int {
	t.Helper()
	w := &kafkago.Writer{Addr: kafkago.TCP(brokers...), Balancer: &kafkago.Hash{}, BatchTimeout: time.Millisecond, Transport: &kafkago.Transport{}}
	defer w.Close()
	out := map[string]int{}
	for _, topic := range events.AllTopics() {
		msgs := readAll(t, brokers, topic)
		copies := make([]kafkago.Message, len(msgs))
		for i, m := range msgs {
			copies[i] = kafkago.Message{Topic: topic, Key: m.Key, Value: m.Value, Headers: m.Headers}
		}
		if err := w.WriteMessages(context.Background(), copies...); err != nil {
			t.Fatal(err)
		}
		out[topic] = len(msgs)
	}
	return out
}

func headerValue(m kafkago.Message, key string) string {
	for _, h := range m.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}
