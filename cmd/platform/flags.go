package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/bloody-sweet/platform/internal/promote"
)

// Flag names are the same across commands: --root for the repository root,
// --kafka-brokers for Kafka, --env for an environment, --format/-o for the
// output. An older spelling stays as a hidden alias that warns.

// deprecatedAlias adds old as a hidden flag that sets the same value as the
// already defined flag name, and prints a deprecation notice when used.
func deprecatedAlias(fs *pflag.FlagSet, old, name string) {
	f := fs.Lookup(name)
	fs.AddFlag(&pflag.Flag{Name: old, Usage: f.Usage, Value: f.Value, DefValue: f.DefValue})
	_ = fs.MarkDeprecated(old, "use --"+name)
}

// services of the platform, for completion when no rendered tree is found.
var serviceNames = []string{"order", "payment", "store", "delivery", "notification"}

// rootOf returns the --root flag of cmd, "." without one.
func rootOf(cmd *cobra.Command) string {
	if f := cmd.Flags().Lookup("root"); f != nil {
		return f.Value.String()
	}
	return "."
}

// renderedDirs lists the folders under root/environments[/env] whose names
// do not start with "_" (environments/dev/_platform holds the add-ons).
func renderedDirs(parts ...string) []string {
	entries, err := os.ReadDir(filepath.Join(parts...))
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), "_") {
			names = append(names, e.Name())
		}
	}
	return names
}

// completeEnvs completes environment names: the rendered ones under
// --root's environments/, else dev, staging and prod. only, if given,
// restricts them (promote --to takes staging and prod).
func completeEnvs(only ...string) cobra.CompletionFunc {
	return func(cmd *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
		envs := renderedDirs(rootOf(cmd), "environments")
		if len(envs) == 0 {
			envs = slices.Clone(promote.Order)
		}
		if len(only) > 0 {
			envs = slices.DeleteFunc(envs, func(e string) bool { return !slices.Contains(only, e) })
		}
		return envs, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeServices completes service names from the rendered dev tree.
func completeServices(cmd *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
	svcs := renderedDirs(rootOf(cmd), "environments", promote.Order[0])
	if len(svcs) == 0 {
		svcs = serviceNames
	}
	return svcs, cobra.ShellCompDirectiveNoFileComp
}
