// Command platform is the one CLI of the bloody-sweet platform: it renders the
// GitOps tree, checks it against policy, diffs it, and runs the order
// services locally. This file only wires commands; the work is in internal/.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/bloody-sweet/platform/internal/buildinfo"
	"github.com/bloody-sweet/platform/internal/cliexit"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := execute(ctx, newRootCmd())
	stop()
	if err != nil && !cliexit.IsSilent(err) {
		fmt.Fprintln(os.Stderr, "platform:", err)
	}
	os.Exit(cliexit.Code(err))
}

// execute runs the command line; usage errors come back as bad input (exit 2).
func execute(ctx context.Context, root *cobra.Command) error {
	cmd, err := root.ExecuteContextC(ctx)
	// cobra reports a missing required flag as a plain error and has no hook
	// for it; asking the command again tells that case from a failed run.
	if err != nil && cmd.ValidateRequiredFlags() != nil {
		err = cliexit.WrapBadInput(err)
	}
	return err
}

// subcommands is filled by init functions in this package, one file per
// command, so that adding a command touches only its own file.
var subcommands []func() *cobra.Command

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "platform",
		Short:         "Render, check and run the bloody-sweet order platform",
		SilenceUsage:  true,
		SilenceErrors: true,
		// --version: the one-line form of `platform version`.
		Version: buildinfo.Read().Short(),
	}
	root.SetVersionTemplate("platform {{.Version}}\n")
	// An unknown subcommand is a positional argument of the root: with Args
	// set cobra validates it like any command's (exit 2 through badArgs)
	// instead of its untyped legacy check. Run makes the root runnable so
	// that validation happens; bare `platform` prints the help as before.
	root.Args = badArgs(func(cmd *cobra.Command, args []string) error {
		if len(args) > 0 {
			err := fmt.Errorf("unknown command %q for %q", args[0], cmd.CommandPath())
			if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
				err = fmt.Errorf("%w; did you mean %s?", err, strings.Join(s, " or "))
			}
			return err
		}
		return nil
	})
	root.Run = func(cmd *cobra.Command, _ []string) { _ = cmd.Help() }
	root.SuggestionsMinimumDistance = 2
	// Usage errors (unknown flag, wrong arg count) are bad input: exit 2.
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return cliexit.WrapBadInput(err) })
	for _, sub := range subcommands {
		c := sub()
		c.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return cliexit.WrapBadInput(err) })
		root.AddCommand(c)
	}
	return root
}

// badArgs wraps a cobra positional-args validator so its errors exit 2.
func badArgs(v cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		return cliexit.WrapBadInput(v(cmd, args))
	}
}
