//go:build autoscaling

package cluster

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// The KEDA binaries come from KEDA_BIN (scripts/test-autoscaling.sh builds
// and caches them from github.com/kedacore/keda/v2).
var kedaBinaries = []string{"keda-operator", "keda-metrics-apiserver"}

const (
	kedaNamespace = "keda"
	// The names KEDA's own manifests give the metrics apiserver's Service
	// and APIService.
	kedaMetricsService = "keda-metrics-apiserver"
	externalMetricsAPI = "v1beta1.external.metrics.k8s.io"
)

func kedaBinDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("KEDA_BIN")
	if dir == "" {
		t.Fatal("KEDA_BIN is not set: run scripts/test-autoscaling.sh (make test-autoscaling), which builds the KEDA operator and metrics apiserver")
	}
	for _, b := range kedaBinaries {
		if _, err := os.Stat(filepath.Join(dir, b)); err != nil {
			t.Fatalf("KEDA_BIN=%s: %v (run scripts/test-autoscaling.sh)", dir, err)
		}
	}
	return dir
}

// testCA is a certificate authority made for one test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newTestCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue writes a key pair signed by the CA for both server and client
// use, with the CA as ca.crt: dir/ca.crt, dir/<name>.crt, dir/<name>.key.
func (ca *testCA) issue(t *testing.T, dir, name, commonName string, dnsNames []string, ips []net.IP) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: commonName},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		DNSNames:     dnsNames,
		IPAddresses:  ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	for path, data := range map[string][]byte{
		filepath.Join(dir, "ca.crt"): ca.pem,
		certFile:                     pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		keyFile:                      pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
	} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return certFile, keyFile
}

// withAggregator configures kube-apiserver to proxy aggregated APIs the
// way a real cluster's does: it authenticates to the extension apiserver
// with a front-proxy client certificate and passes the user in
// X-Remote-* headers, which the extension apiserver trusts because
// kube-apiserver publishes the front-proxy CA in
// kube-system/extension-apiserver-authentication.
func withAggregator(t *testing.T) func(*envtest.Environment) {
	t.Helper()
	dir := t.TempDir()
	ca := newTestCA(t, "front-proxy-ca")
	cert, key := ca.issue(t, dir, "front-proxy-client", "front-proxy-client", nil, nil)
	return func(env *envtest.Environment) {
		args := env.ControlPlane.GetAPIServer().Configure()
		args.Set("requestheader-client-ca-file", filepath.Join(dir, "ca.crt"))
		args.Set("requestheader-allowed-names", "front-proxy-client")
		args.Set("requestheader-username-headers", "X-Remote-User")
		args.Set("requestheader-group-headers", "X-Remote-Group")
		args.Set("requestheader-extra-headers-prefix", "X-Remote-Extra-")
		args.Set("proxy-client-cert-file", cert)
		args.Set("proxy-client-key-file", key)
	}
}

// startKEDA runs the KEDA operator and metrics apiserver against the
// cluster, as KEDA's manifests deploy them but as local processes: one
// certificate (KEDA's own kedaorg-certs secret, made here) for the
// operator's gRPC metrics service, the metrics apiserver's client of it,
// and the metrics apiserver's serving endpoint; the metrics apiserver is
// registered as the external.metrics.k8s.io APIService with that CA. It
// returns once kube-apiserver serves external.metrics.k8s.io.
func (c *cluster) startKEDA(ctx context.Context, t *testing.T, catalog map[schema.GroupKind]crdFile) []*process {
	t.Helper()
	bin := kedaBinDir(t)
	// Every kind the operator watches.
	var kinds []schema.GroupVersionKind
	for _, k := range []string{"ScaledObject", "ScaledJob", "TriggerAuthentication", "ClusterTriggerAuthentication"} {
		kinds = append(kinds, schema.GroupVersionKind{Group: "keda.sh", Version: "v1alpha1", Kind: k})
	}
	for _, k := range []string{"CloudEventSource", "ClusterCloudEventSource"} {
		kinds = append(kinds, schema.GroupVersionKind{Group: "eventing.keda.sh", Version: "v1alpha1", Kind: k})
	}
	c.installCRDs(t, catalog, kinds)
	c.createNamespaces(ctx, t, kedaNamespace)

	certDir := t.TempDir()
	ca := newTestCA(t, "KEDA")
	serviceDNS := kedaMetricsService + "." + kedaNamespace + ".svc"
	certFile, keyFile := ca.issue(t, certDir, "tls", "keda", []string{serviceDNS, "localhost"}, []net.IP{net.IPv4(127, 0, 0, 1)})

	env := append(os.Environ(),
		"KUBECONFIG="+c.kubeconfig,
		"WATCH_NAMESPACE=",
		"POD_NAMESPACE="+kedaNamespace,
		"KEDA_CLUSTER_OBJECT_NAMESPACE="+kedaNamespace,
	)
	grpcAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	operator := startProcessEnv(t, "keda-operator", env, filepath.Join(bin, "keda-operator"),
		"--kubeconfig="+c.kubeconfig,
		"--leader-elect=false",
		"--cert-dir="+certDir,
		"--ca-dir="+certDir,
		"--metrics-service-bind-address="+grpcAddr,
		fmt.Sprintf("--metrics-bind-address=127.0.0.1:%d", freePort(t)),
		fmt.Sprintf("--health-probe-bind-address=127.0.0.1:%d", freePort(t)),
		"--zap-log-level=info",
	)
	port := freePort(t)
	metrics := startProcessEnv(t, "keda-metrics-apiserver", env, filepath.Join(bin, "keda-metrics-apiserver"),
		"--kubeconfig="+c.kubeconfig,
		"--lister-kubeconfig="+c.kubeconfig,
		"--authentication-kubeconfig="+c.kubeconfig,
		"--authorization-kubeconfig="+c.kubeconfig,
		"--bind-address=127.0.0.1",
		"--secure-port="+strconv.Itoa(port),
		"--cert-dir="+certDir,
		"--tls-cert-file="+certFile,
		"--tls-private-key-file="+keyFile,
		"--metrics-service-address="+grpcAddr,
		fmt.Sprintf("--port=%d", freePort(t)),
		"--zap-log-level=info",
	)
	procs := []*process{operator, metrics}

	// The Service KEDA's manifests create, of type ExternalName naming
	// this machine instead of selecting a pod: the aggregator dials an
	// ExternalName Service at that name and the APIService's port (a
	// cluster IP would lead nowhere here), and still verifies the serving
	// certificate against <service>.<namespace>.svc.
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: kedaMetricsService, Namespace: kedaNamespace},
		Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "localhost"},
	}
	if _, err := c.kube.CoreV1().Services(kedaNamespace).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create Service %s: %v", kedaMetricsService, err)
	}
	apiService := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiregistration.k8s.io/v1",
		"kind":       "APIService",
		"metadata":   map[string]any{"name": externalMetricsAPI},
		"spec": map[string]any{
			"service":              map[string]any{"name": kedaMetricsService, "namespace": kedaNamespace, "port": int64(port)},
			"group":                "external.metrics.k8s.io",
			"version":              "v1beta1",
			"caBundle":             base64.StdEncoding.EncodeToString(ca.pem),
			"groupPriorityMinimum": int64(100),
			"versionPriority":      int64(100),
		},
	}}
	if _, err := c.applyJSON(ctx, apiService); err != nil {
		t.Fatalf("register APIService %s: %v", externalMetricsAPI, err)
	}
	ri, _, err := c.resource("apiregistration.k8s.io/v1", "APIService", "")
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "APIService "+externalMetricsAPI+" Available", 2*time.Minute, procs, func() (bool, string, error) {
		u, err := ri.Get(ctx, externalMetricsAPI, metav1.GetOptions{})
		if err != nil {
			return false, err.Error(), nil
		}
		conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
		for _, cnd := range conds {
			m, _ := cnd.(map[string]any)
			if m["type"] == "Available" {
				return m["status"] == "True", fmt.Sprintf("%v: %v", m["reason"], m["message"]), nil
			}
		}
		return false, "no Available condition", nil
	})
	return procs
}
