#!/usr/bin/env bash
# Hermetic autoscaling proof (tests/cluster, build tag autoscaling): builds,
# or reuses from the cache, the KEDA operator and metrics apiserver
# $KEDA_VERSION from their module zip, then runs the autoscaling test
# through scripts/test-cluster.sh, which brings the control plane
# (kube-controller-manager's HPA controller), kwok and the Argo Rollouts
# controller. Lag comes from a real Prometheus (Debian package, make deps).
#
# The KEDA binaries are cached under $CLUSTER_CACHE (default
# ~/.cache/bloody-sweet/cluster) keyed by the Go version and the pinned
# version, like the other cluster binaries.
#
# Extra arguments go to `go test` (e.g. -v).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
GO=${GO:-go}
cache=${CLUSTER_CACHE:-$HOME/.cache/bloody-sweet/cluster}
# The keda add-on (cue/) runs the same version.
KEDA_VERSION=v2.21.0
mkdir -p "$cache"

# shellcheck source=scripts/cache-lib.sh
source "$root/scripts/cache-lib.sh"

keda_module_dir() {
	$GO mod download -json "github.com/kedacore/keda/v2@$KEDA_VERSION" |
		sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'
}

# $out is the scratch directory build() (cache-lib.sh) sets.
# shellcheck disable=SC2154
build_keda() {
	local mod src v=github.com/kedacore/keda/v2/version
	mod=$(keda_module_dir)
	[[ -n $mod ]] || return 1
	# The module cache is read-only and its go.mod has a replace directive
	# that only applies when it is the main module: build a writable copy.
	src=$(mktemp -d)
	cp -r "$mod/." "$src/"
	chmod -R u+w "$src"
	(cd "$src" && GOFLAGS=-mod=mod CGO_ENABLED=0 $GO build -trimpath \
		-ldflags "-s -w -X $v.Version=${KEDA_VERSION#v}" \
		-o "$out/keda-operator" ./cmd/operator &&
		GOFLAGS=-mod=mod CGO_ENABLED=0 $GO build -trimpath \
			-ldflags "-s -w -X $v.Version=${KEDA_VERSION#v}" \
			-o "$out/keda-metrics-apiserver" ./cmd/adapter) || { rm -rf "$src"; return 1; }
	rm -rf "$src"
}

keda_dir=$cache/$(key "keda-$KEDA_VERSION" /dev/null)
build "$keda_dir" "KEDA $KEDA_VERSION operator and metrics apiserver" build_keda
if [[ ${AUTOSCALING_BUILD_ONLY:-} == 1 ]]; then
	exit 0
fi

export KEDA_BIN=$keda_dir
exec scripts/test-cluster.sh -tags autoscaling -run '^TestAutoscaling' "$@"
