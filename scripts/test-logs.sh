#!/usr/bin/env bash
# The log pipeline on real parts (tests/observability): builds, or reuses
# from the cache, the collector of tools/otelcol (exactly the components of
# the rendered log collector, from the Go module proxy), then runs the
# rendered configuration on it against the services' real log output.
#
# The binary is cached under $OTELCOL_CACHE (default
# ~/.cache/bloody-sweet/otelcol), keyed by the Go version and the module's
# go.mod/go.sum/main.go, so a warm run builds nothing. Cold: a few minutes.
#
# Extra arguments go to `go test` (e.g. -run TestRenderedLogPipeline -v).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
GO=${GO:-go}
cache=${OTELCOL_CACHE:-$HOME/.cache/bloody-sweet/otelcol}
mkdir -p "$cache"

# shellcheck source=scripts/cache-lib.sh
source "$root/scripts/cache-lib.sh"

build_otelcol() {
	(cd tools/otelcol && $GO build -trimpath -ldflags "-s -w" -o "$out/otelcol" .)
}

dir=$cache/$(key otelcol tools/otelcol/go.mod tools/otelcol/go.sum tools/otelcol/main.go)
build "$dir" "the log collector (tools/otelcol)" build_otelcol
"$dir/otelcol" --version

echo "test-logs: go test -tags observability ./tests/observability"
OTELCOL_BIN=$dir/otelcol $GO test -count=1 -tags observability -timeout 10m "$@" ./tests/observability/
