package bootstrap

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/bloody-sweet/platform/internal/cliexit"
)

const repoRoot = "../.."

// TestLoadModel: each environment's model is its rendered Argo CD add-on
// (chart, version, release, namespace, values) and the projects before the
// root Applications that name them.
func TestLoadModel(t *testing.T) {
	envs, err := Environments(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	if len(envs) == 0 {
		t.Fatal("no rendered environments")
	}
	for _, env := range envs {
		m, err := LoadModel(repoRoot, env)
		if err != nil {
			t.Fatalf("%s: %v", env, err)
		}
		var app map[string]any
		raw, err := os.ReadFile(filepath.Join(repoRoot, "apps", env, "addons", "argo-cd.application.gen.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal(raw, &app); err != nil {
			t.Fatal(err)
		}
		src := app["spec"].(map[string]any)["source"].(map[string]any)
		helm := src["helm"].(map[string]any)
		want := Chart{
			Application: app["metadata"].(map[string]any)["name"].(string),
			RepoURL:     src["repoURL"].(string), Name: src["chart"].(string), Version: src["targetRevision"].(string),
			ReleaseName: helm["releaseName"].(string), Namespace: app["spec"].(map[string]any)["destination"].(map[string]any)["namespace"].(string),
		}
		got := m.ArgoCD
		got.Values = nil
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: chart %+v, want %+v", env, got, want)
		}
		if tag, _, _ := unstructured.NestedString(m.ArgoCD.Values, "global", "image", "tag"); tag == "" {
			t.Errorf("%s: the values lost global.image.tag", env)
		}
		var names []string
		for _, o := range m.Objects() {
			names = append(names, o.GetKind()+"/"+o.GetName())
		}
		wantNames := []string{
			"AppProject/bloody-sweet-" + env, "AppProject/bloody-sweet-" + env + "-addons",
			"Application/" + env + "-root", "Application/" + env + "-addons",
		}
		if !slices.Equal(names, wantNames) {
			t.Errorf("%s: objects %v, want %v", env, names, wantNames)
		}
		// each root Application's project is one bootstrap applies first:
		// no Application waits for a project it would deploy itself.
		for _, r := range m.Roots {
			project, _, _ := unstructured.NestedString(r.Object, "spec", "project")
			if !slices.ContainsFunc(m.Projects, func(p *unstructured.Unstructured) bool { return p.GetName() == project }) {
				t.Errorf("%s: %s belongs to project %q, which bootstrap does not apply", env, r.GetName(), project)
			}
		}
	}
}

func TestUnknownEnvironmentIsBadInput(t *testing.T) {
	_, err := LoadModel(repoRoot, "qa")
	if cliexit.Code(err) != cliexit.BadInput || !strings.Contains(err.Error(), `"qa"`) || !strings.Contains(err.Error(), "dev") {
		t.Fatalf("got %v (exit %d), want exit 2 naming qa and the rendered environments", err, cliexit.Code(err))
	}
	_, err = Run(context.Background(), Options{Root: repoRoot, Env: "dev"})
	if cliexit.Code(err) != cliexit.BadInput {
		t.Fatalf("no cluster: got %v, want exit 2", err)
	}
}

// testChart is testdata/chart as the model would pin it.
func testChart(values map[string]any) Chart {
	return Chart{Name: "argo-cd", Version: "9.3.7", ReleaseName: "argo-cd", Namespace: "argocd", Values: values}
}

// copyChart copies testdata/chart to a temporary directory (tests remove
// parts of it).
func copyChart(t *testing.T) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "argo-cd")
	err := filepath.WalkDir("testdata/chart", func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("testdata/chart", p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestLoadChartRefusesAnotherChart: a local chart must be the pinned name
// and version and carry every dependency its values enable (prod enables
// redis-ha; a chart checked out from Git does not vendor it).
func TestLoadChartRefusesAnotherChart(t *testing.T) {
	dir := copyChart(t)
	if _, err := LoadChart(context.Background(), testChart(nil), dir); err != nil {
		t.Fatalf("the pinned chart: %v", err)
	}
	other := testChart(nil)
	other.Version = "9.3.8"
	if _, err := LoadChart(context.Background(), other, dir); cliexit.Code(err) != cliexit.BadInput || !strings.Contains(err.Error(), "9.3.8") {
		t.Errorf("another version: got %v, want exit 2 naming the pinned version", err)
	}
	ha := map[string]any{"redis-ha": map[string]any{"enabled": true}}
	if _, err := LoadChart(context.Background(), testChart(ha), dir); err != nil {
		t.Errorf("redis-ha enabled and vendored: %v", err)
	}
	if err := os.RemoveAll(filepath.Join(dir, "charts", "redis-ha")); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadChart(context.Background(), testChart(ha), dir); cliexit.Code(err) != cliexit.BadInput || !strings.Contains(err.Error(), "redis-ha") {
		t.Errorf("redis-ha enabled, not vendored: got %v, want exit 2 naming redis-ha", err)
	}
	if _, err := LoadChart(context.Background(), testChart(nil), dir); err != nil {
		t.Errorf("redis-ha disabled, not vendored: %v", err)
	}
}

// TestRenderChart: rendered like `helm template --include-crds` for the
// cluster: crds/ first, release name and namespace, the cluster's version
// and APIs as Capabilities, install hooks kept, test hooks and NOTES.txt
// dropped, a disabled subchart absent.
func TestRenderChart(t *testing.T) {
	render := func(values map[string]any, apis []string) map[string]*unstructured.Unstructured {
		t.Helper()
		ch, err := loader.Load("testdata/chart")
		if err != nil {
			t.Fatal(err)
		}
		objs, err := RenderChart(ch, testChart(values), Cluster{KubeVersion: "v1.34.4", APIVersions: apis})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objs[:3] {
			if o.GetKind() != "CustomResourceDefinition" {
				t.Errorf("%s %s before the CRDs of crds/", o.GetKind(), o.GetName())
			}
		}
		out := map[string]*unstructured.Unstructured{}
		for _, o := range objs {
			out[o.GetKind()+"/"+o.GetName()] = o
		}
		return out
	}
	got := render(map[string]any{"image": map[string]any{"tag": "v3.2.11"}}, nil)
	var keys []string
	for k := range got {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"ClusterRole/argo-cd-controller", "ConfigMap/argocd-cm", "CustomResourceDefinition/applications.argoproj.io",
		"CustomResourceDefinition/appprojects.argoproj.io", "CustomResourceDefinition/widgets.example.test",
		"Deployment/argo-cd-server", "Job/argo-cd-secret-init"}
	if !slices.Equal(keys, want) {
		t.Fatalf("rendered %v, want %v", keys, want)
	}
	img, _, _ := unstructured.NestedSlice(got["Deployment/argo-cd-server"].Object, "spec", "template", "spec", "containers")
	if !strings.HasSuffix(img[0].(map[string]any)["image"].(string), ":v3.2.11") {
		t.Errorf("the values' image tag was not used: %v", img)
	}
	cm := got["ConfigMap/argocd-cm"]
	if cm.GetNamespace() != "argocd" {
		t.Errorf("release namespace %q, want argocd", cm.GetNamespace())
	}
	data, _, _ := unstructured.NestedStringMap(cm.Object, "data")
	if data["kube"] != "v1.34.4" || data["widgets"] != "" {
		t.Errorf("capabilities: %v, want the cluster's version and no example.test/v1", data)
	}
	got = render(map[string]any{"redis-ha": map[string]any{"enabled": true}}, []string{"example.test/v1"})
	data, _, _ = unstructured.NestedStringMap(got["ConfigMap/argocd-cm"].Object, "data")
	if data["widgets"] != "served" {
		t.Errorf("the cluster's API versions did not reach .Capabilities: %v", data)
	}
	if got["StatefulSet/argo-cd-redis-ha"] == nil {
		t.Error("redis-ha enabled but not rendered")
	}
}

// TestDownloadChart: without --chart the archive is the one the
// repository's index names, and must match the index's SHA-256.
func TestDownloadChart(t *testing.T) {
	ch, err := loader.Load("testdata/chart")
	if err != nil {
		t.Fatal(err)
	}
	archivePath, err := chartutil.Save(ch, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	archive, err := os.ReadFile(archivePath)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(archive)
	digest := hex.EncodeToString(sum[:])
	mux := http.NewServeMux()
	mux.HandleFunc("/charts/index.yaml", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "apiVersion: v1\nentries:\n  argo-cd:\n  - version: 9.3.6\n    urls: [argo-cd-9.3.6.tgz]\n  - version: 9.3.7\n    digest: %s\n    urls: [dl/argo-cd-9.3.7.tgz]\n", digest)
	})
	mux.HandleFunc("/charts/dl/argo-cd-9.3.7.tgz", func(w http.ResponseWriter, _ *http.Request) { w.Write(archive) })
	srv := httptest.NewTLSServer(mux)
	defer srv.Close()

	c := testChart(nil)
	c.RepoURL = srv.URL + "/charts"
	got, err := downloadChart(context.Background(), srv.Client(), c)
	if err != nil {
		t.Fatal(err)
	}
	if got.Metadata.Name != "argo-cd" || got.Metadata.Version != "9.3.7" || len(got.Templates) != len(ch.Templates) {
		t.Errorf("downloaded %s %s with %d templates", got.Metadata.Name, got.Metadata.Version, len(got.Templates))
	}

	digest = strings.Repeat("0", 64)
	if _, err := downloadChart(context.Background(), srv.Client(), c); err == nil || !strings.Contains(err.Error(), "SHA-256") {
		t.Errorf("a digest mismatch: got %v, want a SHA-256 error", err)
	}
	c.Version = "9.9.9"
	if _, err := downloadChart(context.Background(), srv.Client(), c); err == nil || !strings.Contains(err.Error(), "9.9.9") {
		t.Errorf("a version the index lacks: got %v", err)
	}
	c.RepoURL = "http://charts.invalid"
	if _, err := downloadChart(context.Background(), srv.Client(), c); cliexit.Code(err) != cliexit.BadInput {
		t.Errorf("a plain-http repository: got %v, want exit 2", err)
	}
}

func TestInstallOrder(t *testing.T) {
	obj := func(kind string) *unstructured.Unstructured {
		u := &unstructured.Unstructured{}
		u.SetKind(kind)
		return u
	}
	var kinds []string
	for _, o := range installOrder([]*unstructured.Unstructured{obj("Widget"), obj("Deployment"), obj("ConfigMap"), obj("CustomResourceDefinition"), obj("Namespace")}) {
		kinds = append(kinds, o.GetKind())
	}
	// Helm's install order; kinds it does not know last.
	pos := func(k string) int { return slices.Index(kinds, k) }
	if pos("Namespace") != 0 || pos("Widget") != len(kinds)-1 || pos("ConfigMap") > pos("Deployment") || pos("CustomResourceDefinition") > pos("Deployment") {
		t.Errorf("order %v", kinds)
	}
}

func TestDecodeObjectsNamesTheLine(t *testing.T) {
	_, err := decodeObjects("x.yaml", []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\nmetadata: {name: b}\n"))
	if cliexit.Code(err) != cliexit.BadInput || !strings.Contains(err.Error(), "x.yaml:5") {
		t.Fatalf("got %v, want exit 2 at x.yaml:5", err)
	}
}

// TestTrackingID: the annotation Argo CD's annotation tracking writes,
// <app>:<group>/<kind>:<namespace>/<name>, the destination namespace
// standing in for a missing one (cluster-scoped objects too).
func TestTrackingID(t *testing.T) {
	cm := &unstructured.Unstructured{}
	cm.SetAPIVersion("v1")
	cm.SetKind("ConfigMap")
	cm.SetName("argocd-cm")
	cm.SetNamespace("argocd")
	crd := &unstructured.Unstructured{}
	crd.SetAPIVersion("apiextensions.k8s.io/v1")
	crd.SetKind("CustomResourceDefinition")
	crd.SetName("applications.argoproj.io")
	for obj, want := range map[*unstructured.Unstructured]string{
		cm:  "dev-addon-argo-cd:/ConfigMap:argocd/argocd-cm",
		crd: "dev-addon-argo-cd:apiextensions.k8s.io/CustomResourceDefinition:argocd/applications.argoproj.io",
	} {
		if got := trackingID("dev-addon-argo-cd", "argocd", obj); got != want {
			t.Errorf("%s: %q, want %q", obj.GetKind(), got, want)
		}
	}
	c := testChart(map[string]any{"configs": map[string]any{"cm": map[string]any{"application.resourceTrackingMethod": "annotation"}}})
	if !c.tracksByAnnotation() || testChart(nil).tracksByAnnotation() {
		t.Error("tracksByAnnotation does not follow configs.cm")
	}
}
