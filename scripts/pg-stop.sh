#!/usr/bin/env bash
# Stop the server started by pg-start.sh and remove its files.
set -euo pipefail
root_key="$(cd "$(dirname "$0")/.." && pwd | cksum | cut -d" " -f1)"
state_file="${GOVFLOW_PG_STATE:-${TMPDIR:-/tmp}/govflow-pg-$root_key.state}"  # one server per checkout
[ -f "$state_file" ] || exit 0
read -r datadir _port < "$state_file" || true
bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
if [ -n "${datadir:-}" ] && [ -d "$datadir" ]; then
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$bindir/pg_ctl" -D "$datadir" -m fast -w stop >/dev/null 2>&1 || true
  else
    "$bindir/pg_ctl" -D "$datadir" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$(dirname "$datadir")"
fi
rm -f "$state_file"
