#!/usr/bin/env bash
# Policy gate vs conftest, side by side, on the same policies and documents.
#
# Documents: what `platform check` checks without PATH (environments/**/*.gen.yaml
# except values*.gen.yaml, apps/**/*.gen.yaml, terraform/**/plan*.json) plus the
# policies' sample Terraform plans (policies/terraform/*/testdata/*.json).
# Policies: policies/ (Rego v1) with policies/data as data.
#
# conftest needs two runs for the same work: one per document (document
# policies) and one with --combine (the cross-document policies, which read the
# {path, contents} array conftest --combine produces). `platform check` does
# both in one process, plus the exceptions from the CUE model.
#
# Usage: scripts/bench-policy-conftest.sh [RUNS]   (needs hyperfine: apt-get install hyperfine)
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-10}
conftest_version=v0.71.1
tools=${BENCH_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/bloody-sweet/bench-tools}
mkdir -p "$tools"

if ! command -v hyperfine >/dev/null; then
	echo "hyperfine is missing: apt-get install -y hyperfine" >&2
	exit 2
fi
# go install leaves the version out of `conftest --version`: one folder per version.
conftest=$tools/conftest-$conftest_version/conftest
if [[ ! -x $conftest ]]; then
	echo "installing conftest $conftest_version into ${conftest%/*} (built from the Go module proxy)" >&2
	GOBIN=${conftest%/*} go install "github.com/open-policy-agent/conftest@$conftest_version"
fi
echo "building platform" >&2
go build -o "$tools/platform" ./cmd/platform

mapfile -t files < <(
	{
		find environments apps -name '*.gen.yaml' ! -name 'values*' 2>/dev/null
		find terraform \( -name 'plan*.json' -o -name '*.plan.json' \) -not -path '*/.*' 2>/dev/null
		ls policies/terraform/*/testdata/*.json
	} | sort
)
if ((${#files[@]} == 0)); then
	echo "no documents: run platform render first" >&2
	exit 2
fi

# The same results from both: count denials (conftest counts failures).
ours_json=$("$tools/platform" check --format json "${files[@]}" || true)
docs=$(jq '.summary.documents' <<<"$ours_json")
ours_denied=$(jq '.summary.denied' <<<"$ours_json")
conftest_doc=$("$conftest" test --policy policies --data policies/data --all-namespaces --output json "${files[@]}" || true)
conftest_comb=$("$conftest" test --combine --policy policies --data policies/data --all-namespaces --output json "${files[@]}" || true)
conftest_denied=$(jq -s '[.[][] | (.failures // []) | length] | add' <<<"$conftest_doc$conftest_comb")
echo "files: ${#files[@]}, documents: $docs"
echo "denials: platform check $ours_denied, conftest $conftest_denied"
if [[ $ours_denied != "$conftest_denied" ]]; then
	echo "the two tools disagree: not the same work, not comparable" >&2
	exit 1
fi

hyperfine --warmup 2 --runs "$runs" --ignore-failure --style basic \
	--export-json "$tools/bench.json" --export-markdown "$tools/bench.md" \
	--command-name "platform check" \
	"$tools/platform check ${files[*]}" \
	--command-name "conftest test (per document + --combine)" \
	"$conftest test --policy policies --data policies/data --all-namespaces ${files[*]}; $conftest test --combine --policy policies --data policies/data --all-namespaces ${files[*]}"

jq -r --argjson docs "$docs" '.results[] | "\(.command): mean \(.mean*1000|floor) ms, \(.mean*1e6/$docs|floor) µs per document"' "$tools/bench.json"
jq -r '(.results[1].mean / .results[0].mean) as $r | "platform check is \($r*10|floor/10)x faster than conftest"' "$tools/bench.json"
