//go:build gitops

package cluster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// syncTimeout bounds each wait for Argo CD; generous, as the two cores are
// shared (a first sync was seen in under 2 s on an idle machine).
const syncTimeout = 4 * time.Minute

// TestGitOps runs a real Argo CD (application-controller and repo-server
// v3.2.11) against a real control plane, kwok node and Argo Rollouts
// controller, syncing from a loopback clone of this repository. The
// scenarios share one stack and run in order.
func TestGitOps(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	argo, took := startGitOpsStack(ctx, t)
	t.Logf("hermetic Argo CD stack up in %s (its application-controller starts with the first bootstrap)", took.Round(time.Millisecond))
	t.Cleanup(func() {
		if t.Failed() {
			argo.dumpApps(t)
		}
	})

	steps := []struct {
		name string
		run  func(context.Context, *testing.T)
	}{
		{"first sync", func(ctx context.Context, t *testing.T) { argo.firstSync(ctx, t, "dev") }},
		{"hpa", func(ctx context.Context, t *testing.T) { argo.hpaScale(ctx, t, "dev", "order") }},
		{"migrate", func(ctx context.Context, t *testing.T) { argo.migrate(ctx, t, "dev", "order") }},
		{"project boundaries", func(ctx context.Context, t *testing.T) { argo.projectBoundaries(ctx, t, "dev", "prod") }},
		{"self-heal", func(ctx context.Context, t *testing.T) {
			// staging and prod come up next to dev (own namespaces and
			// projects), then a hand edit is reverted in each.
			for _, env := range []string{"staging", "prod"} {
				argo.firstSync(ctx, t, env)
			}
			for _, env := range []string{"dev", "staging", "prod"} {
				argo.selfHeal(ctx, t, env, "order")
			}
		}},
		// staging, up since self-heal, has canary steps with analysis.
		{"promotion", func(ctx context.Context, t *testing.T) { argo.promotion(ctx, t, "staging", "order") }},
		{"prune", func(ctx context.Context, t *testing.T) { argo.prune(ctx, t, "delivery") }},
		// last: Argo CD keeps retrying the failed sync (retry limit 5).
		{"migrate fails", func(ctx context.Context, t *testing.T) { argo.migrateFails(ctx, t, "dev", "order") }},
	}
	// Each step builds on the state the ones before it left: once one
	// fails, the rest are not run.
	for _, s := range steps {
		if !t.Run(s.name, func(t *testing.T) { s.run(ctx, t) }) {
			t.Fatalf("%s failed: the later scenarios need its state", s.name)
		}
	}
}

// startGitOpsStack starts the control plane, the workload controllers
// (kwok with its pod stages), the loopback clone and Argo CD's repo-server
// and redis (the application-controller starts with the first bootstrap),
// and returns how long that took after the cluster's own start.
func startGitOpsStack(ctx context.Context, t testing.TB) (*argoStack, time.Duration) {
	binDir(t, append(append([]string{}, controlPlane...), workloadBinaries...)...)
	root := repoRoot(t)
	catalog := crdCatalog(t, root)

	// Every kind the rendered environments use, and those the Rollouts
	// controller watches.
	var files []string
	for _, f := range renderedFiles(t, root) {
		if strings.HasPrefix(f, filepath.Join(root, "environments")) {
			files = append(files, f)
		}
	}
	docs := loadRendered(t, root, files)
	kinds := kindsOf(docs)
	for _, k := range []string{"AnalysisRun", "Experiment", "ClusterAnalysisTemplate"} {
		kinds = append(kinds, schema.GroupVersionKind{Group: "argoproj.io", Version: "v1alpha1", Kind: k})
	}

	c := startCluster(t)
	start := time.Now()
	repo := startTestRepo(t, root)
	// The rendered kinds' CRDs before the controllers that watch them;
	// Argo CD's own (v3.2.11, the running version) come with Argo CD.
	c.installCRDs(t, catalog, kinds)
	// The HPA controller too: Argo CD holds an HPA Progressing ("Waiting
	// to Autoscale") until the controller has reported AbleToScale. No
	// metrics API runs here, so it scales only to keep replicas within
	// min/max, as a real one does when metrics fail. And the disruption
	// controller: Argo CD holds a PodDisruptionBudget Progressing ("Waiting
	// for status") until it has written the budget's status (staging and
	// prod render one per service).
	workload := c.startWorkloadControllers(ctx, t, kwokPodStages(t), "job", "garbagecollector", "horizontalpodautoscaling", "disruption")
	argo := startArgoCD(t, c, root, repo, renderedArgoCDConfig(t, root, "dev"), workload)
	c.standIns(ctx, t)
	return argo, time.Since(start)
}

// bootstrap runs `platform bootstrap --env env` on the clone, as a person
// bootstraps a new cluster: Argo CD's install (its CRDs and base config,
// --manifests), then the environment's AppProjects and root Applications.
// The first run also starts the application-controller, as the install's
// Deployment would.
func (a *argoStack) bootstrap(ctx context.Context, t testing.TB, env string) {
	t.Helper()
	// The clone's apps/ (the loopback repoURL), plus the argo-cd add-on's
	// rendered Application the clone dropped (its chart is unreachable
	// here): bootstrap reads Argo CD's release from it, as from a checkout.
	root := t.TempDir()
	run(t, "", "cp", "-r", filepath.Join(a.repo.work, "apps"), root)
	addon := filepath.Join("apps", env, "addons", "argo-cd.application.gen.yaml")
	run(t, "", "cp", filepath.Join(a.root, addon), filepath.Join(root, addon))
	out, code := runPlatform(ctx, a.platform, "bootstrap", "--root", root, "--env", env,
		"--kubeconfig", a.c.kubeconfig, "--manifests", a.manifests)
	if code != 0 {
		t.Fatalf("platform bootstrap --env %s: exit %d\n%s", env, code, out)
	}
	if a.startController != nil {
		a.c.resetMapper()
		a.startController()
		a.startController = nil
	}
}

// expectedApps are the Applications the clone defines for env: the root
// and every Application under apps/<env>/ (remote-chart add-ons are gone).
func (a *argoStack) expectedApps(t testing.TB, env string) (addons, services []string) {
	t.Helper()
	for _, pattern := range []string{"*.application.gen.yaml", "addons/*.application.gen.yaml"} {
		files, err := filepath.Glob(filepath.Join(a.repo.work, "apps", env, pattern))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			docs, err := loadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range docs {
				name := d.obj.GetName()
				switch {
				case name == env+"-root":
				case strings.Contains(f, "/addons/") || name == env+"-addons":
					addons = append(addons, name)
				default:
					services = append(services, name)
				}
			}
		}
	}
	sort.Strings(addons)
	sort.Strings(services)
	return addons, services
}

// firstSync: `platform bootstrap --env env`, then the root Application
// brings up every Application of env, each Synced and Healthy, the
// services' namespace from the model; the add-ons finish their first sync
// before the services' Applications exist.
func (a *argoStack) firstSync(ctx context.Context, t testing.TB, env string) {
	addons, services := a.expectedApps(t, env)
	if len(services) == 0 || len(addons) == 0 {
		t.Fatalf("apps/%s: add-ons %v, services %v: expected both", env, addons, services)
	}
	start := time.Now()
	a.bootstrap(ctx, t, env)
	all := append(append([]string{env + "-root"}, addons...), services...)
	waitFor(t, env+": every Application Synced and Healthy", syncTimeout, a.procs, func() (bool, string, error) {
		apps, err := a.apps(ctx)
		if err != nil {
			return false, err.Error(), nil
		}
		var pending []string
		for _, n := range all {
			u, ok := apps[n]
			if !ok {
				pending = append(pending, n+": missing")
				continue
			}
			if s := readApp(u); s.Sync != "Synced" || s.Health != "Healthy" {
				pending = append(pending, s.String())
			}
		}
		return len(pending) == 0, strings.Join(pending, "; "), nil
	})
	t.Logf("%s: %d Applications Synced and Healthy %s after bootstrap started", env, len(all), time.Since(start).Round(time.Millisecond))
	ns, err := a.c.kube.CoreV1().Namespaces().Get(ctx, "orders-"+env, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("namespace orders-%s: %v", env, err)
	}
	if got := ns.Annotations["argocd.argoproj.io/tracking-id"]; !strings.HasPrefix(got, env+"-platform:") {
		t.Errorf("namespace orders-%s tracking id %q: want it owned by %s-platform (the model)", env, got, env)
	}

	// Wave order, as observed: each add-on's first deployment ended
	// before any service Application was created.
	apps, err := a.apps(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var lastAddon time.Time
	for _, n := range addons {
		d := firstDeployedAt(t, apps[n])
		if d.After(lastAddon) {
			lastAddon = d
		}
	}
	for _, n := range services {
		created := apps[n].GetCreationTimestamp().Time
		if created.Before(lastAddon) {
			t.Errorf("%s was created at %s, before the add-ons' first sync ended (%s): the root did not wait for wave -1", n, created, lastAddon)
		}
	}
	t.Logf("add-ons %v deployed by %s; services %v created after", addons, lastAddon.Format(time.RFC3339), services)
}

// firstDeployedAt is when an Application's first sync ended
// (status.history[0].deployedAt).
func firstDeployedAt(t testing.TB, u *unstructured.Unstructured) time.Time {
	t.Helper()
	hist, _, _ := unstructured.NestedSlice(u.Object, "status", "history")
	if len(hist) == 0 {
		t.Fatalf("%s has no sync history", u.GetName())
	}
	m, _ := hist[0].(map[string]any)
	s, _ := m["deployedAt"].(string)
	var ts metav1.Time
	if err := ts.UnmarshalQueryParameter(s); err != nil {
		t.Fatalf("%s: history[0].deployedAt %q: %v", u.GetName(), s, err)
	}
	return ts.Time
}

// app returns one Application.
func (a *argoStack) app(ctx context.Context, t testing.TB, name string) *unstructured.Unstructured {
	t.Helper()
	u, err := a.c.dyn.Resource(appGVR).Namespace(argocdNamespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get Application %s: %v", name, err)
	}
	return u
}

// refreshed sets the refresh annotation on an Application and waits until
// the controller has compared it again (the annotation is gone and
// reconciledAt is not before the request), so what the test reads next is
// a fresh comparison. reconciledAt has whole seconds: a refresh within the
// second of the last comparison leaves it unchanged, so "it moved" would
// wait for the next periodic comparison (3 minutes, seen in a run).
func (a *argoStack) refreshed(ctx context.Context, t testing.TB, name string) *unstructured.Unstructured {
	t.Helper()
	// RFC 3339 UTC seconds, as reconciledAt: they order as strings.
	requested := time.Now().UTC().Truncate(time.Second).Format(time.RFC3339)
	a.refresh(ctx, t, name)
	var out *unstructured.Unstructured
	waitFor(t, name+" refreshed", syncTimeout, a.procs, func() (bool, string, error) {
		u, err := a.c.dyn.Resource(appGVR).Namespace(argocdNamespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err.Error(), nil
		}
		at, _, _ := unstructured.NestedString(u.Object, "status", "reconciledAt")
		_, pending := u.GetAnnotations()["argocd.argoproj.io/refresh"]
		out = u
		return !pending && at >= requested, fmt.Sprintf("reconciledAt %s (refresh requested at %s), annotation pending %v", at, requested, pending), nil
	})
	return out
}

// syncCount is how many sync operations an Application has run: its
// history length, plus the one in flight.
func syncCount(u *unstructured.Unstructured) int {
	hist, _, _ := unstructured.NestedSlice(u.Object, "status", "history")
	n := len(hist)
	if phase, _, _ := unstructured.NestedString(u.Object, "status", "operationState", "phase"); phase == "Running" {
		n++
	}
	return n
}

var rolloutGVR = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "rollouts"}

// hpaScale: the HorizontalPodAutoscaler changes a Rollout's replicas
// through the scale subresource. The Application ignores /spec/replicas,
// so Argo CD neither reverts the new count nor starts a sync over it.
func (a *argoStack) hpaScale(ctx context.Context, t testing.TB, env, svc string) {
	app := env + "-" + svc
	ns := "orders-" + env
	before := syncCount(a.app(ctx, t, app))
	scale, err := a.c.dyn.Resource(rolloutGVR).Namespace(ns).Get(ctx, svc, metav1.GetOptions{}, "scale")
	if err != nil {
		t.Fatalf("get %s/%s scale: %v", ns, svc, err)
	}
	replicas, _, _ := unstructured.NestedInt64(scale.Object, "spec", "replicas")
	// The HPA controller runs: a count outside min/max would be put back
	// by it, not by Argo CD, so scale to the HPA's maximum, as the HPA
	// itself would under load.
	hpa, err := a.c.kube.AutoscalingV2().HorizontalPodAutoscalers(ns).Get(ctx, svc, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get HPA %s/%s: %v", ns, svc, err)
	}
	want := int64(hpa.Spec.MaxReplicas)
	if want == replicas {
		t.Fatalf("%s/%s already runs the HPA's maximum %d replicas: nothing to scale", ns, svc, want)
	}
	if err := unstructured.SetNestedField(scale.Object, want, "spec", "replicas"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.c.dyn.Resource(rolloutGVR).Namespace(ns).Update(ctx, scale, metav1.UpdateOptions{}, "scale"); err != nil {
		t.Fatalf("scale %s/%s to %d: %v", ns, svc, want, err)
	}
	// Two fresh comparisons after the change: the first sees it, the
	// second would see a sync the first started.
	for i := 0; i < 2; i++ {
		u := a.refreshed(ctx, t, app)
		s := readApp(u)
		if s.Sync != "Synced" {
			t.Errorf("%s after the scale: %s, want Synced (replicas are ignored)", app, s)
		}
		if n := syncCount(u); n != before {
			t.Errorf("%s ran %d sync operation(s) after the scale, want none", app, n-before)
		}
	}
	ro, err := a.c.dyn.Resource(rolloutGVR).Namespace(ns).Get(ctx, svc, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, _, _ := unstructured.NestedInt64(ro.Object, "spec", "replicas"); got != want {
		t.Errorf("%s/%s spec.replicas = %d after Argo CD compared it, want the scaled %d", ns, svc, got, want)
	}
}

// selfHeal: a hand edit of a field Argo CD manages (a key of the
// service's ConfigMap) is reverted to the rendered value.
func (a *argoStack) selfHeal(ctx context.Context, t testing.TB, env, svc string) {
	ns, name := "orders-"+env, svc+"-config"
	cms := a.c.kube.CoreV1().ConfigMaps(ns)
	cm, err := cms.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get %s/%s: %v", ns, name, err)
	}
	const field = "HTTP_ADDR"
	want, ok := cm.Data[field]
	if !ok {
		t.Fatalf("%s/%s has no %s", ns, name, field)
	}
	cm.Data[field] = ":9999"
	if _, err := cms.Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("edit %s/%s: %v", ns, name, err)
	}
	start := time.Now()
	waitFor(t, fmt.Sprintf("%s: %s/%s %s reverted", env, ns, name, field), syncTimeout, a.procs, func() (bool, string, error) {
		got, err := cms.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err.Error(), nil
		}
		return got.Data[field] == want, fmt.Sprintf("%s=%q", field, got.Data[field]), nil
	})
	t.Logf("%s: hand edit reverted in %s", env, time.Since(start).Round(time.Millisecond))
}

// projectBoundaries: Applications in env's services project that would
// place a cluster-scoped object (other's _platform: ClusterSecretStore,
// Karpenter) or objects in another environment's namespace (other's
// payment) are refused by Argo CD, and nothing of theirs reaches the
// cluster. The sources are rendered paths of the clone, as they are.
func (a *argoStack) projectBoundaries(ctx context.Context, t testing.TB, env, other string) {
	project := "bloody-sweet-" + env
	// include as the rendered Applications have it: a service folder
	// also holds its Helm values and the Rollout alone (values.gen.yaml,
	// rollout.gen.yaml), which Argo CD must not read as manifests.
	cases := []struct {
		name, path, include, want string
		check                     func() (bool, error)
	}{
		{"boundary-cluster-scoped", "environments/" + other + "/_platform", "*.gen.yaml", "not permitted in project", func() (bool, error) {
			_, err := a.c.dyn.Resource(schema.GroupVersionResource{Group: "external-secrets.io", Version: "v1", Resource: "clustersecretstores"}).
				Get(ctx, "bloody-sweet-"+other, metav1.GetOptions{})
			return err == nil, ignoreNotFound(err)
		}},
		{"boundary-namespace", "environments/" + other + "/payment", "manifests.gen.yaml", "namespace orders-" + other + " is not permitted in project", func() (bool, error) {
			_, err := a.c.kube.CoreV1().ConfigMaps("orders-"+other).Get(ctx, "payment-config", metav1.GetOptions{})
			return err == nil, ignoreNotFound(err)
		}},
	}
	for _, tc := range cases {
		app := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
			"metadata": map[string]any{"name": tc.name, "namespace": argocdNamespace},
			"spec": map[string]any{
				"project":     project,
				"destination": map[string]any{"server": "https://kubernetes.default.svc", "namespace": "orders-" + env},
				"source":      map[string]any{"repoURL": a.repo.url, "path": tc.path, "targetRevision": "main", "directory": map[string]any{"include": tc.include}},
				"syncPolicy":  map[string]any{"automated": map[string]any{"prune": false, "selfHeal": false}},
			},
		}}
		if _, err := a.c.dyn.Resource(appGVR).Namespace(argocdNamespace).Create(ctx, app, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create Application %s: %v", tc.name, err)
		}
		waitFor(t, tc.name+" refused by Argo CD", syncTimeout, a.procs, func() (bool, string, error) {
			u, err := a.c.dyn.Resource(appGVR).Namespace(argocdNamespace).Get(ctx, tc.name, metav1.GetOptions{})
			if err != nil {
				return false, err.Error(), nil
			}
			s := readApp(u)
			text := s.Message + " " + strings.Join(s.Conditions, " ") + " " + strings.Join(s.Results, " ")
			return strings.Contains(text, tc.want), s.String(), nil
		})
		if exists, err := tc.check(); err != nil || exists {
			t.Errorf("%s: the refused object exists on the cluster (%v)", tc.name, err)
		}
		if err := a.c.dyn.Resource(appGVR).Namespace(argocdNamespace).Delete(ctx, tc.name, metav1.DeleteOptions{}); err != nil {
			t.Fatalf("delete Application %s: %v", tc.name, err)
		}
	}
}

func ignoreNotFound(err error) error {
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// prune: a service removed from the render (its Application and manifests
// deleted, as `platform render` would leave them without the service) is
// pruned in dev, Application and workload; in prod the Application and
// its Rollout stay, and the root reports OutOfSync until a person prunes.
func (a *argoStack) prune(ctx context.Context, t testing.TB, svc string) {
	for _, env := range []string{"dev", "prod"} {
		run(t, a.repo.work, "git", "rm", "--quiet", "-r",
			filepath.Join("apps", env, svc+".application.gen.yaml"),
			filepath.Join("environments", env, svc))
	}
	a.repo.commit(t, "gitops test: "+svc+" removed from dev and prod")
	start := time.Now()
	for _, env := range []string{"dev", "prod"} {
		a.refresh(ctx, t, env+"-root")
	}
	rollouts := func(env string) (bool, error) {
		_, err := a.c.dyn.Resource(rolloutGVR).Namespace("orders-"+env).Get(ctx, svc, metav1.GetOptions{})
		return err == nil, ignoreNotFound(err)
	}
	waitFor(t, "dev: "+svc+" pruned", syncTimeout, a.procs, func() (bool, string, error) {
		apps, err := a.apps(ctx)
		if err != nil {
			return false, err.Error(), nil
		}
		exists, err := rollouts("dev")
		if err != nil {
			return false, err.Error(), nil
		}
		_, app := apps["dev-"+svc]
		return !app && !exists, fmt.Sprintf("Application present %v, Rollout present %v", app, exists), nil
	})
	t.Logf("dev: %s pruned %s after the commit", svc, time.Since(start).Round(time.Millisecond))
	waitFor(t, "prod: root OutOfSync with "+svc+" kept", syncTimeout, a.procs, func() (bool, string, error) {
		apps, err := a.apps(ctx)
		if err != nil {
			return false, err.Error(), nil
		}
		root := readApp(apps["prod-root"])
		return root.Sync == "OutOfSync", root.String(), nil
	})
	// The root has compared the new commit: the Application and its
	// workload are still there, the Application itself still Synced.
	apps, err := a.apps(ctx)
	if err != nil {
		t.Fatal(err)
	}
	u, ok := apps["prod-"+svc]
	if !ok {
		t.Fatalf("prod-%s was deleted: prod must never prune on its own", svc)
	}
	if exists, err := rollouts("prod"); err != nil || !exists {
		t.Errorf("prod: Rollout %s gone (%v): prod must keep running what was removed", svc, err)
	}
	t.Logf("prod: %s kept (%s), root OutOfSync", svc, readApp(u))
}

// migrate: a new image of svc (its Rollout and its migrate Job) is
// committed and the Application refreshed, as the webhook would. Argo CD
// runs the PreSync hooks first, the db-admin ExternalSecret and the migrate
// Job; the Job completes before the Rollout changes (observed on one
// ordered stream of watch events, not assumed), and after the sync both
// hooks are gone (hook-delete-policy HookSucceeded), so the admin
// credentials are in no object between syncs.
func (a *argoStack) migrate(ctx context.Context, t testing.TB, env, svc string) {
	ns, app := "orders-"+env, env+"-"+svc
	job, admin := svc+"-migrate", svc+"-db-admin"
	ro, err := a.c.dyn.Resource(rolloutGVR).Namespace(ns).Get(ctx, svc, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get Rollout %s/%s: %v", ns, svc, err)
	}
	old := containerImage(t, ro)
	image := withTag(old, "gitops-migrate")

	// One stream of events, so their order is the order the test saw them.
	type event struct{ what string }
	events := make(chan event, 256)
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	jobs, err := a.c.kube.BatchV1().Jobs(ns).Watch(wctx, metav1.ListOptions{FieldSelector: "metadata.name=" + job})
	if err != nil {
		t.Fatal(err)
	}
	defer jobs.Stop()
	rollouts, err := a.c.dyn.Resource(rolloutGVR).Namespace(ns).Watch(wctx, metav1.ListOptions{FieldSelector: "metadata.name=" + svc})
	if err != nil {
		t.Fatal(err)
	}
	defer rollouts.Stop()
	go func() {
		for {
			select {
			case <-wctx.Done():
				return
			case e, ok := <-jobs.ResultChan():
				if !ok {
					return
				}
				j, isJob := e.Object.(*batchv1.Job)
				if !isJob || len(j.Spec.Template.Spec.Containers) == 0 || j.Spec.Template.Spec.Containers[0].Image != image {
					continue
				}
				for _, c := range j.Status.Conditions {
					if c.Type == batchv1.JobComplete && c.Status == corev1.ConditionTrue {
						events <- event{"job complete"}
					}
				}
			case e, ok := <-rollouts.ResultChan():
				if !ok {
					return
				}
				u, isU := e.Object.(*unstructured.Unstructured)
				if !isU {
					continue
				}
				// (not containerImage: no t.Fatal off the test's goroutine)
				if cs, _, _ := unstructured.NestedSlice(u.Object, "spec", "template", "spec", "containers"); len(cs) > 0 && cs[0].(map[string]any)["image"] == image {
					events <- event{"rollout changed"}
				}
			}
		}
	}()

	rev := a.commitImage(t, env, svc, old, image)
	start := time.Now()
	a.refresh(ctx, t, app)
	a.waitSynced(ctx, t, app, rev)
	t.Logf("%s: %s synced %s after the commit", env, rev[:8], time.Since(start).Round(time.Millisecond))

	var order []string
	waitFor(t, "the migrate Job's completion and the Rollout's change observed", syncTimeout, a.procs, func() (bool, string, error) {
	drain:
		for {
			select {
			case e := <-events:
				if len(order) == 0 || order[len(order)-1] != e.what {
					order = append(order, e.what)
				}
			default:
				break drain
			}
		}
		return slices.Contains(order, "job complete") && slices.Contains(order, "rollout changed"), fmt.Sprint(order), nil
	})
	if order[0] != "job complete" {
		t.Errorf("events in order %v: the Rollout changed before the migrate Job completed", order)
	}
	waitFor(t, "PreSync hooks deleted after the sync", syncTimeout, a.procs, func() (bool, string, error) {
		_, errJob := a.c.kube.BatchV1().Jobs(ns).Get(ctx, job, metav1.GetOptions{})
		_, errES := a.c.dyn.Resource(externalSecretGVR).Namespace(ns).Get(ctx, admin, metav1.GetOptions{})
		return apierrors.IsNotFound(errJob) && apierrors.IsNotFound(errES), fmt.Sprintf("Job: %v, ExternalSecret %s: %v", errJob, admin, errES), nil
	})
}

var externalSecretGVR = schema.GroupVersionResource{Group: "external-secrets.io", Version: "v1", Resource: "externalsecrets"}

// waitSynced waits until app's last sync operation, of revision rev,
// succeeded and the Application is Synced and Healthy.
func (a *argoStack) waitSynced(ctx context.Context, t testing.TB, app, rev string) {
	t.Helper()
	waitFor(t, app+" synced "+rev[:8], syncTimeout, a.procs, func() (bool, string, error) {
		u, err := a.c.dyn.Resource(appGVR).Namespace(argocdNamespace).Get(ctx, app, metav1.GetOptions{})
		if err != nil {
			return false, err.Error(), nil
		}
		s := readApp(u)
		got, _, _ := unstructured.NestedString(u.Object, "status", "operationState", "syncResult", "revision")
		return got == rev && s.Phase == "Succeeded" && s.Sync == "Synced" && s.Health == "Healthy", s.String() + " revision " + got, nil
	})
}

// migrateFails: a new image of svc whose migrate Job fails (kwok fails its
// pods: the test's commit labels the Job's pod template with
// failingPodLabel) is committed and the Application refreshed. The PreSync
// hook fails, so Argo CD stops the sync before the Sync phase: the Rollout
// keeps the old image with its pods ready, and the Application does not
// report the new revision Synced.
func (a *argoStack) migrateFails(ctx context.Context, t testing.TB, env, svc string) {
	ns, app, job := "orders-"+env, env+"-"+svc, svc+"-migrate"
	ro, err := a.c.dyn.Resource(rolloutGVR).Namespace(ns).Get(ctx, svc, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get Rollout %s/%s: %v", ns, svc, err)
	}
	old := containerImage(t, ro)
	image := withTag(old, "gitops-migrate-fails")

	file := filepath.Join(a.repo.work, "environments", env, svc, "manifests.gen.yaml")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	const jobLabel = "        bloody-sweet.io/job: migrate\n"
	if n := strings.Count(text, "image: "+old+"\n"); n != 2 {
		t.Fatalf("%s: image %s appears %d times, want 2 (the Rollout and the migrate Job)", file, old, n)
	}
	if n := strings.Count(text, jobLabel); n != 1 {
		t.Fatalf("%s: %q appears %d times, want once (the migrate Job's pod template)", file, jobLabel, n)
	}
	text = strings.ReplaceAll(text, "image: "+old+"\n", "image: "+image+"\n")
	text = strings.Replace(text, jobLabel, jobLabel+"        "+failingPodLabel+": \"true\"\n", 1)
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	rev := a.repo.commit(t, "gitops test: "+svc+" "+image+" in "+env+", its migration fails")
	a.refresh(ctx, t, app)

	// The sync of rev has run the hook and recorded it failed.
	waitFor(t, app+": the migrate hook of "+rev[:8]+" failed", syncTimeout, a.procs, func() (bool, string, error) {
		u, err := a.c.dyn.Resource(appGVR).Namespace(argocdNamespace).Get(ctx, app, metav1.GetOptions{})
		if err != nil {
			return false, err.Error(), nil
		}
		s := readApp(u)
		got, _, _ := unstructured.NestedString(u.Object, "status", "operationState", "operation", "sync", "revision")
		results, _, _ := unstructured.NestedSlice(u.Object, "status", "operationState", "syncResult", "resources")
		for _, r := range results {
			if m, ok := r.(map[string]any); ok && got == rev && m["kind"] == "Job" && m["name"] == job && m["hookPhase"] == "Failed" {
				return true, s.String(), nil
			}
		}
		return false, s.String() + " operation revision " + got, nil
	})
	u := a.app(ctx, t, app)
	if s := readApp(u); s.Sync == "Synced" && s.Revision == rev {
		t.Errorf("%s reports %s Synced after its migration failed: %s", app, rev[:8], s)
	}
	ro, err = a.c.dyn.Resource(rolloutGVR).Namespace(ns).Get(ctx, svc, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := containerImage(t, ro); got != old {
		t.Errorf("Rollout %s/%s runs %s after the failed migration, want the old %s", ns, svc, got, old)
	}
	if ready, _, _ := unstructured.NestedInt64(ro.Object, "status", "readyReplicas"); ready == 0 {
		t.Errorf("Rollout %s/%s has no ready replicas after the failed migration: the old version must keep serving", ns, svc)
	}
	t.Logf("%s: migration of %s failed, sync stopped (%s); %s keeps running %s", env, image, readApp(u), svc, old)
}

// commitImage commits svc's new image in env (its Rollout and its migrate
// Job, as a promotion renders it) and returns the commit's hash.
func (a *argoStack) commitImage(t testing.TB, env, svc, old, image string) string {
	t.Helper()
	file := filepath.Join(a.repo.work, "environments", env, svc, "manifests.gen.yaml")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), "image: "+old+"\n"); n != 2 {
		t.Fatalf("%s: image %s appears %d times, want 2 (the Rollout and the migrate Job)", file, old, n)
	}
	if err := os.WriteFile(file, []byte(strings.ReplaceAll(string(data), "image: "+old+"\n", "image: "+image+"\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	return a.repo.commit(t, "gitops test: "+svc+" "+image+" in "+env)
}
