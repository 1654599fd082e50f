package main

import (
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/bloody-sweet/platform/internal/promote"
)

func init() { subcommands = append(subcommands, newPromoteCmd) }

func newPromoteCmd() *cobra.Command {
	var (
		opts   promote.Options
		prBody string
	)
	cmd := &cobra.Command{
		Use:   "promote --to ENV [--service NAME]... | --to dev --set SERVICE=TAG@sha256:DIGEST...",
		Short: "Copy image references one environment forward (dev -> staging -> prod), or set dev to a release's, and re-render",
		Long: `Promote sets each service's image tag in ENV to the tag it has in the
environment before it (staging takes dev's, prod takes staging's) in
cue/config/images.cue, then renders ENV. Commit the result as a pull request:
the rendered diff shows exactly which images move.

A tag never skips an environment. Dev, where releases land, takes the
images a release pushed instead: --to dev --set order=1.5.0@sha256:<digest>
(release.yml does this and opens the pull request). --pr-body FILE writes
the pull request's description: the images that move, from where, and how
to verify their signatures.

An unknown environment or service, or a --set reference without a digest,
exits 2; if the render fails, the images file is restored and nothing else
is written.`,
		Example: `  platform promote --to staging                 # everything dev runs goes to staging
  platform promote --to prod --service order    # only order's staging tag goes to prod
  platform promote --to prod --dry-run          # show what would move
  platform promote --to dev --set order=1.5.0@sha256:<digest> --pr-body body.md`,
		Args: badArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, err := promote.Run(opts)
			if err != nil {
				return err
			}
			if prBody != "" {
				var body strings.Builder
				if err := promote.WriteBody(&body, res, opts.To); err != nil {
					return err
				}
				if err := os.WriteFile(prBody, []byte(body.String()), 0o644); err != nil {
					return fmt.Errorf("--pr-body: %w", err)
				}
			}
			out := cmd.OutOrStdout()
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "SERVICE\tFROM\tTO\tTAG\tWAS")
			moved := 0
			for _, m := range res.Moves {
				was := m.Previous
				if !m.Changed() {
					was = "(unchanged)"
				} else {
					moved++
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", m.Service, m.From, m.To, m.Tag, was)
			}
			tw.Flush()
			for _, c := range res.Changes {
				fmt.Fprintf(out, "%s %s\n", c.Kind, c.Path)
			}
			verb := "promoted"
			if opts.DryRun {
				verb = "would promote"
			}
			fmt.Fprintf(out, "promote: %s %d of %d service(s) to %s\n", verb, moved, len(res.Moves), opts.To)
			return nil
		},
	}
	cmd.Flags().StringVar(&opts.Root, "root", ".", "repository root holding cue/ and apps/charts/service")
	cmd.Flags().StringVar(&opts.To, "to", "", "environment to promote into: staging or prod (required)")
	cmd.Flags().StringSliceVar(&opts.Services, "service", nil, "promote only this service (repeatable); default all")
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "show what would move; change nothing")
	cmd.Flags().StringToStringVar(&opts.Set, "set", nil, "with --to dev: SERVICE=TAG@sha256:DIGEST a release pushed (repeatable)")
	cmd.Flags().StringVar(&prBody, "pr-body", "", "write the pull request description (markdown) to this file")
	_ = cmd.MarkFlagRequired("to")
	_ = cmd.RegisterFlagCompletionFunc("to", completeEnvs(promote.Order[1:]...))
	_ = cmd.RegisterFlagCompletionFunc("service", completeServices)
	return cmd
}
