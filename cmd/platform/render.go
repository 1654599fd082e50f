package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/bloody-sweet/platform/internal/cliexit"
	"github.com/bloody-sweet/platform/internal/render"
)

func init() { subcommands = append(subcommands, newRenderCmd) }

func newRenderCmd() *cobra.Command {
	var (
		root  string
		envs  []string
		check bool
	)
	cmd := &cobra.Command{
		Use:   "render",
		Short: "Render Helm values, Rollouts, Argo CD apps and manifests from the CUE model",
		Long: `Render evaluates the CUE model in cue/ and writes, per environment:
  environments/<env>/<service>/values.gen.yaml    Helm values for apps/charts/service
  environments/<env>/<service>/rollout.gen.yaml   Rollout + AnalysisTemplate (checked against the CRD schema)
  environments/<env>/<service>/manifests.gen.yaml the chart rendered with the Helm SDK: what Argo CD applies
  apps/<env>/<service>.application.gen.yaml       Argo CD Application
  apps/<env>/project.gen.yaml                     AppProject
  apps/<env>/root.application.gen.yaml            app-of-apps
  apps/<env>/addons.application.gen.yaml          app-of-apps of the cluster add-ons (wave -1)
  apps/<env>/addons/*.gen.yaml                    one Application per add-on, their AppProject, the platform app
  environments/<env>/_platform/*.gen.yaml         ClusterSecretStore, Karpenter NodePool and EC2NodeClass

Nothing is written unless everything renders. A CUE error exits 2 with
file:line:col and the field path. --check writes nothing and exits 1 when a
file is stale, listing it.`,
		Args: badArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, err := render.Render(render.Options{Root: root, Envs: envs})
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if check {
				changes, err := render.Plan(root, res)
				if err != nil {
					return err
				}
				for _, c := range changes {
					fmt.Fprintf(out, "stale (%s): %s\n", c.Kind, c.Path)
				}
				if len(changes) > 0 {
					return cliexit.Failedf("%d rendered file(s) are stale: run `make render` and commit the result", len(changes))
				}
				fmt.Fprintf(out, "render: %d files up to date\n", len(res.Files))
				return nil
			}
			changes, err := render.Write(root, res)
			if err != nil {
				return err
			}
			for _, c := range changes {
				fmt.Fprintf(out, "%s %s\n", c.Kind, c.Path)
			}
			fmt.Fprintf(out, "render: %d files, %d changed\n", len(res.Files), len(changes))
			return nil
		},
	}
	cmd.Flags().StringVar(&root, "root", ".", "repository root holding cue/ and apps/charts/service")
	cmd.Flags().StringSliceVar(&envs, "env", nil, "render only this environment (repeatable)")
	_ = cmd.RegisterFlagCompletionFunc("env", completeEnvs())
	cmd.Flags().BoolVar(&check, "check", false, "write nothing; exit 1 listing stale files")
	return cmd
}
