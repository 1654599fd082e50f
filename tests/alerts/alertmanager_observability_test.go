//go:build observability

// The Alertmanager side (cue/templates/alerting.cue), with the real tools of
// the Debian package prometheus-alertmanager (scripts/install-deps.sh):
// `amtool check-config` accepts each environment's rendered configuration,
// `amtool config routes test` sends every alert of the rendered rules (the
// services' and the telemetry's) to the receiver this test names for its
// severity, and a real Alertmanager on loopback shows a page silencing its
// ticket while the page, the ticket of another alert and the heartbeat
// reach stand-ins of PagerDuty, Slack and the dead-man's switch with the
// keys from the mounted files.
package alerts

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	amtool       = "amtool"
	alertmanager = "prometheus-alertmanager"
	secretDir    = "/etc/alertmanager/secrets/alertmanager-receivers/"
)

// intended is who each kind of alert must reach, per environment: what
// docs/runbooks.md ("Alert routing") promises, written here independently
// of the model. Alerts of any other severity (the chart's default rules)
// reach nobody.
var intended = map[string]map[string]string{
	"prod":    {"page": "pagerduty", "ticket": "slack", "Watchdog": "heartbeat", "other": "null"},
	"staging": {"page": "pagerduty", "ticket": "slack", "Watchdog": "heartbeat", "other": "null"},
	"dev":     {"page": "slack", "ticket": "slack", "Watchdog": "null", "other": "null"},
}

func requireTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Fatalf("%s not found (%v): run make deps (Debian package prometheus-alertmanager)", name, err)
	}
}

// amConfig is the Alertmanager configuration rendered for env: the
// kube-prometheus-stack add-on's alertmanager.config.
func amConfig(t *testing.T, env string) map[string]any {
	t.Helper()
	var app map[string]any
	readYAML(t, filepath.Join(root, "apps", env, "addons", "kube-prometheus-stack.application.gen.yaml"), &app)
	cfg, ok := dig(app, "spec", "source", "helm", "valuesObject", "alertmanager", "config").(map[string]any)
	if !ok {
		t.Fatalf("%s: kube-prometheus-stack has no alertmanager.config", env)
	}
	return cfg
}

func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// envs are the rendered environments.
func envs(t *testing.T) []string {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join(root, "apps", "*", "addons", "kube-prometheus-stack.application.gen.yaml"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no rendered kube-prometheus-stack add-on (%v): run platform render", err)
	}
	var out []string
	for _, d := range dirs {
		out = append(out, filepath.Base(filepath.Dir(filepath.Dir(d))))
	}
	sort.Strings(out)
	if !slices.Equal(out, []string{"dev", "prod", "staging"}) {
		t.Fatalf("environments %v: this test names the intended receivers of dev, staging and prod", out)
	}
	return out
}

// alert is one alerting rule as rendered: its name and static labels.
type alert struct {
	source string
	name   string
	labels map[string]string
}

// renderedAlerts are the alerts of every rendered rule of env: each
// service's PrometheusRule and the telemetry rule of _platform.
func renderedAlerts(t *testing.T, env string) []alert {
	t.Helper()
	var out []alert
	add := func(source string, groups []any) {
		for _, g := range groups {
			for _, r := range g.(map[string]any)["rules"].([]any) {
				rm := r.(map[string]any)
				name, ok := rm["alert"].(string)
				if !ok {
					continue
				}
				labels := map[string]string{"alertname": name}
				for k, v := range rm["labels"].(map[string]any) {
					labels[k] = fmt.Sprint(v)
				}
				out = append(out, alert{source: source, name: name, labels: labels})
			}
		}
	}
	for _, s := range loadServices(t) {
		if s.env == env {
			add(s.dir, s.groups)
		}
	}
	tr := telemetryRule(t, env)
	add("telemetry "+env, tr)
	return out
}

// telemetryRule is the groups of environments/<env>/_platform/telemetry-alerts.gen.yaml.
func telemetryRule(t *testing.T, env string) []any {
	t.Helper()
	var rule map[string]any
	readYAML(t, filepath.Join(root, "environments", env, "_platform", "telemetry-alerts.gen.yaml"), &rule)
	groups, _ := dig(rule, "spec", "groups").([]any)
	if len(groups) == 0 {
		t.Fatalf("%s: telemetry PrometheusRule has no groups", env)
	}
	return groups
}

// TestAmtoolCheckConfig: amtool accepts every environment's rendered
// configuration, and rejects a copy whose route names a receiver that does
// not exist.
func TestAmtoolCheckConfig(t *testing.T) {
	requireTool(t, amtool)
	dir := t.TempDir()
	for _, env := range envs(t) {
		f := filepath.Join(dir, env+".yml")
		writeYAML(t, f, amConfig(t, env))
		if out, err := exec.Command(amtool, "check-config", f).CombinedOutput(); err != nil {
			t.Errorf("%s: amtool check-config: %v\n%s", env, err, out)
		}
	}
	broken := amConfig(t, "prod")
	broken["route"].(map[string]any)["routes"].([]any)[1].(map[string]any)["receiver"] = "opsgenie"
	f := filepath.Join(dir, "broken.yml")
	writeYAML(t, f, broken)
	if out, err := exec.Command(amtool, "check-config", f).CombinedOutput(); err == nil {
		t.Fatalf("amtool check-config accepted a route to an unknown receiver:\n%s", out)
	}
}

// TestEveryAlertReachesItsReceiver routes every rendered alert with its
// labels through `amtool config routes test`: a page reaches the page
// receiver, a ticket Slack, Watchdog the heartbeat, and an alert of another
// severity (the chart's default rules: critical, warning, info, none)
// nobody. An alert without a known severity fails the test.
func TestEveryAlertReachesItsReceiver(t *testing.T) {
	requireTool(t, amtool)
	dir := t.TempDir()
	for _, env := range envs(t) {
		t.Run(env, func(t *testing.T) {
			t.Parallel()
			f := filepath.Join(dir, env+".yml")
			writeYAML(t, f, amConfig(t, env))
			alerts := renderedAlerts(t, env)
			// the chart's default rules and whatever else carries another
			// severity.
			for _, sev := range []string{"critical", "warning", "info", "none"} {
				alerts = append(alerts, alert{source: "kube-prometheus-stack default rules", name: "KubePodCrashLooping",
					labels: map[string]string{"alertname": "KubePodCrashLooping", "severity": sev, "namespace": "orders-" + env}})
			}
			kinds := map[string]int{}
			for _, a := range alerts {
				kind := a.labels["severity"]
				switch {
				case a.name == "Watchdog":
					kind = "Watchdog"
				case a.source == "kube-prometheus-stack default rules":
					kind = "other"
				case kind != "page" && kind != "ticket":
					t.Errorf("%s: alert %s has severity %q: every alert of the platform pages or opens a ticket", a.source, a.name, kind)
					continue
				}
				kinds[kind]++
				want := intended[env][kind]
				if _, ok := a.labels["service"]; !ok {
					// TargetDown takes service from the target it reports.
					a.labels["service"] = "order"
				}
				if got := route(t, f, a.labels); !slices.Equal(got, []string{want}) {
					t.Errorf("%s: alert %s %v reaches %v, want %s", a.source, a.name, a.labels, got, want)
				}
			}
			// the rules hold every kind: a render that lost the pages or the
			// Watchdog would otherwise pass.
			for _, k := range []string{"page", "ticket", "Watchdog", "other"} {
				if kinds[k] == 0 {
					t.Errorf("%s: no %s alert routed", env, k)
				}
			}
			t.Logf("%s: routed %d alerts (%v)", env, len(alerts), kinds)
		})
	}
}

// route is the receivers amtool resolves for labels.
func route(t *testing.T, config string, labels map[string]string) []string {
	t.Helper()
	args := []string{"config", "routes", "test", "--config.file=" + config}
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		args = append(args, k+"="+labels[k])
	}
	cmd := exec.Command(amtool, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("amtool %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	var got []string
	for _, r := range strings.Split(strings.TrimSpace(stdout.String()), ",") {
		got = append(got, strings.TrimSpace(r))
	}
	return got
}

// received is what a stand-in receiver got: each request's path, auth
// header and body.
type received struct {
	mu   sync.Mutex
	reqs []request
}

type request struct {
	path, auth, body string
}

func (r *received) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.reqs = append(r.reqs, request{path: req.URL.Path, auth: req.Header.Get("Authorization"), body: string(b)})
	r.mu.Unlock()
	// PagerDuty's Events API answers 202, Slack 200 "ok", a heartbeat 200.
	if req.URL.Path == "/pagerduty" {
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, `{"status":"success","message":"Event processed"}`)
		return
	}
	_, _ = io.WriteString(w, "ok")
}

func (r *received) find(path, contains string) (request, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, q := range r.reqs {
		if q.path == path && strings.Contains(q.body, contains) {
			return q, true
		}
	}
	return request{}, false
}

func (r *received) count(path string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, q := range r.reqs {
		if q.path == path {
			n++
		}
	}
	return n
}

// TestAlertmanagerDeliversAndInhibits runs the real Alertmanager on
// prod's rendered configuration, changed only where it must not leave the
// machine or should not take minutes: the receivers' endpoints point to a
// loopback stand-in (PagerDuty's url, the heartbeat's url; Slack's URL is in
// its key file), the key files are in a temporary directory instead of
// the mounted Secret, and the group timers are a second. Then, with a fast
// burn paging order, order's slow burn of the same SLO is inhibited (the
// API shows it suppressed, inhibited by the page, and Slack never gets it),
// while order's dead-letter ticket reaches Slack, the page reaches PagerDuty
// with the routing key from its file, and Watchdog pings the heartbeat with
// the token from its file.
func TestAlertmanagerDeliversAndInhibits(t *testing.T) {
	requireTool(t, alertmanager)
	stand := &received{}
	srv := httptest.NewServer(stand)
	t.Cleanup(srv.Close)

	dir := t.TempDir()
	keys := map[string]string{
		"pagerduty-routing-key": "routing-key-from-the-file",
		"slack-api-url":         srv.URL + "/slack",
		"heartbeat-token":       "heartbeat-token-from-the-file",
	}
	for k, v := range keys {
		if err := os.WriteFile(filepath.Join(dir, k), []byte(v), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg := amConfig(t, "prod")
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// the key files: same names, another directory.
	b = bytes.ReplaceAll(b, []byte(secretDir), []byte(dir+"/"))
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	for _, r := range cfg["receivers"].([]any) {
		rm := r.(map[string]any)
		for _, c := range asList(rm["pagerduty_configs"]) {
			c["url"] = srv.URL + "/pagerduty"
		}
		for _, c := range asList(rm["webhook_configs"]) {
			c["url"] = srv.URL + "/heartbeat"
		}
	}
	fast := func(r map[string]any) {
		for _, k := range []string{"group_wait", "group_interval", "repeat_interval"} {
			if _, ok := r[k]; ok {
				r[k] = "1s"
			}
		}
	}
	rt := cfg["route"].(map[string]any)
	fast(rt)
	for _, sub := range asList(rt["routes"]) {
		fast(sub)
	}
	config := filepath.Join(dir, "alertmanager.yml")
	writeYAML(t, config, cfg)
	if out, err := exec.Command(amtool, "check-config", config).CombinedOutput(); err != nil {
		t.Fatalf("the test's copy of the configuration: %v\n%s", err, out)
	}

	base := startAlertmanager(t, config, filepath.Join(dir, "data"))

	labels := func(name, severity string, extra ...string) map[string]string {
		l := map[string]string{"alertname": name, "severity": severity, "service": "order", "environment": "prod"}
		for i := 0; i+1 < len(extra); i += 2 {
			l[extra[i]] = extra[i+1]
		}
		return l
	}
	alerts := []map[string]string{
		labels("HTTPErrorBudgetFastBurn", "page", "slo", "http-errors"),
		labels("HTTPErrorBudgetSlowBurn", "ticket", "slo", "http-errors"),
		labels("KafkaMessagesDeadLettered", "ticket", "topic", "payment.events.v1"),
		labels("Watchdog", "none", "service", "prometheus"),
	}
	var post []map[string]any
	for _, l := range alerts {
		post = append(post, map[string]any{
			"labels":      l,
			"annotations": map[string]string{"summary": l["alertname"] + " summary", "runbook_url": "https://example.invalid/runbooks.md#" + strings.ToLower(l["alertname"])},
			"startsAt":    time.Now().Add(-time.Minute).UTC().Format(time.RFC3339),
		})
	}
	send := func(alerts []map[string]any) {
		t.Helper()
		body, err := json.Marshal(alerts)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.Post(base+"/api/v2/alerts", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusOK {
			t.Fatalf("POST /api/v2/alerts: %s %s", resp.Status, b)
		}
		resp.Body.Close()
	}
	// The inhibiting page first, the rest once Alertmanager holds it: sent
	// in one batch, the slow burn's group can flush before the inhibitor has
	// seen the fast burn (a race a loaded machine showed; in a cluster
	// group_wait covers it).
	send(post[:1])
	waitFor(t, "the fast burn held", func() (bool, string) {
		state, err := alertStates(base)
		if err != nil {
			return false, err.Error()
		}
		return state["HTTPErrorBudgetFastBurn"].State == "active", fmt.Sprintf("%+v", state)
	})
	send(post[1:])

	// the slow burn is suppressed, inhibited by the fast burn; the others
	// are active.
	waitFor(t, "the slow burn inhibited by the fast burn", func() (bool, string) {
		state, err := alertStates(base)
		if err != nil {
			return false, err.Error()
		}
		slow, fastBurn, dlq := state["HTTPErrorBudgetSlowBurn"], state["HTTPErrorBudgetFastBurn"], state["KafkaMessagesDeadLettered"]
		ok := slow.State == "suppressed" && len(slow.InhibitedBy) == 1 && slow.InhibitedBy[0] == fastBurn.fingerprint &&
			fastBurn.State == "active" && dlq.State == "active"
		return ok, fmt.Sprintf("%+v", state)
	})

	// deliveries: the page with the routing key from its file, the other
	// ticket, the heartbeat with the token from its file.
	waitFor(t, "the page at PagerDuty", func() (bool, string) {
		q, ok := stand.find("/pagerduty", "HTTPErrorBudgetFastBurn")
		return ok && strings.Contains(q.body, `"routing_key":"`+keys["pagerduty-routing-key"]+`"`), fmt.Sprint(stand.count("/pagerduty"), " PagerDuty requests")
	})
	waitFor(t, "the dead-letter ticket in Slack", func() (bool, string) {
		_, ok := stand.find("/slack", "KafkaMessagesDeadLettered")
		return ok, fmt.Sprint(stand.count("/slack"), " Slack requests")
	})
	// what the operator reads: the summary and the runbook, in both.
	for _, c := range []struct{ path, alert string }{{"/slack", "KafkaMessagesDeadLettered"}, {"/pagerduty", "HTTPErrorBudgetFastBurn"}} {
		q, _ := stand.find(c.path, c.alert)
		for _, want := range []string{c.alert + " summary", "https://example.invalid/runbooks.md#" + strings.ToLower(c.alert)} {
			if !strings.Contains(q.body, want) {
				t.Errorf("%s notification of %s lacks %q: %s", c.path, c.alert, want, q.body)
			}
		}
	}
	waitFor(t, "two heartbeats with the token", func() (bool, string) {
		stand.mu.Lock()
		defer stand.mu.Unlock()
		n := 0
		for _, q := range stand.reqs {
			if q.path == "/heartbeat" && q.auth == "Bearer "+keys["heartbeat-token"] && strings.Contains(q.body, "Watchdog") {
				n++
			}
		}
		return n >= 2, fmt.Sprint(n, " heartbeats")
	})
	// by the second heartbeat a whole group interval has passed since the
	// ticket went out: the inhibited slow burn never reached Slack.
	if q, ok := stand.find("/slack", "HTTPErrorBudgetSlowBurn"); ok {
		t.Errorf("the inhibited slow burn reached Slack: %s", q.body)
	}
	if _, ok := stand.find("/pagerduty", "KafkaMessagesDeadLettered"); ok {
		t.Error("a ticket reached PagerDuty")
	}

	// AlertmanagerNotificationsFailing reads this counter by integration:
	// the real Alertmanager exports it for each integration it uses.
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, integration := range []string{"pagerduty", "slack", "webhook"} {
		series := `alertmanager_notifications_failed_total{integration="` + integration + `"}`
		if !bytes.Contains(metrics, []byte(series)) {
			t.Errorf("alertmanager /metrics has no %s", series)
		}
	}
}

func asList(v any) []map[string]any {
	var out []map[string]any
	for _, e := range asAny(v) {
		if m, ok := e.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func asAny(v any) []any { l, _ := v.([]any); return l }

type amAlert struct {
	State       string
	InhibitedBy []string
	fingerprint string
}

// alertStates reads /api/v2/alerts: each alert's state by alertname.
func alertStates(base string) (map[string]amAlert, error) {
	resp, err := http.Get(base + "/api/v2/alerts")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var list []struct {
		Fingerprint string            `json:"fingerprint"`
		Labels      map[string]string `json:"labels"`
		Status      struct {
			State       string   `json:"state"`
			InhibitedBy []string `json:"inhibitedBy"`
		} `json:"status"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		return nil, err
	}
	out := map[string]amAlert{}
	for _, a := range list {
		out[a.Labels["alertname"]] = amAlert{State: a.Status.State, InhibitedBy: a.Status.InhibitedBy, fingerprint: a.Fingerprint}
	}
	return out, nil
}

// startAlertmanager runs prometheus-alertmanager on a free loopback port,
// without clustering, until the test ends, and returns its URL once ready.
func startAlertmanager(t *testing.T, config, storage string) string {
	t.Helper()
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	var logs bytes.Buffer
	cmd := exec.CommandContext(ctx, alertmanager,
		"--config.file="+config,
		"--storage.path="+storage,
		"--web.listen-address="+addr,
		"--cluster.listen-address=",
		"--log.level=debug")
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
			t.Logf("alertmanager log:\n%s", logs.String())
		}
	})
	base := "http://" + addr
	waitFor(t, "alertmanager ready", func() (bool, string) {
		select {
		case <-exited:
			t.Fatalf("alertmanager exited:\n%s", logs.String())
		default:
		}
		resp, err := http.Get(base + "/-/ready")
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, resp.Status
	})
	return base
}

// waitFor polls cond until it holds, failing after a generous deadline
// (this machine is shared and slow).
func waitFor(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	last := ""
	for time.Now().Before(deadline) {
		ok, state := cond()
		if ok {
			return
		}
		last = state
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: not within 90s; last: %s", what, last)
}
