#!/usr/bin/env bash
# Times `platform render` side by side with the equivalent pipeline of
# separate CLIs on the same input: per environment and service, `cue export`
# (values; rollout + analysis template + application) and `helm template`,
# plus `cue export`s per environment for the project, root app and add-ons.
#
# Usage: scripts/bench-render.sh [models...]     default: real 5 50 200
#   real  the repository's own model (5 services x 3 environments)
#   N     a synthetic model of N services (internal/render/benchmodel)
# SAMPLE=k (default 6): on models with more than k service-envs the CLI
#   pipeline renders only the first k service-envs and their time is scaled
#   to all of them (each `cue export` evaluates the whole model, so every
#   call costs about the same); the per-environment project/root exports
#   always run. SAMPLE=0 runs everything. RUNS=n: platform runs, median
#   reported (default 3).
set -euo pipefail
exec 3>&2 # errors from inside timed functions, whose stderr is captured
cd "$(dirname "$0")/.."
REPO=$PWD
BIN=$REPO/.cache/bench-bin
SAMPLE=${SAMPLE:-6}
RUNS=${RUNS:-3}
models=("$@")
[ ${#models[@]} -gt 0 ] || models=(real 5 50 200)

mkdir -p "$BIN"
"$BIN/cue" version 2>/dev/null | grep -q 'cue version v0.17.1' ||
	GOBIN=$BIN go install cuelang.org/go/cmd/cue@v0.17.1
"$BIN/helm" version --short 2>/dev/null | grep -q '^v3.22.0' ||
	GOBIN=$BIN go install helm.sh/helm/v3/cmd/helm@v3.22.0
go build -o "$BIN/platform" ./cmd/platform

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
# timed CMD...: runs CMD, sets WALL and CPU (user+sys of CMD and its
# children) in seconds. CPU matters on a shared machine: wall time there
# depends on what else runs.
TIMEFORMAT='%R %U %S'
timed() {
	local t
	t=$( { time "$@" >/dev/null; } 2>&1 | tail -n1)
	WALL=$(awk '{ printf "%.2f", $1 }' <<<"$t")
	CPU=$(awk '{ printf "%.2f", $2 + $3 }' <<<"$t")
}

echo "# $(date -u +%FT%TZ) $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| model | service-envs | platform render: wall (CPU), median of $RUNS | CLI pipeline: wall (CPU) | CLI / platform, wall (CPU) |"
echo "|---|---|---|---|---|"
for model in "${models[@]}"; do
	root=$work/$model
	if [ "$model" = real ]; then
		mkdir -p "$root/apps"
		ln -s "$REPO/cue" "$root/cue"
		ln -s "$REPO/apps/charts" "$root/apps/charts"
	else
		go run ./internal/render/benchmodel/cmd/benchmodel -src "$REPO" -out "$root" -services "$model"
	fi

	runs=()
	for _ in $(seq "$RUNS"); do
		rm -rf "$root/environments" "$root"/apps/{dev,staging,prod}
		timed "$BIN/platform" render --root "$root"
		runs+=("$WALL $CPU")
	done
	read -r p_wall p_cpu < <(printf '%s\n' "${runs[@]}" | sort -n | sed -n "$(((RUNS + 1) / 2))p")

	envs=(dev staging prod)
	# environments/<env>/_platform holds the add-ons' objects, not a service
	services=()
	for d in "$root"/environments/dev/[!_]*/; do services+=("$(basename "$d")"); done
	total=$((${#envs[@]} * ${#services[@]}))
	limit=$total
	if [ "$SAMPLE" -gt 0 ] && [ "$total" -gt "$SAMPLE" ]; then limit=$SAMPLE; fi
	out=$work/cli-$model
	per_env() {
		for env in "${envs[@]}"; do
			mkdir -p "$out/apps/$env"
			(cd "$root/cue" && "$BIN/cue" export ./render -e "render.$env.project" -e "render.$env.root" --out yaml) \
				>"$out/apps/$env/project-and-root.yaml"
			(cd "$root/cue" && "$BIN/cue" export ./render -e "render.$env.addons" --out yaml) \
				>"$out/apps/$env/addons.yaml"
		done
	}
	per_service() {
		local done_pairs=0 env svc d p a b
		for env in "${envs[@]}"; do
			for svc in "${services[@]}"; do
				[ "$done_pairs" -lt "$limit" ] || return 0
				d=$out/environments/$env/$svc
				mkdir -p "$d"
				p="render.$env.services.\"$svc\""
				(cd "$root/cue" && "$BIN/cue" export ./render -e "$p.values" --out yaml) >"$d/values.gen.yaml"
				(cd "$root/cue" && "$BIN/cue" export ./render -e "$p.rollout" -e "$p.analysisTemplate" -e "$p.application" --out yaml) \
					>"$d/rollout-and-application.yaml"
				"$BIN/helm" template "$svc" "$root/apps/charts/service" -n "orders-$env" -f "$d/values.gen.yaml" >"$d/manifests.gen.yaml"
				# same objects as platform render (documents counted)
				a=$(grep -c '^kind:' "$d/manifests.gen.yaml")
				b=$(grep -c '^kind:' "$root/environments/$env/$svc/manifests.gen.yaml")
				[ "$a" = "$b" ] || { echo "mismatch $env/$svc: helm $a objects, platform $b" >&3; exit 1; }
				done_pairs=$((done_pairs + 1))
			done
		done
	}
	timed per_env
	e_wall=$WALL e_cpu=$CPU
	timed per_service
	c_wall=$(awk -v e="$e_wall" -v s="$WALL" -v l="$limit" -v t="$total" 'BEGIN { printf "%.1f", e + s / l * t }')
	c_cpu=$(awk -v e="$e_cpu" -v s="$CPU" -v l="$limit" -v t="$total" 'BEGIN { printf "%.1f", e + s / l * t }')
	note=""
	if [ "$limit" -lt "$total" ]; then
		note=", services timed on $limit of $total"
	fi
	ratio=$(awk -v c="$c_wall" -v p="$p_wall" -v cc="$c_cpu" -v pc="$p_cpu" 'BEGIN { printf "%.0fx (%.0fx)", c / p, cc / pc }')
	echo "| $model | $total | ${p_wall} s (${p_cpu} s) | ${c_wall} s (${c_cpu} s$note) | $ratio |"
done
