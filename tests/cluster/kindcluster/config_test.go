package kindcluster

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/kind/pkg/apis/config/defaults"
	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
	"sigs.k8s.io/yaml"
)

// TestConfig: one control-plane node carrying the host port mappings on the
// loopback, the workers labelled for the workloads, every node on kind's
// pinned node image, and a configuration that reads back strictly as
// kind's v1alpha4 Cluster (no unknown field).
func TestConfig(t *testing.T) {
	cfg, err := Config(Options{
		Name:    "gitops",
		Workers: 3,
		Ports:   []Port{{Name: "order", NodePort: 30080, HostPort: 18080}, {Name: "argocd", NodePort: 30443, HostPort: 18443}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Nodes) != 4 || cfg.Nodes[0].Role != v1alpha4.ControlPlaneRole {
		t.Fatalf("nodes %+v, want a control plane and 3 workers", cfg.Nodes)
	}
	for i, n := range cfg.Nodes {
		if n.Image != defaults.Image || !strings.Contains(n.Image, "@sha256:") {
			t.Errorf("node %d: image %q, want kind's pinned %q", i, n.Image, defaults.Image)
		}
		if i == 0 {
			continue
		}
		if n.Role != v1alpha4.WorkerRole || n.Labels[WorkloadLabel] == "" || len(n.ExtraPortMappings) != 0 {
			t.Errorf("node %d: %+v, want a labelled worker without port mappings", i, n)
		}
	}
	want := map[int32]int32{30080: 18080, 30443: 18443}
	pm := cfg.Nodes[0].ExtraPortMappings
	if len(pm) != len(want) {
		t.Fatalf("port mappings %+v", pm)
	}
	for _, m := range pm {
		if want[m.ContainerPort] != m.HostPort || m.ListenAddress != "127.0.0.1" || m.Protocol != v1alpha4.PortMappingProtocolTCP {
			t.Errorf("port mapping %+v, want node port -> host loopback port over TCP", m)
		}
	}

	raw, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var back v1alpha4.Cluster
	if err := yaml.UnmarshalStrict(raw, &back); err != nil {
		t.Fatalf("the generated config does not read back as kind's Cluster: %v\n%s", err, raw)
	}
	if back.APIVersion != "kind.x-k8s.io/v1alpha4" || back.Kind != "Cluster" || back.Name != "gitops" {
		t.Errorf("read back %s %s %q", back.APIVersion, back.Kind, back.Name)
	}
}

func TestConfigRefuses(t *testing.T) {
	for name, o := range map[string]Options{
		"one worker":             {Name: "gitops", Workers: 1},
		"bad name":               {Name: "GitOps_", Workers: 2},
		"node port out of range": {Name: "gitops", Workers: 2, Ports: []Port{{Name: "order", NodePort: 8080, HostPort: 18080}}},
		"host port used twice":   {Name: "gitops", Workers: 2, Ports: []Port{{Name: "a", NodePort: 30080, HostPort: 18080}, {Name: "b", NodePort: 30081, HostPort: 18080}}},
		"host port out of range": {Name: "gitops", Workers: 2, Ports: []Port{{Name: "a", NodePort: 30080, HostPort: 70000}}},
	} {
		if _, err := Config(o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestServiceImages: every service rendered for dev is built under the
// reference its manifests run, so the loaded images are the ones the pods
// start.
func TestServiceImages(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	images, err := ServiceImages(root, "dev")
	if err != nil {
		t.Fatal(err)
	}
	rendered, _ := filepath.Glob(filepath.Join(root, "environments", "dev", "*", "values.gen.yaml"))
	if len(images) != len(rendered) {
		t.Fatalf("%d images for %d rendered services", len(images), len(rendered))
	}
	if _, err := os.Stat(filepath.Join(root, Dockerfile)); err != nil {
		t.Fatal(err)
	}
	for _, img := range images {
		if _, err := os.Stat(filepath.Join(root, "services", img.Service, "main.go")); err != nil {
			t.Errorf("%s: no services/%s/main.go for SERVICE=%s to build", img.Service, img.Service, img.Service)
		}
		refs, err := imagesIn(filepath.Join(root, "environments", "dev", img.Service, "manifests.gen.yaml"), "/"+img.Service+":")
		if err != nil || len(refs) != 1 || refs[0] != img.Ref {
			t.Errorf("%s: ref %q, rendered %v (%v)", img.Service, img.Ref, refs, err)
		}
		if !strings.Contains(img.Ref, "/bloody-sweet/"+img.Service+":") {
			t.Errorf("%s: ref %q is not the service's repository", img.Service, img.Ref)
		}
	}
	if _, err := ServiceImages(root, "qa"); err == nil {
		t.Error("an environment without rendered manifests was accepted")
	}
}
