package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/bloody-sweet/platform/internal/cliexit"
	"github.com/bloody-sweet/platform/services/devissuer"
	"github.com/bloody-sweet/platform/services/stack"
)

func init() {
	subcommands = append(subcommands, func() *cobra.Command {
		var (
			cfg     stack.Config
			brokers []string
			quiet   bool
		)
		cmd := &cobra.Command{
			Use:   "dev",
			Short: "Run the six order services in one process and keep them running, printing URLs",
			Long: "Starts the local stack (embedded Kafka, SQLite and Redis unless --kafka-brokers, --database-url\n" +
				"or --redis-url name real ones), prints each service's URL and runs until interrupted.\n" +
				"Authentication is on, as in a cluster: the order API and the streams accept tokens of a local issuer\n" +
				"(port base+5); `platform dev token --customer ID` prints one.",
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
				st, err := stack.Start(ctx, cfg)
				if err != nil {
					return err
				}
				// `platform dev token` signs with this issuer's key: it is
				// written where that command looks, readable by this user only.
				keyFile := devissuer.KeyPath(cfg.DataDir)
				if err := st.Issuer.WriteFile(keyFile); err != nil {
					_ = st.Close(context.WithoutCancel(ctx))
					return err
				}
				defer os.Remove(keyFile)
				out := cmd.OutOrStdout()
				fmt.Fprintln(out, "local order platform is running (Ctrl-C to stop):")
				for _, name := range []string{"order", "payment", "store", "delivery", "notification"} {
					fmt.Fprintf(out, "  %-13s %s   (/healthz /readyz; /metrics on %s)\n", name, st.URLs[name], st.MetricsURLs[name])
				}
				fmt.Fprintf(out, "  kafka         %v\n", st.Brokers)
				fmt.Fprintf(out, "  issuer        %s   (tokens: platform dev token --customer ID [--scope S]%s)\n", st.Issuer.Issuer, dataDirFlag(cfg.DataDir))
				fmt.Fprintf(out, "\ntry:\n  TOKEN=$(go run ./cmd/platform dev token --customer c-1%s)\n", dataDirFlag(cfg.DataDir))
				fmt.Fprintf(out, "  curl -s -XPOST %s/v1/orders -H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' -H 'Idempotency-Key: k1' -d '{\"store_id\":\"store-1\",\"items\":[{\"sku\":\"pizza-margherita\",\"quantity\":1}],\"address\":{\"street\":\"1 Main St\",\"city\":\"Springfield\",\"postcode\":\"12345\"}}'\n", st.OrderURL)
				fmt.Fprintf(out, "  curl -s -H \"Authorization: Bearer $TOKEN\" %s/v1/orders\n", st.OrderURL)
				fmt.Fprintf(out, "  curl -N -H \"Authorization: Bearer $(go run ./cmd/platform dev token --customer ops --scope %s%s)\" %s/v1/stream\n", devissuer.StreamAllScope, dataDirFlag(cfg.DataDir), st.NotificationURL)
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
		cmd.AddCommand(devTokenCmd())
		return cmd
	})
}

func dataDirFlag(dir string) string {
	if dir == "" {
		return ""
	}
	return " --data-dir " + dir
}

// devTokenCmd prints an access token of the running `platform dev`'s
// issuer, signed with the key that command wrote for its user.
func devTokenCmd() *cobra.Command {
	var (
		customer, dataDir string
		scopes            []string
		ttl               time.Duration
	)
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Print a bearer token of the running `platform dev` for a customer (or an operator, with --scope)",
		Long: "Signs a Cognito-shaped access token (sub = --customer, scope = --scope ...) with the key of the\n" +
			"local issuer that `platform dev` started and wrote to its state directory (--data-dir, same as dev's).\n" +
			"Operator scopes: " + devissuer.StreamAllScope + " (GET /v1/stream, any order's stream), " +
			devissuer.StoreReadScope + " (GET /v1/orders?store=, any order).",
		Args: badArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if customer == "" {
				return cliexit.BadInputf("--customer is required (the token's subject)")
			}
			if ttl <= 0 || ttl > devissuer.MaxTTL {
				return cliexit.BadInputf("--ttl %s: want more than 0 and at most %s", ttl, devissuer.MaxTTL)
			}
			s, err := devissuer.ReadFile(devissuer.KeyPath(dataDir))
			if err != nil {
				return err
			}
			tok, err := s.TokenTTL(customer, ttl, scopes...)
			if err != nil {
				return cliexit.WrapBadInput(err)
			}
			fmt.Fprintln(cmd.OutOrStdout(), tok)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&customer, "customer", "", "the token's subject: the customer (or operator) it speaks for")
	f.StringSliceVar(&scopes, "scope", nil, "scopes to grant (repeat or comma-separate)")
	f.StringVar(&dataDir, "data-dir", "", "the --data-dir `platform dev` runs with (default: its default)")
	f.DurationVar(&ttl, "ttl", devissuer.MaxTTL, "token lifetime (at most 1h)")
	return cmd
}
