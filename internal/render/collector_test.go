package render

import (
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
	"testing"
)

// TestCollectorSendsTracesToXRay renders the real model (cue/config, not the
// frozen fixture: the collector's configuration is what is under test) and
// checks each environment's OpenTelemetry collector: the traces pipeline
// receives OTLP, runs memory_limiter first and exports to AWS X-Ray in the
// environment's region, every component a pipeline names is defined in the
// add-on's values, and no pipeline of the chart's defaults is left half
// overridden. The chart's default config (a debug exporter only) fails it.
func TestCollectorSendsTracesToXRay(t *testing.T) {
	res, err := Render(Options{Root: repoRoot(t)})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Envs) == 0 {
		t.Fatal("the model renders no environment")
	}
	for _, env := range res.Envs {
		t.Run(env, func(t *testing.T) {
			app := parseDoc(t, res, path.Join(AppsDir, env, AddonsDir, "opentelemetry-collector.application.gen.yaml"))
			values, ok := dig(app, "spec.source.helm.valuesObject").(map[string]any)
			if !ok {
				t.Fatal("the collector's Application has no helm.valuesObject")
			}
			// The environment's region as the rest of the render uses it:
			// the ClusterSecretStore reads Secrets Manager there.
			store := parseDoc(t, res, path.Join(EnvironmentsDir, env, PlatformDir, "cluster-secret-store.gen.yaml"))
			region := str(t, store, "spec.provider.aws.region")
			for _, p := range collectorProblems(values, region) {
				t.Error(p)
			}
		})
	}
}

// TestCollectorProblemsCatchesRegressions: the checker above refuses the
// chart's default configuration and each way of breaking the traces path,
// so its silence on the rendered values means something.
func TestCollectorProblemsCatchesRegressions(t *testing.T) {
	res, err := Render(Options{Root: repoRoot(t), Envs: []string{"dev"}})
	if err != nil {
		t.Fatal(err)
	}
	store := parseDoc(t, res, path.Join(EnvironmentsDir, "dev", PlatformDir, "cluster-secret-store.gen.yaml"))
	region := str(t, store, "spec.provider.aws.region")
	good := func() map[string]any {
		app := parseDoc(t, res, path.Join(AppsDir, "dev", AddonsDir, "opentelemetry-collector.application.gen.yaml"))
		return dig(app, "spec.source.helm.valuesObject").(map[string]any)
	}
	if p := collectorProblems(good(), region); len(p) != 0 {
		t.Fatalf("the rendered dev collector already has problems: %v", p)
	}
	for name, c := range map[string]struct {
		mutate func(v map[string]any)
		want   string
	}{
		"chart default config": {
			mutate: func(v map[string]any) { delete(v, "config") },
			want:   "no config",
		},
		"k8s distribution image": {
			mutate: func(v map[string]any) {
				v["image"].(map[string]any)["repository"] = "ghcr.io/open-telemetry/opentelemetry-collector-releases/opentelemetry-collector-k8s"
			},
			want: "image",
		},
		"memory_limiter second": {
			mutate: func(v map[string]any) {
				pipeline(v, "traces")["processors"] = []any{"batch", "memory_limiter"}
			},
			want: "memory_limiter first",
		},
		"debug exporter instead of X-Ray": {
			mutate: func(v map[string]any) {
				pipeline(v, "traces")["exporters"] = []any{"debug"}
			},
			want: "awsxray",
		},
		"undefined component": {
			mutate: func(v map[string]any) {
				pipeline(v, "traces")["processors"] = []any{"memory_limiter", "probabilistic_sampler", "batch"}
			},
			want: `"probabilistic_sampler"`,
		},
		"other region": {
			mutate: func(v map[string]any) {
				dig(v, "config.exporters").(map[string]any)["awsxray"].(map[string]any)["region"] = "us-east-1"
			},
			want: "region",
		},
		"default metrics pipeline half overridden": {
			mutate: func(v map[string]any) {
				dig(v, "config.service.pipelines").(map[string]any)["metrics"] = map[string]any{"exporters": []any{"awsxray"}}
			},
			want: "metrics",
		},
		"OTLP/HTTP off": {
			mutate: func(v map[string]any) {
				dig(v, "config.receivers.otlp.protocols").(map[string]any)["http"] = nil
			},
			want: "4318",
		},
	} {
		t.Run(name, func(t *testing.T) {
			v := good()
			c.mutate(v)
			problems := collectorProblems(v, region)
			for _, p := range problems {
				if strings.Contains(p, c.want) {
					return
				}
			}
			t.Errorf("no problem mentioning %q; got %q", c.want, problems)
		})
	}
}

// chartDefaultPipelines are the pipelines of the opentelemetry-collector
// chart's default config. Helm merges the add-on's values into it key by
// key, so each must be removed (null) or have all three lists replaced;
// otherwise it keeps default lists naming the components the values remove.
var chartDefaultPipelines = []string{"logs", "metrics", "traces"}

// collectorProblems checks the collector chart values of one environment
// and describes each problem; none means the traces reach X-Ray.
func collectorProblems(values map[string]any, region string) []string {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	// awsxray is a contrib component: the k8s and core images lack it.
	if repo, _ := dig(values, "image.repository").(string); !strings.HasSuffix(repo, "/opentelemetry-collector-contrib") {
		bad("image %q is not the contrib distribution, the one with the awsxray exporter", repo)
	}
	config, ok := values["config"].(map[string]any)
	if !ok {
		return append(problems, "no config: the chart's default pipelines only log (debug exporter)")
	}
	problems = append(problems, pipelineProblems(config)...)
	pipelines, _ := dig(config, "service.pipelines").(map[string]any)

	traces, _ := pipelines["traces"].(map[string]any)
	if !slices.Contains(asStrings(traces["receivers"]), "otlp") {
		bad("traces pipeline does not receive otlp (the services export OTLP/HTTP)")
	}
	if endpoint, _ := dig(config, "receivers.otlp.protocols.http.endpoint").(string); !strings.HasSuffix(endpoint, ":4318") {
		bad("otlp receiver: http endpoint %q, the services export to port 4318", endpoint)
	}
	if !slices.Contains(asStrings(traces["exporters"]), "awsxray") {
		bad("traces pipeline exports to %v, not awsxray", traces["exporters"])
	}
	if got, _ := dig(config, "exporters.awsxray.region").(string); got != region {
		bad("awsxray exporter region %q, the environment's region is %q", got, region)
	}
	sort.Strings(problems)
	return problems
}

// pipelineProblems checks what every collector config here must get right:
// each component a pipeline names is defined (null removes a chart default),
// each chart default pipeline is removed or has all three lists replaced,
// and memory_limiter comes first.
func pipelineProblems(config map[string]any) []string {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	defined := map[string]map[string]bool{}
	for _, kind := range []string{"receivers", "processors", "exporters", "connectors"} {
		defined[kind] = map[string]bool{}
		m, _ := config[kind].(map[string]any)
		for name, v := range m {
			if v != nil { // null removes the chart's default component
				defined[kind][name] = true
			}
		}
	}
	pipelines, _ := dig(config, "service.pipelines").(map[string]any)
	names := slices.Sorted(func(yield func(string) bool) {
		seen := map[string]bool{}
		for _, n := range chartDefaultPipelines {
			seen[n] = true
		}
		for n := range pipelines {
			seen[n] = true
		}
		for n := range seen {
			if !yield(n) {
				return
			}
		}
	})
	for _, name := range names {
		p, present := pipelines[name]
		if present && p == nil {
			continue // removed
		}
		pm, _ := p.(map[string]any)
		for _, kind := range []string{"receivers", "processors", "exporters"} {
			list, ok := pm[kind].([]any)
			if !ok {
				bad("pipeline %s: %s not set, so the chart's default list (components these values may remove) applies", name, kind)
				continue
			}
			if kind != "processors" && len(list) == 0 {
				bad("pipeline %s has no %s", name, kind)
			}
			for _, c := range list {
				s, _ := c.(string)
				connector := kind != "processors" && defined["connectors"][s]
				if !defined[kind][s] && !connector {
					bad("pipeline %s names %s %q, which the config does not define", name, strings.TrimSuffix(kind, "s"), c)
				}
			}
			if kind == "processors" && (len(list) == 0 || list[0] != "memory_limiter") {
				bad("pipeline %s: processors %v, want memory_limiter first (it must refuse data before anything buffers it)", name, list)
			}
		}
	}

	return problems
}

// pipeline is the named pipeline of collector values (for mutations).
func pipeline(values map[string]any, name string) map[string]any {
	return dig(values, "config.service.pipelines").(map[string]any)[name].(map[string]any)
}

// dig follows a dotted path of map keys; nil where one is missing.
func dig(v any, field string) any {
	for _, k := range strings.Split(field, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func asStrings(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, e := range list {
		s, _ := e.(string)
		out = append(out, s)
	}
	return out
}
