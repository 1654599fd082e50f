package render

import (
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
	"testing"
)

// TestLogCollectorShipsPodLogsToLoki renders the real model and checks each
// environment's log collector (the add-on opentelemetry-collector-logs): a
// DaemonSet reading the node's pod logs, parsing the services' JSON lines
// into the record's body, severity, time and trace context, naming the
// service, environment and namespace, and exporting over OTLP/HTTP to the
// gateway of the environment's Loki add-on. tests/observability runs the
// same configuration on a real collector.
func TestLogCollectorShipsPodLogsToLoki(t *testing.T) {
	res, err := Render(Options{Root: repoRoot(t)})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Envs) == 0 {
		t.Fatal("the model renders no environment")
	}
	for _, env := range res.Envs {
		t.Run(env, func(t *testing.T) {
			values, loki := logAddonValues(t, res, env)
			for _, p := range logCollectorProblems(values, env, lokiGateway(t, loki)) {
				t.Error(p)
			}
		})
	}
}

// TestLogCollectorProblemsCatchesRegressions: each way of breaking the log
// path is refused, so the checker's silence on the rendered values means
// something.
func TestLogCollectorProblemsCatchesRegressions(t *testing.T) {
	res, err := Render(Options{Root: repoRoot(t), Envs: []string{"dev"}})
	if err != nil {
		t.Fatal(err)
	}
	_, loki := logAddonValues(t, res, "dev")
	gateway := lokiGateway(t, loki)
	good := func() map[string]any {
		v, _ := logAddonValues(t, res, "dev")
		return v
	}
	if p := logCollectorProblems(good(), "dev", gateway); len(p) != 0 {
		t.Fatalf("the rendered dev log collector already has problems: %v", p)
	}
	operator := func(v map[string]any, id string) map[string]any {
		for _, op := range dig(v, "config.receivers.filelog.operators").([]any) {
			if m := op.(map[string]any); m["id"] == id {
				return m
			}
		}
		t.Fatalf("no operator %q", id)
		return nil
	}
	for name, c := range map[string]struct {
		mutate func(v map[string]any)
		want   string
	}{
		"deployment mode": {
			mutate: func(v map[string]any) { v["mode"] = "deployment" },
			want:   "daemonset",
		},
		"chart default config": {
			mutate: func(v map[string]any) { delete(v, "config") },
			want:   "no config",
		},
		"no CRI parser": {
			mutate: func(v map[string]any) {
				ops := dig(v, "config.receivers.filelog.operators").([]any)
				dig(v, "config.receivers.filelog").(map[string]any)["operators"] = ops[1:]
			},
			want: "container",
		},
		"trace id from another field": {
			mutate: func(v map[string]any) {
				dig(operator(v, "service-json"), "trace").(map[string]any)["trace_id"] = map[string]any{"parse_from": "attributes.traceID"}
			},
			want: "trace_id",
		},
		"no span id": {
			mutate: func(v map[string]any) {
				delete(dig(operator(v, "service-json"), "trace").(map[string]any), "span_id")
			},
			want: "span_id",
		},
		"service not named": {
			mutate: func(v map[string]any) { operator(v, "service")["to"] = "attributes.svc" },
			want:   "service.name",
		},
		"other environment": {
			mutate: func(v map[string]any) {
				dig(v, "config.processors.resource.attributes").([]any)[0].(map[string]any)["value"] = "prod"
			},
			want: "deployment.environment",
		},
		"exports elsewhere": {
			mutate: func(v map[string]any) {
				dig(v, "config.exporters").(map[string]any)["otlp_http/loki"].(map[string]any)["endpoint"] = "http://loki.other.svc/otlp"
			},
			want: "Loki",
		},
		"pod logs not mounted": {
			mutate: func(v map[string]any) { v["extraVolumeMounts"] = []any{} },
			want:   "/var/log/pods",
		},
		"checkpoints in memory": {
			mutate: func(v map[string]any) { delete(dig(v, "config.receivers.filelog").(map[string]any), "storage") },
			want:   "storage",
		},
		"default traces pipeline left": {
			mutate: func(v map[string]any) { delete(dig(v, "config.service.pipelines").(map[string]any), "traces") },
			want:   "traces",
		},
	} {
		t.Run(name, func(t *testing.T) {
			v := good()
			c.mutate(v)
			problems := logCollectorProblems(v, "dev", gateway)
			for _, p := range problems {
				if strings.Contains(p, c.want) {
					return
				}
			}
			t.Errorf("no problem mentioning %q; got %q", c.want, problems)
		})
	}
}

// logAddonValues are the log collector's chart values and the Loki
// add-on's Application of one environment.
func logAddonValues(t *testing.T, res *Result, env string) (map[string]any, map[string]any) {
	t.Helper()
	dir := path.Join(AppsDir, env, AddonsDir)
	app := parseDoc(t, res, path.Join(dir, "opentelemetry-collector-logs.application.gen.yaml"))
	values, ok := dig(app, "spec.source.helm.valuesObject").(map[string]any)
	if !ok {
		t.Fatal("the log collector's Application has no helm.valuesObject")
	}
	return values, parseDoc(t, res, path.Join(dir, "loki.application.gen.yaml"))
}

// lokiGateway is the host of the Loki chart's gateway Service: the chart
// names it <release>-gateway in the release's namespace.
func lokiGateway(t *testing.T, loki map[string]any) string {
	t.Helper()
	if on, ok := dig(loki, "spec.source.helm.valuesObject.gateway.enabled").(bool); ok && !on {
		t.Fatal("Loki's gateway is disabled")
	}
	return str(t, loki, "spec.source.helm.releaseName") + "-gateway." + str(t, loki, "spec.destination.namespace") + ".svc"
}

// logCollectorProblems checks the log collector's chart values of one
// environment and describes each problem; none means every pod's lines reach
// Loki with their service, environment, namespace and trace context.
func logCollectorProblems(values map[string]any, env, lokiHost string) []string {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	if mode, _ := values["mode"].(string); mode != "daemonset" {
		bad("mode %q: pod logs are files on each node, read by a daemonset", mode)
	}
	// filelog is a contrib component.
	if repo, _ := dig(values, "image.repository").(string); !strings.HasSuffix(repo, "/opentelemetry-collector-contrib") {
		bad("image %q is not the contrib distribution, the one with the filelog receiver", repo)
	}
	config, ok := values["config"].(map[string]any)
	if !ok {
		return append(problems, "no config: the chart's default pipelines only log (debug exporter)")
	}
	problems = append(problems, pipelineProblems(config)...)

	logs, _ := dig(config, "service.pipelines.logs").(map[string]any)
	if got := asStrings(logs["receivers"]); !slices.Equal(got, []string{"filelog"}) {
		bad("logs pipeline receives from %v, want [filelog]", got)
	}

	// The receiver: every pod's files, from a mounted host directory, with
	// read offsets on disk.
	filelog, _ := dig(config, "receivers.filelog").(map[string]any)
	if !slices.Contains(asStrings(filelog["include"]), "/var/log/pods/*/*/*.log") {
		bad("filelog includes %v, not every pod's logs (/var/log/pods/*/*/*.log)", filelog["include"])
	}
	if filelog["include_file_path"] != true {
		bad("filelog include_file_path is off: the container parser reads namespace, pod and container from the path")
	}
	if storage, _ := filelog["storage"].(string); storage == "" || dig(config, "extensions."+storage) == nil || !slices.Contains(asStrings(dig(config, "service.extensions")), storage) {
		bad("filelog storage %q is not a defined and enabled extension: a restart would lose or repeat lines", storage)
	}
	mounted := false
	for _, m := range asMaps(values["extraVolumeMounts"]) {
		if m["mountPath"] == "/var/log/pods" && m["readOnly"] == true {
			for _, v := range asMaps(values["extraVolumes"]) {
				if v["name"] == m["name"] && dig(v, "hostPath.path") == "/var/log/pods" {
					mounted = true
				}
			}
		}
	}
	if !mounted {
		bad("the node's /var/log/pods is not mounted read-only at /var/log/pods")
	}

	// The operators: CRI first, then the services' JSON fields into the
	// record (services/internal/telemetry writes time, level, msg,
	// service, trace_id, span_id).
	ops := asMaps(filelog["operators"])
	if len(ops) == 0 || ops[0]["type"] != "container" {
		bad("the first filelog operator is not the container (CRI) parser")
	}
	var json map[string]any
	moves := map[string]string{}
	for _, op := range ops {
		switch op["type"] {
		case "json_parser":
			json = op
		case "move":
			from, _ := op["from"].(string)
			to, _ := op["to"].(string)
			moves[from] = to
		}
	}
	for field, want := range map[string]string{
		"trace.trace_id.parse_from": "attributes.trace_id",
		"trace.span_id.parse_from":  "attributes.span_id",
		"severity.parse_from":       "attributes.level",
		"timestamp.parse_from":      "attributes.time",
		"parse_to":                  "attributes",
	} {
		if got := dig(json, field); got != want {
			bad("json_parser %s = %v, want %s (the services' slog field)", field, got, want)
		}
	}
	if moves["attributes.service"] != `resource["service.name"]` {
		bad(`the services' "service" field is not moved to resource["service.name"] (moved to %q)`, moves["attributes.service"])
	}
	if moves["attributes.msg"] != "body" {
		bad(`the services' "msg" field is not the record's body (moved to %q)`, moves["attributes.msg"])
	}

	// The environment, on every record.
	envSet := false
	for _, a := range asMaps(dig(config, "processors.resource.attributes")) {
		if a["key"] == "deployment.environment" && a["value"] == env && (a["action"] == "upsert" || a["action"] == "insert") {
			envSet = true
		}
	}
	if !envSet || !slices.Contains(asStrings(logs["processors"]), "resource") {
		bad("no resource processor in the logs pipeline sets deployment.environment=%s", env)
	}

	// The exporter: OTLP/HTTP to Loki's gateway, /otlp (the exporter adds
	// /v1/logs).
	lokiExporters := 0
	for _, e := range asStrings(logs["exporters"]) {
		// otlp_http; otlphttp is its deprecated name.
		if typ, _, _ := strings.Cut(e, "/"); typ != "otlp_http" && typ != "otlphttp" {
			bad("logs pipeline exports to %s, not OTLP/HTTP", e)
			continue
		}
		endpoint, _ := dig(config, "exporters."+e+".endpoint").(string)
		if endpoint != "http://"+lokiHost+"/otlp" {
			bad("exporter %s sends to %q, Loki's OTLP endpoint is http://%s/otlp", e, endpoint, lokiHost)
			continue
		}
		lokiExporters++
	}
	if lokiExporters == 0 {
		bad("the logs pipeline does not export to Loki")
	}
	sort.Strings(problems)
	return problems
}

func asMaps(v any) []map[string]any {
	list, _ := v.([]any)
	out := make([]map[string]any, 0, len(list))
	for _, e := range list {
		if m, ok := e.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}
