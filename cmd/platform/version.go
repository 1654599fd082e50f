package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/bloody-sweet/platform/internal/buildinfo"
	"github.com/bloody-sweet/platform/internal/cliexit"
)

func init() { subcommands = append(subcommands, newVersionCmd) }

func newVersionCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the platform CLI's version and the commit it was built from",
		Long: `version prints the module version and the VCS commit of this build (from the Go
build information; ` + "`go run`" + ` builds get the commit from the Makefile's -ldflags).
--version on the root command prints the same on one line.`,
		Example: `  platform version
  platform version -o json`,
		Args:              badArgs(cobra.NoArgs),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, _ []string) error {
			info := buildinfo.Read()
			out := cmd.OutOrStdout()
			switch format {
			case "text":
				fmt.Fprintf(out, "version:    %s\ncommit:     %s\n", info.Version, info.Commit)
				if info.Time != "" {
					fmt.Fprintf(out, "commit time: %s\n", info.Time)
				}
				fmt.Fprintf(out, "modified:   %v\ngo:         %s\nplatform:   %s\n", info.Modified, info.GoVersion, info.Platform)
				return nil
			case "json":
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(info)
			}
			return cliexit.BadInputf("--format %q: want text or json", format)
		},
	}
	cmd.Flags().StringVarP(&format, "format", "o", "text", "output format: text|json")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"text", "json"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}
