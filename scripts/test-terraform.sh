#!/usr/bin/env bash
# Tests terraform/ offline: fmt, validate of every module, example and live root,
# the modules' .tftest.hcl files, and the Terratest plan tests in terraform/test.
#
# No provider can be downloaded here, so hashicorp/aws is the schema-only provider of
# terraform/test/awsprovider (the real 6.25.0 schema), built now and installed into a
# filesystem mirror that a temporary CLI config points at. terraform is used when it
# is on the PATH; otherwise OpenTofu is built from its Go module and used instead.
# Nothing is written into the work tree: init and plan run in a copy.
#
# Environment: TF_BINARY forces a binary (terraform or tofu); TOFU_CACHE_DIR is where a
# built tofu is kept between runs (default ~/.cache/bloody-sweet).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
tofu_version=v1.10.6
started=$SECONDS

step() { printf '\n== %s (%ds)\n' "$*" $((SECONDS - started)); }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --- the Terraform binary -----------------------------------------------------------
build_tofu() {
	local cache=${TOFU_CACHE_DIR:-$HOME/.cache/bloody-sweet}/tofu-$tofu_version
	if [ ! -x "$cache/tofu" ]; then
		echo "terraform is not on the PATH: building OpenTofu $tofu_version from its Go module" >&2
		local dir
		dir=$(go mod download -json "github.com/opentofu/opentofu@$tofu_version" |
			sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
		[ -n "$dir" ] || { echo "could not download github.com/opentofu/opentofu@$tofu_version" >&2; exit 1; }
		# The module cache is read-only; build in a writable copy.
		cp -r "$dir" "$tmp/opentofu" && chmod -R u+w "$tmp/opentofu"
		mkdir -p "$cache"
		(cd "$tmp/opentofu" && go build -trimpath -o "$cache/tofu" ./cmd/tofu)
	fi
	echo "$cache/tofu"
}

if [ -n "${TF_BINARY:-}" ]; then
	tf=$TF_BINARY
elif command -v terraform >/dev/null; then
	tf=$(command -v terraform)
else
	tf=$(build_tofu)
fi
echo "using $("$tf" version | head -1) ($tf)"

# --- the offline provider and the CLI config -----------------------------------------
step "build the offline hashicorp/aws provider"
mirror=$tmp/mirror
first=
for host in registry.terraform.io registry.opentofu.org; do
	bin=$mirror/$host/hashicorp/aws/6.25.0/linux_amd64/terraform-provider-aws_v6.25.0
	mkdir -p "$(dirname "$bin")"
	if [ -z "$first" ]; then
		(cd terraform/test && go build -o "$bin" ./cmd/terraform-provider-aws)
		first=$bin
	else
		ln "$first" "$bin"
	fi
done
cat >"$tmp/cli.tfrc" <<EOF
provider_installation {
  filesystem_mirror {
    path = "$mirror"
  }
}
plugin_cache_dir = "$tmp/plugin-cache"
EOF
mkdir -p "$tmp/plugin-cache"
# The machine may point TF_CLI_CONFIG_FILE somewhere else (or at a missing file).
export TF_CLI_CONFIG_FILE=$tmp/cli.tfrc
export TF_IN_AUTOMATION=1 TF_INPUT=0
unset TF_DATA_DIR TF_WORKSPACE

# The Go side of the last step (Terratest, `platform check`, the cue tool) is the
# slowest to compile from a cold build cache: compile it while Terraform works.
step "compile the Go test binaries in the background"
(
	go build -o "$tmp/platform" ./cmd/platform &&
		go tool cue version >/dev/null &&
		cd terraform/test && go test -count=1 -run '^$' -c -o "$tmp/terraform.test" . >/dev/null
) >"$tmp/prebuild.log" 2>&1 &
prebuild=$!

# --- fmt -----------------------------------------------------------------------------
step "fmt -check"
"$tf" fmt -check -recursive -diff terraform

# --- validate ------------------------------------------------------------------------
work=$tmp/terraform
mkdir -p "$work"
tar -C terraform --exclude=.terraform --exclude=test --exclude='*.tfstate' -cf - . | tar -C "$work" -xf -

validate() { # validate DIR [init args...]
	local dir=$1
	shift
	if ! out=$(cd "$dir" && "$tf" init -no-color "$@" 2>&1 && "$tf" validate -no-color 2>&1); then
		echo "FAIL validate ${dir#"$work"/}"
		echo "$out"
		return 1
	fi
	echo "ok   validate ${dir#"$work"/}"
}

step "validate modules, examples and live roots"
failed=0
for mod in "$work"/modules/*/; do
	mod=${mod%/}
	# A module that takes aliased providers (configuration_aliases) cannot be a root
	# as it is: give each alias an empty provider block in the copy.
	for alias in $(sed -n 's/.*configuration_aliases *= *\[\(.*\)\].*/\1/p' "$mod/versions.tf" | tr -d ' ' | tr ',' '\n' | sed 's/^aws\.//'); do
		printf 'provider "aws" {\n  alias = "%s"\n}\n' "$alias" >>"$mod/zz_validate_providers.tf"
	done
	validate "$mod" || failed=1
	rm -f "$mod/zz_validate_providers.tf"
	for ex in "$mod"/examples/*/; do
		[ -d "$ex" ] && { validate "${ex%/}" || failed=1; }
	done
done
for live in "$work"/live/*/; do
	validate "${live%/}" -backend=false || failed=1
done
[ "$failed" = 0 ] || { echo "validation failed" >&2; exit 1; }

# --- terraform test (mock_provider) ---------------------------------------------------
step "terraform test (.tftest.hcl with mock_provider)"
for mod in "$work"/modules/*/; do
	mod=${mod%/}
	ls "$mod"/tests/*.tftest.hcl >/dev/null 2>&1 || continue
	if ! out=$(cd "$mod" && "$tf" test -no-color 2>&1); then
		echo "FAIL test ${mod#"$work"/}"
		echo "$out"
		failed=1
		continue
	fi
	echo "ok   test ${mod#"$work"/}: $(echo "$out" | grep -E '^(Success|Failure)!' | tail -1)"
done
[ "$failed" = 0 ] || { echo "terraform test failed" >&2; exit 1; }

# --- Terratest -----------------------------------------------------------------------
step "Terratest plans, contract and policy gate (terraform/test)"
if ! wait "$prebuild"; then
	cat "$tmp/prebuild.log" >&2
	echo "compiling the Go test binaries failed" >&2
	exit 1
fi
(cd terraform/test && TF_BINARY=$tf TF_TEST_CLI_CONFIG=$tmp/cli.tfrc PLATFORM_BIN=$tmp/platform go test -count=1 ./...)

step "terraform tests passed"
