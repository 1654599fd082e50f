#!/usr/bin/env bash
# Runs each Go fuzz target (order services, policy document parser) briefly (FUZZTIME each,
# default 5s) on top of its seed corpus. `go test` alone already runs the
# seeds; this explores a little further on every `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME="${FUZZTIME:-5s}"
targets=(
  "FuzzDecode ./services/events"
  "FuzzDecodePlaceRequest ./services/order/ports"
  "FuzzParseBytes ./internal/policy"
)
for t in "${targets[@]}"; do
  read -r name pkg <<<"$t"
  echo "fuzz $name ($pkg) for $FUZZTIME"
  go test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" "$pkg"
done
