package cluster

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"
)

// bootstrapped is what `platform bootstrap --env dev` must leave in a
// cluster besides Argo CD's install: the two AppProjects and the two
// app-of-apps of apps/dev.
var bootstrapped = []struct{ kind, name string }{
	{"AppProject", "bloody-sweet-dev"},
	{"AppProject", "bloody-sweet-dev-addons"},
	{"Application", "dev-root"},
	{"Application", "dev-addons"},
}

// TestBootstrap runs the `platform bootstrap` binary against a real
// kube-apiserver, the way a person bootstraps a new cluster, with Argo CD's
// CRDs (the release tools/cuegen names) and a namespace-less ConfigMap as
// --manifests (Argo CD's own install manifests carry no namespace either):
// a dry run writes nothing; the first run creates the namespace, the CRDs,
// the ConfigMap in argocd as argocd-controller and the projects and root
// Applications as platform-bootstrap; a second run reports every object
// unchanged and changes no resourceVersion; a hand edit of the root
// Application is reported by a dry run, left alone by it, and reverted by
// the next run.
func TestBootstrap(t *testing.T) {
	c := startCluster(t)
	root := repoRoot(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	bin := filepath.Join(t.TempDir(), "platform")
	build := exec.Command("go", "build", "-o", bin, "./cmd/platform")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/platform: %v\n%s", err, out)
	}

	manifests := t.TempDir()
	catalog := crdCatalog(t, root)
	for _, kind := range []string{"Application", "AppProject"} {
		f, ok := catalog[schema.GroupKind{Group: "argoproj.io", Kind: kind}]
		if !ok {
			t.Fatalf("no CRD of argoproj.io/%s in the tools/cuegen modules", kind)
		}
		crd := f.crd.DeepCopy()
		crd.APIVersion, crd.Kind = "apiextensions.k8s.io/v1", "CustomResourceDefinition"
		writeYAML(t, filepath.Join(manifests, strings.ToLower(kind)+"-crd.yaml"), crd)
	}
	writeYAML(t, filepath.Join(manifests, "argocd-cm.yaml"), map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "argocd-cm"},
		"data":     map[string]any{"application.resourceTrackingMethod": "annotation"},
	})

	run := func(extra ...string) (map[string]string, string) {
		t.Helper()
		args := append([]string{"bootstrap", "--root", root, "--env", "dev", "--kubeconfig", c.kubeconfig, "--manifests", manifests}, extra...)
		out, code := runPlatform(ctx, bin, args...)
		if code != 0 {
			t.Fatalf("platform %s: exit %d\n%s", strings.Join(args, " "), code, out)
		}
		return bootstrapActions(t, out), out
	}
	wantAll := func(got map[string]string, out, action string) {
		t.Helper()
		want := []string{"Namespace/argocd", "CustomResourceDefinition/applications.argoproj.io",
			"CustomResourceDefinition/appprojects.argoproj.io", "ConfigMap/argocd/argocd-cm"}
		for _, b := range bootstrapped {
			want = append(want, b.kind+"/argocd/"+b.name)
		}
		if len(got) != len(want) {
			t.Errorf("%d objects reported, want %d:\n%s", len(got), len(want), out)
		}
		for _, k := range want {
			if got[k] != action {
				t.Errorf("%s: %q, want %q\n%s", k, got[k], action, out)
			}
		}
	}

	got, out := run("--dry-run")
	wantAll(got, out, "would create")
	if _, err := c.kube.CoreV1().Namespaces().Get(ctx, "argocd", metav1.GetOptions{}); err == nil {
		t.Fatal("the dry run created namespace argocd")
	}

	got, out = run()
	wantAll(got, out, "created")
	c.resetMapper()
	versions := map[string]string{}
	for _, b := range bootstrapped {
		u := c.get(ctx, t, "argoproj.io/v1alpha1", b.kind, "argocd", b.name)
		if !appliedBy(u, "platform-bootstrap") {
			t.Errorf("%s %s: not server-side applied by platform-bootstrap: %v", b.kind, b.name, u.GetManagedFields())
		}
		versions[b.name] = u.GetResourceVersion()
	}
	cm := c.get(ctx, t, "v1", "ConfigMap", "argocd", "argocd-cm")
	if !appliedBy(cm, "argocd-controller") {
		t.Errorf("argocd-cm: not applied as argocd-controller (Argo CD's own server-side sync manager): %v", cm.GetManagedFields())
	}
	// owned, as Argo CD's annotation tracking will record it, by the
	// argo-cd add-on's Application (the model tracks by annotation).
	if got, want := cm.GetAnnotations()["argocd.argoproj.io/tracking-id"], "dev-addon-argo-cd:/ConfigMap:argocd/argocd-cm"; got != want {
		t.Errorf("argocd-cm tracking id %q, want %q", got, want)
	}
	if ns := c.get(ctx, t, "v1", "Namespace", "", "argocd"); ns.GetAnnotations()["argocd.argoproj.io/tracking-id"] != "" {
		t.Errorf("namespace argocd carries a tracking id: Argo CD creates it without one")
	}

	got, out = run()
	wantAll(got, out, "unchanged")
	for _, b := range bootstrapped {
		if v := c.get(ctx, t, "argoproj.io/v1alpha1", b.kind, "argocd", b.name).GetResourceVersion(); v != versions[b.name] {
			t.Errorf("%s %s: resourceVersion %s -> %s on a run that reported unchanged", b.kind, b.name, versions[b.name], v)
		}
	}

	// a hand edit of the root Application.
	apps, _, err := c.resource("argoproj.io/v1alpha1", "Application", "argocd")
	if err != nil {
		t.Fatal(err)
	}
	rootApp := c.get(ctx, t, "argoproj.io/v1alpha1", "Application", "argocd", "dev-root")
	if err := unstructured.SetNestedField(rootApp.Object, "hand-edited", "spec", "source", "targetRevision"); err != nil {
		t.Fatal(err)
	}
	if _, err := apps.Update(ctx, rootApp, metav1.UpdateOptions{FieldManager: "kubectl-edit"}); err != nil {
		t.Fatal(err)
	}
	revision := func() string {
		s, _, _ := unstructured.NestedString(c.get(ctx, t, "argoproj.io/v1alpha1", "Application", "argocd", "dev-root").Object, "spec", "source", "targetRevision")
		return s
	}

	got, out = run("--dry-run")
	if got["Application/argocd/dev-root"] != "would configure" || got["AppProject/argocd/bloody-sweet-dev"] != "unchanged" {
		t.Errorf("dry run after a hand edit of dev-root:\n%s", out)
	}
	if r := revision(); r != "hand-edited" {
		t.Errorf("the dry run changed dev-root's targetRevision to %q", r)
	}
	got, out = run()
	if got["Application/argocd/dev-root"] != "configured" || got["Application/argocd/dev-addons"] != "unchanged" {
		t.Errorf("run after a hand edit of dev-root:\n%s", out)
	}
	if r := revision(); r != "main" {
		t.Errorf("dev-root's targetRevision is %q after bootstrap, want the rendered main", r)
	}

	// bad input: exit 2 and a message naming it.
	for _, args := range [][]string{
		{"bootstrap", "--root", root, "--env", "qa", "--kubeconfig", c.kubeconfig},
		{"bootstrap", "--root", root, "--env", "dev", "--kubeconfig", filepath.Join(t.TempDir(), "missing")},
	} {
		out, code := runPlatform(ctx, bin, args...)
		if code != 2 || !strings.Contains(out, "platform:") {
			t.Errorf("platform %s: exit %d, want 2\n%s", strings.Join(args, " "), code, out)
		}
	}
}

// runPlatform runs the CLI and returns its combined output and exit code.
func runPlatform(ctx context.Context, bin string, args ...string) (string, int) {
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return out.String(), exit.ExitCode()
	}
	if err != nil {
		return out.String() + err.Error(), -1
	}
	return out.String(), 0
}

var columns = regexp.MustCompile(`\s{2,}`)

// bootstrapActions reads bootstrap's table: Kind/[namespace/]name -> action.
func bootstrapActions(t testing.TB, out string) map[string]string {
	t.Helper()
	got := map[string]string{}
	table := false
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "ACTION") {
			table = true
			continue
		}
		if !table || strings.HasPrefix(line, "bootstrap") || strings.TrimSpace(line) == "" {
			continue
		}
		f := columns.Split(strings.TrimSpace(line), -1)
		if len(f) < 4 {
			t.Fatalf("unreadable bootstrap line %q", line)
		}
		k := f[1] + "/" + f[3]
		if f[2] != "-" {
			k = f[1] + "/" + f[2] + "/" + f[3]
		}
		got[k] = f[0]
	}
	return got
}

// appliedBy reports whether manager holds fields of u through an apply.
func appliedBy(u *unstructured.Unstructured, manager string) bool {
	for _, m := range u.GetManagedFields() {
		if m.Manager == manager && m.Operation == metav1.ManagedFieldsOperationApply {
			return true
		}
	}
	return false
}

func (c *cluster) get(ctx context.Context, t testing.TB, apiVersion, kind, namespace, name string) *unstructured.Unstructured {
	t.Helper()
	ri, _, err := c.resource(apiVersion, kind, namespace)
	if err != nil {
		t.Fatal(err)
	}
	u, err := ri.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get %s %s/%s: %v", kind, namespace, name, err)
	}
	return u
}

func writeYAML(t testing.TB, path string, v any) {
	t.Helper()
	b, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBootstrapChart: the chart path (--chart) against a real
// kube-apiserver, with internal/bootstrap's stand-in chart pinned like the
// model's argo-cd: its CRD is served before the objects after it, the
// namespace-less objects land in argocd, the install hook is applied like
// the rest, and a second run changes nothing.
func TestBootstrapChart(t *testing.T) {
	c := startCluster(t)
	root := repoRoot(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	bin := filepath.Join(t.TempDir(), "platform")
	build := exec.Command("go", "build", "-o", bin, "./cmd/platform")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/platform: %v\n%s", err, out)
	}
	args := []string{"bootstrap", "--root", root, "--env", "staging", "--kubeconfig", c.kubeconfig,
		"--chart", filepath.Join(root, "internal", "bootstrap", "testdata", "chart")}
	for i, want := range []string{"created", "unchanged"} {
		out, code := runPlatform(ctx, bin, args...)
		if code != 0 {
			t.Fatalf("run %d: exit %d\n%s", i+1, code, out)
		}
		got := bootstrapActions(t, out)
		for _, k := range []string{"Namespace/argocd", "CustomResourceDefinition/widgets.example.test", "ClusterRole/argo-cd-controller",
			"ConfigMap/argocd/argocd-cm", "Deployment/argocd/argo-cd-server", "Job/argocd/argo-cd-secret-init",
			"AppProject/argocd/bloody-sweet-staging", "Application/argocd/staging-root"} {
			if got[k] != want {
				t.Errorf("run %d: %s %q, want %q\n%s", i+1, k, got[k], want, out)
			}
		}
	}
}
