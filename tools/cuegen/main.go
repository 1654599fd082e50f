// Command cuegen regenerates the CUE schemas in cue/cue.mod/gen:
//
//   - k8s.io/api packages with `cue get go`, read from this module's pinned
//     k8s.io/api version;
//   - Argo Rollouts, Argo CD, the Prometheus Operator's ServiceMonitor and
//     PrometheusRule, the External Secrets Operator's ExternalSecret and ClusterSecretStore,
//     Karpenter's NodePool and EC2NodeClass from the CRD YAML shipped in
//     their module zips, with `cue get crd`.
//
// It works in a scratch CUE module inside this Go module (so `cue get go`
// resolves Go packages against this go.mod, never the main one) and swaps
// the result into place only when every step succeeded.
//
// Usage (from the repository root): make gen-cue
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// Versions of the projects whose CRDs are converted. Bump here, run
// make gen-cue, review the schema diff.
const (
	argoRollouts = "github.com/argoproj/argo-rollouts@v1.8.3"
	argoCD       = "github.com/argoproj/argo-cd/v3@v3.5.7"
	promOperator = "github.com/prometheus-operator/prometheus-operator@v0.85.0"
	// externalSecrets serves external-secrets.io/v1 (storage version) and
	// v1beta1; only v1 is rendered. The latest v1.x is not fetched whole by
	// the module proxy, v0.16.2 is.
	externalSecrets = "github.com/external-secrets/external-secrets@v0.16.2"
	// karpenter is the version of the Karpenter chart the add-ons install
	// (cue/config/addons.cue): its NodePool and EC2NodeClass are rendered.
	karpenter = "github.com/aws/karpenter-provider-aws@v1.6.3"
	// keda is the version of the KEDA chart the add-ons install: the
	// consumers' ScaledObjects are rendered.
	keda = "github.com/kedacore/keda/v2@v2.21.0"
)

var k8sPackages = []string{
	"k8s.io/api/core/v1",
	"k8s.io/api/apps/v1",
	"k8s.io/api/autoscaling/v2",
	"k8s.io/api/policy/v1",
	"k8s.io/api/networking/v1",
	"k8s.io/api/batch/v1",
}

// crdSet is one `cue get crd` run: the CRD files of a module, written to
// cue.mod/gen/<dir>/<version> and imported as "<dir>/<version>".
type crdSet struct {
	module string
	group  string
	dir    string
	files  []string
}

var crdSets = []crdSet{
	{argoRollouts, "argoproj.io", "argoproj.io/rollouts", []string{
		"manifests/crds/rollout-crd.yaml",
		"manifests/crds/analysis-template-crd.yaml",
	}},
	{argoCD, "argoproj.io", "argoproj.io/cd", []string{
		"manifests/crds/application-crd.yaml",
		"manifests/crds/appproject-crd.yaml",
	}},
	{promOperator, "monitoring.coreos.com", "monitoring.coreos.com", []string{
		"example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml",
		"example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml",
	}},
	{externalSecrets, "external-secrets.io", "external-secrets.io", []string{
		"config/crds/bases/external-secrets.io_externalsecrets.yaml",
		"config/crds/bases/external-secrets.io_clustersecretstores.yaml",
	}},
	{karpenter, "karpenter.sh", "karpenter.sh", []string{
		"pkg/apis/crds/karpenter.sh_nodepools.yaml",
	}},
	{karpenter, "karpenter.k8s.aws", "karpenter.k8s.aws", []string{
		"pkg/apis/crds/karpenter.k8s.aws_ec2nodeclasses.yaml",
	}},
	{keda, "keda.sh", "keda.sh", []string{
		"config/crd/bases/keda.sh_scaledobjects.yaml",
	}},
}

func main() {
	out := flag.String("out", "../../cue/cue.mod/gen", "the cue.mod/gen directory to replace")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "cuegen:", err)
		os.Exit(1)
	}
}

func run(out string) error {
	scratch, err := os.MkdirTemp(".", "scratch-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(scratch)
	if err := os.MkdirAll(filepath.Join(scratch, "cue.mod"), 0o755); err != nil {
		return err
	}
	module := "module: \"cuegen.local/scratch@v0\"\nlanguage: version: \"v0.17.1\"\n"
	if err := os.WriteFile(filepath.Join(scratch, "cue.mod", "module.cue"), []byte(module), 0o644); err != nil {
		return err
	}

	args := append([]string{"tool", "cue", "get", "go"}, k8sPackages...)
	if err := command(scratch, "go", args...); err != nil {
		return fmt.Errorf("cue get go: %w", err)
	}
	gen := filepath.Join(scratch, "cue.mod", "gen")
	if err := fixEmbeddings(filepath.Join(gen, "k8s.io")); err != nil {
		return err
	}

	for _, set := range crdSets {
		dir, err := moduleDir(set.module)
		if err != nil {
			return err
		}
		target := filepath.Join(gen, filepath.FromSlash(set.dir))
		if err := os.MkdirAll(target, 0o755); err != nil {
			return err
		}
		args := []string{"tool", "cue", "get", "crd", "--group", set.group}
		for _, f := range set.files {
			abs, err := filepath.Abs(filepath.Join(dir, f))
			if err != nil {
				return err
			}
			args = append(args, abs)
		}
		if err := command(target, "go", args...); err != nil {
			return fmt.Errorf("cue get crd %s: %w", set.module, err)
		}
	}

	// Swap: the old tree goes only once the new one is complete.
	old := out + ".old"
	if err := os.RemoveAll(old); err != nil {
		return err
	}
	if _, err := os.Stat(out); err == nil {
		if err := os.Rename(out, old); err != nil {
			return err
		}
	}
	if err := os.Rename(gen, out); err != nil {
		return fmt.Errorf("install %s: %w", out, err)
	}
	return os.RemoveAll(old)
}

// moduleDir downloads module@version through the Go module proxy (checked
// against go.sum's checksum database) and returns its extracted directory.
func moduleDir(modVersion string) (string, error) {
	var stdout bytes.Buffer
	cmd := exec.Command("go", "mod", "download", "-json", modVersion)
	cmd.Stdout = &stdout
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go mod download %s: %w", modVersion, err)
	}
	var info struct{ Dir, Error string }
	if err := json.Unmarshal(stdout.Bytes(), &info); err != nil {
		return "", fmt.Errorf("go mod download %s: %w", modVersion, err)
	}
	if info.Error != "" || info.Dir == "" {
		return "", fmt.Errorf("go mod download %s: %s", modVersion, info.Error)
	}
	return info.Dir, nil
}

// embedded matches a field that `cue get go` v0.17 emits for a Go embedded
// struct tagged `json:""` (k8s.io/api v0.37 dropped ",inline"): a field
// named like its own type, e.g. "ProbeHandler: #ProbeHandler". JSON has no
// such field: the struct's fields are inlined, so CUE must embed it. (An
// optional embedded pointer, "IngressRuleValue?: #IngressRuleValue", too:
// its own fields are all optional.)
var embedded = regexp.MustCompile(`(?m)^(\s*)([A-Z][A-Za-z0-9]*)\??: ((?:[a-z0-9]+\.)?#([A-Z][A-Za-z0-9]*))(?:\s+@.*)?$`)

func fixEmbeddings(root string) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".cue") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		fixed := embedded.ReplaceAllFunc(src, func(m []byte) []byte {
			g := embedded.FindSubmatch(m)
			if !bytes.Equal(g[2], g[4]) {
				return m
			}
			return append(append([]byte{}, g[1]...), g[3]...)
		})
		if bytes.Equal(fixed, src) {
			return nil
		}
		return os.WriteFile(path, fixed, 0o644)
	})
}

func command(dir, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Stdout = os.Stderr
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
		}
		return err
	}
	return nil
}
