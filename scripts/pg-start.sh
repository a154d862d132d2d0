#!/usr/bin/env bash
# Start a private, throw-away PostgreSQL server for tests and benchmarks.
# Prints the superuser URL as the last line. Reuses a running server recorded in the state file.
set -euo pipefail

root_key="$(cd "$(dirname "$0")/.." && pwd | cksum | cut -d" " -f1)"
state_file="${GOVFLOW_PG_STATE:-${TMPDIR:-/tmp}/govflow-pg-$root_key.state}"  # one server per checkout
bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
[ -n "$bindir" ] || { echo "PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }

as_pg() {  # postgres refuses to run as root
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if [ -f "$state_file" ]; then
  read -r datadir port < "$state_file" || true
  if [ -n "${datadir:-}" ] && as_pg "$bindir/pg_ctl" -D "$datadir" status >/dev/null 2>&1; then
    echo "postgresql://postgres@127.0.0.1:$port/postgres"
    exit 0
  fi
fi

base="${GOVFLOW_PG_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/govflow-pg.XXXXXX")}"
datadir="$base/data"
mkdir -p "$base"
[ "$(id -u)" = 0 ] && chown postgres:postgres "$base"
as_pg "$bindir/initdb" -D "$datadir" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null

port="${GOVFLOW_PG_PORT:-55432}"
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done

as_pg "$bindir/pg_ctl" -D "$datadir" -l "$base/server.log" -w -t 60 \
  -o "-p $port -c listen_addresses=127.0.0.1 -k $base -c shared_buffers=256MB -c max_connections=200" \
  start >/dev/null
for _ in $(seq 1 60); do
  "$bindir/pg_isready" -h 127.0.0.1 -p "$port" -q && break
  sleep 0.5
done
"$bindir/pg_isready" -h 127.0.0.1 -p "$port" -q || { cat "$base/server.log" >&2; exit 1; }
echo "$datadir $port" > "$state_file"
echo "postgresql://postgres@127.0.0.1:$port/postgres"
