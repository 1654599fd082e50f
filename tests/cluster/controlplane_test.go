// Package cluster applies what `platform render` produced to a real
// Kubernetes control plane built from source (tools/kube) and runs the
// rendered canaries with a real Argo Rollouts controller (tools/rollouts).
// Pods run on a kwok fake node, so no kubelet or container runtime is needed.
//
// The binaries come from CLUSTER_BIN (scripts/test-cluster.sh builds and
// caches them); without it every test fails with a message saying so.
package cluster

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"sync"
	"syscall"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	corev1 "k8s.io/api/core/v1"
)

// controlPlane are the binaries every test needs, all in CLUSTER_BIN;
// workloadBinaries those the canary test adds.
var (
	controlPlane     = []string{"etcd", "kube-apiserver"}
	workloadBinaries = []string{"kube-controller-manager", "kube-scheduler", "kwok", "rollouts-controller"}
)

// binDir returns CLUSTER_BIN after checking the binaries are there.
func binDir(t testing.TB, binaries ...string) string {
	t.Helper()
	dir := os.Getenv("CLUSTER_BIN")
	if dir == "" {
		t.Fatal("CLUSTER_BIN is not set: run scripts/test-cluster.sh (make test-cluster), which builds the control plane, kwok and the Argo Rollouts controller")
	}
	for _, b := range binaries {
		if _, err := os.Stat(filepath.Join(dir, b)); err != nil {
			t.Fatalf("CLUSTER_BIN=%s: %v (run scripts/test-cluster.sh)", dir, err)
		}
	}
	return dir
}

// cluster is one control plane (etcd + kube-apiserver via envtest) and the
// clients the tests use.
type cluster struct {
	bin        string
	cfg        *rest.Config
	kube       kubernetes.Interface
	dyn        dynamic.Interface
	disc       discovery.CachedDiscoveryInterface
	mapper     *restmapper.DeferredDiscoveryRESTMapper
	kubeconfig string // admin kubeconfig file for the processes started next to the apiserver
	warnings   *warningLog
}

// warningLog collects the server's warnings (deprecations, finalizer
// naming advice) instead of printing each one; logWarnings reports them.
type warningLog struct {
	mu   sync.Mutex
	seen map[string]int
}

func (w *warningLog) HandleWarningHeader(code int, agent, text string) {
	if code != 299 || text == "" {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.seen[text]++
}

// logWarnings logs each distinct warning once, with how often it came.
func (c *cluster) logWarnings(t testing.TB) {
	t.Helper()
	c.warnings.mu.Lock()
	defer c.warnings.mu.Unlock()
	texts := make([]string, 0, len(c.warnings.seen))
	for text := range c.warnings.seen {
		texts = append(texts, text)
	}
	sort.Strings(texts)
	for _, text := range texts {
		t.Logf("server warning (%d times): %s", c.warnings.seen[text], text)
	}
}

// startCluster starts etcd and kube-apiserver and stops them when the test
// ends. Each configure function may change the environment first (the
// autoscaling test adds the aggregator's front-proxy flags).
func startCluster(t testing.TB, configure ...func(*envtest.Environment)) *cluster {
	t.Helper()
	bin := binDir(t, controlPlane...)
	env := &envtest.Environment{
		BinaryAssetsDirectory:    bin,
		ControlPlaneStartTimeout: 90 * time.Second,
		ControlPlaneStopTimeout:  30 * time.Second,
	}
	for _, f := range configure {
		f(env)
	}
	cfg, err := env.Start()
	if err != nil {
		t.Fatalf("start kube-apiserver and etcd from %s: %v", bin, err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Errorf("stop control plane: %v", err)
		}
	})
	user, err := env.AddUser(envtest.User{Name: "cluster-test-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		t.Fatalf("add admin user: %v", err)
	}
	kc, err := user.KubeConfig()
	if err != nil {
		t.Fatalf("admin kubeconfig: %v", err)
	}
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfig, kc, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg = rest.CopyConfig(user.Config())
	cfg.QPS, cfg.Burst = 200, 400
	warnings := &warningLog{seen: map[string]int{}}
	cfg.WarningHandler = warnings
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	disc := memory.NewMemCacheClient(kube.Discovery())
	return &cluster{
		bin: bin, cfg: cfg, kube: kube, dyn: dyn, disc: disc, warnings: warnings,
		mapper:     restmapper.NewDeferredDiscoveryRESTMapper(disc),
		kubeconfig: kubeconfig,
	}
}

// resource returns the client for obj's kind, namespaced if the kind is.
func (c *cluster) resource(apiVersion, kind, namespace string) (dynamic.ResourceInterface, *meta.RESTMapping, error) {
	gv, err := parseGV(apiVersion)
	if err != nil {
		return nil, nil, err
	}
	m, err := c.mapper.RESTMapping(gv.WithKind(kind).GroupKind(), gv.Version)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: no such kind on the server: %w", apiVersion, kind, err)
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		return c.dyn.Resource(m.Resource).Namespace(namespace), m, nil
	}
	return c.dyn.Resource(m.Resource), m, nil
}

// resetMapper forgets cached discovery, after CRDs were installed.
func (c *cluster) resetMapper() {
	c.disc.Invalidate()
	c.mapper.Reset()
}

// createNamespaces creates each namespace unless it exists.
func (c *cluster) createNamespaces(ctx context.Context, t testing.TB, names ...string) {
	t.Helper()
	for _, ns := range names {
		_, err := c.kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatalf("create namespace %s: %v", ns, err)
		}
	}
}

// process is a binary started next to the control plane.
type process struct {
	name string
	cmd  *exec.Cmd
	log  *lockedBuffer
	done chan struct{}
}

// lockedBuffer collects a process's output; the process writes while the
// test may read.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.buf.String()
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// startProcess runs bin with args in its own process group. The group is
// killed when the test ends (SIGTERM, then SIGKILL after 10 s), and the
// kernel kills the process if the test binary dies first (Pdeathsig). Its
// output is printed if the test failed.
func startProcess(t testing.TB, name, bin string, args ...string) *process {
	t.Helper()
	return startProcessEnv(t, name, nil, bin, args...)
}

// startProcessEnv is startProcess with the environment env (nil: the
// test's own).
func startProcessEnv(t testing.TB, name string, env []string, bin string, args ...string) *process {
	t.Helper()
	p := &process{name: name, log: &lockedBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		pgid := p.cmd.Process.Pid
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			<-p.done
		}
		if t.Failed() {
			t.Logf("%s output (tail):\n%s", name, p.log.tail(6000))
		}
		p.keepLog(t)
	})
	return p
}

// keepLog writes the process's whole output to $CLUSTER_LOG_DIR/<name>.log
// when that variable is set (a CI artifact, or a developer's diagnosis):
// the failure message holds only the tail.
func (p *process) keepLog(t testing.TB) {
	dir := os.Getenv("CLUSTER_LOG_DIR")
	if dir == "" {
		return
	}
	p.log.mu.Lock()
	defer p.log.mu.Unlock()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Logf("CLUSTER_LOG_DIR: %v", err)
		return
	}
	if err := os.WriteFile(filepath.Join(dir, p.name+".log"), p.log.buf.Bytes(), 0o644); err != nil {
		t.Logf("CLUSTER_LOG_DIR: %v", err)
	}
}

// exited reports whether the process has ended, with its output's tail.
func (p *process) exited() (bool, string) {
	select {
	case <-p.done:
		return true, fmt.Sprintf("%s exited (%v):\n%s", p.name, p.cmd.ProcessState, p.log.tail(4000))
	default:
		return false, ""
	}
}

// freePort returns a loopback TCP port nothing listens on right now.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// waitFor polls cond every interval until it returns true, an error, or the
// deadline passes; any process in watch that exits fails the test at once.
// The last status cond reported is in the failure message.
func waitFor(t testing.TB, what string, timeout time.Duration, watch []*process, cond func() (done bool, status string, err error)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	status := ""
	for {
		done, s, err := cond()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if s != "" {
			status = s
		}
		if done {
			return
		}
		for _, p := range watch {
			if gone, msg := p.exited(); gone {
				t.Fatalf("%s: %s", what, msg)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s (last status: %s)", what, timeout, status)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// repoRoot is the repository root, two levels above this package.
func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "environments")); err != nil {
		t.Fatalf("repository root %s has no environments/: %v", root, err)
	}
	return root
}
