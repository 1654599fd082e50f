//go:build integration

// Package analysis checks that the Argo Rollouts AnalysisTemplates rendered
// into environments/prod really work: their PromQL runs against the metrics
// the services really export, scraped by a real Prometheus with the labels
// the ServiceMonitor adds, and their success conditions pass on a healthy
// stack. A template that names a missing metric or label would return an
// empty result here, which this test reports as a failure even though the
// templates' own conditions tolerate empty results.
package analysis

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/bloody-sweet/platform/services/stack"
	"github.com/bloody-sweet/platform/tests/promtest"
	"github.com/bloody-sweet/platform/tests/traffic"
)

const (
	namespace  = "orders-prod"
	canaryHash = "5f7c9d8b6" // the pod-template-hash the scraped "pods" carry
	podSuffix  = "abcde"     // the ReplicaSet pod suffix
	orders     = 300         // orders placed while Prometheus scrapes
)

// TestAnalysisTemplatesOnHealthyStack runs every prod AnalysisTemplate
// against a real Prometheus scraping the embedded stack under load.
func TestAnalysisTemplatesOnHealthyStack(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	templates := loadTemplates(t, filepath.Join("..", "..", "environments", "prod"))

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

	prom := startPrometheus(t, st.MetricsURLs)
	// Counters need a sample from before the traffic, or rate() sees a
	// flat line: wait until every target has been scraped once.
	prom.WaitFor(ctx, t, "every target up", `count(up{namespace="`+namespace+`"} == 1)`, 20*time.Second, func(res []promtest.Sample) bool {
		return len(res) == 1 && int(res[0].Value) == len(st.MetricsURLs)
	})

	traffic.PlaceOrdersAndWait(ctx, t, st, traffic.Options{Name: "analysis", Orders: orders, Seed: 42, Terminal: 40 * time.Second, Streams: 20})

	for _, tpl := range templates {
		for _, m := range tpl.Metrics {
			t.Run(tpl.Service+"/"+m.Name, func(t *testing.T) {
				query, err := resolveArgs(m.Query, tpl.Args)
				if err != nil {
					t.Fatalf("%s: %v", tpl.File, err)
				}
				// The traffic is over but its last increments may not be
				// scraped yet: wait until the query has data (empty or
				// NaN within the deadline is the failure reported below).
				var res []float64
				deadline := time.Now().Add(20 * time.Second)
				for {
					res, err = prom.query(ctx, query)
					if err != nil {
						t.Fatalf("query %s: %v", query, err)
					}
					if measured(res) == nil || time.Now().After(deadline) {
						break
					}
					pause(ctx, 250*time.Millisecond)
				}
				v, err := assess(res, m.SuccessCondition, m.FailureCondition)
				if err != nil {
					t.Fatalf("%s metric %s: query %s: %v", tpl.File, m.Name, query, err)
				}
				t.Logf("%s = %v -> %s", m.Name, res, v)
				if v != successful {
					t.Errorf("%s metric %s is %s on a healthy stack: result %v, successCondition %q, query %s",
						tpl.File, m.Name, v, res, m.SuccessCondition, query)
				}
			})
		}
	}

	// The evaluation must be able to fail: a metric nobody exports, and a
	// real query pointed at a canary hash no pod carries, both come back
	// empty, which assess reports as a failure.
	t.Run("missing-metric-fails", func(t *testing.T) {
		q := `sum(rate(http_requests_total_that_does_not_exist{namespace="` + namespace + `",service="order"}[2m]))`
		res, err := prom.query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if v, err := assess(res, "len(result) == 0 || isNaN(result[0]) || result[0] >= 0.99", ""); err == nil || v == successful {
			t.Errorf("missing metric assessed %s (err %v), want a failure", v, err)
		}
	})
	t.Run("wrong-canary-hash-fails", func(t *testing.T) {
		tpl := templates[0]
		args := map[string]string{}
		for k, v := range tpl.Args {
			args[k] = v
		}
		args["canary-hash"] = "0000000000"
		q, err := resolveArgs(tpl.Metrics[0].Query, args)
		if err != nil {
			t.Fatal(err)
		}
		res, err := prom.query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if v, err := assess(res, tpl.Metrics[0].SuccessCondition, tpl.Metrics[0].FailureCondition); err == nil || v == successful {
			t.Errorf("%s with a wrong canary hash assessed %s (err %v), want a failure", tpl.Metrics[0].Name, v, err)
		}
	})
	t.Run("unhealthy-value-fails", func(t *testing.T) {
		// Each condition must reject a number on its wrong side: below
		// the floor of a ">=" condition, above the ceiling of a "<=" one.
		for _, tpl := range templates {
			for _, m := range tpl.Metrics {
				bad := 1e9
				if strings.Contains(m.SuccessCondition, ">=") {
					bad = -1
				}
				if v, err := assess([]float64{bad}, m.SuccessCondition, m.FailureCondition); err != nil || v != failed {
					t.Errorf("%s %s: result %v assessed %s (err %v) under %q, want Failed", tpl.Service, m.Name, bad, v, err, m.SuccessCondition)
				}
			}
		}
	})
}

func pause(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// --- the templates ---------------------------------------------------------

type metric struct {
	Name             string
	Query            string
	SuccessCondition string
	FailureCondition string
}

type template struct {
	File    string
	Service string
	Args    map[string]string // as the Rollout passes them
	Metrics []metric
}

type manifest struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name      string `yaml:"name"`
		Namespace string `yaml:"namespace"`
	} `yaml:"metadata"`
	Spec struct {
		// AnalysisTemplate
		Args []struct {
			Name  string  `yaml:"name"`
			Value *string `yaml:"value"`
		} `yaml:"args"`
		Metrics []struct {
			Name             string `yaml:"name"`
			SuccessCondition string `yaml:"successCondition"`
			FailureCondition string `yaml:"failureCondition"`
			Provider         struct {
				Prometheus *struct {
					Query string `yaml:"query"`
				} `yaml:"prometheus"`
			} `yaml:"provider"`
		} `yaml:"metrics"`
		// Rollout
		Strategy struct {
			Canary struct {
				Analysis struct {
					Args []struct {
						Name      string  `yaml:"name"`
						Value     *string `yaml:"value"`
						ValueFrom *struct {
							PodTemplateHashValue string `yaml:"podTemplateHashValue"`
						} `yaml:"valueFrom"`
					} `yaml:"args"`
					Templates []struct {
						TemplateName string `yaml:"templateName"`
					} `yaml:"templates"`
				} `yaml:"analysis"`
			} `yaml:"canary"`
		} `yaml:"strategy"`
	} `yaml:"spec"`
}

// loadTemplates reads every environments/prod/*/rollout.gen.yaml and
// returns its AnalysisTemplates with the args the Rollout passes: a
// podTemplateHashValue arg is the canary pod-template-hash, as Argo
// Rollouts resolves it.
func loadTemplates(t *testing.T, dir string) []template {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*", "rollout.gen.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no rollout.gen.yaml under %s (%v)", dir, err)
	}
	sort.Strings(files)
	var out []template
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var docs []manifest
		dec := yaml.NewDecoder(bytes.NewReader(b))
		for {
			var m manifest
			if err := dec.Decode(&m); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			docs = append(docs, m)
		}
		passed := map[string]map[string]string{} // template name -> args
		for _, d := range docs {
			if d.Kind != "Rollout" {
				continue
			}
			an := d.Spec.Strategy.Canary.Analysis
			args := map[string]string{}
			for _, a := range an.Args {
				switch {
				case a.Value != nil:
					args[a.Name] = *a.Value
				case a.ValueFrom != nil && a.ValueFrom.PodTemplateHashValue != "":
					args[a.Name] = canaryHash
				default:
					t.Fatalf("%s: Rollout %s analysis arg %q: unsupported valueFrom", f, d.Metadata.Name, a.Name)
				}
			}
			for _, ref := range an.Templates {
				passed[ref.TemplateName] = args
			}
		}
		for _, d := range docs {
			if d.Kind != "AnalysisTemplate" {
				continue
			}
			args, ok := passed[d.Metadata.Name]
			if !ok {
				t.Fatalf("%s: AnalysisTemplate %s is used by no Rollout in the file", f, d.Metadata.Name)
			}
			resolved := map[string]string{}
			for _, a := range d.Spec.Args {
				switch v, ok := args[a.Name]; {
				case ok:
					resolved[a.Name] = v
				case a.Value != nil:
					resolved[a.Name] = *a.Value
				default:
					t.Fatalf("%s: AnalysisTemplate %s arg %q has no value and the Rollout passes none", f, d.Metadata.Name, a.Name)
				}
			}
			tpl := template{File: f, Service: filepath.Base(filepath.Dir(f)), Args: resolved}
			for _, m := range d.Spec.Metrics {
				if m.Provider.Prometheus == nil {
					t.Fatalf("%s: metric %s has no prometheus provider", f, m.Name)
				}
				tpl.Metrics = append(tpl.Metrics, metric{m.Name, m.Provider.Prometheus.Query, m.SuccessCondition, m.FailureCondition})
			}
			if len(tpl.Metrics) == 0 {
				t.Fatalf("%s: AnalysisTemplate %s has no metrics", f, d.Metadata.Name)
			}
			out = append(out, tpl)
		}
	}
	if len(out) != len(files) {
		t.Fatalf("found %d AnalysisTemplates in %d rollout files, want one each", len(out), len(files))
	}
	return out
}

var argRef = regexp.MustCompile(`\{\{\s*args\.([A-Za-z0-9_.-]+)\s*\}\}`)

// resolveArgs substitutes {{args.NAME}} the way Argo Rollouts does; an
// unknown arg is an error, as it is for the controller.
func resolveArgs(q string, args map[string]string) (string, error) {
	var missing []string
	out := argRef.ReplaceAllStringFunc(q, func(s string) string {
		name := argRef.FindStringSubmatch(s)[1]
		v, ok := args[name]
		if !ok {
			missing = append(missing, name)
		}
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("query refers to undefined args %v", missing)
	}
	if strings.Contains(out, "{{") {
		return "", fmt.Errorf("unresolved template expression left in %q", out)
	}
	return out, nil
}

// --- Prometheus ------------------------------------------------------------

// prometheus is the Debian Prometheus of tests/promtest scraping every
// service's /metrics every second, relabelled with the namespace, service
// and pod labels the ServiceMonitor adds in the cluster; its queries
// return values the way the Argo Rollouts provider sees them.
type prometheus struct{ *promtest.Prometheus }

func startPrometheus(t *testing.T, services map[string]string) prometheus {
	t.Helper()
	names := make([]string, 0, len(services))
	for name := range services {
		names = append(names, name)
	}
	sort.Strings(names)
	targets := make([]promtest.Target, 0, len(names))
	for _, name := range names {
		targets = append(targets, promtest.Target{
			Job: name,
			URL: services[name] + "/metrics",
			Labels: map[string]string{
				"namespace": namespace,
				"service":   name,
				"pod":       name + "-" + canaryHash + "-" + podSuffix,
			},
		})
	}
	return prometheus{promtest.Start(t, targets)}
}

func (p prometheus) query(ctx context.Context, q string) ([]float64, error) {
	res, err := p.Query(ctx, q)
	return promtest.Values(res), err
}

// --- conditions -------------------------------------------------------------

type verdict string

const (
	successful verdict = "Successful"
	failed     verdict = "Failed"
)

// measured says why a result is no measurement: empty (the metric or a
// label does not exist, or no canary pod matched) or not a finite number
// (0/0 when nothing happened in the window).
func measured(res []float64) error {
	if len(res) == 0 {
		return errors.New("empty result: no series matched")
	}
	for _, v := range res {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("result %v is not a finite number", res)
		}
	}
	return nil
}

// assess evaluates a metric the way Argo Rollouts does (failureCondition
// true: Failed; successCondition false: Failed), but first insists on a
// real measurement: the prod templates accept an empty or NaN result
// ("len(result) == 0 || isNaN(result[0]) || ..."), which would let a
// canary pass on a query that matches nothing.
func assess(res []float64, success, failure string) (verdict, error) {
	if err := measured(res); err != nil {
		return failed, err
	}
	if failure != "" {
		bad, err := evalCondition(failure, res)
		if err != nil {
			return failed, err
		}
		if bad {
			return failed, nil
		}
	}
	if success != "" {
		ok, err := evalCondition(success, res)
		if err != nil {
			return failed, err
		}
		if !ok {
			return failed, nil
		}
	}
	return successful, nil
}

var (
	lenAtom   = regexp.MustCompile(`^len\(result\)\s*(==|!=|>=|<=|>|<)\s*([0-9]+)$`)
	nanAtom   = regexp.MustCompile(`^(!?)\s*isNaN\(result\[([0-9]+)\]\)$`)
	valueAtom = regexp.MustCompile(`^result\[([0-9]+)\]\s*(==|!=|>=|<=|>|<)\s*(-?[0-9.eE+-]+)$`)
)

// evalCondition evaluates the subset of expr-lang the templates use: "||"
// of "&&" of len(result) comparisons, isNaN(result[i]) and result[i]
// compared with a number, left to right with short-circuiting (as expr
// does, so "len(result) == 0 || result[0] ..." never indexes an empty
// result). Anything else is an error rather than a guess.
func evalCondition(cond string, res []float64) (bool, error) {
	for _, disj := range strings.Split(cond, "||") {
		all := true
		for _, atom := range strings.Split(disj, "&&") {
			ok, err := evalAtom(strings.TrimSpace(atom), res)
			if err != nil {
				return false, fmt.Errorf("condition %q: %w", cond, err)
			}
			if !ok {
				all = false
				break
			}
		}
		if all {
			return true, nil
		}
	}
	return false, nil
}

func evalAtom(a string, res []float64) (bool, error) {
	index := func(s string) (float64, error) {
		i, _ := strconv.Atoi(s)
		if i >= len(res) {
			return 0, fmt.Errorf("index %d out of range of result %v", i, res)
		}
		return res[i], nil
	}
	if m := lenAtom.FindStringSubmatch(a); m != nil {
		n, _ := strconv.Atoi(m[2])
		return compare(float64(len(res)), m[1], float64(n)), nil
	}
	if m := nanAtom.FindStringSubmatch(a); m != nil {
		v, err := index(m[2])
		if err != nil {
			return false, err
		}
		return math.IsNaN(v) != (m[1] == "!"), nil
	}
	if m := valueAtom.FindStringSubmatch(a); m != nil {
		v, err := index(m[1])
		if err != nil {
			return false, err
		}
		want, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			return false, fmt.Errorf("number %q: %w", m[3], err)
		}
		return compare(v, m[2], want), nil
	}
	return false, fmt.Errorf("unsupported expression %q", a)
}

func compare(a float64, op string, b float64) bool {
	switch op {
	case "==":
		return a == b
	case "!=":
		return a != b
	case ">=":
		return a >= b
	case "<=":
		return a <= b
	case ">":
		return a > b
	default:
		return a < b
	}
}
