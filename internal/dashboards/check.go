package dashboards

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

// Catalog is policies/data/metric_catalog.json (metric names per set:
// common, api, runtime, cluster and one per service) with
// policies/data/metric_labels.json (the labels of each metric, and those
// every scraped series carries).
type Catalog struct {
	Sets   map[string][]string
	Labels map[string][]string
	Scrape []string
}

// LoadCatalog reads the catalog from the policies' data folder.
func LoadCatalog(dataDir string) (*Catalog, error) {
	var sets struct {
		Catalog map[string][]string `json:"metric_catalog"`
	}
	var lbls struct {
		Labels struct {
			Scrape  []string            `json:"scrape"`
			Metrics map[string][]string `json:"metrics"`
		} `json:"metric_labels"`
	}
	for f, v := range map[string]any{"metric_catalog.json": &sets, "metric_labels.json": &lbls} {
		b, err := os.ReadFile(filepath.Join(dataDir, f))
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(b, v); err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(dataDir, f), err)
		}
	}
	return &Catalog{Sets: sets.Catalog, Labels: lbls.Labels.Metrics, Scrape: lbls.Labels.Scrape}, nil
}

// Query is one panel target.
type Query struct {
	Dashboard, Panel, Expr string
	Instant                bool
}

// Queries lists the Prometheus targets of a dashboard's panels.
func Queries(d Dashboard) ([]Query, error) {
	var model struct {
		Title  string `json:"title"`
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr       string `json:"expr"`
				Instant    bool   `json:"instant"`
				Datasource struct {
					Type string `json:"type"`
				} `json:"datasource"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(d.JSON, &model); err != nil {
		return nil, fmt.Errorf("dashboard %s: %w", d.UID, err)
	}
	var out []Query
	for _, p := range model.Panels {
		for _, t := range p.Targets {
			if t.Datasource.Type == "prometheus" {
				out = append(out, Query{Dashboard: model.Title, Panel: p.Title, Expr: t.Expr, Instant: t.Instant})
			}
		}
	}
	return out, nil
}

// grafanaVars are the variables a panel query may use, with what stands in
// for them when the query is parsed or evaluated outside Grafana.
var grafanaVars = regexp.MustCompile(`\$(__range_s|__range|__rate_interval|__interval|` + CanaryVar + `)\b`)

// Expand replaces Grafana's variables: ranges by window, the canary hash
// by hash.
func Expand(expr, window, hash string) string {
	return grafanaVars.ReplaceAllStringFunc(expr, func(v string) string {
		switch v {
		case "$__range_s":
			return "300"
		case "$" + CanaryVar:
			return hash
		}
		return window
	})
}

// Check parses every Prometheus query of the dashboards and holds each
// selector to the catalog: its metric is in the catalog (in the service's
// set when it selects one service), and every label it matches or groups
// by is one the metric or the scrape carries. Each problem names the
// dashboard and the panel.
func Check(ds []Dashboard, services []Service, cat *Catalog) error {
	kinds := map[string]string{}
	for _, s := range services {
		kinds[s.Name] = s.Kind
	}
	p := parser.NewParser(parser.Options{})
	var errs []error
	for _, d := range ds {
		qs, err := Queries(d)
		if err != nil {
			return err
		}
		if len(qs) == 0 {
			errs = append(errs, fmt.Errorf("dashboard %q has no Prometheus query", d.Title))
		}
		for _, q := range qs {
			for _, e := range checkExpr(p, Expand(q.Expr, "5m", "5d8f9c7b4"), kinds, cat) {
				errs = append(errs, fmt.Errorf("dashboard %q, panel %q: %s (query %s)", q.Dashboard, q.Panel, e, q.Expr))
			}
		}
	}
	return errors.Join(errs...)
}

func checkExpr(p parser.Parser, expr string, kinds map[string]string, cat *Catalog) []string {
	root, err := p.ParseExpr(expr)
	if err != nil {
		return []string{"does not parse: " + err.Error()}
	}
	var probs []string
	parser.Inspect(root, func(n parser.Node, _ []parser.Node) error {
		switch n := n.(type) {
		case *parser.VectorSelector:
			probs = append(probs, checkSelector(n, kinds, cat)...)
		case *parser.AggregateExpr:
			have := labelsUnder(n.Expr, cat)
			for _, l := range n.Grouping {
				if !have[l] {
					probs = append(probs, fmt.Sprintf("groups by label %s, which none of its series carries", l))
				}
			}
		case *parser.BinaryExpr:
			if n.VectorMatching != nil {
				have := labelsUnder(n.LHS, cat)
				for l := range labelsUnder(n.RHS, cat) {
					have[l] = true
				}
				for _, l := range append(slices.Clone(n.VectorMatching.MatchingLabels), n.VectorMatching.Include...) {
					if !have[l] {
						probs = append(probs, fmt.Sprintf("matches on label %s, which none of its series carries", l))
					}
				}
			}
		}
		return nil
	})
	return probs
}

// metricOf returns the catalog metric a series name belongs to: itself, or
// the histogram or summary it is a _bucket, _count or _sum series of.
func metricOf(name string, cat *Catalog) (string, bool) {
	if _, ok := cat.Labels[name]; ok {
		return name, true
	}
	for _, suf := range []string{"_bucket", "_count", "_sum"} {
		if base, ok := strings.CutSuffix(name, suf); ok {
			if _, ok := cat.Labels[base]; ok {
				return base, true
			}
		}
	}
	return "", false
}

func (c *Catalog) inSets(metric string, sets ...string) bool {
	for _, s := range sets {
		if slices.Contains(c.Sets[s], metric) {
			return true
		}
	}
	return false
}

func checkSelector(vs *parser.VectorSelector, kinds map[string]string, cat *Catalog) []string {
	metric, ok := metricOf(vs.Name, cat)
	all := make([]string, 0, len(cat.Sets))
	for s := range cat.Sets {
		all = append(all, s)
	}
	if !ok || !cat.inSets(metric, all...) {
		return []string{fmt.Sprintf("metric %s is not in the metric catalog", vs.Name)}
	}
	var probs []string
	for _, m := range vs.LabelMatchers {
		if m.Name == labels.MetricName {
			continue
		}
		if !slices.Contains(cat.Labels[metric], m.Name) && !slices.Contains(cat.Scrape, m.Name) {
			probs = append(probs, fmt.Sprintf("metric %s has no label %s", vs.Name, m.Name))
		}
		if m.Name == "service" && m.Type == labels.MatchEqual {
			kind, known := kinds[m.Value]
			sets := []string{"common", "runtime", m.Value}
			if kind == "api" {
				sets = append(sets, "api")
			}
			if known && !cat.inSets(metric, sets...) {
				probs = append(probs, fmt.Sprintf("metric %s is not exported by service %s", vs.Name, m.Value))
			}
		}
	}
	return probs
}

// labelsUnder is every label the series selected under n may carry.
func labelsUnder(n parser.Node, cat *Catalog) map[string]bool {
	have := map[string]bool{}
	parser.Inspect(n, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			metric, _ := metricOf(vs.Name, cat)
			for _, l := range cat.Labels[metric] {
				have[l] = true
			}
			for _, l := range cat.Scrape {
				have[l] = true
			}
		}
		return nil
	})
	return have
}
