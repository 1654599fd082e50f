package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/bloody-sweet/platform/internal/cliexit"
	"github.com/bloody-sweet/platform/internal/dlq"
)

func init() { subcommands = append(subcommands, newDLQCmd) }

// dlqFlags are the connection flags of every dlq subcommand, named like
// the services' (KAFKA_BROKERS, KAFKA_TLS, KAFKA_SASL, KAFKA_USERNAME); the
// SCRAM password is read from $KAFKA_PASSWORD only, never a flag.
type dlqFlags struct {
	brokers      []string
	tls          bool
	sasl, user   string
	topic, group string
	since        time.Duration
	dryRun       bool
	limit        int
}

func (f *dlqFlags) client(cmd *cobra.Command) (*dlq.Client, []string, error) {
	topics, err := dlq.Topics(f.topic)
	if err != nil {
		return nil, nil, cliexit.WrapBadInput(fmt.Errorf("--topic: %w", err))
	}
	brokers := f.brokers
	if len(brokers) == 0 {
		for _, b := range strings.Split(os.Getenv("KAFKA_BROKERS"), ",") {
			if b = strings.TrimSpace(b); b != "" {
				brokers = append(brokers, b)
			}
		}
	}
	if len(brokers) == 0 {
		return nil, nil, cliexit.BadInputf("--kafka-brokers (or $KAFKA_BROKERS) is required")
	}
	c, err := dlq.New(cmd.Context(), dlq.Config{Brokers: brokers, TLS: f.tls, SASL: f.sasl, Username: f.user,
		Password: os.Getenv("KAFKA_PASSWORD"), Group: f.group})
	if errors.Is(err, dlq.ErrBadConfig) {
		return nil, nil, cliexit.WrapBadInput(err)
	}
	return c, topics, err
}

func newDLQCmd() *cobra.Command {
	f := &dlqFlags{}
	cmd := &cobra.Command{
		Use:   "dlq",
		Short: "List, show and replay the services' dead-letter topics (<topic>.dlq)",
		Long: `Operators' view of the dead-letter topics. A message lands in <topic>.dlq only when a service
proved it can never succeed as it is (undecodable, invalid, an unknown order); its headers say
why (dlq_reason), where it came from (dlq_original_topic, _partition, _offset) and which
consumer group gave up (dlq_consumer).

  list     per DLQ topic: count, oldest/newest, not yet replayed, reasons grouped
  show     the messages with their headers and pretty-printed value
  replay   re-publish to the original topic with the original key and headers (minus dlq_*)

replay commits the offsets of consumer group --group (default ` + dlq.DefaultGroup + `) on the DLQ
after the broker acknowledged the re-published messages, so a second replay does not send
them again; the services' inbox makes a repeated delivery harmless. Exit 2 on an unknown
--topic or a bad flag.`,
		Args: badArgs(cobra.NoArgs),
	}
	pf := cmd.PersistentFlags()
	pf.StringSliceVar(&f.brokers, "kafka-brokers", nil, "Kafka bootstrap brokers (default $KAFKA_BROKERS)")
	pf.BoolVar(&f.tls, "kafka-tls", false, "connect over TLS (MSK)")
	pf.StringVar(&f.sasl, "kafka-sasl", "", "SASL mechanism: aws-msk-iam (your AWS credentials), scram-sha-512 or empty")
	pf.StringVar(&f.user, "kafka-username", "", "SCRAM user (password from $KAFKA_PASSWORD)")
	pf.StringVar(&f.topic, "topic", "", "one DLQ topic (or the topic it belongs to); default every platform DLQ")
	pf.StringVar(&f.group, "group", dlq.DefaultGroup, "consumer group that records on the DLQs what replay re-published")

	list := &cobra.Command{
		Use:   "list",
		Short: "Per DLQ topic: messages, oldest and newest, not yet replayed, reasons grouped",
		Args:  badArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, topics, err := f.client(cmd)
			if err != nil {
				return err
			}
			sums, err := c.List(cmd.Context(), topics)
			if err != nil {
				return err
			}
			printSummaries(cmd.OutOrStdout(), sums)
			return nil
		},
	}
	show := &cobra.Command{
		Use:   "show",
		Short: "The dead letters with their headers and pretty-printed value",
		Args:  badArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.limit < 0 {
				return cliexit.BadInputf("--limit %d: want 0 (all) or more", f.limit)
			}
			c, topics, err := f.client(cmd)
			if err != nil {
				return err
			}
			shown := 0
			for _, t := range topics {
				ms, err := c.Read(cmd.Context(), t)
				if err != nil {
					return err
				}
				for _, m := range ms {
					if f.limit > 0 && shown == f.limit {
						return nil
					}
					printMessage(cmd.OutOrStdout(), m)
					shown++
				}
			}
			if shown == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "no dead letters")
			}
			return nil
		},
	}
	show.Flags().IntVar(&f.limit, "limit", 0, "show at most this many messages (0: all)")
	replay := &cobra.Command{
		Use:   "replay [--topic T] [--since D] [--dry-run]",
		Short: "Re-publish the dead letters not replayed yet to their original topics",
		Args:  badArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.since < 0 {
				return cliexit.BadInputf("--since %s: want a positive duration such as 2h", f.since)
			}
			c, topics, err := f.client(cmd)
			if err != nil {
				return err
			}
			res, err := c.Replay(cmd.Context(), dlq.ReplayOptions{Topics: topics, Since: f.since, DryRun: f.dryRun})
			w := cmd.OutOrStdout()
			verb := "replayed"
			if f.dryRun {
				verb = "would replay"
			}
			for _, m := range res.Replayed {
				fmt.Fprintf(w, "%s %s %d@%d -> %s key %s (%s)\n", verb, m.Topic, m.Partition, m.Offset,
					strings.TrimSuffix(m.Topic, ".dlq"), m.Key, m.Reason)
			}
			fmt.Fprintf(w, "%s %d message(s)", verb, len(res.Replayed))
			if f.since > 0 {
				fmt.Fprintf(w, "; passed over %d dead-lettered before the last %s", len(res.Skipped), f.since)
			}
			if f.dryRun {
				fmt.Fprint(w, "; dry run: nothing sent, nothing committed")
			}
			fmt.Fprintln(w)
			return err
		},
	}
	replay.Flags().DurationVar(&f.since, "since", 0, "only messages dead-lettered within this long, e.g. 2h (older ones are passed over for good)")
	replay.Flags().BoolVar(&f.dryRun, "dry-run", false, "print what would be replayed; send and commit nothing")
	cmd.AddCommand(list, show, replay)
	for _, c := range cmd.Commands() {
		c.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return cliexit.WrapBadInput(err) })
	}
	return cmd
}

func printSummaries(w io.Writer, sums []dlq.Summary) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TOPIC\tMESSAGES\tNOT REPLAYED\tOLDEST\tNEWEST")
	for _, s := range sums {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\n", s.Topic, s.Count, s.Pending, stamp(s.Oldest), stamp(s.Newest))
	}
	_ = tw.Flush()
	for _, s := range sums {
		if len(s.Reasons) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s reasons:\n", s.Topic)
		for i, r := range s.Reasons {
			if i == 10 {
				fmt.Fprintf(w, "  ... %d more reasons\n", len(s.Reasons)-10)
				break
			}
			fmt.Fprintf(w, "  %6d  %s\n", r.Count, or(r.Reason, "(no dlq_reason header)"))
		}
	}
}

func printMessage(w io.Writer, m dlq.Message) {
	fmt.Fprintf(w, "%s %d@%d  %s  key %q\n", m.Topic, m.Partition, m.Offset, stamp(m.Time), m.Key)
	fmt.Fprintf(w, "  original: %s %s (partition@offset), consumer group %s\n", or(m.OriginalTopic, "?"), m.From(), or(m.Consumer, "?"))
	fmt.Fprintf(w, "  reason:   %s\n", or(m.Reason, "?"))
	for _, h := range m.Headers {
		if !dlq.IsDLQHeader(h.Key) {
			fmt.Fprintf(w, "  header:   %s=%s\n", h.Key, h.Value)
		}
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, m.Value, "    ", "  ") == nil {
		fmt.Fprintf(w, "  value:\n    %s\n", pretty.String())
	} else {
		fmt.Fprintf(w, "  value (not JSON, %d bytes): %q\n", len(m.Value), truncate(m.Value, 2048))
	}
	fmt.Fprintln(w)
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func truncate(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}
