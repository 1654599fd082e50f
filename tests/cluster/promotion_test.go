//go:build gitops

package cluster

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// The test environment overlay's canary: pauses and measurements short
// enough for a test, the measurements still several per pause, so a bad
// canary fails its analysis (failureLimit+1 failed measurements) long
// before its last step.
const (
	overlayPause    = "10s"
	overlayInterval = "2s"
)

// overlayFile is the test environment overlay the promotion scenario
// commits in the clone, next to the model's own config.
const overlayFile = "cue/config/gitops_test_environment.cue"

// promotion is scenario 2: a release and its promotion reach env (staging:
// canary steps with analysis) through Argo CD, the way a user ships:
// `platform promote --to dev --set svc=TAG@sha256:DIGEST` (what release.yml
// runs), committed; then `platform promote --to env --service svc`,
// committed; after each commit the refresh annotation a webhook sets. A good
// version walks every rendered canary step with an AnalysisRun measuring
// the canary pods in a real Prometheus, completes, and the Application is
// Synced and Healthy at the promotion's revision. A bad version (its pods
// fail half their requests, past the SLO) is aborted by the analysis: the
// stable ReplicaSet keeps all its replicas ready, the Rollout is Degraded,
// and Argo CD reports the Application Degraded.
//
// What differs from production, all of it in one test environment overlay
// committed in the clone (overlayFile) and rendered by `platform render`, as
// any model change: env's prometheusURL is the Prometheus this test runs
// (scraping an exporter that stands in for the kwok pods' /metrics, see
// exporter), its canary pauses are overlayPause instead of minutes and its
// analysis measures every overlayInterval instead of every minute. The
// steps, weights, queries, their windows, thresholds and failure limits
// are the model's. Like every commit in the clone, apps/ then names the
// loopback repository (testRepo.offline).
func (a *argoStack) promotion(ctx context.Context, t testing.TB, env, svc string) {
	exp := a.testEnvironment(ctx, t, env, svc)
	good := a.release(ctx, t, env, svc, "1.5.0")
	a.canaryCompletes(ctx, t, env, svc, good)

	bad := a.release(ctx, t, env, svc, "1.5.1")
	exp.setErrorRatio(bad.image, 0.5) // a broken build, known before it ships
	a.canaryAborts(ctx, t, env, svc, bad)
}

// testEnvironment makes env a test environment: it starts the exporter for
// svc's pods and a Prometheus scraping it, commits the overlay (rendered by
// `platform render`, as any model change) and waits until svc's
// Application has synced it. On failure it logs the AnalysisRuns and the
// namespace.
func (a *argoStack) testEnvironment(ctx context.Context, t testing.TB, env, svc string) *exporter {
	t.Helper()
	ns, app := "orders-"+env, env+"-"+svc
	exp := startExporter(t, a.c.kube, ns, svc)
	promURL := startPrometheus(t, strings.TrimPrefix(exp.url, "http://"))
	t.Cleanup(func() {
		if t.Failed() {
			a.dumpAnalysis(t, ns)
			a.c.dumpNamespace(t, ns)
		}
	})
	overlay := fmt.Sprintf(`package config

// The hermetic GitOps test's environment (tests/cluster/promotion_test.go):
// the analysis reads the test's Prometheus, and the canary is short.
environments: %s: {
	prometheusURL: %q
	canary: {pause: %q, analysisInterval: %q}
}
`, env, promURL, overlayPause, overlayInterval)
	if err := os.WriteFile(filepath.Join(a.repo.work, overlayFile), []byte(overlay), 0o644); err != nil {
		t.Fatal(err)
	}
	a.platformIn(ctx, t, "render", "--env", env)
	rev := a.commitRendered(t, "gitops test: "+env+" is a test environment (overlay)")
	a.refresh(ctx, t, app)
	a.waitSynced(ctx, t, app, rev)
	template := a.renderedDoc(t, env, svc, "AnalysisTemplate")
	metrics, _, _ := unstructured.NestedSlice(template.Object, "spec", "metrics")
	for _, m := range metrics {
		mm, _ := m.(map[string]any)
		addr, _, _ := unstructured.NestedString(mm, "provider", "prometheus", "address")
		if addr != promURL || mm["interval"] != overlayInterval {
			t.Fatalf("%s: rendered metric %v reads %s every %v: the overlay did not reach the render", env, mm["name"], addr, mm["interval"])
		}
	}
	return exp
}

// shipped is one version promoted into an environment.
type shipped struct {
	image, rev string    // the rendered image in env; the promotion's commit
	refreshed  time.Time // when the promotion's refresh was requested
}

// release ships version of svc: the release commit (dev, synced), then the
// promotion into env, committed and refreshed. It returns before the
// canary starts.
func (a *argoStack) release(ctx context.Context, t testing.TB, env, svc, version string) shipped {
	t.Helper()
	digest := fmt.Sprintf("%x", sha256.Sum256([]byte("bloody-sweet/"+svc+":"+version)))
	a.platformIn(ctx, t, "promote", "--to", "dev", "--set", svc+"="+version+"@sha256:"+digest)
	rev := a.commitRendered(t, "gitops test: release "+svc+" "+version+" to dev")
	a.refresh(ctx, t, "dev-"+svc)
	a.waitSynced(ctx, t, "dev-"+svc, rev)

	a.platformIn(ctx, t, "promote", "--to", env, "--service", svc)
	image := containerImage(t, a.renderedDoc(t, env, svc, "Rollout"))
	if !strings.Contains(image, ":"+version+"@sha256:"+digest) {
		t.Fatalf("%s: rendered %s image %s after the promotion, want %s@sha256:%s", env, svc, image, version, digest)
	}
	rev = a.commitRendered(t, "gitops test: promote "+svc+" "+version+" to "+env)
	refreshed := time.Now()
	a.refresh(ctx, t, env+"-"+svc)
	return shipped{image: image, rev: rev, refreshed: refreshed}
}

// canaryCompletes waits for v's canary to walk every rendered step and
// become stable, and Argo CD to report the promotion Synced and Healthy,
// and returns how long that took after the refresh; then it checks the
// analysis measured the canary pods.
func (a *argoStack) canaryCompletes(ctx context.Context, t testing.TB, env, svc string, v shipped) time.Duration {
	t.Helper()
	ns, app := "orders-"+env, env+"-"+svc
	steps := renderedSteps(t, a.renderedDoc(t, env, svc, "Rollout"))
	paused := map[int64]bool{}
	var s rolloutState
	waitFor(t, svc+" "+v.image+": canary completes", syncTimeout, a.procs, func() (bool, string, error) {
		u, err := a.c.dyn.Resource(rolloutGVR).Namespace(ns).Get(ctx, svc, metav1.GetOptions{})
		if err != nil {
			return false, err.Error(), nil
		}
		s = readRollout(u)
		if containerImage(t, u) != v.image {
			return false, "not yet applied: " + s.String(), nil
		}
		if s.Abort || s.Phase == "Degraded" {
			return false, "", fmt.Errorf("the good canary was aborted: %s", s)
		}
		if s.Phase == "Paused" && s.HasStep && s.StepIndex < int64(len(steps)) && steps[s.StepIndex].pause {
			paused[s.StepIndex] = true
		}
		return s.Phase == "Healthy" && s.StableHash == s.CurrentHash && s.ObservedGeneration == fmt.Sprint(s.Generation), s.String(), nil
	})
	for i, st := range steps {
		if st.pause && !paused[int64(i)] {
			t.Errorf("%s: the canary never paused at step %d; paused at %v", svc, i, paused)
		}
	}
	a.waitSynced(ctx, t, app, v.rev)
	took := time.Since(v.refreshed)
	t.Logf("%s: %s walked %d steps and completed, Synced and Healthy, %s after the promotion's refresh", env, v.image, len(steps), took.Round(time.Millisecond))

	ar := a.c.analysisRun(ctx, t, ns, svc, s.CurrentHash)
	waitFor(t, svc+": the good canary's AnalysisRun ends", time.Minute, a.procs, func() (bool, string, error) {
		ar = a.c.analysisRun(ctx, t, ns, svc, s.CurrentHash)
		phase, _, _ := unstructured.NestedString(ar.Object, "status", "phase")
		return phase != "" && phase != "Pending" && phase != "Running", phase, nil
	})
	if phase, _, _ := unstructured.NestedString(ar.Object, "status", "phase"); phase != "Successful" {
		t.Errorf("%s: AnalysisRun %s of the good canary is %s, want Successful: %v", svc, ar.GetName(), phase, ar.Object["status"])
	}
	// Not only "no data passes": the canary pods' success rate was read
	// from the test's Prometheus.
	if vals := measuredValues(ar, "success-rate"); len(vals) == 0 {
		t.Errorf("%s: AnalysisRun %s measured no success rate of the canary pods: it did not reach the test's Prometheus", svc, ar.GetName())
	} else {
		t.Logf("%s: good canary's success-rate measurements %v", svc, vals)
	}
	return took
}

// canaryAborts waits for bad's canary to be aborted by its analysis, then
// checks that the stable ReplicaSet (the version before) serves every replica and that Argo CD
// reports the Application Degraded.
func (a *argoStack) canaryAborts(ctx context.Context, t testing.TB, env, svc string, bad shipped) {
	t.Helper()
	ns, app := "orders-"+env, env+"-"+svc
	ro, err := a.c.dyn.Resource(rolloutGVR).Namespace(ns).Get(ctx, svc, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	stableHash := readRollout(ro).StableHash
	var s rolloutState
	waitFor(t, svc+" "+bad.image+": canary aborted", syncTimeout, a.procs, func() (bool, string, error) {
		u, err := a.c.dyn.Resource(rolloutGVR).Namespace(ns).Get(ctx, svc, metav1.GetOptions{})
		if err != nil {
			return false, err.Error(), nil
		}
		s = readRollout(u)
		if containerImage(t, u) != bad.image {
			return false, "not yet applied: " + s.String(), nil
		}
		if s.Phase == "Healthy" && s.StableHash == s.CurrentHash && s.CurrentHash != stableHash {
			return false, "", fmt.Errorf("the bad canary was promoted: %s", s)
		}
		return s.Abort && s.Phase == "Degraded", s.String(), nil
	})
	t.Logf("%s: %s aborted %s after the promotion's refresh (%s)", env, bad.image, time.Since(bad.refreshed).Round(time.Millisecond), s.Message)
	if s.StableHash != stableHash {
		t.Errorf("%s: stable ReplicaSet after the abort is %s, want the good version's %s", svc, s.StableHash, stableHash)
	}
	ar := a.c.analysisRun(ctx, t, ns, svc, s.CurrentHash)
	if phase, _, _ := unstructured.NestedString(ar.Object, "status", "phase"); phase != "Failed" {
		t.Errorf("%s: AnalysisRun %s of the bad canary is %s, want Failed", svc, ar.GetName(), phase)
	}
	tmpl := a.renderedDoc(t, env, svc, "AnalysisTemplate")
	limits := failureLimits(tmpl)
	var failed []string
	for _, m := range metricResults(ar) {
		if m.Phase == "Failed" && m.Failed > limits[m.Name] {
			failed = append(failed, m.Name)
		}
	}
	if len(failed) == 0 {
		t.Errorf("%s: no metric of AnalysisRun %s failed past its rendered failureLimit %v: %v", svc, ar.GetName(), limits, ar.Object["status"])
	}

	replicas, _, _ := unstructured.NestedInt64(ro.Object, "spec", "replicas")
	waitFor(t, svc+": the stable ReplicaSet serves every replica, the canary is scaled down", syncTimeout, a.procs, func() (bool, string, error) {
		ready, err := a.c.readyReplicas(ctx, svc, ns, stableHash)
		if err != nil {
			return false, err.Error(), nil
		}
		canary, err := a.c.specReplicas(ctx, svc, ns, s.CurrentHash)
		if err != nil {
			return false, err.Error(), nil
		}
		return ready == replicas && canary == 0, fmt.Sprintf("stable ready %d/%d, canary replicas %d", ready, replicas, canary), nil
	})
	waitFor(t, app+": Degraded in Argo CD", syncTimeout, a.procs, func() (bool, string, error) {
		u, err := a.c.dyn.Resource(appGVR).Namespace(argocdNamespace).Get(ctx, app, metav1.GetOptions{})
		if err != nil {
			return false, err.Error(), nil
		}
		st := readApp(u)
		return st.Health == "Degraded", st.String(), nil
	})
	t.Logf("%s: metrics %v failed; %s kept %d replicas ready on %s; %s Degraded", env, failed, svc, replicas, stableHash, app)
}

// platformIn runs the platform CLI on the clone's work tree, then makes
// its apps/ offline again (a render writes the rendered repoURL).
func (a *argoStack) platformIn(ctx context.Context, t testing.TB, args ...string) {
	t.Helper()
	out, code := runPlatform(ctx, a.platform, append(args, "--root", a.repo.work)...)
	if code != 0 {
		t.Fatalf("platform %s: exit %d\n%s", strings.Join(args, " "), code, out)
	}
	a.repo.offline(t)
}

// commitRendered commits the work tree after a platformIn, refusing a
// commit that changes nothing (the render did not see the change).
func (a *argoStack) commitRendered(t testing.TB, msg string) string {
	t.Helper()
	if strings.TrimSpace(run(t, a.repo.work, "git", "status", "--porcelain")) == "" {
		t.Fatalf("%s: nothing changed in the clone", msg)
	}
	return a.repo.commit(t, msg)
}

// renderedDoc is the one object of kind in the clone's rendered
// environments/<env>/<svc>/manifests.gen.yaml (what Argo CD applies).
func (a *argoStack) renderedDoc(t testing.TB, env, svc, kind string) *unstructured.Unstructured {
	t.Helper()
	f := filepath.Join(a.repo.work, "environments", env, svc, "manifests.gen.yaml")
	docs, err := loadFile(f)
	if err != nil {
		t.Fatalf("%s: %v", f, err)
	}
	var out *unstructured.Unstructured
	for _, d := range docs {
		if d.obj.GetKind() == kind {
			if out != nil {
				t.Fatalf("%s: more than one %s", f, kind)
			}
			out = d.obj
		}
	}
	if out == nil {
		t.Fatalf("%s: no %s", f, kind)
	}
	return out
}

// renderedSteps are a Rollout's canary steps, as far as the test checks
// them.
func renderedSteps(t testing.TB, rollout *unstructured.Unstructured) []step {
	t.Helper()
	raw, _, err := unstructured.NestedSlice(rollout.Object, "spec", "strategy", "canary", "steps")
	if err != nil || len(raw) == 0 {
		t.Fatalf("%s: no spec.strategy.canary.steps (%v)", rollout.GetName(), err)
	}
	var out []step
	for _, r := range raw {
		m, _ := r.(map[string]any)
		s := step{setWeight: -1}
		if w, ok := m["setWeight"]; ok {
			s.setWeight = toInt64(w)
		}
		_, s.pause = m["pause"]
		out = append(out, s)
	}
	return out
}

// measuredValues are the values a metric of an AnalysisRun measured that
// held data (not an empty result or NaN).
func measuredValues(ar *unstructured.Unstructured, metric string) []string {
	raw, _, _ := unstructured.NestedSlice(ar.Object, "status", "metricResults")
	var out []string
	for _, r := range raw {
		m, _ := r.(map[string]any)
		if m["name"] != metric {
			continue
		}
		ms, _, _ := unstructured.NestedSlice(m, "measurements")
		for _, x := range ms {
			v, _, _ := unstructured.NestedString(x.(map[string]any), "value")
			if v != "" && v != "[]" && !strings.Contains(v, "NaN") {
				out = append(out, v)
			}
		}
	}
	return out
}

// dumpAnalysis logs every AnalysisRun of ns: phase, message and each
// metric's measurements, for a failed scenario.
func (a *argoStack) dumpAnalysis(t testing.TB, ns string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ri, _, err := a.c.resource("argoproj.io/v1alpha1", "AnalysisRun", ns)
	if err != nil {
		t.Logf("AnalysisRuns: %v", err)
		return
	}
	list, err := ri.List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Logf("list AnalysisRuns: %v", err)
		return
	}
	sort.Slice(list.Items, func(i, j int) bool { return list.Items[i].GetName() < list.Items[j].GetName() })
	for _, ar := range list.Items {
		phase, _, _ := unstructured.NestedString(ar.Object, "status", "phase")
		msg, _, _ := unstructured.NestedString(ar.Object, "status", "message")
		t.Logf("AnalysisRun %s: %s %q", ar.GetName(), phase, msg)
		raw, _, _ := unstructured.NestedSlice(ar.Object, "status", "metricResults")
		for _, r := range raw {
			m, _ := r.(map[string]any)
			ms, _, _ := unstructured.NestedSlice(m, "measurements")
			var vals []string
			for _, x := range ms {
				xm, _ := x.(map[string]any)
				vals = append(vals, fmt.Sprintf("%v:%v%v", xm["phase"], xm["value"], xm["message"]))
			}
			t.Logf("    %v: %v %v (%v) %v", m["name"], m["phase"], m["message"], strings.Join(vals, " "), m["consecutiveError"])
		}
	}
}
