//go:build observability

// Package alerts checks the PrometheusRules `platform render` writes into
// environments/<env>/<service>/manifests.gen.yaml with the real Prometheus
// tooling (promtool from the Debian prometheus package, see
// scripts/install-deps.sh): every rendered rule group passes `promtool check
// rules`, and `promtool test rules` runs unit tests generated here from the
// rendered rules and the service's rendered SLO (values.gen.yaml): a healthy
// service raises no alert, 10% failing requests or handler attempts page
// within the page alert's `for`, consumer lag above the SLO pages, a
// dead-lettered message opens a ticket, a consumer blocked by a dependency
// pages, a stuck or growing outbox alerts.
//
// The input series use the metric names and labels the services export
// (services/internal/telemetry, docs/CONTRACTS.md "Metric labels") with the
// labels the ServiceMonitor scrape adds; TestAlertMetricsAreExported checks
// them, and every selector of the rendered expressions, against the /metrics
// of the services running on embedded defaults. The expected alerts are
// named here: a renamed metric leaves an alert without data and a renamed
// alert is missing, and both fail the test.
package alerts

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

const (
	root          = "../.."
	promtool      = "promtool"
	metricCatalog = "policies/data/metric_catalog.json"
	runbooks      = "docs/runbooks.md"
)

// The metrics the tests feed, as the services export them.
const (
	httpRequests  = "http_requests_total"
	httpDuration  = "http_request_duration_seconds_bucket"
	kafkaConsumed = "kafka_messages_consumed_total"
	kafkaFailed   = "kafka_messages_failed_total"
	kafkaProduced = "kafka_messages_produced_total"
	kafkaLag      = "kafka_consumer_lag"
	kafkaDLQ      = "kafka_dlq_messages_total"
	kafkaBlocked  = "kafka_consumer_blocked"
	outboxBacklog = "outbox_backlog"
	admissionShed = "order_admission_shed_total"
)

// The alerts each kind of service must have (cue/templates/prometheusrule.cue,
// docs/runbooks.md).
var (
	apiAlerts      = []string{"HTTPErrorBudgetFastBurn", "HTTPErrorBudgetSlowBurn"}
	latencyAlerts  = []string{"HTTPLatencyP99AboveSLO"}
	consumerAlerts = []string{"KafkaHandlerErrorBudgetFastBurn", "KafkaHandlerErrorBudgetSlowBurn", "KafkaConsumerLagAboveSLO", "KafkaMessagesDeadLettered", "KafkaConsumerBlocked"}
	outboxAlerts   = []string{"OutboxBacklogGrowing", "OutboxRelayStuck"}
	admissionAlert = "AdmissionShedding"
)

// service is one rendered service of one environment.
type service struct {
	env, name, namespace, kind string
	dir                        string
	slo                        slo
	outbox                     bool // has a database, hence an outbox
	admission                  bool // admission control (the model's admission)
	predicts                   bool // accuracy bounds of a predicting service (the model's predicts)
	rule                       map[string]any
	groups                     []any
}

type slo struct {
	Availability      float64  `json:"availability"`
	SuccessRate       float64  `json:"successRate"`
	P99LatencySeconds *float64 `json:"p99LatencySeconds"`
	MaxConsumerLag    *int     `json:"maxConsumerLag"`
}

func requirePromtool(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath(promtool); err != nil {
		t.Fatalf("promtool not found (%v): run make deps (Debian package prometheus)", err)
	}
}

// loadServices reads every environments/<env>/<service> the render wrote.
func loadServices(t *testing.T) []service {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join(root, "environments", "*", "*", "values.gen.yaml"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no rendered services under environments/ (%v): run platform render", err)
	}
	var out []service
	for _, vf := range dirs {
		dir := filepath.Dir(vf)
		var values struct {
			Name        string         `json:"name"`
			Kind        string         `json:"kind"`
			Environment string         `json:"environment"`
			Namespace   string         `json:"namespace"`
			SLO         slo            `json:"slo"`
			Migrate     map[string]any `json:"migrate"`
			Admission   map[string]any `json:"admission"`
			Predicts    map[string]any `json:"predicts"`
		}
		readYAML(t, vf, &values)
		s := service{env: values.Environment, name: values.Name, namespace: values.Namespace, kind: values.Kind,
			dir: dir, slo: values.SLO, outbox: values.Migrate["enabled"] == true, admission: values.Admission != nil,
			predicts: values.Predicts != nil}
		for _, doc := range documents(t, filepath.Join(dir, "manifests.gen.yaml")) {
			if doc["kind"] == "PrometheusRule" {
				if s.rule != nil {
					t.Fatalf("%s: two PrometheusRules", dir)
				}
				s.rule = doc
			}
		}
		if s.rule == nil {
			t.Fatalf("%s/manifests.gen.yaml: no PrometheusRule", dir)
		}
		spec, _ := s.rule["spec"].(map[string]any)
		s.groups, _ = spec["groups"].([]any)
		if len(s.groups) == 0 {
			t.Fatalf("%s: PrometheusRule has no groups", dir)
		}
		out = append(out, s)
	}
	return out
}

// expectedAlerts is the alert set a service must have, from its kind and SLO.
func (s service) expectedAlerts() []string {
	var want []string
	if s.kind == "api" {
		want = append(want, apiAlerts...)
	}
	if s.slo.P99LatencySeconds != nil {
		want = append(want, latencyAlerts...)
	}
	if s.slo.MaxConsumerLag != nil {
		want = append(want, consumerAlerts...)
	}
	if s.outbox {
		want = append(want, outboxAlerts...)
	}
	if s.admission {
		want = append(want, admissionAlert)
	}
	if s.predicts {
		want = append(want, "EtaAccuracyDrift")
	}
	sort.Strings(want)
	return want
}

// rules returns the rendered rules by alert name.
func (s service) rules(t *testing.T) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, g := range s.groups {
		for _, r := range g.(map[string]any)["rules"].([]any) {
			rule := r.(map[string]any)
			if name, ok := rule["alert"].(string); ok {
				out[name] = rule
			}
		}
	}
	return out
}

// TestRenderedAlertSets: each service has exactly the alerts its kind and
// SLO call for, each labelled severity, service and environment.
func TestRenderedAlertSets(t *testing.T) {
	for _, s := range loadServices(t) {
		rules := s.rules(t)
		var got []string
		for name, r := range rules {
			got = append(got, name)
			labels, _ := r["labels"].(map[string]any)
			sev := labels["severity"]
			if (sev != "page" && sev != "ticket") || labels["service"] != s.name || labels["environment"] != s.env {
				t.Errorf("%s: alert %s labels %v: want severity page|ticket, service %s, environment %s", s.dir, name, labels, s.name, s.env)
			}
		}
		sort.Strings(got)
		if diff := cmp.Diff(s.expectedAlerts(), got); diff != "" {
			t.Errorf("%s: alerts differ (-want +got):\n%s", s.dir, diff)
		}
	}
}

// TestPromtoolCheckRules runs `promtool check rules` on the groups of every
// rendered PrometheusRule, and on a broken copy, which it must reject.
func TestPromtoolCheckRules(t *testing.T) {
	requirePromtool(t)
	dir := t.TempDir()
	var files []string
	for _, s := range loadServices(t) {
		f := filepath.Join(dir, s.env+"-"+s.name+".rules.yaml")
		writeYAML(t, f, map[string]any{"groups": s.groups})
		files = append(files, f)
	}
	if out, err := exec.Command(promtool, append([]string{"check", "rules"}, files...)...).CombinedOutput(); err != nil {
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}

	// The check can fail: an unbalanced expression is rejected.
	broken := filepath.Join(dir, "broken.rules.yaml")
	src, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(broken, bytes.Replace(src, []byte("sum("), []byte("sum(("), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(promtool, "check", "rules", broken).CombinedOutput(); err == nil {
		t.Fatalf("promtool check rules accepted a broken expression:\n%s", out)
	}
}

// TestRunbookAnchors: every runbook_url points to a section of
// docs/runbooks.md.
func TestRunbookAnchors(t *testing.T) {
	md, err := os.ReadFile(filepath.Join(root, runbooks))
	if err != nil {
		t.Fatal(err)
	}
	anchors := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^#{2,3} (.+)$`).FindAllStringSubmatch(string(md), -1) {
		anchors[githubAnchor(m[1])] = true
	}
	for _, s := range loadServices(t) {
		for name, r := range s.rules(t) {
			ann, _ := r["annotations"].(map[string]any)
			url, _ := ann["runbook_url"].(string)
			base, anchor, ok := strings.Cut(url, "#")
			if !ok || !strings.HasSuffix(base, "/"+runbooks) || !anchors[anchor] {
				t.Errorf("%s: alert %s runbook_url %q: want .../%s#<a section heading>", s.dir, name, url, runbooks)
			}
			for _, k := range []string{"summary", "description"} {
				if ann[k] == nil || ann[k] == "" {
					t.Errorf("%s: alert %s has no %s annotation", s.dir, name, k)
				}
			}
		}
	}
}

// githubAnchor is the id GitHub gives a Markdown heading.
func githubAnchor(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	h = regexp.MustCompile(`[^a-z0-9 _-]`).ReplaceAllString(h, "")
	return strings.ReplaceAll(h, " ", "-")
}

// TestMetricsInCatalog: the series the tests feed are metrics the services
// export (the catalog the policies hold the services to).
func TestMetricsInCatalog(t *testing.T) {
	var cat struct {
		MetricCatalog map[string][]string `json:"metric_catalog"`
	}
	src, err := os.ReadFile(filepath.Join(root, metricCatalog))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(src, &cat); err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, names := range cat.MetricCatalog {
		for _, n := range names {
			known[n] = true
		}
	}
	for _, m := range []string{httpRequests, httpDuration, kafkaConsumed, kafkaFailed, kafkaProduced, kafkaLag, kafkaDLQ, kafkaBlocked, outboxBacklog} {
		if !known[m] && !known[strings.TrimSuffix(m, "_bucket")] {
			t.Errorf("%s is not in %s", m, metricCatalog)
		}
	}
}

// TestPromtoolTestRules generates a promtool unit test per rendered service
// and runs them all with `promtool test rules`.
func TestPromtoolTestRules(t *testing.T) {
	requirePromtool(t)
	for _, s := range loadServices(t) {
		t.Run(s.env+"/"+s.name, func(t *testing.T) {
			t.Parallel()
			f := writeUnitTest(t, t.TempDir(), s, s.groups)
			if out, err := exec.Command(promtool, "test", "rules", f).CombinedOutput(); err != nil {
				t.Fatalf("promtool test rules: %v\n%s", err, out)
			}
		})
	}
}

// TestPromtoolTestRulesCatchRenames: the same generated tests fail when an
// alert's metric is renamed (its alert never fires) or an alert is renamed.
func TestPromtoolTestRulesCatchRenames(t *testing.T) {
	requirePromtool(t)
	var order service
	for _, s := range loadServices(t) {
		if s.env == "prod" && s.name == "order" {
			order = s
		}
	}
	if order.rule == nil {
		t.Fatal("no prod/order PrometheusRule")
	}
	for name, mutate := range map[string]func(string) string{
		"metric": func(y string) string { return strings.ReplaceAll(y, kafkaLag+"{", "kafka_consumergroup_lag{") },
		"alert": func(y string) string {
			return strings.ReplaceAll(y, "alert: HTTPErrorBudgetFastBurn", "alert: HTTPErrorsFastBurn")
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b, err := yaml.Marshal(order.groups)
			if err != nil {
				t.Fatal(err)
			}
			changed := mutate(string(b))
			if changed == string(b) {
				t.Fatal("mutation changed nothing: the rule no longer has what it renames")
			}
			var groups []any
			if err := yaml.Unmarshal([]byte(changed), &groups); err != nil {
				t.Fatal(err)
			}
			f := writeUnitTest(t, t.TempDir(), order, groups)
			if out, err := exec.Command(promtool, "test", "rules", f).CombinedOutput(); err == nil {
				t.Fatalf("promtool test rules passed with a renamed %s:\n%s", name, out)
			}
		})
	}
}

// writeUnitTest writes the rule file (annotations dropped: promtool
// compares expanded annotations, which hold values; their templates are
// checked by promtool check rules) and the unit test for s, and returns the
// test file.
func writeUnitTest(t *testing.T, dir string, s service, groups []any) string {
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
	base := s.env + "-" + s.name
	rulesFile := base + ".rules.yaml"
	writeYAML(t, filepath.Join(dir, rulesFile), map[string]any{"groups": stripped})
	testFile := filepath.Join(dir, base+".test.yaml")
	writeYAML(t, testFile, map[string]any{
		"rule_files":          []string{rulesFile},
		"evaluation_interval": "1m",
		"tests":               scenarios(s),
	})
	return testFile
}

// Scenario construction. Every series is sampled once a minute; a counter
// is given as its rate per minute in each minute.

const (
	healthyMinutes = 7 * 60 // longer than the longest window (6h)
	rps            = 1000.0 // requests (or messages) per minute
)

type scenario struct {
	name   string
	series map[string]string // series selector -> values
	checks []map[string]any
}

func (s service) sel(extra string) string {
	return fmt.Sprintf(`namespace=%q,service=%q,pod="%s-5f7c9d8b6-abcde"%s`, s.namespace, s.name, s.name, extra)
}

// counter returns the cumulative values of a counter whose per-minute
// increase is rate(minute), for minutes 0..n.
func counter(n int, rate func(int) float64) string {
	var b strings.Builder
	v := 0.0
	for i := 0; i <= n; i++ {
		if i > 0 {
			v += rate(i)
			b.WriteByte(' ')
		}
		b.WriteString(strconv.FormatFloat(v, 'f', -1, 64))
	}
	return b.String()
}

func gauge(n int, value func(int) float64) string {
	var b strings.Builder
	for i := 0; i <= n; i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.FormatFloat(value(i), 'f', -1, 64))
	}
	return b.String()
}

func constant(c float64) func(int) float64 { return func(int) float64 { return c } }

// healthy is traffic at half the error budget, latency well inside the SLO,
// lag at the SLO (not above: a boundary) as two replicas report it, an
// outbox that keeps emptying, and nothing dead-lettered.
func (s service) healthy(n int, errRatio func(int) float64, slow func(int) float64) map[string]string {
	budget := 1 - s.slo.Availability
	if errRatio == nil {
		errRatio = constant(budget / 2)
	}
	series := map[string]string{}
	topic := "payment.events.v1"
	if s.kind == "api" {
		series[httpRequests+"{"+s.sel(`,route="/v1/orders",method="POST",code="201"`)+"}"] = counter(n, func(i int) float64 { return rps * (1 - errRatio(i)) })
		series[httpRequests+"{"+s.sel(`,route="/v1/orders",method="POST",code="503"`)+"}"] = counter(n, func(i int) float64 { return rps * errRatio(i) })
		if s.admission {
			series[admissionShed+"{"+s.sel(`,reason="orders_in_flight_at_bound"`)+"}"] = counter(n, constant(0))
		}
		if p := s.slo.P99LatencySeconds; p != nil {
			if slow == nil {
				slow = constant(0)
			}
			// buckets around the SLO; the fast requests take under half of it.
			for _, b := range []struct {
				le   float64
				rate func(int) float64
			}{
				{*p / 2, func(i int) float64 { return rps * (1 - slow(i)) }},
				{*p, func(i int) float64 { return rps * (1 - slow(i)) }},
				{*p * 2, constant(rps)},
				{math.Inf(1), constant(rps)},
			} {
				le := strconv.FormatFloat(b.le, 'f', -1, 64)
				if math.IsInf(b.le, 1) {
					le = "+Inf"
				}
				series[httpDuration+"{"+s.sel(`,route="/v1/orders",method="POST",code="201",le="`+le+`"`)+"}"] = counter(n, b.rate)
			}
		}
	}
	if s.slo.MaxConsumerLag != nil {
		series[kafkaConsumed+"{"+s.sel(`,topic="`+topic+`"`)+"}"] = counter(n, constant(rps))
		series[kafkaFailed+"{"+s.sel(`,topic="`+topic+`"`)+"}"] = counter(n, func(i int) float64 { return rps * errRatio(i) })
		series[kafkaDLQ+"{"+s.sel(`,topic="`+topic+`"`)+"}"] = counter(n, constant(0))
		lag := float64(*s.slo.MaxConsumerLag)
		// the same partition seen by two replicas counts once
		for _, pod := range []string{"abcde", "fghij"} {
			sel := strings.Replace(s.sel(`,topic="`+topic+`",partition="0"`), "abcde", pod, 1)
			series[kafkaLag+"{"+sel+"}"] = gauge(n, constant(lag))
		}
		series[kafkaLag+"{"+s.sel(`,topic="`+topic+`",partition="1"`)+"}"] = gauge(n, constant(0))
		for _, pod := range []string{"abcde", "fghij"} {
			series[kafkaBlocked+"{"+strings.Replace(s.sel(""), "abcde", pod, 1)+"}"] = gauge(n, constant(0))
		}
	}
	if s.outbox {
		series[outboxBacklog+"{"+s.sel("")+"}"] = gauge(n, func(i int) float64 { return float64(5 * (i % 2)) })
		series[kafkaProduced+"{"+s.sel(`,topic="`+s.name+`.events.v1"`)+"}"] = counter(n, constant(rps))
	}
	return series
}

func silent(at time.Duration, alerts ...string) []map[string]any {
	var out []map[string]any
	for _, a := range alerts {
		out = append(out, map[string]any{"eval_time": dur(at), "alertname": a, "exp_alerts": []any{}})
	}
	return out
}

func (s service) firing(at time.Duration, alert, severity string, extra map[string]string) map[string]any {
	labels := map[string]string{"severity": severity, "service": s.name, "environment": s.env}
	for k, v := range extra {
		labels[k] = v
	}
	return map[string]any{"eval_time": dur(at), "alertname": alert, "exp_alerts": []any{map[string]any{"exp_labels": labels}}}
}

func dur(d time.Duration) string { return fmt.Sprintf("%dm", int(d.Minutes())) }

// forOf is the rendered `for` of an alert.
func forOf(s service, alert string) time.Duration {
	for _, g := range s.groups {
		for _, r := range g.(map[string]any)["rules"].([]any) {
			rm := r.(map[string]any)
			if rm["alert"] == alert {
				f, _ := rm["for"].(string)
				d, err := time.ParseDuration(f)
				if err != nil {
					return 0
				}
				return d
			}
		}
	}
	return 0
}

// scenarios is the promtool "tests" list of s.
func scenarios(s service) []any {
	var tests []any
	for _, sc := range buildScenarios(s) {
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
			"name":            s.env + "/" + s.name + ": " + sc.name,
			"interval":        "1m",
			"input_series":    series,
			"alert_rule_test": sc.checks,
		})
	}
	return tests
}

// buildScenarios is the unit tests of s: input series and expected alerts.
func buildScenarios(s service) []scenario {
	var out []scenario
	all := s.expectedAlerts()

	// healthy: nothing fires, at the end of the longest window and before.
	h := scenario{name: "healthy", series: s.healthy(healthyMinutes, nil, nil)}
	for _, at := range []time.Duration{30 * time.Minute, 3 * time.Hour, healthyMinutes * time.Minute} {
		h.checks = append(h.checks, silent(at, all...)...)
	}
	out = append(out, h)

	// 10% of requests (handler attempts) fail after an hour of healthy
	// traffic: the 1h ratio passes 14.4x the budget after
	// 14.4*budget/0.1 hours; the page fires `for` later.
	onset := 60
	failing := func(i int) float64 {
		if i > onset {
			return 0.1
		}
		return (1 - s.slo.Availability) / 2
	}
	detect := time.Duration(math.Ceil(14.4*(1-s.slo.Availability)/0.1*60)) * time.Minute
	start := time.Duration(onset) * time.Minute
	// the burn alerts name the error budget they spend (slo), which lets
	// Alertmanager silence the slow burn while the fast one pages.
	for _, c := range []struct {
		on         bool
		alert, slo string
	}{
		{s.kind == "api", "HTTPErrorBudgetFastBurn", "http-errors"},
		{s.slo.MaxConsumerLag != nil, "KafkaHandlerErrorBudgetFastBurn", "kafka-handler-errors"},
	} {
		if !c.on {
			continue
		}
		hold := forOf(s, c.alert)
		sc := scenario{name: "10% failing: " + c.alert, series: s.healthy(onset+120, failing, nil)}
		sc.checks = append(sc.checks, silent(start, c.alert)...)
		sc.checks = append(sc.checks, silent(start+detect+hold-2*time.Minute, c.alert)...)
		sc.checks = append(sc.checks, s.firing(start+detect+hold+2*time.Minute, c.alert, "page", map[string]string{"slo": c.slo}))
		out = append(out, sc)
	}

	// 5% of requests slower than twice the SLO: p99 above the SLO.
	if s.slo.P99LatencySeconds != nil {
		slow := func(i int) float64 {
			if i > onset {
				return 0.05
			}
			return 0
		}
		hold := forOf(s, "HTTPLatencyP99AboveSLO")
		sc := scenario{name: "slow", series: s.healthy(onset+60, nil, slow)}
		sc.checks = append(sc.checks, silent(start+hold-2*time.Minute, "HTTPLatencyP99AboveSLO")...)
		sc.checks = append(sc.checks, s.firing(start+hold+3*time.Minute, "HTTPLatencyP99AboveSLO", "ticket", nil))
		out = append(out, sc)
	}

	if s.slo.MaxConsumerLag != nil {
		// lag one message above the SLO on a partition.
		hold := forOf(s, "KafkaConsumerLagAboveSLO")
		sc := scenario{name: "lag above SLO", series: s.healthy(60, nil, nil)}
		sc.series[kafkaLag+"{"+s.sel(`,topic="payment.events.v1",partition="1"`)+"}"] = gauge(60, constant(1))
		sc.checks = append(sc.checks, silent(hold-time.Minute, "KafkaConsumerLagAboveSLO")...)
		sc.checks = append(sc.checks, s.firing(hold+time.Minute, "KafkaConsumerLagAboveSLO", "page", nil))
		out = append(out, sc)

		// one poison message at minute 10: a ticket for the next hour.
		sc = scenario{name: "dead-lettered", series: s.healthy(120, nil, nil)}
		sc.series[kafkaDLQ+"{"+s.sel(`,topic="payment.events.v1"`)+"}"] = counter(120, func(i int) float64 {
			if i == 10 {
				return 1
			}
			return 0
		})
		sc.checks = append(sc.checks, silent(9*time.Minute, "KafkaMessagesDeadLettered")...)
		sc.checks = append(sc.checks, s.firing(12*time.Minute, "KafkaMessagesDeadLettered", "ticket", map[string]string{"topic": "payment.events.v1"}))
		sc.checks = append(sc.checks, silent(80*time.Minute, "KafkaMessagesDeadLettered")...)
		out = append(out, sc)

		// One pod's consumer blocked by a dependency from minute 10 to
		// minute 40: a page once `for` has passed, silent again after.
		hold = forOf(s, "KafkaConsumerBlocked")
		sc = scenario{name: "consumer blocked", series: s.healthy(60, nil, nil)}
		sc.series[kafkaBlocked+"{"+s.sel("")+"}"] = gauge(60, func(i int) float64 {
			if i >= 10 && i < 40 {
				return 1
			}
			return 0
		})
		sc.checks = append(sc.checks, silent(10*time.Minute+hold-time.Minute, "KafkaConsumerBlocked")...)
		sc.checks = append(sc.checks, s.firing(10*time.Minute+hold+time.Minute, "KafkaConsumerBlocked", "page", nil))
		sc.checks = append(sc.checks, silent(41*time.Minute, "KafkaConsumerBlocked")...)
		out = append(out, sc)
	}

	if s.admission {
		// From minute 10, 2% of the requests are shed (503, counted as
		// shed): a ticket once `for` has passed; 0.5% stays silent.
		hold := forOf(s, admissionAlert)
		for _, c := range []struct {
			share float64
			fires bool
		}{{0.02, true}, {0.005, false}} {
			shed := func(i int) float64 {
				if i > 10 {
					return c.share
				}
				return 0
			}
			sc := scenario{name: fmt.Sprintf("%g shed", c.share), series: s.healthy(60, shed, nil)}
			sc.series[admissionShed+"{"+s.sel(`,reason="orders_in_flight_at_bound"`)+"}"] = counter(60, func(i int) float64 { return rps * shed(i) })
			sc.checks = append(sc.checks, silent(10*time.Minute+hold-2*time.Minute, admissionAlert)...)
			if c.fires {
				sc.checks = append(sc.checks, s.firing(10*time.Minute+hold+6*time.Minute, admissionAlert, "ticket", nil))
			} else {
				sc.checks = append(sc.checks, silent(50*time.Minute, admissionAlert)...)
			}
			out = append(out, sc)
		}
	}

	if s.outbox {
		// After 20 healthy minutes rows wait and nothing is published:
		// stuck (pages) once the outbox has not emptied for 10 minutes and
		// `for` has passed; not growing.
		const stop = 20
		after := func(i int, before, then float64) float64 {
			if i > stop {
				return then
			}
			return before
		}
		t0 := (stop + 10) * time.Minute
		stuckFor := forOf(s, "OutboxRelayStuck")
		sc := scenario{name: "outbox stuck", series: s.healthy(80, nil, nil)}
		sc.series[outboxBacklog+"{"+s.sel("")+"}"] = gauge(80, func(i int) float64 { return after(i, float64(5*(i%2)), 40) })
		sc.series[kafkaProduced+"{"+s.sel(`,topic="`+s.name+`.events.v1"`)+"}"] = counter(80, func(i int) float64 { return after(i, rps, 0) })
		sc.checks = append(sc.checks, silent(t0+stuckFor-2*time.Minute, "OutboxRelayStuck")...)
		sc.checks = append(sc.checks, s.firing(t0+stuckFor+2*time.Minute, "OutboxRelayStuck", "page", nil))
		sc.checks = append(sc.checks, silent(t0+stuckFor+2*time.Minute, "OutboxBacklogGrowing")...)
		out = append(out, sc)

		// The relay keeps publishing but falls behind: growing (ticket),
		// not stuck.
		growFor := forOf(s, "OutboxBacklogGrowing")
		sc = scenario{name: "outbox growing", series: s.healthy(80, nil, nil)}
		sc.series[outboxBacklog+"{"+s.sel("")+"}"] = gauge(80, func(i int) float64 { return after(i, float64(5*(i%2)), float64(10*(i-stop))) })
		sc.checks = append(sc.checks, silent(t0+growFor-2*time.Minute, "OutboxBacklogGrowing")...)
		sc.checks = append(sc.checks, s.firing(t0+growFor+2*time.Minute, "OutboxBacklogGrowing", "ticket", nil))
		sc.checks = append(sc.checks, silent(t0+growFor+2*time.Minute, "OutboxRelayStuck")...)
		out = append(out, sc)
	}

	return out
}

// YAML helpers.

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func documents(t *testing.T, path string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, part := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(b), -1) {
		var doc map[string]any
		if err := yaml.Unmarshal([]byte(part), &doc); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if doc != nil {
			out = append(out, doc)
		}
	}
	return out
}

func writeYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
