package main

import (
	"github.com/spf13/cobra"

	"github.com/bloody-sweet/platform/internal/cliexit"
	"github.com/bloody-sweet/platform/internal/renderdiff"
)

func init() { subcommands = append(subcommands, newDiffCmd) }

func newDiffCmd() *cobra.Command {
	var (
		opts   renderdiff.Options
		format string
	)
	cmd := &cobra.Command{
		Use:   "diff",
		Short: "Show the rendered difference between two git refs, per environment and service",
		Long: `Diff renders the CUE model and chart of two revisions in memory and prints
the difference of every generated file (environments/ and apps/).

By default it compares the merge-base of HEAD and main (or origin/main) with
the working tree, uncommitted edits included. --format markdown prints a
pull-request comment: a summary table per environment, then the diffs folded
per service.`,
		Example: `  platform diff                          # what my branch changes
  platform diff --base v1.2.0 --head main --env prod
  platform diff --format markdown > comment.md`,
		Args: badArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "unified" && format != "markdown" {
				return cliexit.BadInputf("--format must be unified or markdown, not %q", format)
			}
			rep, err := renderdiff.Compare(opts)
			if err != nil {
				return err
			}
			if format == "markdown" {
				return renderdiff.WriteMarkdown(cmd.OutOrStdout(), rep)
			}
			return renderdiff.WriteUnified(cmd.OutOrStdout(), rep)
		},
	}
	cmd.Flags().StringVar(&opts.Repo, "root", ".", "repository root")
	deprecatedAlias(cmd.Flags(), "repo", "root")
	cmd.Flags().StringVar(&opts.Base, "base", "", "base git ref (default: merge-base of HEAD and main)")
	cmd.Flags().StringVar(&opts.Head, "head", "", "head git ref (default: the working tree)")
	cmd.Flags().StringSliceVar(&opts.Envs, "env", nil, "only this environment (repeatable)")
	cmd.Flags().StringVarP(&format, "format", "o", "unified", "unified or markdown")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"unified", "markdown"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("env", completeEnvs())
	return cmd
}
