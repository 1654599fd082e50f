// Package promtest runs a real Prometheus (the Debian package's binary)
// for integration tests: it scrapes local /metrics endpoints every second
// with the labels a ServiceMonitor adds in a cluster, and answers instant
// queries.
package promtest

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
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Binary is the Debian package's Prometheus (scripts/install-deps.sh).
const Binary = "/usr/bin/prometheus"

// Target is one scrape job: a /metrics URL and the labels the scrape
// attaches (namespace, service, pod).
type Target struct {
	Job    string
	URL    string
	Labels map[string]string
}

// Prometheus is a running server.
type Prometheus struct {
	URL    string
	client *http.Client
}

// Start writes the scrape configuration, starts Prometheus on a free
// loopback port and waits until it is ready; it stops with the test.
func Start(t *testing.T, targets []Target) *Prometheus {
	t.Helper()
	dir := t.TempDir()
	var cfg strings.Builder
	cfg.WriteString("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n")
	for _, tg := range targets {
		u, err := url.Parse(tg.URL)
		if err != nil {
			t.Fatalf("target %s URL %q: %v", tg.Job, tg.URL, err)
		}
		fmt.Fprintf(&cfg, "  - job_name: %q\n    metrics_path: %q\n    static_configs:\n      - targets: [%q]\n    relabel_configs:\n", tg.Job, u.Path, u.Host)
		for _, k := range sortedKeys(tg.Labels) {
			fmt.Fprintf(&cfg, "      - target_label: %s\n        replacement: %q\n", k, tg.Labels[k])
		}
	}
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	var logs bytes.Buffer
	cmd := exec.Command(Binary, "--config.file="+cfgPath, "--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address="+addr)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", Binary, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("prometheus config:\n%s\nprometheus log (tail):\n%s", cfg.String(), tail(logs.String(), 3000))
		}
	})
	p := &Prometheus{URL: "http://" + addr, client: &http.Client{Timeout: 10 * time.Second}}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := p.client.Get(p.URL + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		select {
		case <-done:
			t.Fatalf("prometheus exited: %s", tail(logs.String(), 3000))
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("prometheus not ready after 30 s: %v\n%s", err, tail(logs.String(), 3000))
		}
	}
}

// Sample is one series of an instant query's result.
type Sample struct {
	Labels map[string]string
	Value  float64
}

// Query runs an instant query; a scalar comes back as one sample without
// labels.
func (p *Prometheus) Query(ctx context.Context, q string) ([]Sample, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.URL+"/api/v1/query?"+url.Values{"query": {q}}.Encode(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string          `json:"resultType"`
			Result     json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, fmt.Errorf("decode query response (%s): %w", resp.Status, err)
	}
	if body.Status != "success" {
		return nil, fmt.Errorf("prometheus: %s: %s", resp.Status, body.Error)
	}
	switch body.Data.ResultType {
	case "vector":
		var vec []struct {
			Metric map[string]string `json:"metric"`
			Value  []any             `json:"value"`
		}
		if err := json.Unmarshal(body.Data.Result, &vec); err != nil {
			return nil, err
		}
		out := make([]Sample, 0, len(vec))
		for _, s := range vec {
			v, err := value(s.Value)
			if err != nil {
				return nil, err
			}
			out = append(out, Sample{Labels: s.Metric, Value: v})
		}
		return out, nil
	case "scalar":
		var pair []any
		if err := json.Unmarshal(body.Data.Result, &pair); err != nil {
			return nil, err
		}
		v, err := value(pair)
		if err != nil {
			return nil, err
		}
		return []Sample{{Value: v}}, nil
	}
	return nil, fmt.Errorf("result type %q is not a vector or a scalar", body.Data.ResultType)
}

func value(pair []any) (float64, error) {
	if len(pair) != 2 {
		return 0, fmt.Errorf("sample %v is not [time, value]", pair)
	}
	s, ok := pair[1].(string)
	if !ok {
		return 0, fmt.Errorf("sample value %v is not a string", pair[1])
	}
	return strconv.ParseFloat(s, 64)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// WaitFor polls q until ok accepts its result, failing the test after
// within: a scrape lands every second, so a condition is awaited, never
// assumed after a sleep.
func (p *Prometheus) WaitFor(ctx context.Context, t *testing.T, what, q string, within time.Duration, ok func([]Sample) bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		res, err := p.Query(ctx, q)
		if err == nil && ok(res) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("prometheus: %s: not within %s (last %v, %v)", what, within, res, err)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("prometheus: %s: %v (last %v, %v)", what, ctx.Err(), res, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Values is a result's sample values in order, the way the Argo Rollouts
// Prometheus provider hands them to an analysis' conditions.
func Values(res []Sample) []float64 {
	out := make([]float64, len(res))
	for i, s := range res {
		out[i] = s.Value
	}
	return out
}
