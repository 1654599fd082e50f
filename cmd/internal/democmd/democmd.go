// Package democmd is the demo command, shared by `platform demo` and the
// small cmd/demo binary that `make demo` runs: cmd/demo links only the
// services and this package, so a first `make demo` on a machine with an
// empty Go build cache does not compile the whole CLI (Helm, OPA, CUE,
// Kubernetes clients) to run six services.
package democmd

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/bloody-sweet/platform/internal/cliexit"
	"github.com/bloody-sweet/platform/internal/devstack"
	"github.com/bloody-sweet/platform/services/stack"
)

// New returns the demo command. Progress goes to stderr, the result (the
// table and the verdict) to stdout, so `make demo > result.txt` keeps the
// result alone.
func New() *cobra.Command {
	var (
		orders  int
		timeout time.Duration
		seed    int64
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the six order services in one process on embedded defaults and place orders",
		Long: "Starts the order, payment, store, delivery, notification and eta services in this process on the\n" +
			"embedded broker, SQLite and Redis and runs the demo's load scenario on them\n" +
			"(tests/load/scenarios/demo.json: customers in a closed loop, each placing its next order when\n" +
			"the previous one is answered; one order in ten is cancelled right after placing and one revised),\n" +
			"then prints how many orders reached each terminal state, as the order API reports them, the\n" +
			"placed -> delivered latency and how the changes were answered. Progress goes to stderr, the\n" +
			"result to stdout. Exits 0 only if every order was placed and reached DELIVERED or CANCELLED and\n" +
			"every change was answered (a 409 is an answer).",
		Args: func(cmd *cobra.Command, args []string) error {
			return cliexit.WrapBadInput(cobra.NoArgs(cmd, args))
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			if orders < 1 || orders > 1_000_000 {
				return cliexit.BadInputf("--orders %d: want 1..1000000", orders)
			}
			if timeout <= 0 {
				return cliexit.BadInputf("--timeout %v: want a positive duration", timeout)
			}
			sc, err := devstack.DemoScenario(orders, timeout, seed)
			if err != nil {
				return err
			}
			out, progress := cmd.OutOrStdout(), cmd.ErrOrStderr()
			ctx := cmd.Context()
			fmt.Fprintln(progress, "starting the local stack (embedded Kafka, SQLite, Redis)...")
			st, err := stack.Start(ctx, stack.Config{})
			if err != nil {
				return err
			}
			defer func() {
				cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
				defer cancel()
				_ = st.Close(cctx)
			}()
			fmt.Fprintf(progress, "placing %d orders at %s, %d customers in a closed loop\n", orders, st.OrderURL, sc.Stages[0].Clients)
			res, err := devstack.RunDemo(ctx, st, sc, progress)
			if err != nil {
				return err
			}
			res.WriteTable(out)
			if !res.AllTerminal() {
				return cliexit.Failedf("demo: %d of %d orders did not reach a terminal state", orders-res.Terminal(), orders)
			}
			fmt.Fprintln(out, "every order reached a terminal state")
			return nil
		},
	}
	cmd.Flags().IntVar(&orders, "orders", 500, "orders to place")
	cmd.Flags().DurationVar(&timeout, "timeout", 40*time.Second, "time allowed to place the orders, and then for every order to reach a terminal state")
	cmd.Flags().Int64Var(&seed, "seed", 1, "seed of the generated orders")
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return cliexit.WrapBadInput(err) })
	return cmd
}
