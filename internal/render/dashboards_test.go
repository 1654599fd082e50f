package render

import (
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/bloody-sweet/platform/internal/cliexit"
	"github.com/bloody-sweet/platform/internal/dashboards"
)

// TestGrafanaIsWiredToTheDashboards renders the real model and checks
// Grafana's side of every environment: kube-prometheus-stack enables it
// with the admin account from the ExternalSecret the platform objects
// render, syncs after them, provisions data sources with exactly the UIDs
// the dashboards name (Prometheus' exemplars and Loki's trace_id lead to
// X-Ray), and its sidecar loads the dashboards' ConfigMaps.
func TestGrafanaIsWiredToTheDashboards(t *testing.T) {
	res, err := Render(Options{Root: repoRoot(t)})
	if err != nil {
		t.Fatal(err)
	}
	for _, env := range res.Envs {
		t.Run(env, func(t *testing.T) {
			app := parseDoc(t, res, path.Join(AppsDir, env, AddonsDir, "kube-prometheus-stack.application.gen.yaml"))
			platform := parseDoc(t, res, path.Join(AppsDir, env, AddonsDir, "platform.application.gen.yaml"))
			g, ok := dig(app, "spec.source.helm.valuesObject.grafana").(map[string]any)
			if !ok || g["enabled"] != true {
				t.Fatalf("Grafana is not enabled: %v", g)
			}
			// plugins are pinned like charts: "<id> <exact version>".
			for _, p := range asStrings(g["plugins"]) {
				if id, v, ok := strings.Cut(p, " "); !ok || id == "" || !exactVersion.MatchString(v) {
					t.Errorf("Grafana plugin %q is not pinned to one version", p)
				}
			}
			// the admin Secret exists before Grafana starts.
			appWave := dig(app, "metadata.annotations").(map[string]any)["argocd.argoproj.io/sync-wave"].(string)
			platWave := dig(platform, "metadata.annotations").(map[string]any)["argocd.argoproj.io/sync-wave"].(string)
			if a, p := atoi(t, appWave), atoi(t, platWave); a <= p {
				t.Errorf("kube-prometheus-stack syncs in wave %d, not after the platform objects (wave %d) that hold Grafana's admin Secret", a, p)
			}
			secret := docOfKind(t, res, path.Join(EnvironmentsDir, env, PlatformDir, "grafana.gen.yaml"), "ExternalSecret")
			// the platform objects sync before kube-prometheus-stack creates
			// Grafana's namespace: their Application creates it.
			ns := str(t, app, "spec.destination.namespace")
			if got := str(t, platform, "spec.destination.namespace"); got != ns || !slices.Contains(asStrings(dig(platform, "spec.syncPolicy.syncOptions")), "CreateNamespace=true") {
				t.Errorf("the platform Application does not create Grafana's namespace %s (destination %s)", ns, got)
			}
			if got := str(t, secret, "metadata.namespace"); got != ns {
				t.Errorf("Grafana's admin ExternalSecret is in %s, Grafana in %s", got, ns)
			}
			admin := dig(g, "admin").(map[string]any)
			if admin["existingSecret"] != str(t, secret, "spec.target.name") {
				t.Errorf("Grafana reads admin Secret %v, the ExternalSecret makes %s", admin["existingSecret"], str(t, secret, "spec.target.name"))
			}
			keys := map[string]bool{}
			for _, d := range dig(secret, "spec.data").([]any) {
				keys[d.(map[string]any)["secretKey"].(string)] = true
				if k := dig(d, "remoteRef.key").(string); !strings.HasPrefix(k, "bloody-sweet/"+env+"/") {
					t.Errorf("Grafana's admin secret %s is outside the environment's prefix", k)
				}
			}
			for _, k := range []string{"userKey", "passwordKey"} {
				if !keys[admin[k].(string)] {
					t.Errorf("Grafana's admin %s %v is not a key of the ExternalSecret (%v)", k, admin[k], keys)
				}
			}

			byUID := map[string]map[string]any{}
			for _, ds := range dig(g, "additionalDataSources").([]any) {
				m := ds.(map[string]any)
				byUID[m["uid"].(string)] = m
			}
			for uid, typ := range map[string]string{dashboards.PrometheusUID: "prometheus", dashboards.LokiUID: "loki", dashboards.XRayUID: "grafana-x-ray-datasource"} {
				if byUID[uid] == nil || byUID[uid]["type"] != typ {
					t.Errorf("no %s data source with uid %q (the dashboards' UID): %v", typ, uid, byUID[uid])
				}
			}
			if got := dig(byUID[dashboards.PrometheusUID], "jsonData.exemplarTraceIdDestinations").([]any)[0].(map[string]any)["datasourceUid"]; got != dashboards.XRayUID {
				t.Errorf("Prometheus exemplars lead to %v, not X-Ray", got)
			}
			if got := dig(byUID[dashboards.LokiUID], "jsonData.derivedFields").([]any)[0].(map[string]any)["datasourceUid"]; got != dashboards.XRayUID {
				t.Errorf("Loki's trace_id leads to %v, not X-Ray", got)
			}
			feats := asStrings(dig(app, "spec.source.helm.valuesObject.prometheus.prometheusSpec.enableFeatures"))
			if !strings.Contains(strings.Join(feats, ","), "exemplar-storage") {
				t.Errorf("Prometheus keeps no exemplars: enableFeatures %v", feats)
			}

			// the sidecar picks the dashboards' ConfigMaps up.
			side := dig(g, "sidecar.dashboards").(map[string]any)
			cms := docsOf(t, res, path.Join(EnvironmentsDir, env, PlatformDir, DashboardsFile))
			if len(cms) < 4 {
				t.Fatalf("%d dashboards rendered, want the overview, one per service, the canary and Kafka", len(cms))
			}
			for _, cm := range cms {
				name := str(t, cm, "metadata.name")
				if got := dig(cm, "metadata.labels").(map[string]any)[side["label"].(string)]; got != side["labelValue"] {
					t.Errorf("ConfigMap %s: label %v=%v, the sidecar looks for %v", name, side["label"], got, side["labelValue"])
				}
				if ns := str(t, cm, "metadata.namespace"); ns != side["searchNamespace"] || ns != str(t, secret, "metadata.namespace") {
					t.Errorf("ConfigMap %s in namespace %s, the sidecar searches %v", name, ns, side["searchNamespace"])
				}
			}
		})
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func docsOf(t *testing.T, res *Result, p string) []map[string]any {
	t.Helper()
	b, ok := res.Files[p]
	if !ok {
		t.Fatalf("%s was not rendered", p)
	}
	var out []map[string]any
	for _, d := range strings.Split(string(b), "\n---\n") {
		var m map[string]any
		if err := yaml.Unmarshal([]byte(d), &m); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if m != nil {
			out = append(out, m)
		}
	}
	return out
}

func docOfKind(t *testing.T, res *Result, p, kind string) map[string]any {
	t.Helper()
	for _, d := range docsOf(t, res, p) {
		if d["kind"] == kind {
			return d
		}
	}
	t.Fatalf("%s has no %s", p, kind)
	return nil
}

// TestDashboardsRefuseAMetricOutsideTheCatalog: with outbox_backlog taken
// out of the catalog, the render fails as bad input naming the dashboard
// and the panel that queries it, and writes nothing.
func TestDashboardsRefuseAMetricOutsideTheCatalog(t *testing.T) {
	root := fixtureRoot(t)
	data := filepath.Join(root, CatalogDir)
	if err := os.Remove(data); err != nil { // the symlink to the real catalog
		t.Fatal(err)
	}
	copyDir(t, filepath.Join(repoRoot(t), CatalogDir), data)
	cat := filepath.Join(data, "metric_catalog.json")
	b, err := os.ReadFile(cat)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"outbox_backlog"`) {
		t.Fatal("the catalog no longer lists outbox_backlog")
	}
	edited := strings.Replace(string(b), `"outbox_backlog"`, `"outbox_rows"`, 1)
	if err := os.WriteFile(cat, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Render(Options{Root: root, Envs: []string{"dev"}})
	if err == nil {
		t.Fatal("render accepted a dashboard on a metric outside the catalog")
	}
	if cliexit.Code(err) != 2 {
		t.Errorf("error is not bad input (exit 2): %v", err)
	}
	for _, want := range []string{`dashboard "bloody-sweet dev: order"`, `panel "Outbox backlog"`, "metric outbox_backlog is not in the metric catalog"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %s: %v", want, err)
		}
	}
}
