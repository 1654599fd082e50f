// Package dlq is the engine of `platform dlq`: it reads the services'
// dead-letter topics (<topic>.dlq, services/events) and re-publishes their
// messages to the topics they came from.
//
// Replay is stateful: it reads each DLQ partition from the offset the
// consumer group Group (default "platform-dlq-replay") committed on it,
// re-publishes the selected messages with their key and headers (minus the
// dlq_* headers the consumer added), and commits the group's offsets only
// after the broker acknowledged every re-published message. So a second
// replay does not send the same messages again (a message that is still
// poison would otherwise come back to the DLQ on every replay), and a replay
// that fails half-way sends its messages again next time, which the
// services' inbox makes harmless: nothing is lost and nothing is applied
// twice. With --since, messages dead-lettered before the cut-off are left
// out and passed over for good (the group's offset moves past them too);
// a new group (--group) starts again from the beginning of the DLQ.
package dlq

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/aws_msk_iam_v2"
	"github.com/segmentio/kafka-go/sasl/scram"

	"github.com/bloody-sweet/platform/services/events"
)

// DefaultGroup is the consumer group whose offsets on the DLQs record what
// replay has re-published.
const DefaultGroup = "platform-dlq-replay"

// SASL mechanisms, named like the services' KAFKA_SASL.
const (
	SASLAWSMSKIAM   = "aws-msk-iam"
	SASLScramSHA512 = "scram-sha-512"
)

// Config says how to reach the brokers. TLS and SASL mirror the services'
// KAFKA_TLS / KAFKA_SASL (services/internal/kafka, which this package may
// not import): MSK takes TLS with aws-msk-iam, signed with the caller's AWS
// credentials (environment or profile).
type Config struct {
	Brokers  []string
	TLS      bool
	SASL     string // "", SASLAWSMSKIAM or SASLScramSHA512
	Username string // SCRAM only
	Password string // SCRAM only; never printed
	Group    string // default DefaultGroup
}

// Client talks to the brokers of one cluster.
type Client struct {
	brokers []string
	group   string
	dialer  *kafka.Dialer
	trans   *kafka.Transport
}

// ErrUnknownTopic is returned for a --topic that is no platform DLQ.
var ErrUnknownTopic = errors.New("unknown topic")

// New checks c and returns a client; nothing is dialled yet. Configuration
// errors wrap ErrBadConfig.
func New(ctx context.Context, c Config) (*Client, error) {
	if len(c.Brokers) == 0 {
		return nil, fmt.Errorf("%w: no brokers", ErrBadConfig)
	}
	var (
		tc   *tls.Config
		mech sasl.Mechanism
	)
	if c.TLS {
		tc = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	switch c.SASL {
	case "":
	case SASLAWSMSKIAM:
		if !c.TLS {
			return nil, fmt.Errorf("%w: --kafka-sasl %s needs --kafka-tls (MSK serves IAM auth on its TLS port only)", ErrBadConfig, c.SASL)
		}
		cfg, err := awsconfig.LoadDefaultConfig(ctx)
		if err != nil {
			return nil, fmt.Errorf("dlq: AWS configuration for %s: %w", c.SASL, err)
		}
		mech = aws_msk_iam_v2.NewMechanism(cfg)
	case SASLScramSHA512:
		if c.Username == "" || c.Password == "" {
			return nil, fmt.Errorf("%w: --kafka-sasl %s needs --kafka-username and the password in $KAFKA_PASSWORD", ErrBadConfig, c.SASL)
		}
		m, err := scram.Mechanism(scram.SHA512, c.Username, c.Password)
		if err != nil {
			return nil, fmt.Errorf("dlq: SCRAM: %w", err)
		}
		mech = m
	default:
		return nil, fmt.Errorf("%w: --kafka-sasl %q: want %s, %s or empty", ErrBadConfig, c.SASL, SASLAWSMSKIAM, SASLScramSHA512)
	}
	group := c.Group
	if group == "" {
		group = DefaultGroup
	}
	return &Client{
		brokers: c.Brokers,
		group:   group,
		dialer:  &kafka.Dialer{Timeout: 10 * time.Second, DualStack: true, TLS: tc, SASLMechanism: mech},
		trans:   &kafka.Transport{DialTimeout: 10 * time.Second, TLS: tc, SASL: mech},
	}, nil
}

// ErrBadConfig marks configuration errors (the CLI exits 2).
var ErrBadConfig = errors.New("bad configuration")

// Topics resolves a --topic value to DLQ topic names: "" is every platform
// DLQ; a DLQ name or the name of the topic it belongs to is that one DLQ.
// Anything else wraps ErrUnknownTopic and lists the known ones.
func Topics(topic string) ([]string, error) {
	var all []string
	for _, t := range events.AllTopics() {
		all = append(all, events.DLQ(t))
	}
	if topic == "" {
		return all, nil
	}
	for _, t := range events.AllTopics() {
		if topic == t || topic == events.DLQ(t) {
			return []string{events.DLQ(t)}, nil
		}
	}
	return nil, fmt.Errorf("%w %q: want one of %s (or the topic without .dlq)", ErrUnknownTopic, topic, strings.Join(all, ", "))
}

// Message is one dead letter with what its headers say about it.
type Message struct {
	Topic     string // the DLQ
	Partition int
	Offset    int64
	Time      time.Time // when it was dead-lettered
	Key       []byte
	Value     []byte
	Headers   []kafka.Header

	OriginalTopic     string
	OriginalPartition string // as in the header; "" when absent
	OriginalOffset    string
	Consumer          string // the consumer group that gave up on it
	Reason            string
}

// dlqHeaders are the headers the consumer adds; replay removes them.
var dlqHeaders = []string{events.HeaderDLQReason, events.HeaderDLQTopic, events.HeaderDLQPartition,
	events.HeaderDLQOffset, events.HeaderDLQConsumer}

func toMessage(m kafka.Message) Message {
	h := func(k string) string {
		for _, x := range m.Headers {
			if x.Key == k {
				return string(x.Value)
			}
		}
		return ""
	}
	return Message{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset, Time: m.Time, Key: m.Key, Value: m.Value,
		Headers: m.Headers, OriginalTopic: h(events.HeaderDLQTopic), OriginalPartition: h(events.HeaderDLQPartition),
		OriginalOffset: h(events.HeaderDLQOffset), Consumer: h(events.HeaderDLQConsumer), Reason: h(events.HeaderDLQReason)}
}

// span is the readable offsets of one partition, and what the replay
// group committed on it (-1: nothing).
type span struct {
	partition       int
	first, end      int64 // [first, end)
	committed       int64
	hasMessagesFrom int64 // max(first, committed) for replay
}

// spans returns the partitions of topic with their offsets.
func (c *Client) spans(ctx context.Context, topic string) ([]span, error) {
	cl := &kafka.Client{Addr: kafka.TCP(c.brokers...), Timeout: 10 * time.Second, Transport: c.trans}
	md, err := cl.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return nil, fmt.Errorf("dlq: metadata of %s: %w", topic, err)
	}
	var parts []int
	for _, t := range md.Topics {
		if t.Error != nil {
			return nil, fmt.Errorf("dlq: topic %s: %w", topic, t.Error)
		}
		for _, p := range t.Partitions {
			parts = append(parts, p.ID)
		}
	}
	sort.Ints(parts)
	req := &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{}}
	for _, p := range parts {
		req.Topics[topic] = append(req.Topics[topic], kafka.FirstOffsetOf(p), kafka.LastOffsetOf(p))
	}
	offs, err := cl.ListOffsets(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("dlq: offsets of %s: %w", topic, err)
	}
	fetch, err := cl.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: c.group, Topics: map[string][]int{topic: parts}})
	if err == nil && fetch.Error != nil && !errors.Is(fetch.Error, kafka.GroupIdNotFound) {
		err = fetch.Error // a group that never committed is no error: nothing replayed yet
	}
	if err != nil {
		return nil, fmt.Errorf("dlq: offsets of group %s on %s: %w", c.group, topic, err)
	}
	committed := map[int]int64{}
	for _, p := range fetch.Topics[topic] {
		if p.Error == nil {
			committed[p.Partition] = p.CommittedOffset
		}
	}
	var out []span
	for _, p := range offs.Topics[topic] {
		if p.Error != nil {
			return nil, fmt.Errorf("dlq: offsets of %s/%d: %w", topic, p.Partition, p.Error)
		}
		s := span{partition: p.Partition, first: p.FirstOffset, end: p.LastOffset, committed: -1}
		if off, ok := committed[p.Partition]; ok {
			s.committed = off
		}
		s.hasMessagesFrom = max(s.first, s.committed)
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].partition < out[j].partition })
	return out, nil
}

// read returns the messages of topic/partition in [from, end).
func (c *Client) read(ctx context.Context, topic string, partition int, from, end int64) ([]kafka.Message, error) {
	if from >= end {
		return nil, nil
	}
	var (
		conn *kafka.Conn
		err  error
	)
	for _, b := range c.brokers { // any live bootstrap broker finds the leader
		if conn, err = c.dialer.DialLeader(ctx, "tcp", b, topic, partition); err == nil {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("dlq: connect to the leader of %s/%d: %w", topic, partition, err)
	}
	defer conn.Close()
	if _, err := conn.Seek(from, kafka.SeekAbsolute); err != nil {
		return nil, fmt.Errorf("dlq: seek %s/%d to %d: %w", topic, partition, from, err)
	}
	var out []kafka.Message
	for next := from; next < end; {
		deadline := time.Now().Add(10 * time.Second)
		if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
			deadline = d
		}
		_ = conn.SetReadDeadline(deadline)
		m, err := conn.ReadMessage(10 << 20)
		if err != nil {
			return nil, fmt.Errorf("dlq: read %s/%d at %d: %w", topic, partition, next, err)
		}
		if m.Offset >= end {
			break
		}
		m.Topic, m.Partition = topic, partition
		out = append(out, m)
		next = m.Offset + 1
	}
	return out, nil
}

// Read returns every message of the DLQ topic, in partition then offset
// order.
func (c *Client) Read(ctx context.Context, topic string) ([]Message, error) {
	spans, err := c.spans(ctx, topic)
	if err != nil {
		return nil, err
	}
	var out []Message
	for _, s := range spans {
		ms, err := c.read(ctx, topic, s.partition, s.first, s.end)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			out = append(out, toMessage(m))
		}
	}
	return out, nil
}

// Summary is one DLQ topic at a glance.
type Summary struct {
	Topic          string
	Count          int
	Oldest, Newest time.Time // zero when empty
	Pending        int       // not replayed yet by the group
	Reasons        []Reason  // most frequent first
}

// Reason is how many messages gave one reason (grouped by ReasonGroup).
type Reason struct {
	Reason string
	Count  int
}

// List summarises each topic.
func (c *Client) List(ctx context.Context, topics []string) ([]Summary, error) {
	var out []Summary
	for _, t := range topics {
		spans, err := c.spans(ctx, t)
		if err != nil {
			return nil, err
		}
		s := Summary{Topic: t}
		reasons := map[string]int{}
		for _, sp := range spans {
			ms, err := c.read(ctx, t, sp.partition, sp.first, sp.end)
			if err != nil {
				return nil, err
			}
			for _, km := range ms {
				m := toMessage(km)
				s.Count++
				if km.Offset >= sp.hasMessagesFrom {
					s.Pending++
				}
				reasons[ReasonGroup(m.Reason)]++
				if s.Oldest.IsZero() || m.Time.Before(s.Oldest) {
					s.Oldest = m.Time
				}
				if m.Time.After(s.Newest) {
					s.Newest = m.Time
				}
			}
		}
		for r, n := range reasons {
			s.Reasons = append(s.Reasons, Reason{Reason: r, Count: n})
		}
		slices.SortFunc(s.Reasons, func(a, b Reason) int {
			if a.Count != b.Count {
				return b.Count - a.Count
			}
			return strings.Compare(a.Reason, b.Reason)
		})
		out = append(out, s)
	}
	return out, nil
}

var (
	uuidRe   = regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`)
	quotedRe = regexp.MustCompile(`"[^"]*"`)
)

// ReasonGroup is reason with event ids and quoted values replaced, so
// that "event OrderReady 01a2...: unknown order "o-1"" and the same for
// another order count as one reason.
func ReasonGroup(reason string) string {
	return quotedRe.ReplaceAllString(uuidRe.ReplaceAllString(reason, "<id>"), `"..."`)
}

// ReplayOptions selects what Replay re-publishes.
type ReplayOptions struct {
	Topics []string      // DLQ topics (Topics resolves them)
	Since  time.Duration // > 0: only messages dead-lettered within this long before Now
	DryRun bool          // report, send and commit nothing
	Now    time.Time     // default time.Now()
}

// ReplayResult says what happened to each message looked at.
type ReplayResult struct {
	Replayed []Message // re-published (or, with DryRun, would be)
	Skipped  []Message // older than Since
}

// Replay re-publishes the messages of opts.Topics that the group has not
// replayed yet to their original topics, then commits the group's offsets
// (see the package comment). Messages are sent in partition and offset
// order with the key they had, so one order's events keep their order.
func (c *Client) Replay(ctx context.Context, opts ReplayOptions) (ReplayResult, error) {
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	var res ReplayResult
	w := &kafka.Writer{Addr: kafka.TCP(c.brokers...), Balancer: &kafka.Hash{}, RequiredAcks: kafka.RequireAll,
		BatchTimeout: time.Millisecond, MaxAttempts: 10, Transport: c.trans}
	defer w.Close()
	cl := &kafka.Client{Addr: kafka.TCP(c.brokers...), Timeout: 10 * time.Second, Transport: c.trans}
	for _, topic := range opts.Topics {
		original := strings.TrimSuffix(topic, ".dlq")
		spans, err := c.spans(ctx, topic)
		if err != nil {
			return res, err
		}
		var (
			out     []kafka.Message
			commits []kafka.OffsetCommit
			sel     []Message
		)
		for _, sp := range spans {
			ms, err := c.read(ctx, topic, sp.partition, sp.hasMessagesFrom, sp.end)
			if err != nil {
				return res, err
			}
			for _, km := range ms {
				m := toMessage(km)
				if opts.Since > 0 && m.Time.Before(now.Add(-opts.Since)) {
					res.Skipped = append(res.Skipped, m)
					continue
				}
				sel = append(sel, m)
				out = append(out, kafka.Message{Topic: original, Key: m.Key, Value: m.Value, Headers: withoutDLQHeaders(m.Headers)})
			}
			if sp.end > sp.hasMessagesFrom {
				commits = append(commits, kafka.OffsetCommit{Partition: sp.partition, Offset: sp.end})
			}
		}
		if opts.DryRun {
			res.Replayed = append(res.Replayed, sel...)
			continue
		}
		if len(out) > 0 {
			if err := w.WriteMessages(ctx, out...); err != nil {
				return res, fmt.Errorf("dlq: re-publish %d messages of %s to %s (nothing committed; a new replay sends them again): %w",
					len(out), topic, original, err)
			}
		}
		res.Replayed = append(res.Replayed, sel...)
		if len(commits) == 0 {
			continue
		}
		resp, err := cl.OffsetCommit(ctx, &kafka.OffsetCommitRequest{GroupID: c.group, GenerationID: -1,
			Topics: map[string][]kafka.OffsetCommit{topic: commits}})
		if err == nil {
			for _, p := range resp.Topics[topic] {
				if p.Error != nil {
					err = fmt.Errorf("partition %d: %w", p.Partition, p.Error)
					break
				}
			}
		}
		if err != nil {
			return res, fmt.Errorf("dlq: %d messages of %s were re-published but the offsets of group %s were not committed (a new replay sends them again, the inbox drops the copies): %w",
				len(out), topic, c.group, err)
		}
	}
	return res, nil
}

// IsDLQHeader reports whether key is one of the headers the consumer adds
// when it dead-letters a message.
func IsDLQHeader(key string) bool { return slices.Contains(dlqHeaders, key) }

// withoutDLQHeaders is h minus the headers the consumer added.
func withoutDLQHeaders(h []kafka.Header) []kafka.Header {
	var out []kafka.Header
	for _, x := range h {
		if !IsDLQHeader(x.Key) {
			out = append(out, x)
		}
	}
	return out
}

// From formats where a message was consumed from: "partition@offset",
// "?" for a missing header.
func (m Message) From() string {
	return or(m.OriginalPartition, "?") + "@" + or(m.OriginalOffset, "?")
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
