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
	err := newRootCmd().ExecuteContext(ctx)
	stop()
	// cobra reports an unknown subcommand and a missing required flag as plain
	// errors; both are usage, exit 2.
	if err != nil && (strings.HasPrefix(err.Error(), "unknown command") || strings.HasPrefix(err.Error(), "required flag")) {
		err = cliexit.WrapBadInput(err)
	}
	if err != nil && !cliexit.IsSilent(err) {
		fmt.Fprintln(os.Stderr, "platform:", err)
	}
	os.Exit(cliexit.Code(err))
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
