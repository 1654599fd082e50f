#!/usr/bin/env bash
# Hermetic cluster tests (tests/cluster): builds, or reuses from the cache,
# a real Kubernetes control plane (tools/kube: etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler), kwok and the Argo Rollouts
# controller (tools/rollouts), then runs `go test` in tests/cluster.
#
# Binaries are cached under $CLUSTER_CACHE (default
# ~/.cache/bloody-sweet/cluster), one directory per component keyed by the
# Go version and the component module's go.mod/go.sum, so a warm run builds
# nothing and a version bump rebuilds only what changed.
#
# Extra arguments go to `go test` (e.g. -run TestRenderedEnvironmentsApply -v).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
GO=${GO:-go}
cache=${CLUSTER_CACHE:-$HOME/.cache/bloody-sweet/cluster}
KUBE_VERSION=v1.34.4
KWOK_VERSION=v0.7.0
mkdir -p "$cache"

# shellcheck source=scripts/cache-lib.sh
source "$root/scripts/cache-lib.sh"

build_kube() {
	local v=k8s.io/component-base/version
	(cd tools/kube && $GO build -trimpath \
		-ldflags "-s -w -X $v.gitVersion=$KUBE_VERSION -X $v.gitMajor=1 -X $v.gitMinor=34" \
		-o "$out/" \
		k8s.io/kubernetes/cmd/kube-apiserver \
		k8s.io/kubernetes/cmd/kube-controller-manager \
		k8s.io/kubernetes/cmd/kube-scheduler) &&
		(cd tools/kube && $GO build -trimpath -ldflags "-s -w" -o "$out/etcd" go.etcd.io/etcd/server/v3)
}

build_rollouts() {
	(cd tools/rollouts && $GO build -trimpath -ldflags "-s -w" -o "$out/rollouts-controller" \
		github.com/argoproj/argo-rollouts/cmd/rollouts-controller)
}

build_kwok() {
	GOBIN=$out $GO install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
}

kube_dir=$cache/$(key "kube-$KUBE_VERSION" tools/kube/go.mod tools/kube/go.sum)
rollouts_dir=$cache/$(key rollouts tools/rollouts/go.mod tools/rollouts/go.sum)
kwok_dir=$cache/$(key "kwok-$KWOK_VERSION" /dev/null)

build "$kube_dir" "etcd, kube-apiserver, kube-controller-manager, kube-scheduler ($KUBE_VERSION)" build_kube
build "$rollouts_dir" "Argo Rollouts controller" build_rollouts
build "$kwok_dir" "kwok $KWOK_VERSION" build_kwok

# One directory with every binary, as the tests (and envtest, through
# KUBEBUILDER_ASSETS) expect; and the TMPDIR the tests run in.
bin=$(mktemp -d)
work=$(mktemp -d)
pgid=
cleanup() {
	# go test runs in its own process group: kill what it left behind.
	if [[ -n $pgid ]]; then kill -- -"$pgid" 2>/dev/null || true; fi
	# envtest starts etcd and kube-apiserver in process groups of their own;
	# the tests' cleanups stop them, but if go test was killed first they
	# still run, with their data and certificate directories under $work
	# on their command lines: end exactly those.
	local p cmd
	for p in /proc/[0-9]*; do
		cmd=$( { tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null) || continue
		if [[ $cmd == *"$work/"* ]]; then
			kill -9 "${p#/proc/}" 2>/dev/null || true
		fi
	done
	rm -rf "$bin" "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ln -s "$kube_dir"/* "$rollouts_dir"/* "$kwok_dir"/* "$bin/"
"$bin/kube-apiserver" --version
"$bin/etcd" --version | sed -n 1p # sed reads it all: no SIGPIPE under pipefail

echo "test-cluster: go test ./tests/cluster"
export CLUSTER_BIN=$bin KUBEBUILDER_ASSETS=$bin
# kwok's own stage files (the gitops tests add its pod-failing chaos stage
# to its defaults), from the module the kwok binary was installed from.
export KWOK_MODULE_DIR
KWOK_MODULE_DIR=$($GO mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" |
	sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
cd tests/cluster
TMPDIR=$work setsid $GO test -count=1 -timeout 20m "$@" ./... &
pgid=$!
wait $pgid
