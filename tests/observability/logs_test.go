//go:build observability

// Package observability runs the telemetry pipelines the model renders on
// real parts. scripts/test-logs.sh (make test-observability) builds the
// collector of tools/otelcol and runs these tests with OTELCOL_BIN set.
package observability

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	collectorlogs "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	"google.golang.org/protobuf/proto"
	"sigs.k8s.io/yaml"

	"github.com/bloody-sweet/platform/services/stack"
	"github.com/bloody-sweet/platform/tests/testenv"
)

// env is the environment whose rendered collector runs here; its
// services' namespace is orders-<env>.
const env = "dev"

// record is what the test keeps of a log record Loki would receive.
type record struct {
	resource       map[string]string
	body           string
	severity       string
	time           time.Time
	traceID        string
	spanID         string
	attributes     map[string]string
	attributeNames []string
}

// lokiReceiver stands in for Loki's OTLP endpoint: only POST
// /otlp/v1/logs with an OTLP protobuf body exists, so a collector posting
// elsewhere loses its records here as it would against Loki.
type lokiReceiver struct {
	mu      sync.Mutex
	records []record
}

func (r *lokiReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	var msg collectorlogs.ExportLogsServiceRequest
	if !testenv.ReadOTLP(w, req, "/otlp/v1/logs", &msg) {
		return
	}
	r.mu.Lock()
	for _, rl := range msg.ResourceLogs {
		res := map[string]string{}
		for _, a := range rl.GetResource().GetAttributes() {
			res[a.Key] = a.GetValue().GetStringValue()
		}
		for _, sl := range rl.ScopeLogs {
			for _, l := range sl.LogRecords {
				rec := record{
					resource: res, body: l.GetBody().GetStringValue(), severity: l.SeverityText,
					time: time.Unix(0, int64(l.TimeUnixNano)).UTC(), attributes: map[string]string{},
				}
				if len(l.TraceId) > 0 {
					rec.traceID = hex.EncodeToString(l.TraceId)
				}
				if len(l.SpanId) > 0 {
					rec.spanID = hex.EncodeToString(l.SpanId)
				}
				for _, a := range l.Attributes {
					rec.attributeNames = append(rec.attributeNames, a.Key)
					rec.attributes[a.Key] = a.GetValue().GetStringValue()
				}
				r.records = append(r.records, rec)
			}
		}
	}
	r.mu.Unlock()
	out, _ := proto.Marshal(&collectorlogs.ExportLogsServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

func (r *lokiReceiver) all() []record {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]record(nil), r.records...)
}

// lockedBuffer is the stack's log writer: five services write to it at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestRenderedLogPipelineShipsServiceLogs runs the rendered log collector
// (apps/dev/addons/opentelemetry-collector-logs.application.gen.yaml) on a
// collector built with exactly its components against the real output of
// the five services, laid out as the kubelet writes pod logs, and checks
// that every line reaches Loki's OTLP endpoint once, named by its service,
// environment, namespace and cluster, with its message as the body, its
// level and time, and, where the service logged inside a span, the trace
// and span ids in the record's trace context (what links a line to its
// trace in Grafana).
func TestRenderedLogPipelineShipsServiceLogs(t *testing.T) {
	bin := os.Getenv("OTELCOL_BIN")
	if bin == "" {
		t.Fatal("OTELCOL_BIN is not set: run scripts/test-logs.sh, which builds tools/otelcol")
	}
	root := repoRoot(t)
	values := renderedValues(t, filepath.Join(root, "apps", env, "addons", "opentelemetry-collector-logs.application.gen.yaml"))

	// 1. Real service output, with trace context: the stack on embedded
	// parts, its Redis down while an order is placed with the app's
	// traceparent, so the notification consumer's handler fails and logs
	// "handler failed, retrying" inside the order's trace.
	lines, traceID := serviceLogs(t)

	// 2. The kubelet's layout: /var/log/pods/<ns>_<pod>_<uid>/<container>/0.log
	// in CRI format, one pod per service, plus a pod that logs plain text.
	dir := t.TempDir()
	pods := filepath.Join(dir, "pods")
	want := writePodLogs(t, pods, lines)

	// 3. The rendered configuration, with only the node's paths, Loki's
	// address and the collector's own ports swapped for the test's.
	loki := &lokiReceiver{}
	srv := httptest.NewServer(loki)
	defer srv.Close()
	health := freePort(t)
	cfg := collectorConfig(t, values, pods, filepath.Join(dir, "state"), srv.URL, health)
	cfgPath := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfgPath, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	col := startCollector(t, bin, cfgPath)
	defer col.stop(t)

	// 4. Wait until every line arrived (or the deadline), then compare.
	col.await(t, loki, len(want))
	got := loki.all()
	if len(got) != len(want) {
		t.Fatalf("Loki received %d records, %d lines were written", len(got), len(want))
	}
	byBody := map[string][]record{}
	for _, r := range got {
		byBody[r.body] = append(byBody[r.body], r)
	}
	traced := 0
	for _, w := range want {
		rs := byBody[w.body]
		var match *record
		for i := range rs {
			if rs[i].time.Equal(w.time) && rs[i].resource["k8s.pod.name"] == w.pod {
				match = &rs[i]
			}
		}
		if match == nil {
			t.Errorf("line %q of %s (%s) never reached Loki", w.body, w.pod, w.time.Format(time.RFC3339Nano))
			continue
		}
		for k, v := range map[string]string{
			"service.name":           w.service,
			"deployment.environment": env,
			"k8s.namespace.name":     w.namespace,
			"k8s.pod.name":           w.pod,
			"k8s.container.name":     w.container,
			"k8s.cluster.name":       "bloody-sweet-" + env,
		} {
			if match.resource[k] != v {
				t.Errorf("%q: resource %s = %q, want %q", w.body, k, match.resource[k], v)
			}
		}
		if match.severity != w.level {
			t.Errorf("%q: severity %q, want %q", w.body, match.severity, w.level)
		}
		if match.traceID != w.traceID || match.spanID != w.spanID {
			t.Errorf("%q: trace context %s/%s, the service logged %s/%s", w.body, match.traceID, match.spanID, w.traceID, w.spanID)
		}
		for _, k := range match.attributeNames {
			if recordFields[k] {
				t.Errorf("%q: attribute %s kept; it belongs in the record's own fields", w.body, k)
			}
		}
		for k, v := range w.attributes {
			if match.attributes[k] != v {
				t.Errorf("%q: attribute %s = %q, the service logged %q", w.body, k, match.attributes[k], v)
			}
		}
		if w.traceID == traceID {
			traced++
		}
	}
	if traced == 0 {
		t.Errorf("no record carries the order's trace id %s", traceID)
	}
	t.Logf("%d lines (the %d services' and a foreign pod's) reached Loki; %d in the order's trace %s", len(want), len(stack.Services), traced, traceID)
}

// TestCollectorBuildHasExactlyTheRenderedComponents: tools/otelcol holds
// the components the rendered log collector configures (plus the chart's
// default health_check extension), no more, so a component added to the
// model without the build, or left in the build after the model dropped it,
// fails here.
func TestCollectorBuildHasExactlyTheRenderedComponents(t *testing.T) {
	bin := os.Getenv("OTELCOL_BIN")
	if bin == "" {
		t.Fatal("OTELCOL_BIN is not set: run scripts/test-logs.sh, which builds tools/otelcol")
	}
	values := renderedValues(t, filepath.Join(repoRoot(t), "apps", env, "addons", "opentelemetry-collector-logs.application.gen.yaml"))
	cfg, _ := dropNulls(values["config"]).(map[string]any)
	want := map[string][]string{"extensions": {"health_check"}}
	for _, kind := range []string{"receivers", "processors", "exporters", "connectors", "extensions"} {
		m, _ := cfg[kind].(map[string]any)
		for id := range m {
			typ, _, _ := strings.Cut(id, "/") // type[/name]
			if !slices.Contains(want[kind], typ) {
				want[kind] = append(want[kind], typ)
			}
		}
		slices.Sort(want[kind])
	}
	out, err := exec.Command(bin, "types").Output()
	if err != nil {
		t.Fatalf("%s types: %v", bin, err)
	}
	var kinds map[string]json.RawMessage
	if err := json.Unmarshal(out, &kinds); err != nil {
		t.Fatalf("%s types: %v", bin, err)
	}
	var aliases map[string]string // deprecated type -> its type
	if err := json.Unmarshal(kinds["aliases"], &aliases); err != nil {
		t.Fatalf("%s types: aliases: %v", bin, err)
	}
	for _, kind := range []string{"receivers", "processors", "exporters", "connectors", "extensions"} {
		var got []string
		if err := json.Unmarshal(kinds[kind], &got); err != nil {
			t.Fatalf("%s types: %s: %v", bin, kind, err)
		}
		// the config may name a type by its deprecated alias.
		var used []string
		for _, typ := range want[kind] {
			if canonical, ok := aliases[typ]; ok {
				typ = canonical
			}
			if !slices.Contains(used, typ) {
				used = append(used, typ)
			}
		}
		slices.Sort(used)
		if !slices.Equal(got, used) {
			t.Errorf("%s: tools/otelcol has %v, the rendered config uses %v", kind, got, used)
		}
	}
}

// collector is a running collector process.
type collector struct {
	out    *lockedBuffer
	cancel context.CancelFunc
	exited chan error
}

// startCollector runs bin on the config file; stop ends it with SIGINT,
// as the kubelet's SIGTERM does, so it flushes what it holds.
func startCollector(t *testing.T, bin, cfgPath string) *collector {
	t.Helper()
	c := &collector{out: &lockedBuffer{}, exited: make(chan error, 1)}
	var ctx context.Context
	ctx, c.cancel = context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "--config=file:"+cfgPath)
	cmd.Stdout, cmd.Stderr = c.out, c.out
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 20 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { c.exited <- cmd.Wait() }()
	return c
}

func (c *collector) stop(t *testing.T) {
	t.Helper()
	c.cancel()
	// a clean exit after the signal reads as the context's error.
	if err := <-c.exited; err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("the collector stopped with %v", err)
	}
	if t.Failed() {
		t.Logf("collector output:\n%s", c.out.String())
	}
}

// await polls until Loki holds n records, the collector exits or 90 s pass.
func (c *collector) await(t *testing.T, loki *lokiReceiver, n int) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for len(loki.all()) < n && time.Now().Before(deadline) {
		select {
		case err := <-c.exited:
			t.Fatalf("the collector exited: %v\n%s", err, c.out.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// TestLogCollectorResumesAfterRestart: the rendered collector keeps its read
// offsets on the node (file_storage), so a collector restarted between two
// batches of lines ships the second batch and none of the first again:
// nothing lost, nothing repeated.
func TestLogCollectorResumesAfterRestart(t *testing.T) {
	bin := os.Getenv("OTELCOL_BIN")
	if bin == "" {
		t.Fatal("OTELCOL_BIN is not set: run scripts/test-logs.sh, which builds tools/otelcol")
	}
	values := renderedValues(t, filepath.Join(repoRoot(t), "apps", env, "addons", "opentelemetry-collector-logs.application.gen.yaml"))
	dir := t.TempDir()
	pods := filepath.Join(dir, "pods")
	logDir := filepath.Join(pods, "orders-"+env+"_payment-5d8f7c9b4-x7k2p_0a1b2c3d-1111-4222-8333-444455556666", "payment")
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		t.Fatal(err)
	}
	logFile := filepath.Join(logDir, "0.log")
	// lines in the services' slog shape (the test above ships their real
	// output; here only the offsets matter).
	write := func(from, to int) {
		f, err := os.OpenFile(logFile, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		base := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
		for i := from; i < to; i++ {
			ts := base.Add(time.Duration(i) * time.Millisecond).Format(time.RFC3339Nano)
			fmt.Fprintf(f, "%s stderr F {\"time\":%q,\"level\":\"INFO\",\"msg\":\"line %d\",\"service\":\"payment\"}\n", ts, ts, i)
		}
	}
	loki := &lokiReceiver{}
	srv := httptest.NewServer(loki)
	defer srv.Close()
	cfgPath := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfgPath, collectorConfig(t, values, pods, filepath.Join(dir, "state"), srv.URL, freePort(t)), 0o600); err != nil {
		t.Fatal(err)
	}

	write(0, 20)
	first := startCollector(t, bin, cfgPath)
	first.await(t, loki, 20)
	first.stop(t)
	write(20, 50)
	second := startCollector(t, bin, cfgPath)
	defer second.stop(t)
	second.await(t, loki, 50)

	seen := map[string]int{}
	for _, r := range loki.all() {
		seen[r.body]++
	}
	for i := range 50 {
		if n := seen[fmt.Sprintf("line %d", i)]; n != 1 {
			t.Errorf("line %d reached Loki %d times, want once", i, n)
		}
	}
	if len(seen) != 50 {
		t.Errorf("Loki holds %d distinct lines, 50 were written", len(seen))
	}
}

// line is one log line as written and as Loki should get it.
type line struct {
	namespace, pod, container, service string
	body, level                        string
	time                               time.Time
	traceID, spanID                    string
	attributes                         map[string]string
}

// serviceLogs runs the five services in one process and returns their JSON
// log lines and the trace id of the order it placed; at least one line was
// written inside that order's trace.
func serviceLogs(t *testing.T) ([]string, string) {
	t.Helper()
	mr := miniredis.NewMiniRedis()
	if err := mr.Start(); err != nil {
		t.Fatal(err)
	}
	defer mr.Close()
	var logs lockedBuffer
	// every order's first status event reaches the notification service,
	// whatever the simulators decide later.
	st, err := stack.Start(context.Background(), stack.Config{RedisURL: "redis://" + mr.Addr(), LogWriter: &logs, LogLevel: "info"})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if err := st.Close(ctx); err != nil {
			t.Errorf("close the stack: %v", err)
		}
	}()

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 11))
	traceID := fmt.Sprintf("%016x%016x", rng.Uint64(), rng.Uint64())
	mr.Close() // the notification service's handler now fails
	body := `{"store_id":"store-1","items":[{"sku":"pizza-margherita","quantity":1}],"address":{"street":"1 Main St","city":"Springfield","postcode":"12345"}}`
	req, _ := http.NewRequest(http.MethodPost, st.OrderURL+"/v1/orders", strings.NewReader(body))
	req.Header.Set("Idempotency-Key", "logs-"+traceID)
	req.Header.Set("traceparent", fmt.Sprintf("00-%s-%016x-01", traceID, rng.Uint64()))
	customer, err := st.Issuer.Client("c-logs")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := customer.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("place an order: %s %s", resp.Status, raw)
	}
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(logs.String(), `"trace_id":"`+traceID+`"`) {
		if time.Now().After(deadline) {
			t.Fatalf("no service logged inside the order's trace %s within 60 s; logs:\n%s", traceID, logs.String())
		}
		time.Sleep(50 * time.Millisecond) // polling the log buffer: nothing to wait on
	}
	// Redis back on its address so the stack drains and stops cleanly.
	if err := mr.Restart(); err != nil {
		t.Fatal(err)
	}
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(logs.String()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) != "" {
			lines = append(lines, sc.Text())
		}
	}
	return lines, traceID
}

// recordFields are the slog fields that become the record's own fields
// (resource service.name, body, severity, time, trace context).
var recordFields = map[string]bool{"time": true, "level": true, "msg": true, "service": true, "trace_id": true, "span_id": true}

// writePodLogs writes the services' lines as the kubelet does, into one pod
// per service in orders-<env>, a plain-text pod in kube-system and the log
// collector's own pod, which must not be shipped; one
// service line is split into a partial (P) and a final (F) CRI entry, as
// the runtime does for long lines. It returns what Loki should receive.
func writePodLogs(t *testing.T, pods string, lines []string) []line {
	t.Helper()
	var want []line
	files := map[string]*os.File{}
	open := func(ns, pod, container string) *os.File {
		key := ns + "/" + pod
		if f, ok := files[key]; ok {
			return f
		}
		d := filepath.Join(pods, fmt.Sprintf("%s_%s_%08x-1111-4222-8333-444455556666", ns, pod, len(files)), container)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		f, err := os.Create(filepath.Join(d, "0.log"))
		if err != nil {
			t.Fatal(err)
		}
		files[key] = f
		return f
	}
	defer func() {
		for _, f := range files {
			if err := f.Close(); err != nil {
				t.Error(err)
			}
		}
	}()
	ns := "orders-" + env
	split, migrate := false, false
	for _, l := range lines {
		var fields map[string]any
		if err := json.Unmarshal([]byte(l), &fields); err != nil {
			t.Fatalf("a service wrote a line that is not JSON: %q", l)
		}
		service, _ := fields["service"].(string)
		msg, _ := fields["msg"].(string)
		level, _ := fields["level"].(string)
		ts, err := time.Parse(time.RFC3339Nano, fmt.Sprint(fields["time"]))
		if service == "" || msg == "" || level == "" || err != nil {
			t.Fatalf("a service line lacks service, msg, level or time: %q", l)
		}
		w := line{namespace: ns, pod: service + "-5d8f7c9b4-x7k2p", container: service, service: service,
			body: msg, level: level, time: ts.UTC(), attributes: map[string]string{}}
		if !migrate && service == "order" {
			// the PreSync migrate Job's container is "migrate": the line's
			// own service field must name it, not the container.
			w.pod, w.container, migrate = "order-migrate-q7x2m", "migrate", true
		}
		w.traceID, _ = fields["trace_id"].(string)
		w.spanID, _ = fields["span_id"].(string)
		for k, v := range fields {
			if s, ok := v.(string); ok && !recordFields[k] {
				w.attributes[k] = s
			}
		}
		f := open(ns, w.pod, w.container)
		// the runtime's receive time, a little after the service's own:
		// the record must carry the service's.
		cri := ts.Add(time.Millisecond).UTC().Format(time.RFC3339Nano)
		if !split && w.traceID != "" && len(l) > 40 {
			fmt.Fprintf(f, "%s stderr P %s\n%s stderr F %s\n", cri, l[:40], cri, l[40:])
			split = true
		} else {
			fmt.Fprintf(f, "%s stderr F %s\n", cri, l)
		}
		want = append(want, w)
	}
	if !split {
		t.Fatal("no traced service line to split into partial CRI entries")
	}
	// A pod that is not one of ours: plain text, named by its container.
	ts := time.Now().UTC().Truncate(time.Microsecond)
	f := open("kube-system", "coredns-6b9d4f7c8d-q2w3e", "coredns")
	fmt.Fprintf(f, "%s stdout F [INFO] plugin/reload: Running configuration SHA512 = 0c1d\n", ts.Format(time.RFC3339Nano))
	want = append(want, line{namespace: "kube-system", pod: "coredns-6b9d4f7c8d-q2w3e", container: "coredns", service: "coredns",
		body: "[INFO] plugin/reload: Running configuration SHA512 = 0c1d", time: ts})
	// The collector's own pod: excluded (its lines about shipping lines
	// would be shipped, and so on), so not in want.
	f = open("observability", "otel-log-collector-8kq4d", "opentelemetry-collector")
	fmt.Fprintf(f, "%s stderr F 2026-12-03T12:00:00.000Z\tinfo\tService started\n", ts.Format(time.RFC3339Nano))
	return want
}

// collectorConfig is the rendered collector config as the chart would pass
// it (values.config with the components it removes, null, left out), with
// the node's pod log directory, the checkpoint directory, Loki's address
// and the collector's own ports replaced.
func collectorConfig(t *testing.T, values map[string]any, pods, state, lokiURL string, health int) []byte {
	t.Helper()
	cfg, ok := dropNulls(values["config"]).(map[string]any)
	if !ok {
		t.Fatal("the rendered values have no config")
	}
	filelog := dig(t, cfg, "receivers", "filelog")
	swap := func(list any) []any {
		var out []any
		for _, p := range list.([]any) {
			s := p.(string)
			if !strings.HasPrefix(s, "/var/log/pods/") {
				t.Fatalf("filelog path %q is not under /var/log/pods", s)
			}
			out = append(out, filepath.Join(pods, strings.TrimPrefix(s, "/var/log/pods/")))
		}
		return out
	}
	filelog["include"] = swap(filelog["include"])
	filelog["exclude"] = swap(filelog["exclude"])
	dig(t, cfg, "extensions", "file_storage")["directory"] = state
	exporter := dig(t, cfg, "exporters", "otlp_http/loki")
	endpoint, _ := exporter["endpoint"].(string)
	if !strings.HasSuffix(endpoint, "/otlp") {
		t.Fatalf("the Loki exporter's endpoint %q does not end in /otlp", endpoint)
	}
	exporter["endpoint"] = lokiURL + "/otlp"
	// health_check is the chart's default extension (on the pod IP).
	dig(t, cfg, "extensions")["health_check"] = map[string]any{"endpoint": fmt.Sprintf("127.0.0.1:%d", health)}
	dig(t, cfg, "service")["telemetry"] = map[string]any{"metrics": map[string]any{"level": "none"}}
	out, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func dig(t *testing.T, m map[string]any, keys ...string) map[string]any {
	t.Helper()
	for _, k := range keys {
		next, ok := m[k].(map[string]any)
		if !ok {
			if _, present := m[k]; !present {
				next = map[string]any{}
				m[k] = next
			} else {
				t.Fatalf("config: %s is not a map", strings.Join(keys, "."))
			}
		}
		m = next
	}
	return m
}

// dropNulls removes null values, as Helm's merge does with the chart's
// defaults they name.
func dropNulls(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if e != nil {
				out[k] = dropNulls(e)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = dropNulls(e)
		}
		return out
	}
	return v
}

func renderedValues(t *testing.T, path string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run `make render`)", err)
	}
	var app struct {
		Spec struct {
			Source struct {
				Helm struct {
					ValuesObject map[string]any `json:"valuesObject"`
				} `json:"helm"`
			} `json:"source"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(raw, &app); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if app.Spec.Source.Helm.ValuesObject == nil {
		t.Fatalf("%s: no spec.source.helm.valuesObject", path)
	}
	return app.Spec.Source.Helm.ValuesObject
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func repoRoot(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}
