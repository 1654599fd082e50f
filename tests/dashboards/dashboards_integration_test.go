//go:build integration

// Package dashboards evaluates every panel query of the rendered prod
// dashboards (environments/prod/_platform/dashboards.gen.yaml) on a real
// Prometheus scraping the embedded stack under load: each must return data.
// internal/dashboards.Check already holds every query to the metric
// catalog; this proves the services really export those series with those
// labels, in the shape the queries expect.
package dashboards

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"

	"github.com/bloody-sweet/platform/internal/dashboards"
	"github.com/bloody-sweet/platform/services/stack"
	"github.com/bloody-sweet/platform/tests/promtest"
	"github.com/bloody-sweet/platform/tests/traffic"
)

const (
	namespace = "orders-prod"
	// Every service is scraped twice, as a stable and as a canary pod
	// (<service>-<pod-template-hash>-<suffix>), so the canary dashboard's
	// stable and canary queries both have pods to select.
	stableHash = "7c9d8b6f5"
	canaryHash = "5f7c9d8b6"
	orders     = 200
)

// clusterOnly are the metrics only a cluster has: kube-prometheus-stack
// scrapes them from kube-state-metrics (the Kubernetes API's view of pods
// and HPAs) and from the kubelets' cAdvisor (containers' CPU and memory).
// No such exporter runs next to the embedded stack, so a query on them is
// allowed to come back empty here; it is still parsed and held to the
// catalog (its "cluster" set, which this list must equal) by
// internal/dashboards.Check at every render.
var clusterOnly = map[string]string{
	"kube_pod_status_ready":                                "kube-state-metrics",
	"kube_pod_info":                                        "kube-state-metrics",
	"kube_pod_container_status_restarts_total":             "kube-state-metrics",
	"kube_horizontalpodautoscaler_status_current_replicas": "kube-state-metrics",
	"container_cpu_usage_seconds_total":                    "cAdvisor (kubelet)",
	"container_memory_working_set_bytes":                   "cAdvisor (kubelet)",
}

// fiveXX is how the HTTP error ratios select errors. A healthy stack
// answers no 5xx, so no 5xx series exists and the ratio is empty until the
// first error: such a query is evaluated with the 2xx class instead, which
// proves its metric, labels and arithmetic select data.
const fiveXX = `code=~"5.."`

func TestEveryPanelReturnsData(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	ds := loadDashboards(t, filepath.Join("..", "..", "environments", "prod", "_platform", "dashboards.gen.yaml"))
	checkAllowList(t)

	st, err := stack.Start(ctx, stack.Config{BasePort: 0})
	if err != nil {
		t.Fatalf("start stack: %v", err)
	}
	t.Cleanup(func() {
		cctx, ccancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer ccancel()
		if err := st.Close(cctx); err != nil {
			t.Errorf("close stack: %v", err)
		}
	})
	var targets []promtest.Target
	for _, name := range sortedKeys(st.MetricsURLs) {
		for _, pod := range []struct{ role, hash, suffix string }{{"stable", stableHash, "abcde"}, {"canary", canaryHash, "fghij"}} {
			targets = append(targets, promtest.Target{
				Job: name + "-" + pod.role,
				URL: st.MetricsURLs[name] + "/metrics",
				// the labels the ServiceMonitor adds in the cluster
				Labels: map[string]string{"namespace": namespace, "service": name, "pod": name + "-" + pod.hash + "-" + pod.suffix},
			})
		}
	}
	prom := promtest.Start(t, targets)
	// counters need a sample from before the traffic, or rate() sees a
	// flat line.
	prom.WaitFor(ctx, t, "every target scraped", fmt.Sprintf(`count(up{namespace=%q} == 1)`, namespace), 30*time.Second, func(s []promtest.Sample) bool {
		return len(s) == 1 && int(s[0].Value) == len(targets)
	})
	traffic.PlaceOrdersAndWait(ctx, t, st, traffic.Options{Name: "dashboards", Orders: orders, Seed: 7, Terminal: 60 * time.Second, Streams: 10})

	for _, d := range ds {
		qs, err := dashboards.Queries(d)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range qs {
			t.Run(d.UID+"/"+q.Panel, func(t *testing.T) {
				expr := dashboards.Expand(q.Expr, "5m", canaryHash)
				if only := clusterMetrics(t, expr); only != "" {
					t.Skipf("cluster-only metric %s (%s): %s", only, clusterOnly[only], expr)
				}
				if strings.Contains(expr, fiveXX) {
					expr = strings.ReplaceAll(expr, fiveXX, `code=~"2.."`)
					t.Logf("no 5xx on a healthy stack: evaluating the 2xx class instead")
				}
				// The last increments may not be scraped yet: poll until
				// the query has a finite value, within a deadline.
				var res []promtest.Sample
				deadline := time.Now().Add(30 * time.Second)
				for {
					res, err = prom.Query(ctx, expr)
					if err != nil {
						t.Fatalf("dashboard %q, panel %q: query %s: %v", q.Dashboard, q.Panel, expr, err)
					}
					if finite(res) || time.Now().After(deadline) {
						break
					}
					pause(ctx, 250*time.Millisecond)
				}
				if !finite(res) {
					t.Errorf("dashboard %q, panel %q returns no data on the loaded stack: %v\nquery %s", q.Dashboard, q.Panel, res, expr)
				}
			})
		}
	}

	// The evaluation can fail: a label value no series has comes back
	// empty, which the check above reports.
	t.Run("no-data-is-seen", func(t *testing.T) {
		res, err := prom.Query(ctx, fmt.Sprintf(`sum(rate(http_requests_total{namespace=%q,service="order",route="/v1/nowhere"}[5m]))`, namespace))
		if err != nil {
			t.Fatal(err)
		}
		if finite(res) {
			t.Errorf("a query on a route nobody serves returned %v", res)
		}
	})
}

// finite: at least one sample with a number (0/0 is NaN: no measurement).
func finite(res []promtest.Sample) bool {
	for _, s := range res {
		if !math.IsNaN(s.Value) && !math.IsInf(s.Value, 0) {
			return true
		}
	}
	return false
}

// clusterMetrics returns a cluster-only metric the query selects, or "".
func clusterMetrics(t *testing.T, expr string) string {
	t.Helper()
	root, err := parser.NewParser(parser.Options{}).ParseExpr(expr)
	if err != nil {
		t.Fatalf("parse %s: %v", expr, err)
	}
	var found string
	parser.Inspect(root, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok && clusterOnly[vs.Name] != "" && found == "" {
			found = vs.Name
		}
		return nil
	})
	return found
}

// checkAllowList: the allow-list is exactly the catalog's cluster set, so
// neither can grow without the other.
func checkAllowList(t *testing.T) {
	t.Helper()
	cat, err := dashboards.LoadCatalog(filepath.Join("..", "..", "policies", "data"))
	if err != nil {
		t.Fatal(err)
	}
	got := slices.Sorted(func(yield func(string) bool) {
		for k := range clusterOnly {
			if !yield(k) {
				return
			}
		}
	})
	want := slices.Clone(cat.Sets["cluster"])
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Fatalf("cluster-only allow-list %v differs from the catalog's cluster set %v", got, want)
	}
}

// loadDashboards reads the dashboards' ConfigMaps.
func loadDashboards(t *testing.T, file string) []dashboards.Dashboard {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out []dashboards.Dashboard
	dec := yaml.NewDecoder(bytes.NewReader(b))
	for {
		var cm struct {
			Kind     string                `yaml:"kind"`
			Metadata struct{ Name string } `yaml:"metadata"`
			Data     map[string]string     `yaml:"data"`
		}
		if err := dec.Decode(&cm); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if cm.Kind != "ConfigMap" {
			continue
		}
		for _, j := range cm.Data {
			out = append(out, dashboards.Dashboard{UID: cm.Metadata.Name, JSON: []byte(j)})
		}
	}
	if len(out) < 4 {
		t.Fatalf("%s: %d dashboards, want the overview, one per service, the canary and Kafka", file, len(out))
	}
	return out
}

func pause(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
