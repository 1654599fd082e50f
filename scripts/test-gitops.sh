#!/usr/bin/env bash
# Hermetic Argo CD tests (tests/cluster, build tag gitops): builds, or
# reuses from the cache, Argo CD $ARGOCD_VERSION from its module zip (one
# binary; its role comes from argv[0], so the cache holds symlinks named
# argocd-application-controller and argocd-repo-server), then runs the
# gitops tests through scripts/test-cluster.sh, which brings the control
# plane, kwok and the Argo Rollouts controller.
#
# The Argo CD binary is cached under $CLUSTER_CACHE (default
# ~/.cache/bloody-sweet/cluster) keyed by the Go version and the pinned
# version, like the cluster binaries.
#
# Extra arguments go to `go test` (e.g. -run TestGitOps/selfheal -v).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
GO=${GO:-go}
cache=${CLUSTER_CACHE:-$HOME/.cache/bloody-sweet/cluster}
# v3.2.11 is the newest release that builds with our Go: v3.2.12 and the
# v3.3+ lines do not. The argo-cd add-on runs the same image version.
ARGOCD_VERSION=v3.2.11
mkdir -p "$cache"

# shellcheck source=scripts/cache-lib.sh
source "$root/scripts/cache-lib.sh"

build_argocd() {
	local mod src
	mod=$($GO mod download -json "github.com/argoproj/argo-cd/v3@$ARGOCD_VERSION" |
		sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	[[ -n $mod ]] || return 1
	# The module cache is read-only and its go.mod has a replace block
	# that only applies when it is the main module: build a writable copy.
	src=$(mktemp -d)
	cp -r "$mod/." "$src/"
	chmod -R u+w "$src"
	(cd "$src" && GOFLAGS=-mod=mod CGO_ENABLED=0 $GO build -trimpath \
		-ldflags "-s -w -X github.com/argoproj/argo-cd/v3/common.version=${ARGOCD_VERSION#v}" \
		-o "$out/argocd" ./cmd) || { rm -rf "$src"; return 1; }
	rm -rf "$src"
	ln -s argocd "$out/argocd-application-controller"
	ln -s argocd "$out/argocd-repo-server"
	ln -s argocd "$out/argocd-server"
}

argocd_dir=$cache/$(key "argocd-$ARGOCD_VERSION" /dev/null)
build "$argocd_dir" "Argo CD $ARGOCD_VERSION, 2.5 GB of memory" build_argocd
if [[ ${GITOPS_BUILD_ONLY:-} == 1 ]]; then
	exit 0
fi

export ARGOCD_BIN=$argocd_dir
export ARGOCD_MODULE_DIR
ARGOCD_MODULE_DIR=$($GO mod download -json "github.com/argoproj/argo-cd/v3@$ARGOCD_VERSION" |
	sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
exec scripts/test-cluster.sh -tags gitops -run '^TestGitOps' "$@"
