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
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/bloody-sweet/platform/internal/devstack"
	"github.com/bloody-sweet/platform/services/apiclient"
	"github.com/bloody-sweet/platform/services/devissuer"
	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/stack"
)

const (
	namespace  = "orders-prod"
	canaryHash = "5f7c9d8b6" // the pod-template-hash the scraped "pods" carry
	podSuffix  = "abcde"     // the ReplicaSet pod suffix
	orders     = 300         // orders placed while Prometheus scrapes
	promBinary = "/usr/bin/prometheus"
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
	prom.waitFor(ctx, t, "every target up", `count(up{namespace="`+namespace+`"} == 1)`, func(v []float64) bool {
		return len(v) == 1 && int(v[0]) == len(st.MetricsURLs)
	})

	placeOrdersAndWait(ctx, t, st)

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

// placeOrdersAndWait places the orders with a few parallel clients, follows
// some orders' SSE streams the way a client would (so the notification
// API serves requests too), and polls until every order is terminal.
func placeOrdersAndWait(ctx context.Context, t *testing.T, st *stack.Stack) {
	t.Helper()
	// Orders are read and followed as an operator; each is placed with its
	// customer's token.
	base := &http.Client{Timeout: 10 * time.Second}
	client, err := st.Issuer.Authorize(base, "analysis-operator", devissuer.StoreReadScope, devissuer.StreamAllScope)
	if err != nil {
		t.Fatal(err)
	}
	api := &apiclient.Client{OrderURL: st.OrderURL, StreamURL: st.NotificationURL, HTTP: client}
	ids := make([]string, orders)
	errs := make(chan error, orders)
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 42))
			for i := range next {
				customer, order := devstack.RandomOrder(r)
				token, err := st.Issuer.Token(customer)
				if err != nil {
					errs <- err
					continue
				}
				id, err := api.PlaceOrder(ctx, apiclient.Place{Key: fmt.Sprintf("analysis-%d", i), Token: token, Order: order})
				if err != nil {
					errs <- err
					continue
				}
				ids[i] = id
			}
		}(w)
	}
	for i := 0; i < orders; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("place order: %v", err)
	}

	deadline := time.Now().Add(40 * time.Second)
	pending := ids
	for len(pending) > 0 {
		var still []string
		for _, id := range pending {
			o, err := api.GetOrder(ctx, id)
			if err != nil {
				t.Fatalf("order %s: %v", id, err)
			}
			if !o.Status.Terminal() {
				still = append(still, id)
			}
		}
		pending = still
		if len(pending) > 0 {
			if time.Now().After(deadline) {
				t.Fatalf("%d of %d orders not terminal after 40 s, e.g. %s", len(pending), orders, pending[0])
			}
			pause(ctx, 200*time.Millisecond)
		}
	}

	// A client following a finished order's stream: the notification
	// service replays the history and closes the stream after its
	// terminal grace.
	for _, id := range ids[:20] {
		wg.Add(1)
		go func(id string) {
			defer wg.Done()
			sctx, scancel := context.WithTimeout(ctx, 10*time.Second)
			defer scancel()
			errc, err := api.StreamOrder(sctx, id, "", func(events.StatusChange) {})
			if err != nil {
				t.Errorf("stream %s: %v", id, err)
				return
			}
			if err := <-errc; err != nil || sctx.Err() != nil {
				t.Errorf("stream %s: %v; want the server to close it after the terminal grace (within 10 s: %v)", id, err, sctx.Err())
			}
		}(id)
	}
	wg.Wait()
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

type prometheus struct {
	url    string
	client *http.Client
}

// startPrometheus runs /usr/bin/prometheus on a free loopback port with a
// 1 s scrape of every service's /metrics, relabelled with the namespace,
// service and pod labels the ServiceMonitor adds in the cluster.
func startPrometheus(t *testing.T, services map[string]string) *prometheus {
	t.Helper()
	dir := t.TempDir()
	var cfg strings.Builder
	cfg.WriteString("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n")
	names := make([]string, 0, len(services))
	for name := range services {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		u, err := url.Parse(services[name])
		if err != nil {
			t.Fatalf("service %s URL %q: %v", name, services[name], err)
		}
		fmt.Fprintf(&cfg, `  - job_name: %[1]s
    metrics_path: /metrics
    static_configs:
      - targets: [%[2]q]
    relabel_configs:
      - target_label: namespace
        replacement: %[3]s
      - target_label: service
        replacement: %[1]s
      - target_label: pod
        replacement: %[1]s-%[4]s-%[5]s
`, name, u.Host, namespace, canaryHash, podSuffix)
	}
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	var logs bytes.Buffer
	cmd := exec.Command(promBinary,
		"--config.file="+cfgPath,
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr,
	)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", promBinary, err)
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
	p := &prometheus{url: "http://" + addr, client: &http.Client{Timeout: 5 * time.Second}}
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := p.client.Get(p.url + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		select {
		case <-done:
			t.Fatalf("prometheus exited: %s", tail(logs.String(), 3000))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("prometheus not ready after 20 s: %v\n%s", err, tail(logs.String(), 3000))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// query runs an instant query and returns the sample values the way the
// Argo Rollouts Prometheus provider hands them to the conditions: a
// vector's values in order, or a scalar as one value.
func (p *prometheus) query(ctx context.Context, q string) ([]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.url+"/api/v1/query?"+url.Values{"query": {q}}.Encode(), nil)
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
	parse := func(pair []any) (float64, error) {
		if len(pair) != 2 {
			return 0, fmt.Errorf("sample %v is not [time, value]", pair)
		}
		s, ok := pair[1].(string)
		if !ok {
			return 0, fmt.Errorf("sample value %v is not a string", pair[1])
		}
		return strconv.ParseFloat(s, 64)
	}
	switch body.Data.ResultType {
	case "vector":
		var vec []struct {
			Value []any `json:"value"`
		}
		if err := json.Unmarshal(body.Data.Result, &vec); err != nil {
			return nil, err
		}
		out := make([]float64, 0, len(vec))
		for _, s := range vec {
			v, err := parse(s.Value)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case "scalar":
		var pair []any
		if err := json.Unmarshal(body.Data.Result, &pair); err != nil {
			return nil, err
		}
		v, err := parse(pair)
		if err != nil {
			return nil, err
		}
		return []float64{v}, nil
	default:
		return nil, fmt.Errorf("result type %q is not a vector or scalar", body.Data.ResultType)
	}
}

// waitFor polls q until ok accepts its result or 20 s pass.
func (p *prometheus) waitFor(ctx context.Context, t *testing.T, what, q string, ok func([]float64) bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := p.query(ctx, q)
		if err == nil && ok(res) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("prometheus: %s: not within 20 s (last %v, %v)", what, res, err)
		}
		pause(ctx, 200*time.Millisecond)
	}
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
