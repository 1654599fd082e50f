//go:build observability

package alerts

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

// The alerts on the telemetry itself (cue/templates/alerting.cue,
// #TelemetryRule, rendered to environments/<env>/_platform/telemetry-alerts.gen.yaml),
// named here with their severity and service: a renamed or dropped alert,
// or one that moved severity, fails TestTelemetryAlertSet.
var telemetryAlerts = map[string][2]string{ // alert -> severity, service
	"Watchdog":                         {"none", "prometheus"},
	"TargetDown":                       {"ticket", ""}, // service: the target's
	"PrometheusRuleEvaluationFailures": {"page", "prometheus"},
	"OtelCollectorExportFailing":       {"ticket", "otel-collector"},
	"OtelCollectorQueueNearlyFull":     {"ticket", "otel-collector"},
	"OtelCollectorEnqueueFailing":      {"ticket", "otel-collector"},
	"LokiRequestErrors":                {"ticket", "loki"},
	"LokiDiscardingLogs":               {"ticket", "loki"},
	// and a ticket when PagerDuty or the heartbeat fails (both listed below)
	"AlertmanagerNotificationsFailing": {"page", "alertmanager"},
}

// TestTelemetryAlertSet: each environment's telemetry rule has exactly the
// alerts above, labelled with their severity, service and the environment,
// each with a summary, a description and a runbook section.
func TestTelemetryAlertSet(t *testing.T) {
	md, err := os.ReadFile(filepath.Join(root, runbooks))
	if err != nil {
		t.Fatal(err)
	}
	anchors := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^#{2,3} (.+)$`).FindAllStringSubmatch(string(md), -1) {
		anchors[githubAnchor(m[1])] = true
	}
	for _, env := range envs(t) {
		var got []string
		severities := map[string][]string{}
		for _, g := range telemetryRule(t, env) {
			for _, r := range g.(map[string]any)["rules"].([]any) {
				rm := r.(map[string]any)
				name, _ := rm["alert"].(string)
				labels, _ := rm["labels"].(map[string]any)
				if !slices.Contains(got, name) {
					got = append(got, name)
				}
				severities[name] = append(severities[name], fmt.Sprint(labels["severity"]))
				want, ok := telemetryAlerts[name]
				svc, _ := labels["service"].(string)
				if ok && (svc != want[1] || labels["environment"] != env) {
					t.Errorf("%s: %s labels %v: want service %q, environment %s", env, name, labels, want[1], env)
				}
				ann, _ := rm["annotations"].(map[string]any)
				url, _ := ann["runbook_url"].(string)
				base, anchor, _ := strings.Cut(url, "#")
				if !strings.HasSuffix(base, "/"+runbooks) || !anchors[anchor] || anchor != strings.ToLower(name) {
					t.Errorf("%s: %s runbook_url %q: want .../%s#%s, a section of it", env, name, url, runbooks, strings.ToLower(name))
				}
				for _, k := range []string{"summary", "description"} {
					if s, _ := ann[k].(string); s == "" {
						t.Errorf("%s: %s has no %s", env, name, k)
					}
				}
			}
		}
		sort.Strings(got)
		var want []string
		for n := range telemetryAlerts {
			want = append(want, n)
		}
		sort.Strings(want)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: telemetry alerts (-want +got):\n%s", env, diff)
		}
		for name, sevs := range severities {
			sort.Strings(sevs)
			wantSev := []string{telemetryAlerts[name][0]}
			if name == "AlertmanagerNotificationsFailing" {
				wantSev = []string{"page", "ticket"}
			}
			if !slices.Equal(sevs, wantSev) {
				t.Errorf("%s: %s severities %v, want %v", env, name, sevs, wantSev)
			}
		}
	}
}

// TestPromtoolTelemetryRules runs `promtool check rules` and generated
// `promtool test rules` scenarios on each environment's telemetry rule: a
// healthy pipeline raises only Watchdog, and each fault raises its alert,
// after its `for` and not before, with the labels Alertmanager routes on.
// The input series use the metric and label names the collector (0.153,
// internal telemetry on 8888), Loki, Prometheus and Alertmanager export.
func TestPromtoolTelemetryRules(t *testing.T) {
	requirePromtool(t)
	for _, env := range envs(t) {
		t.Run(env, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			groups := telemetryRule(t, env)
			f := filepath.Join(dir, "telemetry.rules.yaml")
			writeYAML(t, f, map[string]any{"groups": groups})
			if out, err := exec.Command(promtool, "check", "rules", f).CombinedOutput(); err != nil {
				t.Fatalf("promtool check rules: %v\n%s", err, out)
			}
			test := writeTelemetryTest(t, dir, env, groups)
			if out, err := exec.Command(promtool, "test", "rules", test).CombinedOutput(); err != nil {
				t.Fatalf("promtool test rules: %v\n%s", err, out)
			}
		})
	}
}

// TestPromtoolTelemetryRulesCatchRenames: the scenarios fail when a metric
// the rules read is renamed (the exporter's counters before the collector
// added _total) or an alert loses its `for`.
func TestPromtoolTelemetryRulesCatchRenames(t *testing.T) {
	requirePromtool(t)
	for name, mutate := range map[string]func(string) string{
		"metric": func(y string) string {
			return strings.ReplaceAll(y, "otelcol_exporter_send_failed_spans_total", "otelcol_exporter_send_failed_spans")
		},
		"for": func(y string) string {
			return strings.Replace(y, "for: 15m", "for: 1m", 1)
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			raw, err := yaml.Marshal(telemetryRule(t, "prod"))
			if err != nil {
				t.Fatal(err)
			}
			b := string(raw)
			changed := mutate(b)
			if changed == b {
				t.Fatal("mutation changed nothing")
			}
			var groups []any
			if err := yaml.Unmarshal([]byte(changed), &groups); err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			test := writeTelemetryTest(t, dir, "prod", groups)
			if out, err := exec.Command(promtool, "test", "rules", test).CombinedOutput(); err == nil {
				t.Fatalf("promtool test rules passed with a mutated %s:\n%s", name, out)
			}
		})
	}
}

// writeTelemetryTest writes the rules (annotations dropped, as for the
// services) and their unit test into dir and returns the test file.
func writeTelemetryTest(t *testing.T, dir, env string, groups []any) string {
	t.Helper()
	var stripped []any
	for _, g := range groups {
		gm := copyMap(g.(map[string]any))
		var rules []any
		for _, r := range gm["rules"].([]any) {
			rm := copyMap(r.(map[string]any))
			delete(rm, "annotations")
			rules = append(rules, rm)
		}
		gm["rules"] = rules
		stripped = append(stripped, gm)
	}
	writeYAML(t, filepath.Join(dir, "stripped.rules.yaml"), map[string]any{"groups": stripped})
	var tests []any
	for _, sc := range telemetryScenarios(env) {
		keys := make([]string, 0, len(sc.series))
		for k := range sc.series {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		var series []any
		for _, k := range keys {
			series = append(series, map[string]any{"series": k, "values": sc.series[k]})
		}
		tests = append(tests, map[string]any{
			"name":            env + " telemetry: " + sc.name,
			"interval":        "1m",
			"input_series":    series,
			"alert_rule_test": sc.checks,
		})
	}
	f := filepath.Join(dir, "telemetry.test.yaml")
	writeYAML(t, f, map[string]any{
		"rule_files":          []string{"stripped.rules.yaml"},
		"evaluation_interval": "1m",
		"tests":               tests,
	})
	return f
}

// Series of the telemetry components, with the labels their scrape adds.
const (
	collector = `job="otel-collector",namespace="observability",service="otel-collector",pod="otel-collector-7d9f-abcde"`
	loki      = `job="loki",namespace="loki",service="loki",pod="loki-0"`
	promSel   = `job="kube-prometheus-stack-prometheus",namespace="monitoring",service="kube-prometheus-stack-prometheus",pod="prometheus-kube-prometheus-stack-prometheus-0"`
	amSel     = `job="kube-prometheus-stack-alertmanager",namespace="monitoring",service="kube-prometheus-stack-alertmanager",pod="alertmanager-kube-prometheus-stack-alertmanager-0"`
	ruleGroup = "/etc/prometheus/rules/prometheus-kube-prometheus-stack-prometheus-rulefiles-0/orders-prod-order.yaml;order.slo"
)

const (
	telemetryMinutes = 60
	onset            = 10 // minute a fault starts
)

// telemetryHealthy is a working pipeline: every target up, exports and
// pushes succeeding apart from a trickle below the thresholds (0.5% of
// exports failing, 1% of Loki pushes 5xx, every Loki query failing, which
// is not ingestion), queues nearly empty, nothing discarded, every
// notification delivered.
func telemetryHealthy(env string) map[string]string {
	n := telemetryMinutes
	s := map[string]string{}
	for i, pod := range []string{"a", "b", "c", "d"} {
		s[fmt.Sprintf(`up{job="order",namespace="orders-%s",service="order",pod="order-%s",instance="10.0.0.%d:8080"}`, env, pod, i+1)] = gauge(n, constant(1))
	}
	s[`up{`+collector+`}`] = gauge(n, constant(1))
	s[`prometheus_rule_evaluation_failures_total{`+promSel+`,rule_group="`+ruleGroup+`"}`] = counter(n, constant(0))
	for _, e := range []struct{ exporter, data string }{{"awsxray", "spans"}, {"otlphttp/loki", "log_records"}} {
		sel := collector + `,exporter="` + e.exporter + `"`
		s[`otelcol_exporter_sent_`+e.data+`_total{`+sel+`}`] = counter(n, constant(1000))
		s[`otelcol_exporter_send_failed_`+e.data+`_total{`+sel+`}`] = counter(n, constant(5))
		s[`otelcol_exporter_enqueue_failed_`+e.data+`_total{`+sel+`}`] = counter(n, constant(0))
		s[`otelcol_exporter_queue_size{`+sel+`,data_type="`+map[string]string{"spans": "traces", "log_records": "logs"}[e.data]+`"}`] = gauge(n, constant(10))
		s[`otelcol_exporter_queue_capacity{`+sel+`,data_type="`+map[string]string{"spans": "traces", "log_records": "logs"}[e.data]+`"}`] = gauge(n, constant(1000))
	}
	s[`loki_request_duration_seconds_count{`+loki+`,route="otlp_v1_logs",method="POST",status_code="204"}`] = counter(n, constant(990))
	s[`loki_request_duration_seconds_count{`+loki+`,route="otlp_v1_logs",method="POST",status_code="500"}`] = counter(n, constant(10))
	s[`loki_request_duration_seconds_count{`+loki+`,route="loki_api_v1_query_range",method="GET",status_code="500"}`] = counter(n, constant(30))
	s[`loki_discarded_samples_total{`+loki+`,reason="rate_limited",tenant="fake"}`] = counter(n, constant(0))
	for _, i := range []string{"pagerduty", "slack", "webhook"} {
		s[`alertmanager_notifications_failed_total{`+amSel+`,integration="`+i+`"}`] = counter(n, constant(0))
	}
	return s
}

// from returns v before the fault's onset and f after.
func from(v, f float64) func(int) float64 {
	return func(i int) float64 {
		if i > onset {
			return f
		}
		return v
	}
}

func telemetryScenarios(env string) []scenario {
	n := telemetryMinutes
	every := func(at time.Duration, except string) []map[string]any {
		var out []map[string]any
		for name := range telemetryAlerts {
			if name != "Watchdog" && name != except {
				out = append(out, silent(at, name)...)
			}
		}
		sort.Slice(out, func(i, j int) bool { return out[i]["alertname"].(string) < out[j]["alertname"].(string) })
		return out
	}
	fire := func(at time.Duration, alert string, labels map[string]string) map[string]any {
		l := map[string]string{"environment": env}
		for k, v := range labels {
			l[k] = v
		}
		return map[string]any{"eval_time": dur(at), "alertname": alert, "exp_alerts": []any{map[string]any{"exp_labels": l}}}
	}
	m := func(d int) time.Duration { return time.Duration(d) * time.Minute }

	// healthy: only Watchdog, from the first evaluation on.
	h := scenario{name: "healthy", series: telemetryHealthy(env)}
	for _, at := range []int{1, 30, n} {
		h.checks = append(h.checks, fire(m(at), "Watchdog", map[string]string{"severity": "none", "service": "prometheus"}))
		h.checks = append(h.checks, every(m(at), "")...)
	}
	out := []scenario{h}

	// fault is one component failing from the onset: silent until its
	// `for` has nearly passed, firing with labels once it has.
	fault := func(name, alert string, forMin int, change func(map[string]string), labels map[string]string) {
		sc := scenario{name: name, series: telemetryHealthy(env)}
		change(sc.series)
		sc.checks = append(sc.checks, silent(m(onset+forMin-2), alert)...)
		sc.checks = append(sc.checks, fire(m(onset+forMin+3), alert, labels))
		sc.checks = append(sc.checks, every(m(onset+forMin+3), alert)...)
		out = append(out, sc)
	}
	fault("one of four order pods unscrapable", "TargetDown", 10, func(s map[string]string) {
		s[fmt.Sprintf(`up{job="order",namespace="orders-%s",service="order",pod="order-a",instance="10.0.0.1:8080"}`, env)] = gauge(n, from(1, 0))
	}, map[string]string{"severity": "ticket", "job": "order", "namespace": "orders-" + env, "service": "order"})
	fault("a rule group fails to evaluate", "PrometheusRuleEvaluationFailures", 15, func(s map[string]string) {
		s[`prometheus_rule_evaluation_failures_total{`+promSel+`,rule_group="`+ruleGroup+`"}`] = counter(n, from(0, 1))
	}, map[string]string{"severity": "page", "service": "prometheus", "rule_group": ruleGroup})
	fault("X-Ray refuses 5% of the spans", "OtelCollectorExportFailing", 15, func(s map[string]string) {
		s[`otelcol_exporter_send_failed_spans_total{`+collector+`,exporter="awsxray"}`] = counter(n, from(5, 50))
	}, map[string]string{"severity": "ticket", "service": "otel-collector", "exporter": "awsxray"})
	fault("Loki refuses every log record", "OtelCollectorExportFailing", 15, func(s map[string]string) {
		s[`otelcol_exporter_sent_log_records_total{`+collector+`,exporter="otlphttp/loki"}`] = counter(n, from(1000, 0))
		s[`otelcol_exporter_send_failed_log_records_total{`+collector+`,exporter="otlphttp/loki"}`] = counter(n, from(5, 1000))
	}, map[string]string{"severity": "ticket", "service": "otel-collector", "exporter": "otlphttp/loki"})
	fault("the X-Ray queue fills", "OtelCollectorQueueNearlyFull", 10, func(s map[string]string) {
		s[`otelcol_exporter_queue_size{`+collector+`,exporter="awsxray",data_type="traces"}`] = gauge(n, from(10, 900))
	}, map[string]string{"severity": "ticket", "service": "otel-collector", "exporter": "awsxray"})
	fault("the Loki queue is full", "OtelCollectorEnqueueFailing", 5, func(s map[string]string) {
		s[`otelcol_exporter_enqueue_failed_log_records_total{`+collector+`,exporter="otlphttp/loki"}`] = counter(n, from(0, 300))
	}, map[string]string{"severity": "ticket", "service": "otel-collector", "exporter": "otlphttp/loki"})
	fault("Loki answers 10% of OTLP pushes 5xx", "LokiRequestErrors", 15, func(s map[string]string) {
		s[`loki_request_duration_seconds_count{`+loki+`,route="otlp_v1_logs",method="POST",status_code="500"}`] = counter(n, from(10, 110))
	}, map[string]string{"severity": "ticket", "service": "loki", "route": "otlp_v1_logs"})
	fault("Loki rate-limits", "LokiDiscardingLogs", 15, func(s map[string]string) {
		s[`loki_discarded_samples_total{`+loki+`,reason="rate_limited",tenant="fake"}`] = counter(n, from(0, 40))
	}, map[string]string{"severity": "ticket", "service": "loki", "reason": "rate_limited"})
	fault("Slack refuses notifications: page", "AlertmanagerNotificationsFailing", 5, func(s map[string]string) {
		s[`alertmanager_notifications_failed_total{`+amSel+`,integration="slack"}`] = counter(n, from(0, 1))
	}, map[string]string{"severity": "page", "service": "alertmanager", "integration": "slack"})
	fault("PagerDuty refuses notifications: ticket", "AlertmanagerNotificationsFailing", 5, func(s map[string]string) {
		s[`alertmanager_notifications_failed_total{`+amSel+`,integration="pagerduty"}`] = counter(n, from(0, 1))
	}, map[string]string{"severity": "ticket", "service": "alertmanager", "integration": "pagerduty"})
	return out
}

// TestTelemetryRulesOnARealPrometheus loads prod's telemetry rule, as
// rendered (annotation templates included), into the Debian Prometheus,
// which scrapes itself and a target that is down, next to a rule group
// that fails at every evaluation (many-to-many matching). Prometheus then
// counts the failures in prometheus_rule_evaluation_failures_total by
// rule_group, and the telemetry alerts go pending or firing with the labels
// Alertmanager routes on: PrometheusRuleEvaluationFailures for that group,
// TargetDown for the down job, Watchdog firing.
func TestTelemetryRulesOnARealPrometheus(t *testing.T) {
	const promBinary = "/usr/bin/prometheus"
	if _, err := os.Stat(promBinary); err != nil {
		t.Fatalf("%s: %v (run make deps: Debian package prometheus)", promBinary, err)
	}
	dir := t.TempDir()
	writeYAML(t, filepath.Join(dir, "telemetry.rules.yaml"), map[string]any{"groups": telemetryRule(t, "prod")})
	writeYAML(t, filepath.Join(dir, "broken.rules.yaml"), map[string]any{"groups": []any{map[string]any{
		"name":  "broken",
		"rules": []any{map[string]any{"record": "broken:up", "expr": "up * on() up"}},
	}}})

	addr := freeAddr(t)
	down := freeAddr(t) // nothing listens there
	writeYAML(t, filepath.Join(dir, "prometheus.yml"), map[string]any{
		"global":     map[string]any{"scrape_interval": "1s", "evaluation_interval": "1s"},
		"rule_files": []string{"telemetry.rules.yaml", "broken.rules.yaml"},
		"scrape_configs": []any{
			map[string]any{"job_name": "prometheus", "static_configs": []any{map[string]any{"targets": []string{addr}}}},
			map[string]any{"job_name": "down", "static_configs": []any{map[string]any{"targets": []string{down}}}},
		},
	})
	ctx, cancel := context.WithCancel(context.Background())
	var logs bytes.Buffer
	cmd := exec.CommandContext(ctx, promBinary,
		"--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cancel()
		<-exited
		if t.Failed() {
			t.Logf("prometheus log:\n%s", logs.String())
		}
	})
	base := "http://" + addr

	query := func(q string) ([]map[string]string, error) {
		resp, err := http.Get(base + "/api/v1/query?query=" + url.QueryEscape(q))
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		var body struct {
			Status string `json:"status"`
			Error  string `json:"error"`
			Data   struct {
				Result []struct {
					Metric map[string]string `json:"metric"`
				} `json:"result"`
			} `json:"data"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			return nil, err
		}
		if body.Status != "success" {
			return nil, fmt.Errorf("%s: %s", q, body.Error)
		}
		var out []map[string]string
		for _, r := range body.Data.Result {
			out = append(out, r.Metric)
		}
		return out, nil
	}
	// one alert with these labels (a subset of its labels).
	alertWith := func(q string, want map[string]string) (bool, string) {
		select {
		case <-exited:
			t.Fatalf("prometheus exited:\n%s", logs.String())
		default:
		}
		res, err := query(q)
		if err != nil {
			return false, err.Error()
		}
		for _, m := range res {
			ok := true
			for k, v := range want {
				if m[k] != v {
					ok = false
				}
			}
			if ok {
				return true, fmt.Sprint(m)
			}
		}
		return false, fmt.Sprint(res)
	}
	waitFor(t, "evaluation failures counted by rule_group", func() (bool, string) {
		return alertWith(`prometheus_rule_evaluation_failures_total{rule_group=~".*broken.rules.yaml;broken"} > 0`, nil)
	})
	waitFor(t, "PrometheusRuleEvaluationFailures pending for the broken group", func() (bool, string) {
		return alertWith(`ALERTS{alertname="PrometheusRuleEvaluationFailures",alertstate="pending"}`,
			map[string]string{"severity": "page", "service": "prometheus", "environment": "prod", "rule_group": filepath.Join(dir, "broken.rules.yaml") + ";broken"})
	})
	waitFor(t, "TargetDown pending for the down job", func() (bool, string) {
		return alertWith(`ALERTS{alertname="TargetDown",alertstate="pending"}`, map[string]string{"severity": "ticket", "environment": "prod", "job": "down"})
	})
	waitFor(t, "Watchdog firing", func() (bool, string) {
		return alertWith(`ALERTS{alertname="Watchdog",alertstate="firing"}`, map[string]string{"severity": "none", "environment": "prod"})
	})
	// the self-scraped Prometheus is up: no TargetDown for it.
	if ok, got := alertWith(`ALERTS{alertname="TargetDown"}`, map[string]string{"job": "prometheus"}); ok {
		t.Errorf("TargetDown for the healthy job: %s", got)
	}
}

// freeAddr is a loopback address nothing listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
