package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/bloody-sweet/platform/internal/cliexit"
	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/stack"
)

func runPlatform(args ...string) (string, error) {
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

// Bad input exits 2 naming what is wrong, before any broker is dialled.
func TestDLQBadInput(t *testing.T) {
	t.Setenv("KAFKA_BROKERS", "")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"dlq", "list", "--kafka-brokers", "127.0.0.1:1", "--topic", "orders"}, "unknown topic \"orders\""},
		{[]string{"dlq", "replay", "--kafka-brokers", "127.0.0.1:1", "--since", "yesterday"}, "--since"},
		{[]string{"dlq", "replay", "--kafka-brokers", "127.0.0.1:1", "--since", "-1h"}, "--since"},
		{[]string{"dlq", "show"}, "--kafka-brokers"},
		{[]string{"dlq", "show", "--kafka-brokers", "127.0.0.1:1", "--kafka-sasl", "plain"}, "plain"},
		{[]string{"dlq", "show", "--kafka-brokers", "127.0.0.1:1", "--limit", "-2"}, "--limit"},
	} {
		out, err := runPlatform(tc.args...)
		if code := cliexit.Code(err); code != 2 || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: exit %d, err %v, out %q: want 2 naming %q", tc.args, code, err, out, tc.want)
		}
	}
}

// The three subcommands against a broker holding one dead letter.
func TestDLQCommands(t *testing.T) {
	b, err := stack.StartBroker(0, "")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	w := &kafka.Writer{Addr: kafka.TCP(b.Addrs()...), BatchTimeout: time.Millisecond}
	defer w.Close()
	err = w.WriteMessages(ctx, kafka.Message{Topic: events.DLQ(events.TopicStore), Key: []byte("o-9"), Value: []byte(`{"id":"e-1","type":"OrderReady"}`),
		Headers: []kafka.Header{{Key: events.HeaderDLQReason, Value: []byte("events: data: required")},
			{Key: events.HeaderDLQTopic, Value: []byte(events.TopicStore)}, {Key: events.HeaderDLQPartition, Value: []byte("3")},
			{Key: events.HeaderDLQOffset, Value: []byte("12")}, {Key: events.HeaderDLQConsumer, Value: []byte("delivery")}}})
	if err != nil {
		t.Fatal(err)
	}
	brokers := "--kafka-brokers=" + b.Addrs()[0]
	out, err := runPlatform("dlq", "list", brokers)
	if err != nil || !strings.Contains(out, "store.events.v1.dlq") || !regexpLine(out, `store\.events\.v1\.dlq\s+1\s+1\s`) ||
		!strings.Contains(out, "1  events: data: required") || !regexpLine(out, `order\.events\.v1\.dlq\s+0\s+0\s+-\s+-`) {
		t.Errorf("list: %v\n%s", err, out)
	}
	out, err = runPlatform("dlq", "show", brokers, "--topic", "store.events.v1")
	if err != nil || !strings.Contains(out, "original: store.events.v1 3@12 (partition@offset), consumer group delivery") ||
		!strings.Contains(out, `"type": "OrderReady"`) || !strings.Contains(out, `key "o-9"`) {
		t.Errorf("show: %v\n%s", err, out)
	}
	out, err = runPlatform("dlq", "replay", brokers, "--dry-run")
	if err != nil || !strings.Contains(out, "would replay store.events.v1.dlq") || !strings.Contains(out, "would replay 1 message(s)") {
		t.Errorf("replay --dry-run: %v\n%s", err, out)
	}
	out, err = runPlatform("dlq", "replay", brokers, "--topic", "store.events.v1.dlq")
	if err != nil || !strings.Contains(out, "replayed 1 message(s)") {
		t.Errorf("replay: %v\n%s", err, out)
	}
	out, err = runPlatform("dlq", "list", brokers, "--topic", "store.events.v1.dlq")
	if err != nil || !regexpLine(out, `store\.events\.v1\.dlq\s+1\s+0\s`) {
		t.Errorf("list after replay: %v\n%s", err, out)
	}
}

func regexpLine(out, re string) bool { return regexp.MustCompile(`(?m)^` + re).MatchString(out) }
