package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/bloody-sweet/platform/internal/cliexit"
	"github.com/bloody-sweet/platform/services/stack"
)

func init() {
	subcommands = append(subcommands, func() *cobra.Command {
		var (
			dataDir string
			port    int
		)
		cmd := &cobra.Command{
			Use:   "kafka",
			Short: "Run the embedded Kafka broker (kfake) as a standalone process",
			Long: "Runs a one-broker Kafka-compatible broker with every platform topic (12 partitions), for running\n" +
				"the services as separate processes (KAFKA_BROKERS=127.0.0.1:PORT). With --data-dir the log\n" +
				"survives restarts.",
			Args: badArgs(cobra.NoArgs),
			RunE: func(cmd *cobra.Command, _ []string) error {
				if port < 0 || port > 65535 {
					return cliexit.BadInputf("--port %d: want 0..65535", port)
				}
				b, err := stack.StartBroker(port, dataDir)
				if err != nil {
					return err
				}
				defer b.Close()
				fmt.Fprintf(cmd.OutOrStdout(), "kafka broker listening on %s (data dir %q); Ctrl-C to stop\n", b.Addrs()[0], dataDir)
				<-cmd.Context().Done()
				return nil
			},
		}
		cmd.Flags().StringVar(&dataDir, "data-dir", "", "directory that keeps the broker's log across restarts (default: memory only)")
		cmd.Flags().IntVar(&port, "port", 9092, "listen port (0 picks a free port)")
		return cmd
	})
}
