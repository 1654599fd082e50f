//go:build gitops

package cluster

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The hermetic Argo CD stack: the binaries come from ARGOCD_BIN (one
// argocd binary, symlinked as argocd-application-controller and
// argocd-repo-server: its role comes from argv[0]) and its CRDs from
// ARGOCD_MODULE_DIR (the v3.2.11 module in the Go module cache);
// scripts/test-gitops.sh sets both.
const argocdNamespace = "argocd"

var (
	appGVR     = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "applications"}
	projectGVR = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "appprojects"}
)

// argoStack is Argo CD running against the test's control plane, syncing
// from a loopback git server that serves a clone of this repository.
type argoStack struct {
	c     *cluster
	repo  *testRepo
	procs []*process
	// platform is the `platform` binary built from root; manifests the
	// folder of Argo CD's install that `platform bootstrap --manifests`
	// applies.
	root, platform, manifests string
	// the application-controller, started by the first bootstrap
	// (as the install's Deployment would be).
	startController func()
}

// renderedArgoCDConfig is the argocd-cm data the argo-cd add-on installs
// (its Helm values' configs.cm in apps/<env>/addons), so the hermetic Argo
// CD runs with the model's tracking method and health checks, the
// Application one above all: the root's waves wait on it.
func renderedArgoCDConfig(t testing.TB, root, env string) map[string]string {
	t.Helper()
	f := filepath.Join(root, "apps", env, "addons", "argo-cd.application.gen.yaml")
	docs, err := loadFile(f)
	if err != nil || len(docs) != 1 {
		t.Fatalf("%s: %v (want one Application)", f, err)
	}
	cm, ok, err := unstructured.NestedMap(docs[0].obj.Object, "spec", "source", "helm", "valuesObject", "configs", "cm")
	if err != nil || !ok {
		t.Fatalf("%s: no spec.source.helm.valuesObject.configs.cm (%v)", f, err)
	}
	data := map[string]string{}
	for k, v := range cm {
		data[k] = fmt.Sprint(v) // the chart writes booleans as their text too
	}
	if data["resource.customizations.health.argoproj.io_Application"] == "" {
		t.Fatalf("%s: configs.cm has no Application health check", f)
	}
	return data
}

// startArgoCD starts redis-server and the repo-server, and prepares what
// `platform bootstrap --manifests` installs in place of Argo CD's chart:
// the CRDs of the running version (from ARGOCD_MODULE_DIR) and the base
// config the controller reads (argocd-cm with config). The first
// bootstrap (firstSync) installs it, with the projects and roots, and then
// starts the application-controller.
func startArgoCD(t testing.TB, c *cluster, root string, repo *testRepo, config map[string]string, workload []*process) *argoStack {
	t.Helper()
	bin := os.Getenv("ARGOCD_BIN")
	modDir := os.Getenv("ARGOCD_MODULE_DIR")
	if bin == "" || modDir == "" {
		t.Fatal("ARGOCD_BIN and ARGOCD_MODULE_DIR are not set: run scripts/test-gitops.sh (make test-gitops), which builds Argo CD")
	}
	manifests := t.TempDir()
	crds, err := filepath.Glob(filepath.Join(modDir, "manifests", "crds", "*-crd.yaml"))
	if err != nil || len(crds) == 0 {
		t.Fatalf("Argo CD CRDs in %s/manifests/crds: %v (found %d)", modDir, err, len(crds))
	}
	for _, f := range crds {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(manifests, filepath.Base(f)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// namespace-less, like Argo CD's install manifests: bootstrap puts
	// them in argocd.
	label := map[string]any{"app.kubernetes.io/part-of": "argocd"}
	for name, data := range map[string]map[string]string{"argocd-cm": config, "argocd-rbac-cm": nil, "argocd-cmd-params-cm": nil} {
		writeYAML(t, filepath.Join(manifests, name+".yaml"), map[string]any{
			"apiVersion": "v1", "kind": "ConfigMap",
			"metadata": map[string]any{"name": name, "labels": label}, "data": data,
		})
	}
	writeYAML(t, filepath.Join(manifests, "argocd-secret.yaml"), map[string]any{
		"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": "argocd-secret", "labels": label},
	})

	platform := filepath.Join(t.TempDir(), "platform")
	build := exec.Command("go", "build", "-o", platform, "./cmd/platform")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/platform: %v\n%s", err, out)
	}

	redisAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	_, redisPort, _ := net.SplitHostPort(redisAddr)
	redis := startProcess(t, "redis-server", "/usr/bin/redis-server",
		"--bind", "127.0.0.1", "--port", redisPort, "--save", "", "--appendonly", "no")
	repoAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	_, repoPort, _ := net.SplitHostPort(repoAddr)
	repoServer := startProcessEnv(t, "argocd-repo-server", argoEnv(t), filepath.Join(bin, "argocd-repo-server"),
		"--disable-tls", "--address", "127.0.0.1", "--port", repoPort,
		fmt.Sprintf("--metrics-port=%d", freePort(t)),
		"--redis", redisAddr, "--loglevel", "info")
	a := &argoStack{c: c, repo: repo, root: root, platform: platform, manifests: manifests,
		procs: append(append([]*process{}, workload...), redis, repoServer)}
	a.startController = func() {
		// The fake in-cluster destination reads KUBECONFIG.
		a.procs = append(a.procs, startProcessEnv(t, "argocd-application-controller",
			append(argoEnv(t), "ARGOCD_FAKE_IN_CLUSTER=true", "KUBECONFIG="+c.kubeconfig),
			filepath.Join(bin, "argocd-application-controller"),
			"--kubeconfig", c.kubeconfig, "--namespace", argocdNamespace,
			"--redis", redisAddr, "--repo-server", repoAddr, "--repo-server-plaintext",
			// Since v3 each resource's health lives only in redis unless
			// persisted: the tests (and their failure dumps) read it from
			// status.resources[].health.
			"--persist-resource-health",
			fmt.Sprintf("--metrics-port=%d", freePort(t)),
			"--loglevel", "info"))
	}
	return a
}

// argoEnv is the Argo CD processes' environment: GPG off (no gpg agent),
// HOME and the checkout root under the test's temporary directory.
func argoEnv(t testing.TB) []string {
	return append(os.Environ(), "ARGOCD_GPG_ENABLED=false", "HOME="+t.TempDir())
}

// testRepo is a clone of this repository served over loopback HTTP by
// git-http-backend, with a work tree the tests commit to. Argo CD fetches
// its branch main, so it reads the committed render a reviewer reads.
type testRepo struct {
	work    string // a clone with a work tree; push() publishes its main
	url     string // what Argo CD fetches
	origURL string // the rendered repoURL the test commit replaces
}

// gitBackend is where Debian's git package keeps git-http-backend.
const gitBackend = "/usr/lib/git-core/git-http-backend"

// startTestRepo clones HEAD of the repository into a bare repository
// served on loopback, then commits the one change Argo CD needs to run
// offline (see prepareClone) and pushes it as main.
func startTestRepo(t testing.TB, root string) *testRepo {
	t.Helper()
	if _, err := os.Stat(gitBackend); err != nil {
		t.Fatalf("%s: %v (Debian package git)", gitBackend, err)
	}
	dir := t.TempDir()
	bare := filepath.Join(dir, "platform.git")
	work := filepath.Join(dir, "work")
	run(t, "", "git", "clone", "--quiet", "--bare", "--no-local", root, bare)
	run(t, bare, "git", "config", "http.receivepack", "false")
	run(t, "", "git", "clone", "--quiet", bare, work)
	run(t, work, "git", "checkout", "--quiet", "-B", "main")
	run(t, work, "git", "config", "user.name", "gitops test")
	run(t, work, "git", "config", "user.email", "gitops-test@localhost")

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: &cgi.Handler{
		Path: gitBackend,
		Env:  []string{"GIT_PROJECT_ROOT=" + dir, "GIT_HTTP_EXPORT_ALL=1"},
	}, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	r := &testRepo{work: work, url: "http://" + ln.Addr().String() + "/platform.git"}
	r.prepareClone(t)
	return r
}

// prepareClone is the test's one commit on top of HEAD, so Argo CD can run
// with no network (see offline). What remains is synced exactly as
// rendered.
func (r *testRepo) prepareClone(t testing.TB) {
	t.Helper()
	root, err := loadFile(filepath.Join(r.work, "apps", "dev", "root.application.gen.yaml"))
	if err != nil || len(root) != 1 {
		t.Fatalf("apps/dev/root.application.gen.yaml: %v", err)
	}
	r.origURL, _, _ = unstructured.NestedString(root[0].obj.Object, "spec", "source", "repoURL")
	if r.origURL == "" {
		t.Fatal("apps/dev/root.application.gen.yaml has no spec.source.repoURL")
	}
	r.offline(t)
	r.commit(t, "gitops test: Argo CD reads this loopback clone; remote-chart add-ons removed (unreachable offline)")
}

// offline makes the work tree's apps/ readable offline: every Application
// and AppProject names the loopback server instead of the rendered
// repoURL, and the add-on Applications whose source is a remote Helm chart
// (a chart repository or an OCI registry) are removed: they cannot be
// reached here; the kind nightly syncs them. A `platform render` or
// `platform promote` in the clone writes its environment's apps/ as
// rendered, so the tests run offline again after one.
func (r *testRepo) offline(t testing.TB) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(r.work, "apps", "*", "*.gen.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	addons, _ := filepath.Glob(filepath.Join(r.work, "apps", "*", "addons", "*.gen.yaml"))
	for _, f := range append(files, addons...) {
		docs, err := loadFile(f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if len(docs) == 1 && docs[0].obj.GetKind() == "Application" {
			if src, _, _ := unstructured.NestedString(docs[0].obj.Object, "spec", "source", "repoURL"); src != r.origURL && src != r.url {
				if err := os.Remove(f); err != nil {
					t.Fatal(err)
				}
				continue
			}
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte(strings.ReplaceAll(string(data), r.origURL, r.url)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// commit commits everything in the work tree, publishes it as main and
// returns the commit's hash.
func (r *testRepo) commit(t testing.TB, msg string) string {
	t.Helper()
	run(t, r.work, "git", "add", "--all")
	run(t, r.work, "git", "commit", "--quiet", "--allow-empty", "-m", msg)
	run(t, r.work, "git", "push", "--quiet", "--force", "origin", "main")
	return strings.TrimSpace(run(t, r.work, "git", "rev-parse", "HEAD"))
}

// run runs a command in dir and fails the test with its output on error.
func run(t testing.TB, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// standIns plays, until ctx ends, the controllers this cluster does not
// run, each only as far as Argo CD's health checks look: External Secrets
// Operator, Karpenter and KEDA (their objects get the Ready=True condition
// the Lua health checks read; KEDA's own scaling is not exercised here)
// and the AWS Load Balancer Controller (an
// Ingress gets a load balancer hostname). Like kwok for kubelets, it makes
// no decision the platform's code makes.
func (c *cluster) standIns(ctx context.Context, t testing.TB) {
	ready := []schema.GroupVersionResource{
		{Group: "external-secrets.io", Version: "v1", Resource: "externalsecrets"},
		{Group: "external-secrets.io", Version: "v1", Resource: "clustersecretstores"},
		{Group: "karpenter.sh", Version: "v1", Resource: "nodepools"},
		{Group: "karpenter.k8s.aws", Version: "v1", Resource: "ec2nodeclasses"},
		{Group: "keda.sh", Version: "v1alpha1", Resource: "scaledobjects"},
	}
	go func() {
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			for _, gvr := range ready {
				list, err := c.dyn.Resource(gvr).List(ctx, metav1.ListOptions{})
				if err != nil {
					continue // the CRD is not installed (yet)
				}
				for i := range list.Items {
					markReady(ctx, c, gvr, &list.Items[i])
				}
			}
			ings, err := c.kube.NetworkingV1().Ingresses("").List(ctx, metav1.ListOptions{})
			if err != nil {
				continue
			}
			for i := range ings.Items {
				ing := &ings.Items[i]
				if len(ing.Status.LoadBalancer.Ingress) > 0 {
					continue
				}
				ing.Status.LoadBalancer.Ingress = []networkingv1.IngressLoadBalancerIngress{{Hostname: ing.Name + ".alb.test"}}
				_, _ = c.kube.NetworkingV1().Ingresses(ing.Namespace).UpdateStatus(ctx, ing, metav1.UpdateOptions{})
			}
		}
	}()
}

// failingPodLabel marks a pod kwok fails once it runs: the selector of
// kwok's own chaos stage pod-container-running-failed.
const failingPodLabel = "pod-container-running-failed.stage.kwok.x-k8s.io"

// kwokPodStages is a kwok configuration of kwok's own pod stages, read from
// the module of the kwok that runs (KWOK_MODULE_DIR, set by
// scripts/test-cluster.sh): its three defaults (pods Running and Ready, Job
// pods Succeeded, deleted pods gone), which any pod stage in a
// configuration replaces, and its chaos stage that fails a running pod
// labelled failingPodLabel (it outweighs pod-complete).
func kwokPodStages(t testing.TB) []byte {
	t.Helper()
	dir := os.Getenv("KWOK_MODULE_DIR")
	if dir == "" {
		t.Fatal("KWOK_MODULE_DIR is not set: run scripts/test-gitops.sh (make test-gitops)")
	}
	var out []byte
	for _, f := range []string{"fast/pod-ready.yaml", "fast/pod-complete.yaml", "fast/pod-delete.yaml", "chaos/pod-container-running-failed.yaml"} {
		data, err := os.ReadFile(filepath.Join(dir, "kustomize", "stage", "pod", f))
		if err != nil {
			t.Fatalf("kwok stage: %v", err)
		}
		out = append(append(out, "---\n"...), data...)
	}
	return out
}

func markReady(ctx context.Context, c *cluster, gvr schema.GroupVersionResource, u *unstructured.Unstructured) {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, cond := range conds {
		if m, ok := cond.(map[string]any); ok && m["type"] == "Ready" && m["status"] == "True" {
			return
		}
	}
	_ = unstructured.SetNestedSlice(u.Object, []any{map[string]any{
		"type": "Ready", "status": "True", "reason": "HermeticTest",
		"message":            "stand-in: no controller runs in the hermetic test",
		"lastTransitionTime": time.Now().UTC().Format(time.RFC3339),
	}}, "status", "conditions")
	// Namespace("") addresses a cluster-scoped object.
	_, _ = c.dyn.Resource(gvr).Namespace(u.GetNamespace()).UpdateStatus(ctx, u, metav1.UpdateOptions{})
}

// appStatus is what the tests read from an Application.
type appStatus struct {
	Name, Sync, Health, Phase, Message string
	Conditions                         []string
	// Results are the last sync's per-resource messages that were not
	// a success: where Argo CD says why it refused a resource.
	Results  []string
	Revision string
}

func (s appStatus) String() string {
	return fmt.Sprintf("%s: sync=%s health=%s op=%s %q conditions=%v results=%v", s.Name, s.Sync, s.Health, s.Phase, s.Message, s.Conditions, s.Results)
}

func readApp(u *unstructured.Unstructured) appStatus {
	s := appStatus{Name: u.GetName()}
	s.Sync, _, _ = unstructured.NestedString(u.Object, "status", "sync", "status")
	s.Revision, _, _ = unstructured.NestedString(u.Object, "status", "sync", "revision")
	s.Health, _, _ = unstructured.NestedString(u.Object, "status", "health", "status")
	s.Phase, _, _ = unstructured.NestedString(u.Object, "status", "operationState", "phase")
	s.Message, _, _ = unstructured.NestedString(u.Object, "status", "operationState", "message")
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		if m, ok := c.(map[string]any); ok {
			s.Conditions = append(s.Conditions, fmt.Sprintf("%v: %v", m["type"], m["message"]))
		}
	}
	results, _, _ := unstructured.NestedSlice(u.Object, "status", "operationState", "syncResult", "resources")
	for _, r := range results {
		if m, ok := r.(map[string]any); ok && m["status"] != "Synced" && m["status"] != "Pruned" {
			s.Results = append(s.Results, fmt.Sprintf("%v/%v: %v: %v", m["kind"], m["name"], m["status"], m["message"]))
		}
	}
	return s
}

// apps returns the Applications, by name.
func (a *argoStack) apps(ctx context.Context) (map[string]*unstructured.Unstructured, error) {
	list, err := a.c.dyn.Resource(appGVR).Namespace(argocdNamespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	out := map[string]*unstructured.Unstructured{}
	for i := range list.Items {
		out[list.Items[i].GetName()] = &list.Items[i]
	}
	return out, nil
}

// dumpApps logs every Application's sync, health, operation and conditions.
func (a *argoStack) dumpApps(t testing.TB) {
	t.Helper()
	apps, err := a.apps(context.Background())
	if err != nil {
		t.Logf("list Applications: %v", err)
		return
	}
	names := make([]string, 0, len(apps))
	for n := range apps {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		t.Logf("Application %s", readApp(apps[n]))
		// What keeps it from Synced/Healthy: its resources that are not.
		res, _, _ := unstructured.NestedSlice(apps[n].Object, "status", "resources")
		for _, r := range res {
			m, _ := r.(map[string]any)
			health, _, _ := unstructured.NestedString(m, "health", "status")
			msg, _, _ := unstructured.NestedString(m, "health", "message")
			if sync, _ := m["status"].(string); (health != "" && health != "Healthy") || sync != "Synced" {
				t.Logf("    %v/%v %v/%v: sync=%s health=%s %q", m["group"], m["kind"], m["namespace"], m["name"], sync, health, msg)
			}
		}
	}
}

// refresh sets the annotation a git webhook would set, so Argo CD reads the
// new commit now instead of at its next poll.
func (a *argoStack) refresh(ctx context.Context, t testing.TB, name string) {
	t.Helper()
	patch := []byte(`{"metadata":{"annotations":{"argocd.argoproj.io/refresh":"normal"}}}`)
	if _, err := a.c.dyn.Resource(appGVR).Namespace(argocdNamespace).Patch(ctx, name, "application/merge-patch+json", patch, metav1.PatchOptions{}); err != nil && !apierrors.IsNotFound(err) {
		t.Fatalf("refresh %s: %v", name, err)
	}
}
