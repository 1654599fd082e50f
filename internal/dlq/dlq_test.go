package dlq

import (
	"bufio"
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/stack"
)

// TestListShowReplay: a valid OrderPlaced that payment dead-lettered (as
// the old consumer did during a database outage) is listed and shown with
// its headers; a dry run sends nothing; replay re-publishes it with its key
// and headers minus dlq_*, payment charges the order once; a second replay
// sends nothing; a replay under another group sends it again and the
// payment service's inbox drops the copy.
func TestListShowReplay(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	st, err := stack.Start(ctx, stack.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		cctx, ccancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer ccancel()
		if err := st.Close(cctx); err != nil {
			t.Error(err)
		}
	}()

	const order = "o-dlq-1"
	e, err := events.New(events.OrderPlaced, order, time.Now(), events.OrderPlacedData{
		OrderRef: events.OrderRef{OrderID: order, StoreID: "store-1"}, CustomerID: "c-1", TotalCents: 1250})
	if err != nil {
		t.Fatal(err)
	}
	value, err := events.Encode(e)
	if err != nil {
		t.Fatal(err)
	}
	dead := kafka.Message{Topic: events.DLQ(events.TopicOrder), Key: []byte(order), Value: value, Headers: []kafka.Header{
		{Key: events.HeaderType, Value: []byte(e.Type)}, {Key: events.HeaderID, Value: []byte(e.ID)},
		{Key: events.HeaderDLQReason, Value: []byte("storage: dial tcp 127.0.0.1:5432: connect: connection refused")},
		{Key: events.HeaderDLQTopic, Value: []byte(events.TopicOrder)}, {Key: events.HeaderDLQPartition, Value: []byte("7")},
		{Key: events.HeaderDLQOffset, Value: []byte("42")}, {Key: events.HeaderDLQConsumer, Value: []byte("payment")},
	}}
	w := &kafka.Writer{Addr: kafka.TCP(st.Brokers...), BatchTimeout: time.Millisecond, Balancer: &kafka.Hash{}}
	defer w.Close()
	if err := w.WriteMessages(ctx, dead); err != nil {
		t.Fatal(err)
	}

	c, err := New(ctx, Config{Brokers: st.Brokers})
	if err != nil {
		t.Fatal(err)
	}
	topics, err := Topics(events.TopicOrder)
	if err != nil {
		t.Fatal(err)
	}
	sums, err := c.List(ctx, topics)
	if err != nil {
		t.Fatal(err)
	}
	if len(sums) != 1 || sums[0].Count != 1 || sums[0].Pending != 1 || len(sums[0].Reasons) != 1 ||
		sums[0].Reasons[0].Count != 1 || !strings.Contains(sums[0].Reasons[0].Reason, "connection refused") || sums[0].Oldest.IsZero() {
		t.Fatalf("list: %+v", sums)
	}
	ms, err := c.Read(ctx, topics[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 1 || ms[0].OriginalTopic != events.TopicOrder || ms[0].From() != "7@42" || ms[0].Consumer != "payment" ||
		string(ms[0].Key) != order || string(ms[0].Value) != string(value) {
		t.Fatalf("show: %+v", ms)
	}

	placedBefore := count(t, ctx, st.Brokers, events.TopicOrder, order)
	res, err := c.Replay(ctx, ReplayOptions{Topics: topics, DryRun: true})
	if err != nil || len(res.Replayed) != 1 {
		t.Fatalf("dry run: %+v, %v", res, err)
	}
	if n := count(t, ctx, st.Brokers, events.TopicOrder, order); n != placedBefore {
		t.Fatalf("dry run sent %d message(s)", n-placedBefore)
	}
	if sums, _ := c.List(ctx, topics); sums[0].Pending != 1 {
		t.Fatalf("dry run committed: %+v", sums)
	}

	consumed := paymentConsumed(t, st)
	res, err = c.Replay(ctx, ReplayOptions{Topics: topics})
	if err != nil || len(res.Replayed) != 1 {
		t.Fatalf("replay: %+v, %v", res, err)
	}
	replayed := read(t, ctx, st.Brokers, events.TopicOrder, order)
	if len(replayed) != 1 || string(replayed[0].Value) != string(value) || header(replayed[0], events.HeaderID) != e.ID {
		t.Fatalf("re-published: %+v", replayed)
	}
	for _, h := range replayed[0].Headers {
		if IsDLQHeader(h.Key) {
			t.Errorf("re-published message keeps header %s", h.Key)
		}
	}
	awaitCond(t, ctx, "payment charged the replayed order", func() bool { return st.Provider.Charges()[order] == 1 })
	awaitCond(t, ctx, "payment consumed the replay", func() bool { return paymentConsumed(t, st) >= consumed+1 })

	res, err = c.Replay(ctx, ReplayOptions{Topics: topics})
	if err != nil || len(res.Replayed) != 0 {
		t.Fatalf("second replay sent %d, err %v; want nothing: the group committed", len(res.Replayed), err)
	}
	if sums, _ := c.List(ctx, topics); sums[0].Pending != 0 || sums[0].Count != 1 {
		t.Fatalf("after replay: %+v", sums)
	}

	other, err := New(ctx, Config{Brokers: st.Brokers, Group: "another-replay"})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := other.Replay(ctx, ReplayOptions{Topics: topics}); err != nil || len(res.Replayed) != 1 {
		t.Fatalf("replay under a new group: %+v, %v", res, err)
	}
	awaitCond(t, ctx, "payment consumed the second copy", func() bool { return paymentConsumed(t, st) >= consumed+2 })
	if n := st.Provider.Charges()[order]; n != 1 {
		t.Errorf("%d charges after a duplicate replay, want 1 (inbox)", n)
	}
	if n := countType(t, ctx, st.Brokers, events.TopicPayment, order, events.PaymentAuthorized); n != 1 {
		t.Errorf("%d PaymentAuthorized for %s, want 1", n, order)
	}

	// --since: a message dead-lettered before the cut-off is passed over,
	// for good (the group's offset moves past it).
	late, err := New(ctx, Config{Brokers: st.Brokers, Group: "since-replay"})
	if err != nil {
		t.Fatal(err)
	}
	res, err = late.Replay(ctx, ReplayOptions{Topics: topics, Since: time.Hour, Now: ms[0].Time.Add(2 * time.Hour)})
	if err != nil || len(res.Replayed) != 0 || len(res.Skipped) != 1 {
		t.Fatalf("replay --since 1h two hours later: %d replayed, %d skipped, %v; want 0 and 1", len(res.Replayed), len(res.Skipped), err)
	}
	if res, err := late.Replay(ctx, ReplayOptions{Topics: topics}); err != nil || len(res.Replayed)+len(res.Skipped) != 0 {
		t.Fatalf("replay after --since passed over the message: %d replayed, %v", len(res.Replayed), err)
	}
}

func TestReasonGroup(t *testing.T) {
	t.Parallel()
	a := ReasonGroup(`event OrderReady 01a23b52-0898-7b17-9235-04a6a582a124: unknown order "o-1"`)
	b := ReasonGroup(`event OrderReady 01a23b58-964b-7d3e-abd7-3efba1f3031c: unknown order "o-2"`)
	c := ReasonGroup(`event OrderAccepted 01a23b58-964b-7d3e-abd7-3efba1f3031c: unknown order "o-2"`)
	if a != b || a == c || a != `event OrderReady <id>: unknown order "..."` {
		t.Errorf("groups %q %q %q", a, b, c)
	}
}

// TestBadInput: an unknown topic, configuration that cannot work.
func TestBadInput(t *testing.T) {
	t.Parallel()
	if _, err := Topics("orders"); !errors.Is(err, ErrUnknownTopic) || !strings.Contains(err.Error(), "order.events.v1.dlq") {
		t.Errorf("unknown topic: %v", err)
	}
	all, err := Topics("")
	if err != nil || len(all) != len(events.AllTopics()) {
		t.Errorf("all topics: %v %v", all, err)
	}
	for _, c := range []Config{
		{},
		{Brokers: []string{"b:9098"}, SASL: SASLAWSMSKIAM},
		{Brokers: []string{"b:9096"}, TLS: true, SASL: SASLScramSHA512, Username: "ops"},
		{Brokers: []string{"b:9092"}, SASL: "plain"},
	} {
		if _, err := New(context.Background(), c); !errors.Is(err, ErrBadConfig) {
			t.Errorf("%+v: %v, want ErrBadConfig", c, err)
		}
	}
}

// paymentConsumed is payment's kafka_messages_consumed_total of the order
// topic.
func paymentConsumed(t *testing.T, st *stack.Stack) float64 {
	t.Helper()
	resp, err := http.Get(st.URLs["payment"] + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	prefix := `kafka_messages_consumed_total{topic="` + events.TopicOrder + `"} `
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), prefix); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
	}
	t.Fatal("payment exports no kafka_messages_consumed_total for the order topic")
	return 0
}

// read returns the messages of topic with key.
func read(t *testing.T, ctx context.Context, brokers []string, topic, key string) []kafka.Message {
	t.Helper()
	c := &Client{brokers: brokers, group: "t", dialer: &kafka.Dialer{Timeout: 5 * time.Second}, trans: &kafka.Transport{}}
	spans, err := c.spans(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	var out []kafka.Message
	for _, s := range spans {
		ms, err := c.read(ctx, topic, s.partition, s.first, s.end)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			if string(m.Key) == key {
				out = append(out, m)
			}
		}
	}
	return out
}

func count(t *testing.T, ctx context.Context, brokers []string, topic, key string) int {
	return len(read(t, ctx, brokers, topic, key))
}

func countType(t *testing.T, ctx context.Context, brokers []string, topic, key string, typ events.Type) int {
	n := 0
	for _, m := range read(t, ctx, brokers, topic, key) {
		if header(m, events.HeaderType) == string(typ) {
			n++
		}
	}
	return n
}

func header(m kafka.Message, k string) string {
	for _, h := range m.Headers {
		if h.Key == k {
			return string(h.Value)
		}
	}
	return ""
}

func awaitCond(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(10 * time.Millisecond):
		}
	}
}
