package main

import (
	"io"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/bloody-sweet/platform/internal/cliexit"
	"github.com/bloody-sweet/platform/internal/renderdiff"
)

func init() { subcommands = append(subcommands, newDiffCmd) }

func newDiffCmd() *cobra.Command {
	var (
		opts     renderdiff.Options
		format   string
		exitCode bool
		colorOpt string
	)
	cmd := &cobra.Command{
		Use:   "diff",
		Short: "Show the rendered difference between two git refs, per Kubernetes object",
		Long: `Diff renders the CUE model and chart of two revisions in memory and prints
the difference of every generated file (environments/ and apps/) object by
object, like argocd app diff: a "===== <group>/<Kind> <namespace>/<name> in
<file> =====" header per changed object, then its hunks.

By default it compares the merge-base of HEAD and main (or origin/main) with
the working tree, uncommitted edits included. --format markdown prints a
pull-request comment: a summary table per environment, then the diffs folded
per service.

--exit-code exits 1 when there are differences (0 when none), like git diff.
Colour (--color auto) is used only when stdout is a terminal and NO_COLOR is
unset.`,
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
			color, err := useColor(colorOpt, cmd.OutOrStdout())
			if err != nil {
				return err
			}
			if format == "markdown" {
				err = renderdiff.WriteMarkdown(cmd.OutOrStdout(), rep)
			} else {
				err = renderdiff.WriteUnified(cmd.OutOrStdout(), rep, color)
			}
			if err != nil {
				return err
			}
			if exitCode && len(rep.Files) > 0 {
				return cliexit.Silent(cliexit.Failed) // the diff is the message
			}
			return nil
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
	cmd.Flags().BoolVar(&exitCode, "exit-code", false, "exit 1 when there are differences, 0 when there are none")
	cmd.Flags().StringVar(&colorOpt, "color", "auto", "colour the unified diff: auto (on a terminal), always or never")
	_ = cmd.RegisterFlagCompletionFunc("color", cobra.FixedCompletions([]string{"auto", "always", "never"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// useColor decides --color: auto colours only a terminal, and never when
// NO_COLOR is set (no-color.org).
func useColor(opt string, out io.Writer) (bool, error) {
	switch opt {
	case "always":
		return true, nil
	case "never":
		return false, nil
	case "auto":
		if os.Getenv("NO_COLOR") != "" {
			return false, nil
		}
		f, ok := out.(*os.File)
		return ok && term.IsTerminal(int(f.Fd())), nil
	}
	return false, cliexit.BadInputf("--color %q: want auto, always or never", opt)
}
