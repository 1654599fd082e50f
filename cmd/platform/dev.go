package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/bloody-sweet/platform/internal/cliexit"
	"github.com/bloody-sweet/platform/internal/devstack"
)

func init() {
	subcommands = append(subcommands, func() *cobra.Command {
		var (
			cfg     devstack.Config
			brokers []string
			quiet   bool
		)
		cmd := &cobra.Command{
			Use:   "dev",
			Short: "Run the five order services in one process and keep them running, printing URLs",
			Long: "Starts the local stack (embedded Kafka, SQLite and Redis unless --kafka-brokers, --database-url\n" +
				"or --redis-url name real ones), prints each service's URL and runs until interrupted.",
			Args: badArgs(cobra.NoArgs),
			RunE: func(cmd *cobra.Command, _ []string) error {
				if cfg.BasePort < 0 || cfg.BasePort > 65530 {
					return cliexit.BadInputf("--base-port %d: want 0..65530", cfg.BasePort)
				}
				cfg.Brokers = brokers
				if !quiet {
					cfg.LogWriter, cfg.LogLevel = os.Stderr, "info"
				}
				ctx := cmd.Context()
				st, err := devstack.Start(ctx, cfg)
				if err != nil {
					return err
				}
				out := cmd.OutOrStdout()
				fmt.Fprintln(out, "local order platform is running (Ctrl-C to stop):")
				for _, name := range []string{"order", "payment", "store", "delivery", "notification"} {
					fmt.Fprintf(out, "  %-13s %s   (/healthz /readyz; /metrics on %s)\n", name, st.URLs[name], st.MetricsURLs[name])
				}
				fmt.Fprintf(out, "  kafka         %v\n", st.Brokers)
				fmt.Fprintf(out, "\ntry:\n  curl -s -XPOST %s/v1/orders -H 'Content-Type: application/json' -H 'Idempotency-Key: k1' -d '{\"customer_id\":\"c-1\",\"store_id\":\"store-1\",\"items\":[{\"sku\":\"pizza-margherita\",\"quantity\":1}],\"address\":{\"street\":\"1 Main St\",\"city\":\"Springfield\",\"postcode\":\"12345\"}}'\n", st.OrderURL)
				fmt.Fprintf(out, "  curl -N %s/v1/stream\n", st.NotificationURL)
				<-ctx.Done()
				fmt.Fprintln(out, "stopping...")
				cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
				defer cancel()
				return st.Close(cctx)
			},
		}
		f := cmd.Flags()
		f.StringSliceVar(&brokers, "kafka-brokers", nil, "Kafka bootstrap brokers (default: embedded broker)")
		f.StringVar(&cfg.DatabaseURL, "database-url", "", "postgres://... or sqlite://path shared by the services (default: in-memory SQLite each)")
		f.StringVar(&cfg.RedisURL, "redis-url", "", "redis://host:port (default: embedded Redis)")
		f.StringVar(&cfg.DataDir, "data-dir", "", "keep embedded Kafka and SQLite data in this directory across restarts")
		f.StringVar(&cfg.OTLPEndpoint, "otlp-endpoint", os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT"), "OTLP/HTTP collector URL for the services' spans, e.g. http://localhost:4318 (default: $OTEL_EXPORTER_OTLP_ENDPOINT; empty exports nothing)")
		f.IntVar(&cfg.BasePort, "base-port", 8080, "first HTTP port (services take consecutive ports; 0 picks free ports)")
		f.BoolVar(&quiet, "quiet", false, "do not print the services' JSON logs")
		return cmd
	})
}
