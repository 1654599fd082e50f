// Package kindcluster is the kind backend of the GitOps tests, the one the
// nightly workflow runs: a real kind cluster (sigs.k8s.io/kind as a
// library, so no kind binary), the services' images built from their
// Dockerfiles and loaded into every node, real pods, the real Argo CD
// (installed by `platform bootstrap`) and the Argo Rollouts and
// metrics-server install manifests. It needs a container engine; the
// hermetic backend (tests/cluster) needs none. Config is pure and is
// unit-tested everywhere; the rest runs only where docker does.
package kindcluster

import (
	"fmt"
	"regexp"

	"sigs.k8s.io/kind/pkg/apis/config/defaults"
	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
)

// WorkloadLabel marks the worker nodes the services' pods run on.
const WorkloadLabel = "bloody-sweet.io/pool"

// Port makes a NodePort of the cluster reachable from the host at
// 127.0.0.1:HostPort (the load harness reaches the order API this way).
type Port struct {
	Name     string
	NodePort int32
	HostPort int32
}

// Options is the cluster the GitOps scenarios run on.
type Options struct {
	Name string
	// Workers are the nodes the workloads run on: at least two, so the HPA
	// has room to add pods and a canary runs beside its stable version.
	Workers int
	// NodeImage defaults to the node image kind v0.33.0 pins by digest.
	NodeImage string
	Ports     []Port
}

var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$`)

// Config is the kind cluster configuration for o: one control-plane node
// carrying the host port mappings (a NodePort answers on every node), then
// o.Workers workers labelled for the workloads, all on the same node image.
func Config(o Options) (*v1alpha4.Cluster, error) {
	if !dnsLabel.MatchString(o.Name) {
		return nil, fmt.Errorf("cluster name %q: want a DNS label of at most 32 characters", o.Name)
	}
	if o.Workers < 2 {
		return nil, fmt.Errorf("cluster %s: %d worker(s), want at least 2 (HPA scale-out and canary beside stable)", o.Name, o.Workers)
	}
	image := o.NodeImage
	if image == "" {
		image = defaults.Image
	}
	seen := map[int32]string{}
	var mappings []v1alpha4.PortMapping
	for _, p := range o.Ports {
		if p.NodePort < 30000 || p.NodePort > 32767 {
			return nil, fmt.Errorf("port %s: node port %d outside the NodePort range 30000-32767", p.Name, p.NodePort)
		}
		if p.HostPort < 1 || p.HostPort > 65535 {
			return nil, fmt.Errorf("port %s: host port %d", p.Name, p.HostPort)
		}
		if other, ok := seen[p.HostPort]; ok {
			return nil, fmt.Errorf("ports %s and %s both use host port %d", other, p.Name, p.HostPort)
		}
		seen[p.HostPort] = p.Name
		mappings = append(mappings, v1alpha4.PortMapping{
			ContainerPort: p.NodePort,
			HostPort:      p.HostPort,
			// the host's loopback only: nothing outside the runner reaches it.
			ListenAddress: "127.0.0.1",
			Protocol:      v1alpha4.PortMappingProtocolTCP,
		})
	}
	cfg := &v1alpha4.Cluster{
		TypeMeta: v1alpha4.TypeMeta{Kind: "Cluster", APIVersion: "kind.x-k8s.io/v1alpha4"},
		Name:     o.Name,
		Nodes: []v1alpha4.Node{{
			Role:              v1alpha4.ControlPlaneRole,
			Image:             image,
			ExtraPortMappings: mappings,
		}},
	}
	for range o.Workers {
		cfg.Nodes = append(cfg.Nodes, v1alpha4.Node{
			Role:   v1alpha4.WorkerRole,
			Image:  image,
			Labels: map[string]string{WorkloadLabel: "workload"},
		})
	}
	v1alpha4.SetDefaultsCluster(cfg)
	return cfg, nil
}
