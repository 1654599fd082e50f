//go:build gitops

package cluster

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// BenchmarkGitOps measures the hermetic Argo CD loop, one stack per
// iteration (an iteration takes minutes, so `go test -bench` runs one):
// stack-s, the warm start of the stack (control plane, workload
// controllers, loopback clone, repo-server and redis; the binaries come
// from the cache); first-sync-s, `platform bootstrap --env dev` until
// every Application of dev is Synced and Healthy (it starts the
// application-controller, as the install's Deployment would); and
// commit-synced-s, a new image of order committed until Argo CD reports
// that revision Synced and Healthy after the refresh a webhook would set
// (the PreSync migrate Job included). Run with scripts/test-gitops.sh
// -run '^$' -bench BenchmarkGitOps; docs/PERFORMANCE.md has the numbers.
func BenchmarkGitOps(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	var stack, first, commit time.Duration
	for i := 0; i < b.N; i++ {
		start := time.Now()
		argo, _ := startGitOpsStack(ctx, b)
		stack += time.Since(start)

		start = time.Now()
		argo.firstSync(ctx, b, "dev")
		first += time.Since(start)

		ro, err := argo.c.dyn.Resource(rolloutGVR).Namespace("orders-dev").Get(ctx, "order", metav1.GetOptions{})
		if err != nil {
			b.Fatal(err)
		}
		old := containerImage(b, ro)
		rev := argo.commitImage(b, "dev", "order", old, withTag(old, "bench"))
		start = time.Now()
		argo.refresh(ctx, b, "dev-order")
		argo.waitSynced(ctx, b, "dev-order", rev)
		commit += time.Since(start)
	}
	n := float64(b.N)
	b.ReportMetric(stack.Seconds()/n, "stack-s")
	b.ReportMetric(first.Seconds()/n, "first-sync-s")
	b.ReportMetric(commit.Seconds()/n, "commit-synced-s")
}
