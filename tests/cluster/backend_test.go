//go:build gitops || kind

package cluster

import (
	"flag"
	"os"
	"testing"
)

// The GitOps scenarios run on one of two backends, chosen by the flag
// -gitops.backend or the environment variable GITOPS_BACKEND:
//
//   - hermetic (the default, `make test-gitops`): the control plane built
//     from source, a kwok node, Argo CD's controller and repo-server as
//     processes on this machine. Proves what Argo CD does with the rendered
//     apps: sync order, hooks, self-heal, prune, project boundaries.
//   - kind (the nightly workflow, build tag kind): a kind cluster with the
//     services' images built from their Dockerfiles, real pods, the real
//     Argo CD installed by `platform bootstrap` and the Argo Rollouts and
//     metrics-server install manifests. Proves what only real pods can:
//     the bootstrap from the real chart, images that start, traffic.
var backendFlag = flag.String("gitops.backend", "", "where the GitOps scenarios run: hermetic (default) or kind (env GITOPS_BACKEND)")

const (
	backendHermetic = "hermetic"
	backendKind     = "kind"
)

// gitopsBackend is the selected backend; an unknown name fails the test.
func gitopsBackend(t testing.TB) string {
	t.Helper()
	b := *backendFlag
	if b == "" {
		b = os.Getenv("GITOPS_BACKEND")
	}
	switch b {
	case "", backendHermetic:
		return backendHermetic
	case backendKind:
		return backendKind
	}
	t.Fatalf("GitOps backend %q: want %s or %s", b, backendHermetic, backendKind)
	return ""
}
