package render

import (
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

// exactVersion is what an add-on's targetRevision must look like: one
// release, never a range, a wildcard or a branch.
var exactVersion = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$`)

func parseDoc(t *testing.T, res *Result, p string) map[string]any {
	t.Helper()
	b, ok := res.Files[p]
	if !ok {
		t.Fatalf("%s was not rendered", p)
	}
	var m map[string]any
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	return m
}

func str(t *testing.T, v any, field string) string {
	t.Helper()
	for _, k := range strings.Split(field, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("no %s", field)
		}
		v = m[k]
	}
	s, ok := v.(string)
	if !ok {
		t.Fatalf("%s is %v, not a string", field, v)
	}
	return s
}

// TestAddonsProjectMatchesApplications: the add-ons AppProject of each
// environment allows exactly the repositories and namespaces its
// Applications use, every add-on Application belongs to it and pins an
// exact chart version, and the services' project allows no cluster-scoped
// kind at all.
func TestAddonsProjectMatchesApplications(t *testing.T) {
	res, err := Render(Options{Root: fixtureRoot(t)})
	if err != nil {
		t.Fatal(err)
	}
	for _, env := range res.Envs {
		dir := path.Join(AppsDir, env, AddonsDir)
		project := parseDoc(t, res, path.Join(dir, "project.gen.yaml"))
		projectName := str(t, project, "metadata.name")
		if want := "bloody-sweet-" + env + "-addons"; projectName != want {
			t.Errorf("%s: add-ons project %q, want %q", env, projectName, want)
		}
		repos := map[string]bool{}
		namespaces := map[string]bool{}
		apps := 0
		for _, p := range res.Paths() {
			if path.Dir(p) != dir || !strings.HasSuffix(p, ".application.gen.yaml") {
				continue
			}
			apps++
			app := parseDoc(t, res, p)
			if got := str(t, app, "spec.project"); got != projectName {
				t.Errorf("%s: project %q, want %q", p, got, projectName)
			}
			repos[str(t, app, "spec.source.repoURL")] = true
			namespaces[str(t, app, "spec.destination.namespace")] = true
			if path.Base(p) == "platform.application.gen.yaml" {
				continue
			}
			if v := str(t, app, "spec.source.targetRevision"); !exactVersion.MatchString(v) {
				t.Errorf("%s: targetRevision %q is not one exact chart version", p, v)
			}
		}
		if apps != 7 {
			t.Errorf("%s: %d add-on Applications, want 7 (6 add-ons and the platform one)", env, apps)
		}
		var gotRepos []string
		for _, r := range project["spec"].(map[string]any)["sourceRepos"].([]any) {
			gotRepos = append(gotRepos, r.(string))
		}
		if diff := cmp.Diff(sortedKeys(repos), gotRepos); diff != "" {
			t.Errorf("%s: sourceRepos differ from the Applications' repositories (-apps +project):\n%s", env, diff)
		}
		var gotNS []string
		for _, d := range project["spec"].(map[string]any)["destinations"].([]any) {
			gotNS = append(gotNS, d.(map[string]any)["namespace"].(string))
		}
		if diff := cmp.Diff(sortedKeys(namespaces), gotNS); diff != "" {
			t.Errorf("%s: destinations differ from the Applications' namespaces (-apps +project):\n%s", env, diff)
		}
		services := parseDoc(t, res, path.Join(AppsDir, env, "project.gen.yaml"))
		if cw := services["spec"].(map[string]any)["clusterResourceWhitelist"].([]any); len(cw) != 0 {
			t.Errorf("%s: the services' project allows cluster-scoped kinds %v", env, cw)
		}
	}
}

// TestAddonsServeTheEnvironmentsEndpoints: the collector and Prometheus the
// add-ons install answer at the URLs the services and AnalysisTemplates are
// configured with (environments.<env>.otelEndpoint, prometheusURL), the
// services' NetworkPolicies admit scrapes from Prometheus' namespace, and the
// ClusterSecretStore is the one every ExternalSecret names.
func TestAddonsServeTheEnvironmentsEndpoints(t *testing.T) {
	res, err := Render(Options{Root: fixtureRoot(t)})
	if err != nil {
		t.Fatal(err)
	}
	for _, env := range res.Envs {
		dir := path.Join(AppsDir, env, AddonsDir)
		otel := parseDoc(t, res, path.Join(dir, "opentelemetry-collector.application.gen.yaml"))
		otelHost := str(t, otel, "spec.source.helm.valuesObject.fullnameOverride") + "." + str(t, otel, "spec.destination.namespace") + ".svc:4318"
		prom := parseDoc(t, res, path.Join(dir, "kube-prometheus-stack.application.gen.yaml"))
		// the operator's governing Service of every Prometheus.
		promHost := "prometheus-operated." + str(t, prom, "spec.destination.namespace") + ".svc:9090"

		store := parseDoc(t, res, path.Join(EnvironmentsDir, env, PlatformDir, "cluster-secret-store.gen.yaml"))
		storeName := str(t, store, "metadata.name")
		if got := str(t, store, "spec.provider.aws.auth.jwt.serviceAccountRef.namespace"); got != "external-secrets" {
			t.Errorf("%s: store authenticates as a service account of %q, want the operator's namespace", env, got)
		}

		otelSeen, promSeen := 0, 0
		promNS := str(t, prom, "spec.destination.namespace")
		for _, p := range res.Paths() {
			if strings.HasPrefix(p, path.Join(EnvironmentsDir, env)+"/") && path.Base(p) == "values.gen.yaml" {
				// consumers take traffic only from Prometheus' namespace.
				if got := str(t, parseDoc(t, res, p), "networkPolicy.monitoringNamespace"); got != promNS {
					t.Errorf("%s: NetworkPolicy admits scrapes from %q, Prometheus runs in %q", p, got, promNS)
				}
			}
		}
		for _, p := range res.Paths() {
			if !strings.HasPrefix(p, path.Join(EnvironmentsDir, env)+"/") {
				continue
			}
			b := string(res.Files[p])
			for _, u := range urlsIn(b, "otel-collector") {
				otelSeen++
				if u.Host != otelHost {
					t.Errorf("%s: collector URL %s, the add-on serves %s", p, u, otelHost)
				}
			}
			for _, u := range urlsIn(b, "prometheus-operated") {
				promSeen++
				if u.Host != promHost {
					t.Errorf("%s: Prometheus URL %s, the add-on serves %s", p, u, promHost)
				}
			}
			if strings.HasSuffix(p, "manifests.gen.yaml") {
				if !strings.Contains(b, "kind: ClusterSecretStore\n") || !strings.Contains(b, "name: "+storeName+"\n") {
					t.Errorf("%s: ExternalSecret does not read through ClusterSecretStore %s", p, storeName)
				}
			}
		}
		if otelSeen == 0 || promSeen == 0 {
			t.Errorf("%s: found %d collector and %d Prometheus URLs in the rendered services, want some of each", env, otelSeen, promSeen)
		}
	}
}

// urlsIn finds the http URLs in s whose host starts with prefix.
func urlsIn(s, prefix string) []*url.URL {
	var out []*url.URL
	for _, m := range regexp.MustCompile(`https?://[^\s"',]+`).FindAllString(s, -1) {
		u, err := url.Parse(m)
		if err == nil && strings.HasPrefix(u.Host, prefix) {
			out = append(out, u)
		}
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return slices.Clip(keys)
}

// TestAddonsRunTheCRDVersionsTheRenderChecks: the render validates
// ExternalSecrets, the ClusterSecretStore, the NodePool and the EC2NodeClass
// against the CRDs of the module versions in tools/cuegen; the add-ons that
// serve those kinds must install exactly those versions (both charts are
// versioned like their controllers), or the cluster could refuse what the
// render accepted.
func TestAddonsRunTheCRDVersionsTheRenderChecks(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(repoRoot(t), "tools", "cuegen", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Render(Options{Root: fixtureRoot(t)})
	if err != nil {
		t.Fatal(err)
	}
	for addon, module := range map[string]string{
		"external-secrets": "github.com/external-secrets/external-secrets",
		"karpenter":        "github.com/aws/karpenter-provider-aws",
	} {
		m := regexp.MustCompile(regexp.QuoteMeta(module) + `@v([0-9][^"]*)"`).FindSubmatch(src)
		if m == nil {
			t.Errorf("tools/cuegen/main.go has no %s@<version>", module)
			continue
		}
		for _, env := range res.Envs {
			app := parseDoc(t, res, path.Join(AppsDir, env, AddonsDir, addon+".application.gen.yaml"))
			if got := str(t, app, "spec.source.targetRevision"); got != string(m[1]) {
				t.Errorf("%s: add-on %s installs chart %s, the render checks against the CRDs of %s@v%s", env, addon, got, module, m[1])
			}
		}
	}
}
