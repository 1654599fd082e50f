package test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// cueExport evaluates an expression of the CUE configuration (cue/config) with the
// cue tool pinned in the main module's go.mod.
func cueExport(t *testing.T, expr string) []byte {
	t.Helper()
	cmd := exec.Command("go", "tool", "cue", "export", "./config", "-e", expr)
	cmd.Dir = filepath.Join(repoRoot, "cue")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("cue export -e %s: %v\n%s", expr, err, stderr.String())
	}
	return out
}

// TestCUEEnvironmentsAgreeWithLiveRoots is the typed contract between the two halves
// of the repository: what Terraform creates (the live roots' outputs) and what the
// GitOps side deploys against (cue/config/environments.cue, services.cue and the
// rendered Helm values).
func TestCUEEnvironmentsAgreeWithLiveRoots(t *testing.T) {
	var cueEnvs map[string]struct {
		AWS struct {
			Account     string `json:"account"`
			Region      string `json:"region"`
			ClusterName string `json:"clusterName"`
			ECRRegistry string `json:"ecrRegistry"`
		} `json:"aws"`
		Namespace    string `json:"namespace"`
		Domain       string `json:"domain"`
		APIHost      string `json:"apiHost"`
		KafkaBrokers string `json:"kafkaBrokers"`
	}
	if err := json.Unmarshal(cueExport(t, "environments"), &cueEnvs); err != nil {
		t.Fatalf("parse CUE environments: %v", err)
	}
	var cueServices map[string]struct {
		Image struct {
			Repository string `json:"repository"`
		} `json:"image"`
		Produces []struct{ Name string } `json:"produces"`
		Consumes []struct{ Name string } `json:"consumes"`
	}
	if err := json.Unmarshal(cueExport(t, "services"), &cueServices); err != nil {
		t.Fatalf("parse CUE services: %v", err)
	}

	var names []string
	for env := range cueEnvs {
		names = append(names, env)
	}
	sort.Strings(names)
	if diff := cmp.Diff([]string{"dev", "prod", "staging"}, names); diff != "" {
		t.Fatalf("CUE environments differ from terraform/live roots (-terraform +cue):\n%s", diff)
	}

	for _, env := range envs {
		t.Run(env, func(t *testing.T) {
			p := planRoot(t, env)
			c := cueEnvs[env]
			facts := []struct{ field, cue, output string }{
				{"aws.account", c.AWS.Account, "account_id"},
				{"aws.region", c.AWS.Region, "region"},
				{"aws.clusterName", c.AWS.ClusterName, "cluster_name"},
				{"aws.ecrRegistry", c.AWS.ECRRegistry, "ecr_registry"},
				{"namespace", c.Namespace, "namespace"},
				{"domain", c.Domain, "domain"},
				{"apiHost", c.APIHost, "api_host"},
			}
			for _, f := range facts {
				if got := output(t, p, f.output); got != f.cue {
					t.Errorf("cue environments.%s.%s = %q but live/%s output %s = %v", env, f.field, f.cue, env, f.output, got)
				}
			}

			// Images: registry + repository of every service is a repository Terraform owns.
			repos, _ := output(t, p, "ecr_repository_urls").(map[string]any)
			for svc, s := range cueServices {
				want := c.AWS.ECRRegistry + "/" + s.Image.Repository
				if repos[svc] != want {
					t.Errorf("service %s pulls %s but Terraform's repository is %v", svc, want, repos[svc])
				}
			}
			if len(repos) != len(cueServices) {
				t.Errorf("Terraform has %d repositories, CUE %d services", len(repos), len(cueServices))
			}

			// IRSA: the role each rendered service account is annotated with exists.
			roles, _ := output(t, p, "irsa_role_arns").(map[string]any)
			for svc := range cueServices {
				values := filepath.Join(repoRoot, "environments", env, svc, "values.gen.yaml")
				got := renderedRoleARN(t, values)
				if roles[svc] != got {
					t.Errorf("%s: service account role %q, Terraform IRSA role %v", values, got, roles[svc])
				}
			}

			// Topics: IAM lets each service produce and consume exactly what CUE wires up.
			for svc, s := range cueServices {
				want := contractTopics[svc]
				if diff := cmp.Diff(sorted(want.produces), sorted(topicNames(s.Produces))); diff != "" {
					t.Errorf("%s produces (-terraform IAM +cue):\n%s", svc, diff)
				}
				if diff := cmp.Diff(sorted(want.consumes), sorted(topicNames(s.Consumes))); diff != "" {
					t.Errorf("%s consumes (-terraform IAM +cue):\n%s", svc, diff)
				}
			}

			// Brokers: the only listener MSK opens is IAM over TLS on 9098.
			if !strings.HasSuffix(c.KafkaBrokers, ":9098") {
				t.Errorf("cue kafkaBrokers %q must use port 9098, the IAM TLS listener Terraform opens", c.KafkaBrokers)
			}
		})
	}
}

var roleARNLine = regexp.MustCompile(`(?m)^\s+roleArn:\s*"?([^"\s]+)"?\s*$`)

func renderedRoleARN(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read rendered values (run `make render`): %v", err)
	}
	m := roleARNLine.FindSubmatch(b)
	if m == nil {
		t.Fatalf("%s: no serviceAccount.roleArn", path)
	}
	return string(m[1])
}

func topicNames(ts []struct{ Name string }) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Name)
	}
	return out
}

func sorted(s []string) []string {
	out := append([]string{}, s...)
	sort.Strings(out)
	if out == nil {
		return []string{}
	}
	return out
}

// TestPolicyGateAcceptsLivePlans feeds each live root's plan JSON to `platform check`,
// the OPA gate every pull request goes through.
func TestPolicyGateAcceptsLivePlans(t *testing.T) {
	if _, err := os.Stat(filepath.Join(repoRoot, "cmd", "platform", "check.go")); err != nil {
		t.Fatalf("cmd/platform/check.go is missing: the policy gate is part of the contract: %v", err)
	}
	// scripts/test-terraform.sh builds it ahead (PLATFORM_BIN); alone, build it here.
	bin := os.Getenv("PLATFORM_BIN")
	if bin == "" {
		bin = filepath.Join(t.TempDir(), "platform")
		build := exec.Command("go", "build", "-o", bin, "./cmd/platform")
		build.Dir = repoRoot
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("build platform: %v\n%s", err, out)
		}
	}
	for _, env := range append(envs, "shared") {
		t.Run(env, func(t *testing.T) {
			p := planRoot(t, env)
			file := filepath.Join(t.TempDir(), fmt.Sprintf("%s.plan.json", env))
			if err := os.WriteFile(file, p.JSON, 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(bin, "check", file)
			cmd.Dir = repoRoot
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("platform check %s: %v\n%s", file, err, out)
			}
		})
	}
}
