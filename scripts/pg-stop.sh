#!/usr/bin/env bash
# Stop the server that scripts/pg-start.sh recorded in its state file (fast shutdown: open sessions
# are disconnected) and delete its files. Does nothing if no server is recorded.
#   GOVFLOW_PG_STATE  the state file (default: the same per-checkout file pg-start.sh uses)
set -euo pipefail

# shellcheck source=scripts/pg-common.sh
source "$(dirname "$0")/pg-common.sh"

say() { echo "pg-stop: $*" >&2; }

[ -s "$state_file" ] || { rm -f "$state_file"; exit 0; }
read -r line < "$state_file" || true
datadir="${line% *}"  # the state file holds "DATADIR PORT"

if [ -n "$datadir" ] && [ -d "$datadir" ]; then
  # Use the binaries of the version that created the cluster, else the newest installed.
  bindir="/usr/lib/postgresql/$(cat "$datadir/PG_VERSION" 2>/dev/null)/bin"
  [ -x "$bindir/pg_ctl" ] ||
    bindir="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -type d -name bin 2>/dev/null | sort -V | tail -n 1)"


  if [ -f "$datadir/postmaster.pid" ] && [ -x "$bindir/pg_ctl" ]; then
    as_pg "$bindir/pg_ctl" -D "$datadir" -m fast -w -t 60 stop >/dev/null ||
      as_pg "$bindir/pg_ctl" -D "$datadir" -m immediate -w stop >/dev/null ||
      say "could not stop the server in $datadir"
  fi

  # A directory pg-start.sh created (govflow-pg.XXXXXX) goes entirely; from a directory the user named
  # in GOVFLOW_PG_DIR only the data directory and the logs that pg-start.sh put there.
  base="$(dirname "$datadir")"
  case "$(basename "$base")" in
    govflow-pg.??????) rm -rf "$base" ;;
    *) rm -rf "$datadir" "$base/server.log" "$base/initdb.log" ;;
  esac
  say "stopped and removed $datadir"
fi
rm -f "$state_file"
