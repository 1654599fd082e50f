package bootstrap

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strings"
	"time"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/bloody-sweet/platform/internal/cliexit"
)

// Cluster is what the chart is rendered for: the API server's version and
// the API groups/versions it serves (the chart's Capabilities), as Argo CD
// passes them to `helm template`.
type Cluster struct {
	KubeVersion string // e.g. v1.34.4
	APIVersions []string
}

// LoadChart loads the model's pinned chart: from path (a chart archive or
// directory: this machine's way, it cannot reach chart repositories), or,
// when path is empty, downloaded from the chart's repository at its pinned
// version. A local chart must be the model's name and exact version, and
// carry every dependency its values enable (a chart checked out from Git
// lacks them; the packaged chart vendors them).
func LoadChart(ctx context.Context, c Chart, path string) (*chart.Chart, error) {
	var ch *chart.Chart
	var err error
	if path == "" {
		if ch, err = downloadChart(ctx, &http.Client{Timeout: 2 * time.Minute}, c); err != nil {
			return nil, err
		}
		path = c.RepoURL
	} else if ch, err = loader.Load(path); err != nil {
		return nil, cliexit.BadInputf("--chart %s: %v", path, err)
	}
	if got := ch.Metadata; got.Name != c.Name || got.Version != c.Version {
		return nil, cliexit.BadInputf("--chart %s is %s %s; the model pins %s %s", path, got.Name, got.Version, c.Name, c.Version)
	}
	if err := checkDependencies(ch, c.Values); err != nil {
		return nil, cliexit.BadInputf("--chart %s: %v", path, err)
	}
	return ch, nil
}

// downloadChart fetches the pinned version from the chart's Helm
// repository: its index.yaml names the archive's URL and SHA-256 digest,
// which the download must match.
func downloadChart(ctx context.Context, client *http.Client, c Chart) (*chart.Chart, error) {
	if !strings.HasPrefix(c.RepoURL, "https://") {
		return nil, cliexit.BadInputf("chart %s from %s: only https Helm repositories are downloaded; pass --chart", c.Name, c.RepoURL)
	}
	hint := "(where the repository is unreachable, pass --chart with the packaged chart)"
	base := strings.TrimSuffix(c.RepoURL, "/") + "/"
	raw, err := get(ctx, client, base+"index.yaml")
	if err != nil {
		return nil, fmt.Errorf("chart repository %s: %w %s", c.RepoURL, err, hint)
	}
	var index struct {
		Entries map[string][]struct {
			Version string   `json:"version"`
			URLs    []string `json:"urls"`
			Digest  string   `json:"digest"`
		} `json:"entries"`
	}
	if err := yaml.Unmarshal(raw, &index); err != nil {
		return nil, fmt.Errorf("chart repository %s: index.yaml: %w", c.RepoURL, err)
	}
	for _, e := range index.Entries[c.Name] {
		if e.Version != c.Version || len(e.URLs) == 0 {
			continue
		}
		ref, err := url.Parse(e.URLs[0])
		if err != nil {
			return nil, fmt.Errorf("chart %s %s: archive URL %q: %w", c.Name, c.Version, e.URLs[0], err)
		}
		baseURL, _ := url.Parse(base)
		u := baseURL.ResolveReference(ref).String()
		archive, err := get(ctx, client, u)
		if err != nil {
			return nil, fmt.Errorf("download chart %s %s: %w", c.Name, c.Version, err)
		}
		if sum := sha256.Sum256(archive); e.Digest != "" && hex.EncodeToString(sum[:]) != e.Digest {
			return nil, fmt.Errorf("chart %s %s from %s: SHA-256 %x, the repository's index says %s", c.Name, c.Version, u, sum, e.Digest)
		}
		return loader.LoadArchive(bytes.NewReader(archive))
	}
	return nil, fmt.Errorf("chart repository %s has no %s %s", c.RepoURL, c.Name, c.Version)
}

func get(ctx context.Context, client *http.Client, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	// charts and indexes are megabytes; bound a misbehaving server.
	return io.ReadAll(io.LimitReader(resp.Body, 64<<20))
}

// checkDependencies: every subchart the values enable is in the chart.
// Helm would otherwise render without it, silently (for Argo CD: prod's
// redis-ha).
func checkDependencies(ch *chart.Chart, values map[string]any) error {
	if len(ch.Metadata.Dependencies) == 0 {
		return nil
	}
	if err := chartutil.ProcessDependenciesWithMerge(ch, values); err != nil {
		return err
	}
	have := map[string]bool{}
	for _, d := range ch.Dependencies() {
		have[d.Name()] = true
	}
	// (Helm drops the disabled ones from both lists.)
	for _, d := range ch.Metadata.Dependencies {
		if !have[d.Name] {
			return fmt.Errorf("the values enable dependency %s %s (%s) but the chart does not carry it: use the packaged chart (`helm pull`), which vendors it", d.Name, d.Version, d.Condition)
		}
	}
	return nil
}

// RenderChart renders the chart like `helm template --include-crds` (what
// Argo CD does for a Helm source): release name and namespace from the
// model, the cluster's version and API versions, hooks included (Argo CD
// runs Helm hooks as its own; test hooks excepted). Namespaced objects
// without a namespace are left so; the applier places them in the release
// namespace, as Argo CD does.
func RenderChart(ch *chart.Chart, c Chart, cl Cluster) ([]*unstructured.Unstructured, error) {
	caps := chartutil.DefaultCapabilities.Copy()
	if cl.KubeVersion != "" {
		kv, err := chartutil.ParseKubeVersion(cl.KubeVersion)
		if err != nil {
			return nil, fmt.Errorf("cluster version %q: %w", cl.KubeVersion, err)
		}
		caps.KubeVersion = *kv
	}
	caps.APIVersions = append(caps.APIVersions, cl.APIVersions...)
	if err := chartutil.ProcessDependenciesWithMerge(ch, c.Values); err != nil {
		return nil, fmt.Errorf("chart %s %s: %w", c.Name, c.Version, err)
	}
	rv, err := chartutil.ToRenderValues(ch, c.Values, chartutil.ReleaseOptions{
		Name: c.ReleaseName, Namespace: c.Namespace, Revision: 1, IsInstall: true,
	}, caps)
	if err != nil {
		return nil, fmt.Errorf("chart %s %s: %w", c.Name, c.Version, err)
	}
	rendered, err := engine.Render(ch, rv)
	if err != nil {
		return nil, fmt.Errorf("render chart %s %s: %w", c.Name, c.Version, err)
	}
	// crds/ first (Helm installs them before the templates), then the
	// templates in name order; NOTES.txt and other non-YAML files are not
	// manifests.
	var objs []*unstructured.Unstructured
	for _, crd := range ch.CRDObjects() {
		o, err := decodeObjects(crd.Filename, crd.File.Data)
		if err != nil {
			return nil, err
		}
		objs = append(objs, o...)
	}
	names := make([]string, 0, len(rendered))
	for name := range rendered {
		if ext := path.Ext(name); ext == ".yaml" || ext == ".yml" || ext == ".json" {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		o, err := decodeObjects(name, []byte(rendered[name]))
		if err != nil {
			return nil, err
		}
		for _, x := range o {
			if !isTestHook(x) {
				objs = append(objs, x)
			}
		}
	}
	return objs, nil
}

// isTestHook: `helm test` pods are not part of an install (Argo CD skips
// them too).
func isTestHook(o *unstructured.Unstructured) bool {
	for _, e := range strings.Split(o.GetAnnotations()["helm.sh/hook"], ",") {
		if e = strings.TrimSpace(e); e == "test" || e == "test-success" {
			return true
		}
	}
	return false
}
