#!/usr/bin/env bash
# Regenerates aws.schema.json: the real hashicorp/aws 6.25.0 schema, reduced to the
# resource and data source types that terraform/ uses. The schema comes from the npm
# package @cdktf/provider-aws (generated from that provider version), unpacked in a
# temporary directory; nothing is installed in the repository.
# Run it after a module starts using a new aws_* resource or data source.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tfroot=$(cd "$here/../../.." && pwd) # terraform/
pkg=@cdktf/provider-aws@21.22.1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

scan() { # scan resource|data
	{ grep -rhoE "^[[:space:]]*$1[[:space:]]+\"aws_[a-z0-9_]+\"" "$tfroot" --include='*.tf' --exclude-dir=.terraform || true; } |
		sed -E 's/.*"(aws_[a-z0-9_]+)"/\1/' | sort -u
}
scan resource >"$tmp/resources"
scan data >"$tmp/data_sources"
echo "types used: $(wc -l <"$tmp/resources") resources, $(wc -l <"$tmp/data_sources") data sources" >&2

# CDKTF_PROVIDER_AWS_DIR may name an already unpacked copy of the package (saves the
# 37 MB download when iterating).
pkgdir=${CDKTF_PROVIDER_AWS_DIR:-}
if [ -z "$pkgdir" ]; then
	(cd "$tmp" && npm pack --silent "$pkg" >/dev/null && tar xzf ./*.tgz)
	pkgdir="$tmp/package"
fi
node "$here/extract.mjs" "$pkgdir" "$here/aws.schema.json" "$tmp/resources" "$tmp/data_sources"
