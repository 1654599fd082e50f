package main

import (
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/bloody-sweet/platform/internal/bootstrap"
	"github.com/bloody-sweet/platform/internal/cliexit"
)

func init() { subcommands = append(subcommands, newBootstrapCmd) }

func newBootstrapCmd() *cobra.Command {
	var opts bootstrap.Options
	var kubeconfig, kubeContext string
	cmd := &cobra.Command{
		Use:   "bootstrap --env ENV --kubeconfig FILE [--chart PATH] [--dry-run]",
		Short: "Install Argo CD and the environment's AppProjects and root Applications (the first step of a new cluster)",
		Long: `Bootstrap is the one step that makes a new cluster a GitOps cluster:

  1. installs Argo CD from the chart and values the model renders for the
     argo-cd add-on (apps/ENV/addons/argo-cd.application.gen.yaml), as the
     field manager of Argo CD's own server-side syncs (argocd-controller);
  2. server-side applies (field manager platform-bootstrap) the AppProjects
     and the root Applications of apps/ENV, so no Application waits for a
     project it would deploy itself.

Argo CD then syncs everything else from Git, itself included. Run it again
at any time: it reports each object created, configured or unchanged, and a
second run changes nothing. --dry-run asks the API server (server-side dry
run) and changes nothing. Without --chart the chart is downloaded from its
repository at the pinned version.

An unknown environment, a missing kubeconfig or a chart that is not the
pinned one exits 2.`,
		Example: `  platform bootstrap --env dev --kubeconfig ~/.kube/dev --dry-run
  platform bootstrap --env prod --kubeconfig ~/.kube/prod --chart argo-cd-9.3.7.tgz`,
		Args: badArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			// the environment first: naming a wrong one needs no cluster.
			if _, err := bootstrap.LoadModel(opts.Root, opts.Env); err != nil {
				return err
			}
			if _, err := os.Stat(kubeconfig); err != nil {
				return cliexit.BadInputf("--kubeconfig: %v", err)
			}
			cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
				&clientcmd.ClientConfigLoadingRules{ExplicitPath: kubeconfig},
				&clientcmd.ConfigOverrides{CurrentContext: kubeContext},
			).ClientConfig()
			if err != nil {
				return cliexit.BadInputf("--kubeconfig %s: %v", kubeconfig, err)
			}
			opts.Config = cfg
			opts.Log = cmd.ErrOrStderr()
			rep, err := bootstrap.Run(cmd.Context(), opts)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ACTION\tKIND\tNAMESPACE\tNAME\tMANAGER\tNOTE")
			for _, r := range rep.Results {
				ns := r.Namespace
				if ns == "" {
					ns = "-"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Action, r.Kind, ns, r.Name, r.Manager, r.Note)
			}
			tw.Flush()
			verb := "bootstrap"
			if opts.DryRun {
				verb = "bootstrap (dry run)"
			}
			fmt.Fprintf(out, "%s: %s, %d object(s): %d created, %d configured, %d unchanged, %d deferred\n", verb, opts.Env,
				len(rep.Results), rep.Count(bootstrap.Created)+rep.Count(bootstrap.WouldCreate),
				rep.Count(bootstrap.Configured)+rep.Count(bootstrap.WouldConfigure), rep.Count(bootstrap.Unchanged), rep.Count(bootstrap.Deferred))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Root, "root", ".", "repository root holding the rendered apps/")
	f.StringVar(&opts.Env, "env", "", "environment to bootstrap: dev, staging or prod (required)")
	f.StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig of the environment's cluster (required)")
	f.StringVar(&kubeContext, "context", "", "kubeconfig context (default: its current context)")
	f.StringVar(&opts.Chart, "chart", "", "the argo-cd chart at the pinned version, as an archive or directory (default: download it)")
	f.StringVar(&opts.Manifests, "manifests", "", "install Argo CD from these manifests (file or directory) instead of the chart, e.g. for Argo CD processes run outside the cluster")
	f.BoolVar(&opts.DryRun, "dry-run", false, "ask the API server what would change; change nothing")
	_ = cmd.MarkFlagRequired("env")
	_ = cmd.RegisterFlagCompletionFunc("env", completeEnvs())
	_ = cmd.MarkFlagRequired("kubeconfig")
	return cmd
}
