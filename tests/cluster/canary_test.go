package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// canaryEnv is the environment whose rendered canaries run: prod has the
// full step list and analysis.
const canaryEnv = "prod"

// Shortened for the test copy only, so a canary takes seconds, not 15
// minutes: each rendered `pause: {duration: 5m}` becomes testPause, and
// each AnalysisTemplate metric's `interval: 1m` becomes testInterval. The
// queries, their [2m] windows, success conditions, failure limits, steps
// and weights are applied exactly as rendered; the only other rewrite is
// the Prometheus address (http://prometheus-operated.monitoring.svc:9090
// in the render), pointed at the Prometheus this test runs.
const (
	testPause    = "10s"
	testInterval = "2s"
)

// TestRenderedCanaries runs the rendered prod Rollouts of a consumer
// (payment: replica-weighted canary) and an api service (order: ALB
// traffic routing) with a real Argo Rollouts controller, the Kubernetes
// ReplicaSet controller and scheduler, and pods on a kwok node. A good
// image walks every rendered step and completes with a successful
// analysis; a bad image (its pods report errors to a real Prometheus) is
// aborted by the analysis while the stable ReplicaSet keeps serving.
func TestRenderedCanaries(t *testing.T) {
	binDir(t, workloadBinaries...)
	root := repoRoot(t)
	catalog := crdCatalog(t, root)
	services := []string{"payment", "order"}
	var docs []rendered
	for _, svc := range services {
		docs = append(docs, loadRendered(t, root, []string{filepath.Join(root, "environments", canaryEnv, svc, "manifests.gen.yaml")})...)
	}
	namespace := ""
	for _, d := range docs {
		if d.obj.GetKind() == "Rollout" {
			namespace = d.obj.GetNamespace()
		}
	}

	c := startCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	// The controller watches every Argo Rollouts kind, not only the
	// rendered ones.
	kinds := kindsOf(docs)
	for _, k := range []string{"AnalysisRun", "Experiment", "ClusterAnalysisTemplate"} {
		kinds = append(kinds, schema.GroupVersionKind{Group: "argoproj.io", Version: "v1alpha1", Kind: k})
	}
	c.installCRDs(t, catalog, kinds)
	c.createNamespaces(ctx, t, namespacesOf(docs)...)

	procs := c.startWorkloadControllers(ctx, t, nil)
	t.Cleanup(func() {
		if t.Failed() {
			c.dumpNamespace(t, namespace)
		}
	})
	exp := startExporter(t, c.kube, namespace, services...)
	promURL := startPrometheus(t, strings.TrimPrefix(exp.url, "http://"))

	// The services roll out side by side; the group returns when both
	// are done, before the deferred cancel and the cleanups.
	t.Run("rollouts", func(t *testing.T) {
		for _, svc := range services {
			t.Run(svc, func(t *testing.T) {
				t.Parallel()
				var own []rendered
				for _, d := range docs {
					if d.obj.GetLabels()["app.kubernetes.io/name"] == svc {
						own = append(own, d)
					}
				}
				runCanary(ctx, t, c, procs, exp, promURL, own)
			})
		}
	})
}

// startWorkloadControllers starts what turns a Rollout into Ready pods:
// kube-controller-manager (the ReplicaSet controller and the extra
// controllers named, e.g. job, garbagecollector), kube-scheduler, a kwok
// node and kwok, and the Argo Rollouts controller.
func (c *cluster) startWorkloadControllers(ctx context.Context, t testing.TB, kwokStages []byte, extraControllers ...string) []*process {
	t.Helper()
	kcm := startProcess(t, "kube-controller-manager", filepath.Join(c.bin, "kube-controller-manager"),
		"--kubeconfig="+c.kubeconfig,
		"--controllers="+strings.Join(append([]string{"replicaset"}, extraControllers...), ","),
		"--leader-elect=false",
		"--secure-port=0",
	)
	sched := startProcess(t, "kube-scheduler", filepath.Join(c.bin, "kube-scheduler"),
		"--kubeconfig="+c.kubeconfig,
		"--leader-elect=false",
		"--secure-port=0",
	)
	const nodeName = "kwok-node-0"
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("32"),
		corev1.ResourceMemory: resource.MustParse("256Gi"),
		corev1.ResourcePods:   resource.MustParse("110"),
	}
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:        nodeName,
			Annotations: map[string]string{"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
			Labels: map[string]string{
				"kubernetes.io/hostname":      nodeName,
				"kubernetes.io/os":            "linux",
				"topology.kubernetes.io/zone": "eu-west-1a",
				"type":                        "kwok",
			},
		},
		Status: corev1.NodeStatus{Capacity: capacity, Allocatable: capacity},
	}
	if _, err := c.kube.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create kwok node: %v", err)
	}
	// An empty configuration means kwok's built-in stages (nodes Ready,
	// pods Running and Ready at once), never a developer's
	// ~/.kwok/kwok.yaml; kwokStages (see kwokPodStages) replaces the pod ones.
	kwokConfig := filepath.Join(t.TempDir(), "kwok.yaml")
	if err := os.WriteFile(kwokConfig, kwokStages, 0o644); err != nil {
		t.Fatal(err)
	}
	kwok := startProcess(t, "kwok", filepath.Join(c.bin, "kwok"),
		"--kubeconfig="+c.kubeconfig,
		"--config="+kwokConfig,
		"--manage-all-nodes=false",
		"--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
		"--cidr=10.0.0.1/16",
		"--node-ip=10.0.0.1",
		"--node-lease-duration-seconds=40",
		fmt.Sprintf("--server-address=127.0.0.1:%d", freePort(t)),
	)
	rollouts := startProcess(t, "rollouts-controller", filepath.Join(c.bin, "rollouts-controller"),
		"--kubeconfig="+c.kubeconfig,
		"--leader-elect=false",
		fmt.Sprintf("--metricsport=%d", freePort(t)),
		fmt.Sprintf("--healthzPort=%d", freePort(t)),
		"--loglevel=info",
	)
	procs := []*process{kcm, sched, kwok, rollouts}
	waitFor(t, "kwok node Ready", 60*time.Second, procs, func() (bool, string, error) {
		n, err := c.kube.CoreV1().Nodes().Get(ctx, nodeName, metav1.GetOptions{})
		if err != nil {
			return false, err.Error(), nil
		}
		for _, cond := range n.Status.Conditions {
			if cond.Type == corev1.NodeReady {
				return cond.Status == corev1.ConditionTrue, string(cond.Status), nil
			}
		}
		return false, "no Ready condition", nil
	})
	// The apiserver taints a new node not-ready; the node lifecycle
	// controller, which would lift the taint, does not run here.
	n, err := c.kube.CoreV1().Nodes().Get(ctx, nodeName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n.Spec.Taints = nil
	if _, err := c.kube.CoreV1().Nodes().Update(ctx, n, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("untaint kwok node: %v", err)
	}
	return procs
}

// rolloutState is what the test reads from a Rollout's status.
type rolloutState struct {
	Phase, Message     string
	StepIndex          int64
	HasStep            bool
	CurrentHash        string
	StableHash         string
	Abort              bool
	ObservedGeneration string
	Generation         int64
}

func (s rolloutState) String() string {
	return fmt.Sprintf("phase=%s step=%d current=%s stable=%s abort=%v observed=%s/%d message=%q",
		s.Phase, s.StepIndex, s.CurrentHash, s.StableHash, s.Abort, s.ObservedGeneration, s.Generation, s.Message)
}

func readRollout(u *unstructured.Unstructured) rolloutState {
	var s rolloutState
	s.Phase, _, _ = unstructured.NestedString(u.Object, "status", "phase")
	s.Message, _, _ = unstructured.NestedString(u.Object, "status", "message")
	s.StepIndex, s.HasStep, _ = unstructured.NestedInt64(u.Object, "status", "currentStepIndex")
	s.CurrentHash, _, _ = unstructured.NestedString(u.Object, "status", "currentPodHash")
	s.StableHash, _, _ = unstructured.NestedString(u.Object, "status", "stableRS")
	s.Abort, _, _ = unstructured.NestedBool(u.Object, "status", "abort")
	s.ObservedGeneration, _, _ = unstructured.NestedString(u.Object, "status", "observedGeneration")
	s.Generation = u.GetGeneration()
	return s
}

// step is one rendered canary step, as far as the test checks it.
type step struct {
	setWeight int64 // -1 if not a setWeight step
	pause     bool
}

// canaryCopy returns the test copies of the Rollout and AnalysisTemplate
// (see testPause and testInterval) and the rendered steps.
func canaryCopy(t testing.TB, docs []rendered, promURL string) (rollout, template *unstructured.Unstructured, steps []step) {
	t.Helper()
	for _, d := range docs {
		switch d.obj.GetKind() {
		case "Rollout":
			rollout = d.obj.DeepCopy()
		case "AnalysisTemplate":
			template = d.obj.DeepCopy()
		}
	}
	if rollout == nil || template == nil {
		t.Fatalf("need one Rollout and one AnalysisTemplate, rendered: %v", docs)
	}
	raw, _, err := unstructured.NestedSlice(rollout.Object, "spec", "strategy", "canary", "steps")
	if err != nil || len(raw) == 0 {
		t.Fatalf("%s: no spec.strategy.canary.steps (%v)", rollout.GetName(), err)
	}
	for i, r := range raw {
		m := r.(map[string]any)
		s := step{setWeight: -1}
		if w, ok := m["setWeight"]; ok {
			s.setWeight = toInt64(w)
		}
		if p, ok := m["pause"].(map[string]any); ok {
			s.pause = true
			if _, ok := p["duration"]; !ok {
				t.Fatalf("%s step %d: pause without duration would wait for a manual promotion", rollout.GetName(), i)
			}
			p["duration"] = testPause
		}
		steps = append(steps, s)
	}
	if err := unstructured.SetNestedSlice(rollout.Object, raw, "spec", "strategy", "canary", "steps"); err != nil {
		t.Fatal(err)
	}
	metrics, _, err := unstructured.NestedSlice(template.Object, "spec", "metrics")
	if err != nil || len(metrics) == 0 {
		t.Fatalf("%s: no spec.metrics (%v)", template.GetName(), err)
	}
	for _, m := range metrics {
		mm := m.(map[string]any)
		prom, _, _ := unstructured.NestedMap(mm, "provider", "prometheus")
		if prom == nil {
			t.Fatalf("%s metric %v: not a prometheus metric", template.GetName(), mm["name"])
		}
		if err := unstructured.SetNestedField(mm, promURL, "provider", "prometheus", "address"); err != nil {
			t.Fatal(err)
		}
		mm["interval"] = testInterval
	}
	if err := unstructured.SetNestedSlice(template.Object, metrics, "spec", "metrics"); err != nil {
		t.Fatal(err)
	}
	return rollout, template, steps
}

func toInt64(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case float64:
		return int64(n)
	case int:
		return int64(n)
	}
	return -1
}

// runCanary applies one service's rendered prod objects, waits for the
// first revision, then rolls out a good and a bad image.
func runCanary(ctx context.Context, t testing.TB, c *cluster, procs []*process, exp *exporter, promURL string, docs []rendered) {
	rollout, template, steps := canaryCopy(t, docs, promURL)
	name, ns := rollout.GetName(), rollout.GetNamespace()
	replicas, _, _ := unstructured.NestedInt64(rollout.Object, "spec", "replicas")
	alb, _, _ := unstructured.NestedMap(rollout.Object, "spec", "strategy", "canary", "trafficRouting", "alb")

	// Everything the service renders, as rendered, except the two copies.
	for _, d := range docs {
		if d.obj.GetKind() == "Rollout" || d.obj.GetKind() == "AnalysisTemplate" {
			continue
		}
		if _, err := c.apply(ctx, d.obj, d.raw); err != nil {
			t.Fatalf("apply %s: %v", d, err)
		}
	}
	if _, err := c.applyJSON(ctx, template); err != nil {
		t.Fatalf("apply test copy of AnalysisTemplate %s: %v", template.GetName(), err)
	}
	if _, err := c.applyJSON(ctx, rollout); err != nil {
		t.Fatalf("apply test copy of Rollout %s: %v", name, err)
	}
	ri, _, err := c.resource(rollout.GetAPIVersion(), "Rollout", ns)
	if err != nil {
		t.Fatal(err)
	}
	get := func() (rolloutState, error) {
		u, err := ri.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return rolloutState{}, err
		}
		return readRollout(u), nil
	}

	// First revision: no steps, straight to Healthy.
	var first rolloutState
	waitFor(t, name+": first revision Healthy", 2*time.Minute, procs, func() (bool, string, error) {
		s, err := get()
		if err != nil {
			return false, err.Error(), nil
		}
		first = s
		ready, _ := c.readyReplicas(ctx, name, ns, s.StableHash)
		return s.Phase == "Healthy" && s.StableHash != "" && s.StableHash == s.CurrentHash && ready == replicas, fmt.Sprintf("%s ready=%d", s, ready), nil
	})

	image := containerImage(t, rollout)
	good := withTag(image, "canary-good")
	bad := withTag(image, "canary-bad")
	exp.setErrorRatio(bad, 0.5)

	// A good image: every step, analysis passes, the canary becomes stable.
	setImage(t, rollout, good)
	if _, err := c.applyJSON(ctx, rollout); err != nil {
		t.Fatalf("apply %s with image %s: %v", name, good, err)
	}
	type seen struct {
		canaryReplicas int64
		albWeights     map[string]int64
	}
	atPause := map[int64]seen{}
	var goodState rolloutState
	waitFor(t, name+": good canary completes", 4*time.Minute, procs, func() (bool, string, error) {
		s, err := get()
		if err != nil {
			return false, err.Error(), nil
		}
		goodState = s
		if s.CurrentHash == first.StableHash || s.CurrentHash == "" {
			return false, s.String(), nil
		}
		if s.Abort || s.Phase == "Degraded" {
			return false, "", fmt.Errorf("the good canary was aborted: %s", s)
		}
		if s.HasStep && s.StepIndex < int64(len(steps)) && steps[s.StepIndex].pause && s.Phase == "Paused" {
			if _, ok := atPause[s.StepIndex]; !ok {
				n, _ := c.specReplicas(ctx, name, ns, s.CurrentHash)
				var w map[string]int64
				if alb != nil {
					w = c.albWeights(ctx, t, ns, alb)
				}
				atPause[s.StepIndex] = seen{canaryReplicas: n, albWeights: w}
			}
		}
		done := s.Phase == "Healthy" && s.StableHash == s.CurrentHash && s.ObservedGeneration == fmt.Sprint(s.Generation)
		return done, s.String(), nil
	})

	// Every rendered pause was reached, at the weight of the setWeight
	// before it.
	weight := int64(0)
	prevReplicas := int64(0)
	for i, st := range steps {
		if st.setWeight >= 0 {
			weight = st.setWeight
		}
		if !st.pause {
			continue
		}
		got, ok := atPause[int64(i)]
		if !ok {
			t.Errorf("%s: never paused at step %d (after setWeight %d); paused at %v", name, i, weight, atPause)
			continue
		}
		if alb == nil {
			// Replica-weighted canary: some but not all pods, never fewer
			// than at the step before.
			if weight < 100 && (got.canaryReplicas < 1 || got.canaryReplicas >= replicas) {
				t.Errorf("%s step %d (weight %d): canary ReplicaSet has %d of %d replicas", name, i, weight, got.canaryReplicas, replicas)
			}
			if got.canaryReplicas < prevReplicas {
				t.Errorf("%s step %d: canary replicas fell from %d to %d", name, i, prevReplicas, got.canaryReplicas)
			}
			prevReplicas = got.canaryReplicas
		} else {
			canarySvc, _, _ := unstructured.NestedString(rollout.Object, "spec", "strategy", "canary", "canaryService")
			stableSvc, _, _ := unstructured.NestedString(rollout.Object, "spec", "strategy", "canary", "stableService")
			want := map[string]int64{canarySvc: weight, stableSvc: 100 - weight}
			if fmt.Sprint(got.albWeights) != fmt.Sprint(want) {
				t.Errorf("%s step %d (setWeight %d): Ingress ALB action weights %v, want %v", name, i, weight, got.albWeights, want)
			}
		}
	}
	ar := c.analysisRun(ctx, t, ns, name, goodState.CurrentHash)
	arPhase, _, _ := unstructured.NestedString(ar.Object, "status", "phase")
	waitFor(t, name+": good analysis run ends", time.Minute, procs, func() (bool, string, error) {
		ar = c.analysisRun(ctx, t, ns, name, goodState.CurrentHash)
		arPhase, _, _ = unstructured.NestedString(ar.Object, "status", "phase")
		return arPhase == "Successful" || arPhase == "Failed" || arPhase == "Error" || arPhase == "Inconclusive", arPhase, nil
	})
	if arPhase != "Successful" {
		t.Errorf("%s: good canary's AnalysisRun %s is %s, want Successful: %v", name, ar.GetName(), arPhase, ar.Object["status"])
	}
	for _, m := range metricResults(ar) {
		if m.Successful < 1 || m.Failed != 0 {
			t.Errorf("%s: good canary's metric %s: %d successful, %d failed measurements; want at least one, none failed", name, m.Name, m.Successful, m.Failed)
		}
	}
	if t.Failed() {
		return
	}

	// A bad image: its pods fail half their requests and messages; the
	// analysis fails and the Rollout aborts back to the good stable.
	setImage(t, rollout, bad)
	if _, err := c.applyJSON(ctx, rollout); err != nil {
		t.Fatalf("apply %s with image %s: %v", name, bad, err)
	}
	var badState rolloutState
	waitFor(t, name+": bad canary aborted", 3*time.Minute, procs, func() (bool, string, error) {
		s, err := get()
		if err != nil {
			return false, err.Error(), nil
		}
		badState = s
		if s.CurrentHash != goodState.CurrentHash && s.Phase == "Healthy" && s.StableHash == s.CurrentHash {
			return false, "", fmt.Errorf("the bad canary was promoted: %s", s)
		}
		return s.CurrentHash != goodState.CurrentHash && s.Abort && s.Phase == "Degraded", s.String(), nil
	})
	if badState.StableHash != goodState.CurrentHash {
		t.Errorf("%s: stable ReplicaSet after abort is %s, want the good revision %s", name, badState.StableHash, goodState.CurrentHash)
	}
	ar = c.analysisRun(ctx, t, ns, name, badState.CurrentHash)
	arPhase, _, _ = unstructured.NestedString(ar.Object, "status", "phase")
	if arPhase != "Failed" {
		t.Errorf("%s: bad canary's AnalysisRun %s is %s, want Failed", name, ar.GetName(), arPhase)
	}
	limits := failureLimits(template)
	failedMetric := ""
	for _, m := range metricResults(ar) {
		if m.Phase == "Failed" && m.Failed > limits[m.Name] {
			failedMetric = strings.TrimPrefix(failedMetric+", "+m.Name, ", ")
		}
	}
	if failedMetric == "" {
		t.Errorf("%s: no metric of AnalysisRun %s failed more than its rendered failureLimit %v: %v", name, ar.GetName(), limits, ar.Object["status"])
	}
	waitFor(t, name+": stable serves all replicas, canary scaled down", 2*time.Minute, procs, func() (bool, string, error) {
		ready, err := c.readyReplicas(ctx, name, ns, goodState.CurrentHash)
		if err != nil {
			return false, err.Error(), nil
		}
		canary, err := c.specReplicas(ctx, name, ns, badState.CurrentHash)
		if err != nil {
			return false, err.Error(), nil
		}
		return ready == replicas && canary == 0, fmt.Sprintf("stable ready %d/%d, canary replicas %d", ready, replicas, canary), nil
	})
	if alb != nil {
		w := c.albWeights(ctx, t, ns, alb)
		canarySvc, _, _ := unstructured.NestedString(rollout.Object, "spec", "strategy", "canary", "canaryService")
		if w[canarySvc] != 0 {
			t.Errorf("%s: after abort the Ingress still sends %d%% to %s: %v", name, w[canarySvc], canarySvc, w)
		}
	}
	t.Logf("%s: good revision %s walked %d steps; bad revision %s aborted, failed metrics %s (%s)", name, goodState.CurrentHash, len(steps), badState.CurrentHash, failedMetric, badState.Message)
}

func containerImage(t testing.TB, rollout *unstructured.Unstructured) string {
	t.Helper()
	cs, _, _ := unstructured.NestedSlice(rollout.Object, "spec", "template", "spec", "containers")
	if len(cs) == 0 {
		t.Fatalf("%s: no containers", rollout.GetName())
	}
	img, _ := cs[0].(map[string]any)["image"].(string)
	return img
}

func setImage(t testing.TB, rollout *unstructured.Unstructured, image string) {
	t.Helper()
	cs, _, _ := unstructured.NestedSlice(rollout.Object, "spec", "template", "spec", "containers")
	cs[0].(map[string]any)["image"] = image
	if err := unstructured.SetNestedSlice(rollout.Object, cs, "spec", "template", "spec", "containers"); err != nil {
		t.Fatal(err)
	}
}

// withTag replaces the image's tag, and drops its digest (a promoted
// image is TAG@sha256:DIGEST): the new tag is a new image.
func withTag(image, tag string) string {
	if i := strings.Index(image, "@"); i >= 0 {
		image = image[:i]
	}
	if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		image = image[:i]
	}
	return image + ":" + tag
}

// replicaSetCounts returns the spec and ready replicas of the Rollout's
// ReplicaSet for a pod-template hash.
func (c *cluster) replicaSetCounts(ctx context.Context, rollout, ns, hash string) (spec, ready int64, err error) {
	if hash == "" {
		return 0, 0, fmt.Errorf("no hash yet")
	}
	list, err := c.kube.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{LabelSelector: "rollouts-pod-template-hash=" + hash})
	if err != nil {
		return 0, 0, err
	}
	for _, rs := range list.Items {
		for _, o := range rs.OwnerReferences {
			if o.Kind == "Rollout" && o.Name == rollout {
				var n int64
				if rs.Spec.Replicas != nil {
					n = int64(*rs.Spec.Replicas)
				}
				return n, int64(rs.Status.ReadyReplicas), nil
			}
		}
	}
	return 0, 0, fmt.Errorf("no ReplicaSet of %s with hash %s", rollout, hash)
}

func (c *cluster) readyReplicas(ctx context.Context, rollout, ns, hash string) (int64, error) {
	_, ready, err := c.replicaSetCounts(ctx, rollout, ns, hash)
	return ready, err
}

func (c *cluster) specReplicas(ctx context.Context, rollout, ns, hash string) (int64, error) {
	spec, _, err := c.replicaSetCounts(ctx, rollout, ns, hash)
	return spec, err
}

// albWeights reads the forward action the controller writes on the
// Ingress, alb.ingress.kubernetes.io/actions.<rootService>: the weight of
// each target group, by service name.
func (c *cluster) albWeights(ctx context.Context, t testing.TB, ns string, alb map[string]any) map[string]int64 {
	t.Helper()
	ingress, _ := alb["ingress"].(string)
	root, _ := alb["rootService"].(string)
	ing, err := c.kube.NetworkingV1().Ingresses(ns).Get(ctx, ingress, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get Ingress %s: %v", ingress, err)
	}
	raw, ok := ing.Annotations["alb.ingress.kubernetes.io/actions."+root]
	if !ok {
		return nil
	}
	var action struct {
		ForwardConfig struct {
			TargetGroups []struct {
				ServiceName string `json:"ServiceName"`
				Weight      *int64 `json:"Weight"`
			} `json:"TargetGroups"`
		} `json:"ForwardConfig"`
	}
	if err := json.Unmarshal([]byte(raw), &action); err != nil {
		t.Fatalf("Ingress %s annotation actions.%s: %v: %s", ingress, root, err, raw)
	}
	out := map[string]int64{}
	for _, tg := range action.ForwardConfig.TargetGroups {
		if tg.Weight != nil {
			out[tg.ServiceName] = *tg.Weight
		}
	}
	return out
}

// analysisRun returns the newest background AnalysisRun of the Rollout for
// a pod-template hash.
func (c *cluster) analysisRun(ctx context.Context, t testing.TB, ns, rollout, hash string) *unstructured.Unstructured {
	t.Helper()
	ri, _, err := c.resource("argoproj.io/v1alpha1", "AnalysisRun", ns)
	if err != nil {
		t.Fatal(err)
	}
	list, err := ri.List(ctx, metav1.ListOptions{LabelSelector: "rollouts-pod-template-hash=" + hash})
	if err != nil {
		t.Fatalf("list AnalysisRuns: %v", err)
	}
	var newest *unstructured.Unstructured
	for i := range list.Items {
		ar := &list.Items[i]
		for _, o := range ar.GetOwnerReferences() {
			if o.Kind == "Rollout" && o.Name == rollout && (newest == nil || ar.GetCreationTimestamp().After(newest.GetCreationTimestamp().Time)) {
				newest = ar
			}
		}
	}
	if newest == nil {
		t.Fatalf("%s: no AnalysisRun for revision %s", rollout, hash)
	}
	return newest
}

type metricResult struct {
	Name               string
	Phase              string
	Successful, Failed int64
}

func metricResults(ar *unstructured.Unstructured) []metricResult {
	raw, _, _ := unstructured.NestedSlice(ar.Object, "status", "metricResults")
	var out []metricResult
	for _, r := range raw {
		m := r.(map[string]any)
		mr := metricResult{}
		mr.Name, _ = m["name"].(string)
		mr.Phase, _ = m["phase"].(string)
		mr.Successful = toInt64(m["successful"])
		mr.Failed = toInt64(m["failed"])
		if mr.Successful < 0 {
			mr.Successful = 0
		}
		if mr.Failed < 0 {
			mr.Failed = 0
		}
		out = append(out, mr)
	}
	return out
}

// failureLimits returns each metric's rendered failureLimit (0 if unset).
func failureLimits(template *unstructured.Unstructured) map[string]int64 {
	out := map[string]int64{}
	metrics, _, _ := unstructured.NestedSlice(template.Object, "spec", "metrics")
	for _, m := range metrics {
		mm := m.(map[string]any)
		name, _ := mm["name"].(string)
		if l, ok := mm["failureLimit"]; ok {
			out[name] = toInt64(l)
		} else {
			out[name] = 0
		}
	}
	return out
}

// dumpNamespace logs the ReplicaSets, pods and events of a namespace, for a
// failed test.
func (c *cluster) dumpNamespace(t testing.TB, ns string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var b strings.Builder
	if rss, err := c.kube.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{}); err == nil {
		for _, rs := range rss.Items {
			fmt.Fprintf(&b, "ReplicaSet %s: spec %d, ready %d\n", rs.Name, *rs.Spec.Replicas, rs.Status.ReadyReplicas)
		}
	}
	if pods, err := c.kube.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{}); err == nil {
		for _, p := range pods.Items {
			fmt.Fprintf(&b, "Pod %s: node %q, phase %s, conditions %v\n", p.Name, p.Spec.NodeName, p.Status.Phase, p.Status.Conditions)
		}
	}
	if evs, err := c.kube.CoreV1().Events(ns).List(ctx, metav1.ListOptions{}); err == nil {
		for _, e := range evs.Items {
			fmt.Fprintf(&b, "Event %s %s/%s: %s: %s\n", e.Type, e.InvolvedObject.Kind, e.InvolvedObject.Name, e.Reason, e.Message)
		}
	}
	t.Logf("namespace %s:\n%s", ns, b.String())
}
