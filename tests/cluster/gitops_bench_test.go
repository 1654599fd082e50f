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
// application-controller, as the install's Deployment would);
// commit-synced-s, a new image of order committed until Argo CD reports
// that revision Synced and Healthy after the refresh a webhook would set
// (the PreSync migrate Job included); and commit-canary-s, scenario 2's
// promotion of order into staging (the test environment overlay's 10 s
// pauses) from the refresh until the canary completed and Argo CD reports
// it Synced and Healthy.
//
// Two sub-benchmarks, side by side: Argo CD as it ships (2 s between sync
// waves, ARGOCD_SYNC_WAVE_DELAY) and with no delay, which shows how much of
// commit-synced-s is that delay times the model's waves. Run with
// scripts/test-gitops.sh -run '^$' -bench BenchmarkGitOps;
// docs/PERFORMANCE.md has the numbers.
func BenchmarkGitOps(b *testing.B) {
	for _, bc := range []struct{ name, delay string }{{"wave-delay=2s", ""}, {"wave-delay=0s", "0"}} {
		b.Run(bc.name, func(b *testing.B) {
			if bc.delay != "" {
				// read by the application-controller the stack starts
				b.Setenv("ARGOCD_SYNC_WAVE_DELAY", bc.delay)
			}
			benchGitOps(b)
		})
	}
}

func benchGitOps(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	var stack, first, commit, canary time.Duration
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

		argo.firstSync(ctx, b, "staging")
		argo.testEnvironment(ctx, b, "staging", "order")
		canary += argo.canaryCompletes(ctx, b, "staging", "order", argo.release(ctx, b, "staging", "order", "1.5.0"))
	}
	n := float64(b.N)
	b.ReportMetric(stack.Seconds()/n, "stack-s")
	b.ReportMetric(first.Seconds()/n, "first-sync-s")
	b.ReportMetric(commit.Seconds()/n, "commit-synced-s")
	b.ReportMetric(canary.Seconds()/n, "commit-canary-s")
}
