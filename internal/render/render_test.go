package render

import (
	"bytes"
	"encoding/json"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/lint"
	"helm.sh/helm/v3/pkg/lint/support"
	"sigs.k8s.io/yaml"
)

// TestGolden renders the fixture model and compares every file with
// testdata/golden; `go test ./internal/render -update` rewrites them.
func TestGolden(t *testing.T) {
	res, err := Render(Options{Root: fixtureRoot(t)})
	if err != nil {
		t.Fatal(err)
	}
	golden := "testdata/golden"
	if *update {
		if err := os.RemoveAll(golden); err != nil {
			t.Fatal(err)
		}
		if _, err := Write(golden, res); err != nil {
			t.Fatal(err)
		}
	}
	changes, err := Plan(golden, res)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range changes {
		t.Errorf("%s: golden file differs (%s); run go test ./internal/render -update and review", c.Path, c.Kind)
	}
	// 3 environments x (5 services x 4 files + project + root + add-ons:
	// their app-of-apps, project, 6 add-on Applications, the platform
	// Application, the ClusterSecretStore, Karpenter's node pool, the
	// services' namespace, and with the monitoring stack Alertmanager's
	// receivers Secret, the telemetry alerts, Grafana's admin secret and the
	// dashboards).
	if got, want := len(res.Files), 3*(5*4+2+(1+1+6+1+1+1+1+2+2)); got != want {
		t.Errorf("rendered %d files, want %d", got, want)
	}
}

// TestDeterministic renders twice and proves the bytes are identical, then
// that writing is idempotent and --check (Plan) sees nothing stale.
func TestDeterministic(t *testing.T) {
	root := fixtureRoot(t)
	first, err := Render(Options{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	second, err := Render(Options{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(first.Files, second.Files); diff != "" {
		t.Fatalf("second render differs (-first +second):\n%s", diff)
	}
	changes, err := Write(root, first)
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != len(first.Files) {
		t.Errorf("first write made %d changes, want %d", len(changes), len(first.Files))
	}
	if changes, err := Write(root, second); err != nil || len(changes) != 0 {
		t.Errorf("second write: changes %v, err %v; want none", changes, err)
	}
}

// TestStaleFiles: a generated file the model no longer produces is reported
// by Plan (--check) and removed by Write with its empty directory; files
// outside the rendered environment are left alone.
func TestStaleFiles(t *testing.T) {
	root := fixtureRoot(t)
	res, err := Render(Options{Root: root, Envs: []string{"dev"}})
	if err != nil {
		t.Fatal(err)
	}
	ghost := filepath.Join(root, "environments/dev/ghost/values.gen.yaml")
	other := filepath.Join(root, "environments/prod/ghost/values.gen.yaml")
	for _, p := range []string{ghost, other} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x: 1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	changes, err := Write(root, res)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(changes, Change{"environments/dev/ghost/values.gen.yaml", "delete"}) {
		t.Errorf("changes %v lack the stale dev file", changes)
	}
	if _, err := os.Stat(filepath.Dir(ghost)); !os.IsNotExist(err) {
		t.Errorf("stale directory still there: %v", err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("file outside --env dev was touched: %v", err)
	}
}

// TestChartRolloutMatchesCUE: the chart must render exactly the Rollout and
// AnalysisTemplate that the CUE model built and checked against the Argo
// Rollouts CRD schema (rollout.gen.yaml): the chart places CUE's spec under
// its own metadata helper, and this holds the two halves together.
func TestChartRolloutMatchesCUE(t *testing.T) {
	res, err := Render(Options{Root: fixtureRoot(t)})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range res.Paths() {
		if path.Base(p) != "rollout.gen.yaml" {
			continue
		}
		want := docsByKind(t, res.Files[p])
		got := docsByKind(t, res.Files[path.Join(path.Dir(p), "manifests.gen.yaml")])
		for _, kind := range []string{"Rollout", "AnalysisTemplate"} {
			if want[kind] == nil {
				t.Fatalf("%s: no %s", p, kind)
			}
			if diff := cmp.Diff(want[kind], got[kind]); diff != "" {
				t.Errorf("%s: chart %s differs from the CUE one (-cue +chart):\n%s", p, kind, diff)
			}
		}
		n++
	}
	if n != 15 {
		t.Errorf("compared %d services, want 15", n)
	}
}

func docsByKind(t *testing.T, b []byte) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, doc := range bytes.Split(b, []byte("\n---\n")) {
		var m map[string]any
		if err := yaml.Unmarshal(doc, &m); err != nil {
			t.Fatalf("parse document: %v\n%s", err, doc)
		}
		if kind, ok := m["kind"].(string); ok && (kind == "Rollout" || kind == "AnalysisTemplate") {
			out[kind] = m
		}
	}
	return out
}

// TestHelmLint lints the shared chart with its default values and with
// every rendered values.gen.yaml; any warning or error fails.
func TestHelmLint(t *testing.T) {
	chartDir := filepath.Join(repoRoot(t), ChartDir)
	res, err := Render(Options{Root: fixtureRoot(t)})
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]map[string]any{"values.yaml (defaults)": nil}
	for _, p := range res.Paths() {
		if path.Base(p) == "values.gen.yaml" {
			var v map[string]any
			if err := yaml.Unmarshal(res.Files[p], &v); err != nil {
				t.Fatal(err)
			}
			cases[p] = v
		}
	}
	for name, vals := range cases {
		ns := "orders-dev"
		if vals != nil {
			ns = vals["namespace"].(string)
		}
		result := lint.AllWithKubeVersion(chartDir, vals, ns, &chartutil.DefaultCapabilities.KubeVersion)
		for _, m := range result.Messages {
			if m.Severity >= support.WarningSev {
				t.Errorf("%s: %s", name, m)
			}
		}
	}
}

// TestAnalysisUsesCatalogMetrics: every metric an AnalysisTemplate queries
// is one the service exports (policies/data/metric_catalog.json: common, plus
// api for api services, plus the service's own entry).
func TestAnalysisUsesCatalogMetrics(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(repoRoot(t), "policies/data/metric_catalog.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Catalog map[string][]string `json:"metric_catalog"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	res, err := Render(Options{Root: fixtureRoot(t)})
	if err != nil {
		t.Fatal(err)
	}
	metric := regexp.MustCompile(`([a-zA-Z_:][a-zA-Z0-9_:]*)\{`)
	checked := 0
	for _, p := range res.Paths() {
		if path.Base(p) != "rollout.gen.yaml" {
			continue
		}
		svc := path.Base(path.Dir(p))
		tmpl := docsByKind(t, res.Files[p])["AnalysisTemplate"]
		kind := tmpl["metadata"].(map[string]any)["labels"].(map[string]any)["app.kubernetes.io/component"].(string)
		allowed := slices.Concat(doc.Catalog["common"], doc.Catalog[svc])
		if kind == "api" {
			allowed = append(allowed, doc.Catalog["api"]...)
		}
		for _, m := range tmpl["spec"].(map[string]any)["metrics"].([]any) {
			q := m.(map[string]any)["provider"].(map[string]any)["prometheus"].(map[string]any)["query"].(string)
			for _, g := range metric.FindAllStringSubmatch(q, -1) {
				name := g[1]
				for _, suffix := range []string{"_bucket", "_sum", "_count"} {
					if base, ok := strings.CutSuffix(name, suffix); ok && slices.Contains(allowed, base) {
						name = base
					}
				}
				if !slices.Contains(allowed, name) {
					t.Errorf("%s: query uses %q, not in the catalog for %s", p, g[1], svc)
				}
				checked++
			}
		}
	}
	if checked == 0 {
		t.Fatal("no metric names found in any AnalysisTemplate")
	}
}
