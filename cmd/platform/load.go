package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/bloody-sweet/platform/internal/cliexit"
	"github.com/bloody-sweet/platform/internal/load"
	"github.com/bloody-sweet/platform/internal/load/harness"
	"github.com/bloody-sweet/platform/internal/load/report"
	"github.com/bloody-sweet/platform/internal/load/scenario"
	"github.com/bloody-sweet/platform/services/devissuer"
	"github.com/bloody-sweet/platform/services/stack"
)

func init() { subcommands = append(subcommands, newLoadCmd) }

func newLoadCmd() *cobra.Command {
	var (
		file, target, notifications, out string
		brokers                          []string
		embedded, raw                    bool
		oauth                            load.OAuth
		scopes                           string
		devKey                           string
		admissionMax                     int
		pprofAddr, stackLog              string
	)
	cmd := &cobra.Command{
		Use:   "load --scenario FILE (--target URL | --embedded)",
		Short: "Run a load scenario against the order pipeline and a raw kafka-go baseline",
		Long: `Sends orders at the scenario's constant arrival rates (open model: latency is measured
from the intended send time), follows each order to DELIVERED on the notification
service's status stream, then runs the same schedule through 4 kafka-go topic hops as the
baseline. Writes summary.json, summary.md and chart.png into the results folder.
Exit 1 when a threshold fails, 2 on a bad scenario file or flags.`,
		Args: badArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if file == "" {
				return cliexit.BadInputf("--scenario is required")
			}
			if embedded == (target != "") {
				return cliexit.BadInputf("give exactly one of --target URL or --embedded")
			}
			if oauth.Enabled() {
				if embedded {
					return cliexit.BadInputf("--oauth-token-url is for --target: the embedded stack mints its own tokens")
				}
				if err := oauth.CheckTokenURL(); err != nil {
					return cliexit.WrapBadInput(err)
				}
				if oauth.ClientID == "" || os.Getenv(load.ClientSecretEnv) == "" {
					return cliexit.BadInputf("--oauth-token-url needs --oauth-client-id and the client secret in $%s", load.ClientSecretEnv)
				}
				oauth.Scopes = load.ParseScopes(scopes)
			}
			if devKey != "" && (embedded || oauth.Enabled()) {
				return cliexit.BadInputf("--dev-issuer-key is for --target without --oauth-token-url")
			}
			sc, err := scenario.Load(file)
			if err != nil {
				return cliexit.WrapBadInput(err) // names the file, line and field
			}
			if out == "" {
				out = filepath.Join("tests", "load", "results", sc.Name+"-"+time.Now().UTC().Format("20060102T150405Z"))
			}
			cfg := harness.Config{Scenario: sc, Raw: raw, OutDir: out, Progress: cmd.ErrOrStderr(), Brokers: brokers,
				BrokersName: strings.Join(brokers, ","), OAuth: oauth}
			ctx := cmd.Context()
			if pprofAddr != "" {
				stop, err := servePprof(pprofAddr, cmd.ErrOrStderr())
				if err != nil {
					return cliexit.WrapBadInput(err)
				}
				defer stop()
			}
			if embedded {
				if admissionMax < 0 {
					return cliexit.BadInputf("--admission-max-in-flight %d: must be 0 (off) or more", admissionMax)
				}
				// The five services in this process on embedded defaults,
				// the order API admitting new orders below admissionMax in
				// flight (0: all); their logs are discarded so the progress
				// lines stay readable.
				adm := stack.AdmissionDefaults()
				adm.MaxInFlight = admissionMax
				scfg := stack.Config{Admission: &adm}
				if stackLog != "" {
					lf, err := os.Create(stackLog)
					if err != nil {
						return cliexit.WrapBadInput(fmt.Errorf("--stack-log: %w", err))
					}
					defer lf.Close()
					scfg.LogWriter, scfg.LogLevel = lf, "info"
				}
				st, err := stack.Start(ctx, scfg)
				if err != nil {
					return fmt.Errorf("start embedded stack: %w", err)
				}
				defer func() {
					closeCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
					defer cancel()
					if err := st.Close(closeCtx); err != nil {
						fmt.Fprintln(cmd.ErrOrStderr(), "platform load: stop embedded stack:", err)
					}
				}()
				cfg.OrderURL, cfg.NotificationURL, cfg.TargetName = st.OrderURL, st.NotificationURL, "embedded stack"
				cfg.Brokers, cfg.BrokersName = st.Brokers, "the embedded stack's broker"
				cfg.Issuer = st.Issuer.Signer
			} else {
				if cmd.Flags().Changed("admission-max-in-flight") {
					return cliexit.BadInputf("--admission-max-in-flight is for --embedded: a deployed order API reads ADMISSION_MAX_IN_FLIGHT from its model")
				}
				if notifications == "" {
					notifications = target
				}
				cfg.OrderURL, cfg.NotificationURL, cfg.TargetName = target, notifications, target
				if devKey != "" {
					// A local stack (`platform dev`, the fault suite's
					// processes) trusts this issuer: each order is its
					// customer's, as with --embedded.
					signer, err := devissuer.ReadFile(devKey)
					if err != nil {
						return cliexit.WrapBadInput(err)
					}
					cfg.Issuer = signer
				}
			}
			s, err := harness.Run(ctx, cfg)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			for _, c := range s.Checks {
				fmt.Fprintln(w, c)
			}
			for _, c := range s.Comparison {
				if c.Stage == "total" {
					fmt.Fprintf(w, "sustained: pipeline finished %.1f orders/s, raw kafka-go %.1f msgs/s on the same schedule: ratio %.2f\n",
						c.PipelineFinished, c.RawFinished, c.ThroughputRatio)
				}
			}
			fmt.Fprintf(w, "results: %s (%s, %s, %s)\n", out, report.MarkdownFile, report.JSONFile, report.ChartFile)
			if !s.Passed {
				return cliexit.Failedf("scenario %s: thresholds failed", sc.Name)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&file, "scenario", "", "scenario file (tests/load/scenarios/*.json)")
	f.StringVar(&target, "target", "", "base URL of the order API of a deployed environment")
	f.StringVar(&notifications, "notifications", "", "base URL of the notification service (default: --target)")
	f.BoolVar(&embedded, "embedded", false, "start the five services in this process on embedded defaults and load them")
	f.StringSliceVar(&brokers, "kafka-brokers", nil, "Kafka brokers for the raw baseline with --target (default: an in-process broker)")
	deprecatedAlias(f, "brokers", "kafka-brokers")
	f.BoolVar(&raw, "raw", true, "also run the raw kafka-go baseline through 4 topic hops on the same schedule")
	f.StringVar(&oauth.TokenURL, "oauth-token-url", "", "with --target: OAuth 2.0 token endpoint for a client-credentials bearer token (the environment's Cognito domain + /oauth2/token)")
	f.StringVar(&oauth.ClientID, "oauth-client-id", "", "client id for --oauth-token-url (the operators' machine client); its secret is read from $"+load.ClientSecretEnv)
	f.StringVar(&scopes, "oauth-scopes", "orders/stream.all", "scopes to request with --oauth-token-url (comma-separated)")
	f.StringVar(&devKey, "dev-issuer-key", "", "with --target: the signer file of a local dev issuer (platform dev writes "+devissuer.KeyFile+"); orders are placed with each customer's token")
	f.IntVar(&admissionMax, "admission-max-in-flight", stack.AdmissionDefaults().MaxInFlight, "with --embedded: the order API refuses new orders (503) while this many are in flight; 0 turns admission control off")
	f.StringVar(&pprofAddr, "pprof", "", "serve net/http/pprof (with block and mutex profiling on) on this address, e.g. 127.0.0.1:6060, to profile the embedded stack under load")
	f.StringVar(&stackLog, "stack-log", "", "with --embedded: write the services' JSON logs (level info) to this file instead of discarding them")
	f.StringVar(&out, "out", "", "results folder (default tests/load/results/<scenario>-<UTC time>)")
	return cmd
}
