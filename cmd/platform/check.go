package main

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/bloody-sweet/platform/internal/buildinfo"
	"github.com/bloody-sweet/platform/internal/cliexit"
	"github.com/bloody-sweet/platform/internal/policy"
)

func init() { subcommands = append(subcommands, newCheckCmd) }

func newCheckCmd() *cobra.Command {
	var (
		format, policiesDir, cueDir, today string
		verify                             bool
	)
	cmd := &cobra.Command{
		Use:   "check [PATH...]",
		Short: "Run the OPA policy gate over rendered manifests, Argo CD apps and Terraform plan JSON",
		Long: `check evaluates the Rego policies in policies/ over Kubernetes and Argo objects (YAML, multi-document,
or JSON) and Terraform plan JSON (terraform show -json, recognised by its shape), then applies the exceptions
kept in cue/config/exceptions.cue.

Without PATH it checks every rendered file: environments/**/*.gen.yaml (except the Helm values files
values*.gen.yaml), apps/**/*.gen.yaml, and any Terraform plan JSON under terraform/ named plan*.json or
*.plan.json. A PATH is a file or a folder (searched for .yaml, .yml and .json files).

Exit status: 0 nothing denied (warnings allowed), 1 something denied, 2 bad input (a file that does not parse
is named with its line; the other files are still checked).

--format (-o): text, json, junit (conftest's layout: one test case per finding), sarif (SARIF 2.1.0 for
code scanning, with the tool's version and an automation id) or github (workflow commands: each finding
annotates its line in the pull request).

--verify-policies checks the policies themselves instead: strict compile, opa fmt formatting, METADATA and
the one-folder-per-policy layout.`,
		Args: badArgs(cobra.ArbitraryArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if verify {
				if len(args) > 0 {
					return cliexit.BadInputf("--verify-policies takes no PATH")
				}
				if err := policy.Verify(policiesDir); err != nil {
					return cliexit.Failedf("policy verification failed:\n%w", err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "policies under %s: strict compile, format and layout ok\n", policiesDir)
				return nil
			}
			if !slices.Contains(policy.Formats, format) {
				return cliexit.BadInputf("--format %q: want one of %s", format, strings.Join(policy.Formats, ", "))
			}
			day := time.Now().UTC()
			if today != "" {
				d, err := time.Parse(time.DateOnly, today)
				if err != nil {
					return cliexit.BadInputf("--today %q: want YYYY-MM-DD", today)
				}
				day = d
			}
			files, err := checkTargets(args)
			if err != nil {
				return err
			}
			exceptions, err := policy.LoadExceptions(cueDir)
			if err != nil {
				return cliexit.WrapBadInput(err)
			}
			engine, err := policy.Load(cmd.Context(), policy.Options{Dir: policiesDir})
			if err != nil {
				return err
			}
			rep, err := engine.CheckFiles(cmd.Context(), policy.CheckInput{Files: files, Exceptions: exceptions, Today: day})
			if err != nil {
				return err
			}
			if err := policy.Write(cmd.OutOrStdout(), format, rep, engine.Rules(), checkTool()); err != nil {
				return err
			}
			switch rep.ExitCode() {
			case cliexit.BadInput:
				return cliexit.BadInputf("%d file(s) could not be read; the others were checked", len(rep.InputErrors))
			case cliexit.Failed:
				denied, _, _ := rep.Counts()
				return cliexit.Failedf("policy check failed: %d denied", denied)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&format, "format", "o", "text", "output format: "+strings.Join(policy.Formats, "|"))
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(policy.Formats, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.MarkFlagDirname("policies")
	_ = cmd.MarkFlagDirname("cue")
	f.StringVar(&policiesDir, "policies", "policies", "folder of Rego policies and their data")
	f.StringVar(&cueDir, "cue", "cue", "CUE module whose config package holds the exceptions")
	f.StringVar(&today, "today", "", "date (YYYY-MM-DD) exceptions are judged against; default today (UTC)")
	f.BoolVar(&verify, "verify-policies", false, "check the policies themselves (strict compile, format, layout) and exit")
	return cmd
}

// checkTool names this build in SARIF output. The automation id's category
// ("platform-check/") keeps one code-scanning analysis for the policy gate;
// GITHUB_RUN_ID, set in Actions, makes each run's id unique.
func checkTool() policy.Tool {
	info := buildinfo.Read()
	version := info.Version
	if info.Commit != "unknown" {
		version += "+" + info.Commit
	}
	return policy.Tool{Name: "platform check", Version: version, AutomationID: "platform-check/" + os.Getenv("GITHUB_RUN_ID")}
}

// checkTargets returns the files to check: the given paths, or every
// rendered file and Terraform plan JSON of the repository.
func checkTargets(args []string) ([]string, error) {
	if len(args) > 0 {
		files, err := policy.Collect(args)
		if err != nil {
			return nil, cliexit.WrapBadInput(err)
		}
		if len(files) == 0 {
			return nil, cliexit.BadInputf("no .yaml, .yml or .json files under %s", strings.Join(args, ", "))
		}
		return files, nil
	}
	files, err := policy.RepoTargets(".")
	if err != nil {
		return nil, cliexit.WrapBadInput(err)
	}
	if len(files) == 0 {
		return nil, cliexit.BadInputf("nothing to check: no environments/**/*.gen.yaml or apps/**/*.gen.yaml (run platform render) and no terraform/**/plan*.json")
	}
	return files, nil
}
