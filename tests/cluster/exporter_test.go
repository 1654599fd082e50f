package cluster

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// exporter serves, for every pod of the services it watches, the metric
// families the rendered AnalysisTemplates query (docs/CONTRACTS.md names):
// http_requests_total, http_request_duration_seconds, kafka_messages_*
// and kafka_consumer_lag, labelled namespace/service/pod as the
// ServiceMonitor's relabelling would. The pods are kwok's, so nothing real
// runs in them: this stands in for their /metrics. A pod's error ratio is
// chosen by its container image, so a "bad release" is an image the test
// marks bad before rolling it out, as a broken build would be.
type exporter struct {
	kube      kubernetes.Interface
	namespace string
	services  []string
	url       string

	mu         sync.Mutex
	errorRatio map[string]float64 // by container image
	firstSeen  map[string]time.Time
}

// requestsPerSecond is the traffic every pod reports; counters grow
// linearly from the pod's first scrape so rate() is steady.
const requestsPerSecond = 20

func startExporter(t testing.TB, kube kubernetes.Interface, namespace string, services ...string) *exporter {
	t.Helper()
	e := &exporter{kube: kube, namespace: namespace, services: services, errorRatio: map[string]float64{}, firstSeen: map[string]time.Time{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: e, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	e.url = "http://" + ln.Addr().String()
	return e
}

// setErrorRatio makes pods running image fail that share of requests and
// messages.
func (e *exporter) setErrorRatio(image string, ratio float64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.errorRatio[image] = ratio
}

func (e *exporter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	var body bytes.Buffer
	now := time.Now()
	for _, svc := range e.services {
		pods, err := e.kube.CoreV1().Pods(e.namespace).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=" + svc})
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		sort.Slice(pods.Items, func(i, j int) bool { return pods.Items[i].Name < pods.Items[j].Name })
		for i := range pods.Items {
			e.writePod(&body, svc, &pods.Items[i], now)
		}
		fmt.Fprintf(&body, "kafka_consumer_lag{namespace=%q,service=%q,topic=\"orders\",partition=\"0\"} 3\n", e.namespace, svc)
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	_, _ = w.Write(body.Bytes())
}

func (e *exporter) writePod(b *bytes.Buffer, svc string, pod *corev1.Pod, now time.Time) {
	if pod.DeletionTimestamp != nil || len(pod.Spec.Containers) == 0 {
		return
	}
	e.mu.Lock()
	first, ok := e.firstSeen[pod.Name]
	if !ok {
		first = now
		e.firstSeen[pod.Name] = now
	}
	ratio := e.errorRatio[pod.Spec.Containers[0].Image]
	e.mu.Unlock()
	total := requestsPerSecond * (now.Sub(first).Seconds() + 1)
	failed := ratio * total
	l := fmt.Sprintf("namespace=%q,service=%q,pod=%q", e.namespace, svc, pod.Name)
	fmt.Fprintf(b, "http_requests_total{%s,code=\"200\"} %g\n", l, total-failed)
	fmt.Fprintf(b, "http_requests_total{%s,code=\"500\"} %g\n", l, failed)
	// Every request takes under 50 ms.
	for _, le := range []string{"0.05", "0.1", "0.5", "1", "+Inf"} {
		fmt.Fprintf(b, "http_request_duration_seconds_bucket{%s,le=%q} %g\n", l, le, total)
	}
	fmt.Fprintf(b, "http_request_duration_seconds_count{%s} %g\n", l, total)
	fmt.Fprintf(b, "kafka_messages_consumed_total{%s} %g\n", l, total)
	fmt.Fprintf(b, "kafka_messages_failed_total{%s} %g\n", l, failed)
}

// startPrometheus runs the Debian prometheus on a free loopback port,
// scraping the exporter every second.
func startPrometheus(t testing.TB, target string) string {
	t.Helper()
	const bin = "/usr/bin/prometheus"
	if _, err := exec.LookPath(bin); err != nil {
		t.Fatalf("%s: %v (scripts/install-deps.sh installs it)", bin, err)
	}
	dir := t.TempDir()
	cfg := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: pods
    honor_labels: true
    static_configs:
      - targets: [%q]
`, target)
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	p := startProcess(t, "prometheus", bin,
		"--config.file="+cfgPath,
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr,
	)
	url := "http://" + addr
	client := &http.Client{Timeout: 2 * time.Second}
	waitFor(t, "prometheus ready", 30*time.Second, []*process{p}, func() (bool, string, error) {
		resp, err := client.Get(url + "/-/ready")
		if err != nil {
			return false, err.Error(), nil
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, resp.Status, nil
	})
	return url
}
