#!/usr/bin/env bash
# The production-shaped order pipeline (the six services as separate
# processes on a real Postgres 15 and Redis 7, kfake in its own process) side
# by side with the embedded stack (`platform load --embedded`), alternated,
# at 500 orders/s and on a capacity step. One line per stack and scenario:
# offered and finished orders/s per stage, placed -> terminal p50/p99, and
# CPU time per order by process. Needs scripts/install-deps.sh's packages.
#
#   scripts/bench-pipeline.sh              # 2 rounds (8 minutes on a quiet machine, more under load)
#   PIPELINE_ROUNDS=3 scripts/bench-pipeline.sh
#   PIPELINE_DURABLE=false scripts/bench-pipeline.sh   # Postgres without fsync
#   PIPELINE_PERF=/tmp/perf scripts/bench-pipeline.sh  # perf profiles (needs perf: Debian's linux-perf)
set -euo pipefail
cd "$(dirname "$0")/.."

echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD), load average $(cut -d' ' -f1-3 /proc/loadavg)"
go test -tags faults -run '^$' -bench BenchmarkPipeline -benchtime 1x -timeout 60m ./tests/faults/
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
