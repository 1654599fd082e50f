//go:build autoscaling

package cluster

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
)

// The rendered consumer the autoscaling test runs: prod payment, whose
// ScaledObject's maxReplicaCount is the partition bound (12, the
// partitions of the topic it consumes) and whose Rollout has canary steps.
// dev renders no canary steps and caps consumers at 2 by configuration,
// below the partitions, so it could prove neither the bound nor the
// canary.
const (
	autoscalingEnv     = "prod"
	autoscalingService = "payment"
)

// Shortened for the test copy of the ScaledObject only, so a scale-down
// takes seconds, not minutes: the rendered scale-down stabilisation window
// (300 s) becomes testStabilization and its policy's period (60 s per pod)
// testScaleDownPeriod; the policy's type and value (one pod per period),
// the bounds, the fallback and the lag query and threshold are applied
// as rendered. The HPA controller syncs every hpaSync instead of 15 s.
const (
	testStabilization   = 30 * time.Second
	testScaleDownPeriod = 2 * time.Second
	hpaSync             = 2 * time.Second
)

// TestAutoscaling proves the rendered ScaledObject on the hermetic
// cluster: the KEDA operator and metrics apiserver (v2.21.0, built from
// their module) turn it into an HPA that kube-controller-manager's HPA
// controller runs against external.metrics.k8s.io, served through the
// aggregator by keda-metrics-apiserver, whose lag comes from the
// ScaledObject's own query on a real Prometheus scraping an exporter this
// test drives. Lag above the partition bound scales the Rollout to the
// bound and never above; lag gone scales it down one pod at a time, only
// after the stabilisation window; and scaling during a canary neither
// aborts nor resets it.
func TestAutoscaling(t *testing.T) {
	binDir(t, append(append([]string{}, controlPlane...), workloadBinaries...)...)
	kedaBinDir(t)
	root := repoRoot(t)
	catalog := crdCatalog(t, root)
	docs := loadRendered(t, root, []string{filepath.Join(root, "environments", autoscalingEnv, autoscalingService, "manifests.gen.yaml")})

	c := startCluster(t, withAggregator(t))
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	kinds := kindsOf(docs)
	for _, k := range []string{"AnalysisRun", "Experiment", "ClusterAnalysisTemplate"} {
		kinds = append(kinds, schema.GroupVersionKind{Group: "argoproj.io", Version: "v1alpha1", Kind: k})
	}
	c.installCRDs(t, catalog, kinds)
	c.createNamespaces(ctx, t, namespacesOf(docs)...)
	procs := c.startWorkloadControllers(ctx, t, nil)
	// The HPA controller in a kube-controller-manager of its own, so that
	// its sync period can be short without touching the shared one.
	procs = append(procs, startProcess(t, "kube-controller-manager-hpa", filepath.Join(c.bin, "kube-controller-manager"),
		"--kubeconfig="+c.kubeconfig,
		"--controllers=horizontalpodautoscaling",
		"--horizontal-pod-autoscaler-sync-period="+hpaSync.String(),
		"--leader-elect=false",
		"--secure-port=0",
	))

	var ns, name string
	for _, d := range docs {
		if d.obj.GetKind() == "Rollout" {
			ns, name = d.obj.GetNamespace(), d.obj.GetName()
		}
	}
	t.Cleanup(func() {
		if t.Failed() {
			c.dumpNamespace(t, ns)
		}
	})
	lag := startLagExporter(t, startExporter(t, c.kube, ns, autoscalingService), ns, autoscalingService)
	promURL := startPrometheus(t, lag.addr)
	procs = append(procs, c.startKEDA(ctx, t, catalog)...)

	// The copies, now that Prometheus has an address.
	rollout, template, _ := canaryCopy(t, docs, promURL)
	so, bounds := scaledObjectCopy(t, docs, promURL)
	// The first pause waits for the test to promote it, so the canary is
	// in progress for as long as the scaling takes; the others keep
	// testPause.
	firstPause := pauseUntilPromoted(t, rollout)

	for _, d := range docs {
		switch d.obj.GetKind() {
		case "Rollout", "AnalysisTemplate", "ScaledObject":
			continue
		}
		if _, err := c.apply(ctx, d.obj, d.raw); err != nil {
			t.Fatalf("apply %s: %v", d, err)
		}
	}
	c.standInExternalSecrets(ctx, t, docs)
	for _, obj := range []*unstructured.Unstructured{template, rollout} {
		if _, err := c.applyJSON(ctx, obj); err != nil {
			t.Fatalf("apply test copy of %s %s: %v", obj.GetKind(), obj.GetName(), err)
		}
	}
	ri, _, err := c.resource(rollout.GetAPIVersion(), "Rollout", ns)
	if err != nil {
		t.Fatal(err)
	}
	get := func() (rolloutState, int64, error) {
		u, err := ri.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return rolloutState{}, 0, err
		}
		n, _, _ := unstructured.NestedInt64(u.Object, "spec", "replicas")
		return readRollout(u), n, nil
	}
	var first rolloutState
	waitFor(t, name+": first revision Healthy", 2*time.Minute, procs, func() (bool, string, error) {
		s, _, err := get()
		if err != nil {
			return false, err.Error(), nil
		}
		first = s
		ready, _ := c.readyReplicas(ctx, name, ns, s.StableHash)
		return s.Phase == "Healthy" && s.StableHash != "" && s.StableHash == s.CurrentHash && ready == bounds.min, fmt.Sprintf("%s ready=%d", s, ready), nil
	})

	w := c.watchScale(t, ns, name)
	if _, err := c.applyJSON(ctx, so); err != nil {
		t.Fatalf("apply test copy of ScaledObject %s: %v", so.GetName(), err)
	}
	hpaName, _, _ := unstructured.NestedString(so.Object, "spec", "advanced", "horizontalPodAutoscalerConfig", "name")
	waitFor(t, "KEDA creates HPA "+hpaName+" and the HPA controller reads the lag", 2*time.Minute, procs, func() (bool, string, error) {
		h, err := c.kube.AutoscalingV2().HorizontalPodAutoscalers(ns).Get(ctx, hpaName, metav1.GetOptions{})
		if err != nil {
			return false, err.Error(), nil
		}
		return hpaCondition(h, autoscalingv2.ScalingActive).Status == corev1.ConditionTrue, hpaStatus(h), nil
	})

	// 1. Lag worth twice the partitions' consumers: the Rollout rises to
	// the bound, the HPA says it is limited there, and nothing ever runs
	// more consumers than partitions.
	over := bounds.threshold * float64(2*bounds.max)
	lag.set(over)
	waitFor(t, fmt.Sprintf("lag %g: %s scales to the bound %d", over, name, bounds.max), 3*time.Minute, procs, func() (bool, string, error) {
		s, n, err := get()
		if err != nil {
			return false, err.Error(), nil
		}
		if n > bounds.max {
			return false, "", fmt.Errorf("spec.replicas %d, above the partition bound %d", n, bounds.max)
		}
		ready, _ := c.readyReplicas(ctx, name, ns, s.StableHash)
		h, err := c.kube.AutoscalingV2().HorizontalPodAutoscalers(ns).Get(ctx, hpaName, metav1.GetOptions{})
		if err != nil {
			return false, err.Error(), nil
		}
		limited := hpaCondition(h, autoscalingv2.ScalingLimited)
		status := fmt.Sprintf("spec.replicas=%d ready=%d hpa %s", n, ready, hpaStatus(h))
		atBound := limited.Status == corev1.ConditionTrue && limited.Reason == "TooManyReplicas"
		return atBound && n == bounds.max && ready == bounds.max, status, nil
	})
	if m := w.max(); m != bounds.max {
		t.Errorf("lag %g: most replicas seen %d, want exactly the bound %d", over, m, bounds.max)
	}

	// 2. No lag: nothing happens within the stabilisation window, then one
	// pod per period down to the minimum.
	lowered := time.Now()
	lag.set(0)
	waitFor(t, name+": scales down to minReplicaCount", testStabilization+3*time.Minute, procs, func() (bool, string, error) {
		s, n, err := get()
		if err != nil {
			return false, err.Error(), nil
		}
		ready, _ := c.readyReplicas(ctx, name, ns, s.StableHash)
		return n == bounds.min && ready == bounds.min, fmt.Sprintf("spec.replicas=%d ready=%d", n, ready), nil
	})
	downs := w.since(lowered)
	if len(downs) == 0 {
		t.Fatalf("no scale-down seen after lag fell")
	}
	// Without the window the first step would follow within a scrape and
	// an HPA sync (about 3 s); with it, the last recommendation from high
	// lag holds the replicas for the window (about 30 s seen). Half the
	// window leaves room for syncs delayed on a loaded machine.
	if early := downs[0].at.Sub(lowered); early < testStabilization/2 {
		t.Errorf("first scale-down %s after lag fell, inside the %s stabilisation window", early.Round(time.Millisecond), testStabilization)
	}
	for i, ch := range downs {
		if ch.from-ch.to != 1 {
			t.Errorf("scale-down step %d: %d -> %d replicas, want one pod per period (rendered policy type Pods, value 1)", i, ch.from, ch.to)
		}
	}
	t.Logf("scale-down: first step %s after lag fell (window %s), %d steps of one pod", downs[0].at.Sub(lowered).Round(time.Millisecond), testStabilization, len(downs))

	// 3. A canary in progress, then lag that asks for more consumers (but
	// stays under the analysis's own lag limit, which would abort a slow
	// canary, as it should): the Rollout scales, the canary keeps its
	// revision, step and analysis, and completes at the scaled size.
	good := withTag(containerImage(t, rollout), "canary-good")
	patch := fmt.Sprintf(`[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":%q}]`, good)
	if _, err := ri.Patch(ctx, name, types.JSONPatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatalf("set image %s: %v", good, err)
	}
	var paused rolloutState
	waitFor(t, name+": canary paused at step "+strconv.Itoa(firstPause), 2*time.Minute, procs, func() (bool, string, error) {
		s, _, err := get()
		if err != nil {
			return false, err.Error(), nil
		}
		paused = s
		if s.Abort {
			return false, "", fmt.Errorf("canary aborted before scaling: %s", s)
		}
		return s.CurrentHash != first.StableHash && s.HasStep && s.StepIndex == int64(firstPause) && s.Phase == "Paused", s.String(), nil
	})
	want := bounds.max - 1
	inCanary := bounds.threshold * (float64(want) - 0.5) // ceil(lag / threshold) = want
	lag.set(inCanary)
	waitFor(t, fmt.Sprintf("lag %g during the canary: %s scales to %d", inCanary, name, want), 3*time.Minute, procs, func() (bool, string, error) {
		s, n, err := get()
		if err != nil {
			return false, err.Error(), nil
		}
		if s.Abort || s.CurrentHash != paused.CurrentHash || s.StepIndex != paused.StepIndex {
			return false, "", fmt.Errorf("scaling disturbed the canary: was %s, now %s", paused, s)
		}
		stable, _ := c.readyReplicas(ctx, name, ns, s.StableHash)
		canary, _ := c.readyReplicas(ctx, name, ns, s.CurrentHash)
		return n == want && stable+canary == want && canary >= 1 && stable >= 1, fmt.Sprintf("%s spec.replicas=%d ready stable=%d canary=%d", s, n, stable, canary), nil
	})
	ar := c.analysisRun(ctx, t, ns, name, paused.CurrentHash)
	if phase, _, _ := unstructured.NestedString(ar.Object, "status", "phase"); phase != "Running" {
		t.Errorf("canary's AnalysisRun %s is %s after scaling, want Running", ar.GetName(), phase)
	}
	// Promote, as `kubectl argo rollouts promote` does.
	if _, err := ri.Patch(ctx, name, types.MergePatchType, []byte(`{"status":{"pauseConditions":null}}`), metav1.PatchOptions{}, "status"); err != nil {
		t.Fatalf("promote %s: %v", name, err)
	}
	waitFor(t, name+": canary completes at the scaled size", 3*time.Minute, procs, func() (bool, string, error) {
		s, n, err := get()
		if err != nil {
			return false, err.Error(), nil
		}
		if s.Abort || s.Phase == "Degraded" {
			return false, "", fmt.Errorf("the canary was aborted: %s", s)
		}
		ready, _ := c.readyReplicas(ctx, name, ns, paused.CurrentHash)
		return s.Phase == "Healthy" && s.StableHash == paused.CurrentHash && n == want && ready == want, fmt.Sprintf("%s spec.replicas=%d ready=%d", s, n, ready), nil
	})
	ar = c.analysisRun(ctx, t, ns, name, paused.CurrentHash)
	if phase, _, _ := unstructured.NestedString(ar.Object, "status", "phase"); phase != "Successful" {
		t.Errorf("canary's AnalysisRun %s is %s, want Successful: %v", ar.GetName(), phase, ar.Object["status"])
	}
	if m, p := w.max(), w.maxPods(); m > bounds.max || p > bounds.max {
		t.Errorf("most replicas seen %d, most live pods %d: above the partition bound %d", m, p, bounds.max)
	}
	t.Logf("%s: min %d, bound %d (threshold %g lag per replica); most replicas seen %d, most live pods %d", name, bounds.min, bounds.max, bounds.threshold, w.max(), w.maxPods())
}

// standInExternalSecrets creates the Secret each rendered ExternalSecret
// would have External Secrets write (its target name and template keys,
// placeholder values), as no External Secrets operator runs here. KEDA
// needs them: it resolves the scale target's container environment,
// secretKeyRefs included, before it creates the HPA, and refuses to while
// a referenced Secret is missing.
func (c *cluster) standInExternalSecrets(ctx context.Context, t *testing.T, docs []rendered) {
	t.Helper()
	for _, d := range docs {
		if d.obj.GetKind() != "ExternalSecret" {
			continue
		}
		name, _, _ := unstructured.NestedString(d.obj.Object, "spec", "target", "name")
		keys, _, _ := unstructured.NestedMap(d.obj.Object, "spec", "target", "template", "data")
		if name == "" || len(keys) == 0 {
			t.Fatalf("%s: no spec.target.name or template data", d)
		}
		data := map[string]string{}
		for k := range keys {
			data[k] = "stand-in"
		}
		sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: d.obj.GetNamespace()}, StringData: data}
		if _, err := c.kube.CoreV1().Secrets(sec.Namespace).Create(ctx, sec, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create stand-in Secret %s/%s for %s: %v", sec.Namespace, name, d, err)
		}
	}
}

// scaleBounds are what the rendered ScaledObject says.
type scaleBounds struct {
	min, max  int64
	threshold float64
}

// scaledObjectCopy returns the test copy of the rendered ScaledObject:
// its Prometheus address pointed at the test's, the scale-down window and
// period shortened (see testStabilization), and the CPU trigger dropped:
// kwok pods have no kubelet and the cluster no metrics-server, so the HPA
// controller would find the CPU metric invalid and, as it does for any
// invalid metric, refuse every scale-down.
func scaledObjectCopy(t *testing.T, docs []rendered, promURL string) (*unstructured.Unstructured, scaleBounds) {
	t.Helper()
	var so *unstructured.Unstructured
	for _, d := range docs {
		if d.obj.GetKind() == "ScaledObject" {
			so = d.obj.DeepCopy()
		}
	}
	if so == nil {
		t.Fatalf("no ScaledObject rendered for %s in %s", autoscalingService, autoscalingEnv)
	}
	var b scaleBounds
	b.min, _, _ = unstructured.NestedInt64(so.Object, "spec", "minReplicaCount")
	b.max, _, _ = unstructured.NestedInt64(so.Object, "spec", "maxReplicaCount")
	if b.min < 1 || b.max <= b.min {
		t.Fatalf("ScaledObject %s: minReplicaCount %d, maxReplicaCount %d: nothing to scale", so.GetName(), b.min, b.max)
	}
	triggers, _, _ := unstructured.NestedSlice(so.Object, "spec", "triggers")
	var kept []any
	for _, tr := range triggers {
		m := tr.(map[string]any)
		switch m["type"] {
		case "prometheus":
			md := m["metadata"].(map[string]any)
			md["serverAddress"] = promURL
			th, err := strconv.ParseFloat(fmt.Sprint(md["threshold"]), 64)
			if err != nil {
				t.Fatalf("ScaledObject %s trigger %v: threshold: %v", so.GetName(), m["name"], err)
			}
			b.threshold = th
			kept = append(kept, m)
		case "cpu":
		default:
			t.Fatalf("ScaledObject %s: trigger type %v the test does not know", so.GetName(), m["type"])
		}
	}
	if b.threshold == 0 {
		t.Fatalf("ScaledObject %s: no prometheus (lag) trigger", so.GetName())
	}
	if err := unstructured.SetNestedSlice(so.Object, kept, "spec", "triggers"); err != nil {
		t.Fatal(err)
	}
	down, _, _ := unstructured.NestedMap(so.Object, "spec", "advanced", "horizontalPodAutoscalerConfig", "behavior", "scaleDown")
	if down == nil {
		t.Fatalf("ScaledObject %s: no scale-down behaviour rendered", so.GetName())
	}
	down["stabilizationWindowSeconds"] = int64(testStabilization.Seconds())
	policies, _ := down["policies"].([]any)
	for _, p := range policies {
		pm := p.(map[string]any)
		if pm["type"] != "Pods" || toInt64(pm["value"]) != 1 {
			t.Fatalf("ScaledObject %s: scale-down policy %v; the test checks one pod per period", so.GetName(), pm)
		}
		pm["periodSeconds"] = int64(testScaleDownPeriod.Seconds())
	}
	if err := unstructured.SetNestedMap(so.Object, down, "spec", "advanced", "horizontalPodAutoscalerConfig", "behavior", "scaleDown"); err != nil {
		t.Fatal(err)
	}
	return so, b
}

// pauseUntilPromoted makes the Rollout copy's first pause wait for a
// promotion and returns its step index.
func pauseUntilPromoted(t *testing.T, rollout *unstructured.Unstructured) int {
	t.Helper()
	steps, _, _ := unstructured.NestedSlice(rollout.Object, "spec", "strategy", "canary", "steps")
	for i, s := range steps {
		m := s.(map[string]any)
		if _, ok := m["pause"]; ok {
			m["pause"] = map[string]any{}
			if err := unstructured.SetNestedSlice(rollout.Object, steps, "spec", "strategy", "canary", "steps"); err != nil {
				t.Fatal(err)
			}
			return i
		}
	}
	t.Fatalf("%s: no pause step", rollout.GetName())
	return -1
}

// lagExporter serves the pod metrics of the canary exporter and, instead
// of its fixed lag, the consumer lag the test sets, spread over the
// partitions the consumers read (the ScaledObject's query takes the max
// per topic and partition, then sums).
type lagExporter struct {
	pods               *exporter
	namespace, service string
	addr               string

	mu    sync.Mutex
	total float64
}

// lagPartitions are the partitions of the topic the consumer reads
// (cue/config: 12 each).
const lagPartitions = 12

func startLagExporter(t *testing.T, pods *exporter, namespace, service string) *lagExporter {
	t.Helper()
	e := &lagExporter{pods: pods, namespace: namespace, service: service}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: e, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	e.addr = ln.Addr().String()
	return e
}

func (e *lagExporter) set(total float64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.total = total
}

func (e *lagExporter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	e.pods.ServeHTTP(rec, r)
	if rec.Code != http.StatusOK {
		http.Error(w, rec.Body.String(), rec.Code)
		return
	}
	var body bytes.Buffer
	for _, line := range strings.SplitAfter(rec.Body.String(), "\n") {
		if !strings.HasPrefix(line, "kafka_consumer_lag{") {
			body.WriteString(line)
		}
	}
	e.mu.Lock()
	per := e.total / lagPartitions
	e.mu.Unlock()
	for p := range lagPartitions {
		fmt.Fprintf(&body, "kafka_consumer_lag{namespace=%q,service=%q,topic=\"order.events.v1\",partition=\"%d\"} %g\n", e.namespace, e.service, p, per)
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	_, _ = w.Write(body.Bytes())
}

// scaleChange is one change of the Rollout's spec.replicas.
type scaleChange struct {
	at       time.Time
	from, to int64
}

// scaleWatch records every spec.replicas the Rollout has and the most
// live (not terminating) pods of it, from informers, so a value the
// polling waits would miss is still seen.
type scaleWatch struct {
	mu      sync.Mutex
	changes []scaleChange
	maxSeen int64
	maxLive int64
	last    int64
	live    map[string]bool
}

func (c *cluster) watchScale(t *testing.T, ns, name string) *scaleWatch {
	t.Helper()
	w := &scaleWatch{live: map[string]bool{}, last: -1}
	gvr := schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "rollouts"}
	dyn := dynamicinformer.NewFilteredDynamicSharedInformerFactory(c.dyn, 0, ns, nil)
	onRollout := func(obj any) {
		u, ok := obj.(*unstructured.Unstructured)
		if !ok || u.GetName() != name {
			return
		}
		n, _, _ := unstructured.NestedInt64(u.Object, "spec", "replicas")
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.last >= 0 && n != w.last {
			w.changes = append(w.changes, scaleChange{at: time.Now(), from: w.last, to: n})
		}
		w.last = n
		w.maxSeen = max(w.maxSeen, n)
	}
	if _, err := dyn.ForResource(gvr).Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    onRollout,
		UpdateFunc: func(_, obj any) { onRollout(obj) },
	}); err != nil {
		t.Fatal(err)
	}
	typed := informers.NewSharedInformerFactoryWithOptions(c.kube, 0, informers.WithNamespace(ns),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = "app.kubernetes.io/name=" + autoscalingService }))
	onPod := func(obj any) {
		p, ok := obj.(*corev1.Pod)
		if !ok {
			if d, isTomb := obj.(cache.DeletedFinalStateUnknown); isTomb {
				p, ok = d.Obj.(*corev1.Pod)
			}
			if !ok {
				return
			}
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		if p.DeletionTimestamp == nil {
			w.live[p.Name] = true
		} else {
			delete(w.live, p.Name)
		}
		w.maxLive = max(w.maxLive, int64(len(w.live)))
	}
	if _, err := typed.Core().V1().Pods().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    onPod,
		UpdateFunc: func(_, obj any) { onPod(obj) },
		DeleteFunc: func(obj any) {
			w.mu.Lock()
			defer w.mu.Unlock()
			switch p := obj.(type) {
			case *corev1.Pod:
				delete(w.live, p.Name)
			case cache.DeletedFinalStateUnknown:
				delete(w.live, strings.TrimPrefix(p.Key, ns+"/"))
			}
		},
	}); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	dyn.Start(stop)
	typed.Start(stop)
	for gvr, ok := range dyn.WaitForCacheSync(stop) {
		if !ok {
			t.Fatalf("informer for %s did not sync", gvr)
		}
	}
	for typ, ok := range typed.WaitForCacheSync(stop) {
		if !ok {
			t.Fatalf("informer for %v did not sync", typ)
		}
	}
	return w
}

func (w *scaleWatch) max() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.maxSeen
}

func (w *scaleWatch) maxPods() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.maxLive
}

// since returns the changes after t.
func (w *scaleWatch) since(t time.Time) []scaleChange {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []scaleChange
	for _, ch := range w.changes {
		if ch.at.After(t) {
			out = append(out, ch)
		}
	}
	return out
}

// hpaCondition returns the HPA's condition of that type (Status "" if
// it has none).
func hpaCondition(h *autoscalingv2.HorizontalPodAutoscaler, typ autoscalingv2.HorizontalPodAutoscalerConditionType) autoscalingv2.HorizontalPodAutoscalerCondition {
	for _, c := range h.Status.Conditions {
		if c.Type == typ {
			return c
		}
	}
	return autoscalingv2.HorizontalPodAutoscalerCondition{Type: typ}
}

func hpaStatus(h *autoscalingv2.HorizontalPodAutoscaler) string {
	parts := []string{fmt.Sprintf("current=%d desired=%d", h.Status.CurrentReplicas, h.Status.DesiredReplicas)}
	for _, m := range h.Status.CurrentMetrics {
		if m.External != nil && m.External.Current.AverageValue != nil {
			parts = append(parts, fmt.Sprintf("%s=%s/replica", m.External.Metric.Name, m.External.Current.AverageValue))
		}
	}
	for _, c := range h.Status.Conditions {
		parts = append(parts, fmt.Sprintf("%s=%s(%s: %s)", c.Type, c.Status, c.Reason, c.Message))
	}
	return strings.Join(parts, " ")
}
