# Sourced by scripts/test-cluster.sh and scripts/test-gitops.sh: the build
# cache they share. The caller sets $GO first.
# shellcheck shell=bash

goversion=$(${GO:-go} env GOVERSION)

# key NAME FILE... prints NAME-<hash of the Go version and the files>.
key() {
	local name=$1
	shift
	echo "$name-$( (echo "$goversion"; cat "$@") | sha256sum | cut -c1-16)"
}

# build DIR DESCRIPTION COMMAND...: runs COMMAND with $out set to a
# scratch directory unless DIR exists, then moves the scratch directory to
# DIR, so an interrupted build leaves nothing a later run would trust.
build() {
	local dir=$1 what=$2
	shift 2
	if [[ -d $dir ]]; then
		echo "cache: $what: cached in $dir"
		return
	fi
	echo "cache: building $what (cold: a few minutes)..."
	local start=$SECONDS
	out=$(mktemp -d "$dir.tmp.XXXXXX")
	if ! "$@"; then
		rm -rf "$out"
		echo "cache: building $what failed" >&2
		exit 1
	fi
	rm -rf "$dir"
	mv "$out" "$dir"
	echo "cache: built $what in $((SECONDS - start)) s"
}
