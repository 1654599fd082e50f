#!/usr/bin/env bash
# Installs the Debian packages the integration tests start as throwaway
# servers: PostgreSQL 15, Redis 7, Prometheus (with promtool) and
# Alertmanager (with amtool), and the
# shell linter `make verify` runs on the scripts and workflow steps
# (Debian's shellcheck), and Node.js where missing. Idempotent.
set -euo pipefail
need=()
[ -x /usr/lib/postgresql/15/bin/postgres ] || need+=(postgresql)
command -v redis-server >/dev/null || need+=(redis-server)
command -v promtool >/dev/null || need+=(prometheus)
# amtool and alertmanager check the rendered Alertmanager configuration (tests/alerts).
command -v amtool >/dev/null || need+=(prometheus-alertmanager)
command -v shellcheck >/dev/null || need+=(shellcheck)
# node runs the k6 scripts' check (tests/load); machine images ship it,
# a bare Debian container does not.
command -v node >/dev/null || need+=(nodejs)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # The packages' own services are not wanted: tests start their own servers.
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
echo "deps ok: $(/usr/lib/postgresql/15/bin/postgres --version), $(redis-server --version | cut -d' ' -f3), $(promtool --version 2>&1 | head -1), $(amtool --version 2>&1 | head -1), shellcheck $(shellcheck --version | sed -n 's/^version: //p')"
