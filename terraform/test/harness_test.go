// Package test plans the live roots and modules under terraform/ offline, with the
// schema-only hashicorp/aws provider of ./awsprovider, and asserts on the plans.
// scripts/test-terraform.sh runs it; it also runs alone (`go test ./...` in this
// folder) as long as terraform or tofu is on the PATH (or TF_BINARY names one).
package test

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gruntwork-io/terratest/modules/logger"
	"github.com/gruntwork-io/terratest/modules/terraform"
	tfjson "github.com/hashicorp/terraform-json"
)

var (
	repoRoot  string // the repository (module github.com/bloody-sweet/platform)
	tfBinary  string // terraform or tofu
	cliConfig string // CLI config that points hashicorp/aws at the offline provider
	workDir   string // a copy of terraform/ that init and plan may write into
)

func TestMain(m *testing.M) {
	code, err := setup(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "terraform tests:", err)
		os.Exit(2)
	}
	os.Exit(code)
}

func setup(m *testing.M) (int, error) {
	wd, err := os.Getwd()
	if err != nil {
		return 0, err
	}
	repoRoot = filepath.Dir(filepath.Dir(wd))
	tfBinary, err = findBinary()
	if err != nil {
		return 0, err
	}
	tmp, err := os.MkdirTemp("", "terraform-test-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(tmp)
	cliConfig = os.Getenv("TF_TEST_CLI_CONFIG")
	if cliConfig == "" {
		if cliConfig, err = installProvider(tmp, wd); err != nil {
			return 0, err
		}
	}
	workDir = filepath.Join(tmp, "terraform")
	if err := copyTree(filepath.Join(repoRoot, "terraform"), workDir); err != nil {
		return 0, fmt.Errorf("copy terraform/: %w", err)
	}
	return m.Run(), nil
}

func findBinary() (string, error) {
	if b := os.Getenv("TF_BINARY"); b != "" {
		return b, nil
	}
	for _, b := range []string{"terraform", "tofu"} {
		if p, err := exec.LookPath(b); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("neither terraform nor tofu is on the PATH: run scripts/test-terraform.sh, which builds OpenTofu when terraform is missing")
}

// installProvider builds the offline provider into a filesystem mirror under dir and
// writes a CLI configuration that installs hashicorp/aws from it (for both the
// Terraform and the OpenTofu registry names).
func installProvider(dir, moduleDir string) (string, error) {
	mirror := filepath.Join(dir, "mirror")
	var first string
	for _, host := range []string{"registry.terraform.io", "registry.opentofu.org"} {
		bin := filepath.Join(mirror, host, "hashicorp", "aws", "6.25.0", "linux_amd64", "terraform-provider-aws_v6.25.0")
		if first == "" {
			cmd := exec.Command("go", "build", "-o", bin, "./cmd/terraform-provider-aws")
			cmd.Dir = moduleDir
			if out, err := cmd.CombinedOutput(); err != nil {
				return "", fmt.Errorf("build provider: %v\n%s", err, out)
			}
			first = bin
			continue
		}
		if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
			return "", err
		}
		if err := os.Link(first, bin); err != nil {
			return "", err
		}
	}
	cfg := filepath.Join(dir, "cli.tfrc")
	body := fmt.Sprintf("provider_installation {\n  filesystem_mirror {\n    path = %q\n  }\n}\n", mirror)
	return cfg, os.WriteFile(cfg, []byte(body), 0o644)
}

func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() && (d.Name() == ".terraform" || rel == "test") {
			return filepath.SkipDir
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if strings.HasSuffix(p, ".tfstate") || strings.HasSuffix(p, ".terraform.lock.hcl") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
}

func options(dir string) *terraform.Options {
	return &terraform.Options{
		TerraformBinary: tfBinary,
		TerraformDir:    dir,
		NoColor:         true,
		Logger:          logger.Discard,
		EnvVars: map[string]string{
			"TF_CLI_CONFIG_FILE": cliConfig,
			"TF_IN_AUTOMATION":   "1",
		},
	}
}

// rootPlan is the plan of one live root, computed once and shared by the tests.
type rootPlan struct {
	JSON []byte
	Plan *tfjson.Plan
}

var (
	plansMu sync.Mutex
	plans   = map[string]*rootPlan{}
)

// planRoot plans terraform/live/<env> with a local backend (the S3 backend needs AWS)
// and returns `show -json` of the plan.
func planRoot(t *testing.T, env string) *rootPlan {
	t.Helper()
	plansMu.Lock()
	defer plansMu.Unlock()
	if p, ok := plans[env]; ok {
		return p
	}
	dir := filepath.Join(workDir, "live", env)
	override := "terraform {\n  backend \"local\" {}\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "backend_override.tf"), []byte(override), 0o644); err != nil {
		t.Fatal(err)
	}
	opts := options(dir)
	opts.PlanFilePath = filepath.Join(dir, "tfplan.bin")
	if _, err := terraform.InitE(t, opts); err != nil {
		t.Fatalf("init live/%s: %v", env, err)
	}
	if _, err := terraform.PlanE(t, opts); err != nil {
		t.Fatalf("plan live/%s: %v", env, err)
	}
	out, err := terraform.RunTerraformCommandAndGetStdoutE(t, opts, "show", "-json", opts.PlanFilePath)
	if err != nil {
		t.Fatalf("show live/%s: %v", env, err)
	}
	var plan tfjson.Plan
	if err := json.Unmarshal([]byte(out), &plan); err != nil {
		t.Fatalf("parse plan of live/%s: %v", env, err)
	}
	p := &rootPlan{JSON: []byte(out), Plan: &plan}
	plans[env] = p
	return p
}

// after returns the planned values of every resource of type typ, by address.
func after(p *rootPlan, typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, rc := range p.Plan.ResourceChanges {
		if rc.Type != typ || rc.Mode != tfjson.ManagedResourceMode {
			continue
		}
		if m, ok := rc.Change.After.(map[string]any); ok {
			out[rc.Address] = m
		}
	}
	return out
}

// output returns a planned root output value (nil when unknown until apply).
func output(t *testing.T, p *rootPlan, name string) any {
	t.Helper()
	o, ok := p.Plan.PlannedValues.Outputs[name]
	if !ok {
		t.Fatalf("root has no output %q", name)
	}
	return o.Value
}

var jsonUnmarshal = json.Unmarshal
