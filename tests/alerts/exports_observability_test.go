//go:build observability

package alerts

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"testing"
	"time"

	"github.com/bloody-sweet/platform/services/stack"
)

// scrapeLabels are added by the Prometheus scrape (ServiceMonitor), not by
// the service.
var scrapeLabels = map[string]bool{"namespace": true, "service": true, "pod": true}

var (
	sampleLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})?\s`)
	labelName  = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="`)
	// selector is a metric name followed by its label matchers, as the
	// rendered expressions and the unit tests' input series write them.
	selector = regexp.MustCompile(`([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}`)
)

// exposition is what one service's /metrics shows: label names per series name.
type exposition map[string]map[string]bool

// TestAlertMetricsAreExported starts the five services on embedded defaults
// and reads their /metrics: every series an alert expression selects, and
// every input series the promtool unit tests feed, is exported by that
// service with the in-process labels it is matched on. A metric or label
// renamed in the services (or in the rules) fails here.
func TestAlertMetricsAreExported(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
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
	exported := map[string]exposition{}
	for name, url := range st.MetricsURLs {
		exported[name] = scrape(ctx, t, url+"/metrics")
	}

	// The check can fail: a name and a label the order service does not
	// export are reported.
	bad := `sum(kafka_consumergroup_lag{service="order"}) + sum(rate(http_requests_total{service="order",status="500"}[5m]))`
	if got := unexported(bad, exported["order"]); len(got) != 2 {
		t.Errorf("unexported(%s) = %q, want the metric and the label reported", bad, got)
	}

	for _, s := range loadServices(t) {
		exp, ok := exported[s.name]
		if !ok {
			t.Fatalf("%s: service %s is not in the local stack", s.dir, s.name)
		}
		for alert, r := range s.rules(t) {
			expr, _ := r["expr"].(string)
			checkSelectors(t, s.dir+": alert "+alert, expr, exp)
		}
		for _, sc := range buildScenarios(s) {
			for series := range sc.series {
				checkSelectors(t, s.dir+": promtool input", series, exp)
			}
		}
	}
}

// checkSelectors fails for every problem unexported reports.
func checkSelectors(t *testing.T, where, text string, exp exposition) {
	t.Helper()
	for _, p := range unexported(text, exp) {
		t.Errorf("%s: %s", where, p)
	}
}

// unexported lists every name{...} in text that exp does not export, or
// that it matches on a label exp's series do not carry.
func unexported(text string, exp exposition) []string {
	found := selector.FindAllStringSubmatch(text, -1)
	if len(found) == 0 {
		return []string{"no metric selector in " + text}
	}
	var out []string
	for _, m := range found {
		name := m[1]
		labels, ok := exp[name]
		if !ok {
			out = append(out, name+" is not exported by the service")
			continue
		}
		for _, l := range labelName.FindAllStringSubmatch(m[2], -1) {
			if !scrapeLabels[l[1]] && !labels[l[1]] {
				out = append(out, fmt.Sprintf("%s has no label %s (it has %v)", name, l[1], keys(labels)))
			}
		}
	}
	return out
}

func scrape(ctx context.Context, t *testing.T, url string) exposition {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("scrape %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("scrape %s: %s: %s", url, resp.Status, b)
	}
	exp := exposition{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 1<<20), 1<<20)
	for sc.Scan() {
		m := sampleLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		if exp[m[1]] == nil {
			exp[m[1]] = map[string]bool{}
		}
		for _, l := range labelName.FindAllStringSubmatch(m[2], -1) {
			exp[m[1]][l[1]] = true
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("scrape %s: %v", url, err)
	}
	return exp
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
