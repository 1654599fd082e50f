#!/usr/bin/env bash
# Overload with admission control off and on, alternated in one session
# (off, on, off, on, ...), each run a fresh embedded stack followed by the
# raw kafka-go chain on the same schedule: 30 s at the knee, 30 s at 2x, 30 s
# at 4x (tests/load/scenarios/overload.json with its rates scaled). Prints one
# line per run: load average at its start, then per stage the orders
# finished (delivered or cancelled) in the stage's seconds as a ratio to the
# knee stage's (goodput), the placed -> delivered p99 of the orders admitted
# in the stage, and the shed count; the knee's ratio to the raw chain.
#
#   scripts/bench-overload.sh                  # knee 800/s, 2 rounds (about 15 minutes)
#   OVERLOAD_KNEE=100 OVERLOAD_ROUNDS=1 scripts/bench-overload.sh
#
# The bound is the model's: knee x SLO (5 s) x headroom (0.5). The harness
# and the stack share one process: max_in_flight stays below half of
# `ulimit -n` (two descriptors per connection).
set -euo pipefail
cd "$(dirname "$0")/.."

knee=${OVERLOAD_KNEE:-800}
rounds=${OVERLOAD_ROUNDS:-2}
bound=$((knee * 5 / 2))
files=$(ulimit -n)
inflight=$((files / 2 - 1000))
((inflight > 8000)) && inflight=8000
out=${OVERLOAD_OUT:-$(mktemp -d /tmp/bench-overload.XXXXXX)}
mkdir -p "$out"
bin="$out/platform"
go build -o "$bin" ./cmd/platform
jq --argjson k "$knee" --argjson m "$inflight" \
	'.stages[0].rate = $k | .stages[1].rate = 2 * $k | .stages[2].rate = 4 * $k | .max_in_flight = $m' \
	tests/load/scenarios/overload.json >"$out/overload.json"

echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD), knee $knee/s, bound $bound, max_in_flight $inflight, results in $out"
echo "| run | admission | load avg at start | knee: finished/s ratio to raw, p99 | 2x: goodput of knee's, p99 | 4x: goodput of knee's, p99 | shed |"
echo "|---|---|---|---|---|---|---|"
for r in $(seq 1 "$rounds"); do
	for adm in 0 "$bound"; do
		name="r$r-adm$adm"
		load=$(cut -d' ' -f1 /proc/loadavg)
		"$bin" load --scenario "$out/overload.json" --embedded --admission-max-in-flight "$adm" \
			--out "$out/$name" >"$out/$name.out" 2>"$out/$name.err" || true # thresholds fail under overload by design
		if [[ ! -f "$out/$name/summary.json" ]]; then
			echo "| $r | $adm | $load | run failed: see $out/$name.err | | | |"
			continue
		fi
		jq -r --arg r "$r" --arg adm "$adm" --arg load "$load" '
			def s(n): .pipeline.stages[] | select(.name == n);
			def c(n): .comparison[] | select(.stage == n);
			(c("knee").pipeline_finished_per_s) as $k
			| def g(n): if $k > 0 then ((c(n).pipeline_finished_per_s / $k) * 100 | round / 100) else "n/a" end;
			def p(n): ((s(n).end_to_end_latency_ms.p99 // 0) / 1000 * 10 | round / 10 | tostring) + " s";
			"| \($r) | \(if $adm == "0" then "off" else $adm end) | \($load) | \((c("knee").throughput_ratio // 0) * 100 | round / 100), \(p("knee")) | \(g("x2")), \(p("x2")) | \(g("x4")), \(p("x4")) | \([.pipeline.stages[].shed] | add) |"
		' "$out/$name/summary.json"
	done
done
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
