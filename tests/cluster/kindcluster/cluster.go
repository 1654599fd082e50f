package kindcluster

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"time"

	"sigs.k8s.io/kind/pkg/cluster"
	"sigs.k8s.io/kind/pkg/cluster/nodeutils"
)

// Cluster is a running kind cluster.
type Cluster struct {
	Name string
	// Kubeconfig is the file for the host (the API server on a loopback port).
	Kubeconfig string
	provider   *cluster.Provider
}

// Create creates the cluster of o (docker or podman, whichever kind finds)
// and waits up to ready for its control plane; kubeconfig is written to
// kubeconfigPath.
func Create(o Options, kubeconfigPath string, ready time.Duration) (*Cluster, error) {
	cfg, err := Config(o)
	if err != nil {
		return nil, err
	}
	runtime, err := cluster.DetectNodeProvider()
	if err != nil {
		return nil, fmt.Errorf("kind needs a container engine (docker or podman): %w", err)
	}
	p := cluster.NewProvider(runtime)
	if err := p.Create(o.Name,
		cluster.CreateWithV1Alpha4Config(cfg),
		cluster.CreateWithKubeconfigPath(kubeconfigPath),
		cluster.CreateWithWaitForReady(ready),
		cluster.CreateWithDisplayUsage(false),
		cluster.CreateWithDisplaySalutation(false),
	); err != nil {
		return nil, fmt.Errorf("create kind cluster %s: %w", o.Name, err)
	}
	return &Cluster{Name: o.Name, Kubeconfig: kubeconfigPath, provider: p}, nil
}

// Delete removes the cluster and its kubeconfig entry.
func (c *Cluster) Delete() error {
	return c.provider.Delete(c.Name, c.Kubeconfig)
}

// CollectLogs writes every node's logs (kubelet, containerd, pods) to dir,
// for a failed run's artifacts.
func (c *Cluster) CollectLogs(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return c.provider.CollectLogs(c.Name, dir)
}

// Load puts each image into the containerd of every node, as
// `kind load docker-image` does.
func (c *Cluster) Load(ctx context.Context, images []Image) error {
	nodes, err := c.provider.ListInternalNodes(c.Name)
	if err != nil {
		return err
	}
	for _, img := range images {
		archive, err := save(ctx, img.Ref)
		if err != nil {
			return err
		}
		for _, n := range nodes {
			if err := nodeutils.LoadImageArchive(n, bytes.NewReader(archive)); err != nil {
				return fmt.Errorf("load %s into node %s: %w", img.Ref, n.String(), err)
			}
		}
	}
	return nil
}
