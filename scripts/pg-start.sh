#!/usr/bin/env bash
# Start a private, throw-away PostgreSQL server for tests and benchmarks, or reuse the one recorded in
# the state file if it is still running. Progress goes to stderr; stdout gets one line, the superuser
# URL:  postgresql://postgres@127.0.0.1:PORT/postgres
#
# Environment:
#   GOVFLOW_PG_STATE  state file shared with pg-stop.sh (default: one per checkout under $TMPDIR)
#   GOVFLOW_PG_DIR    directory for the data, socket and log (default: a new temporary directory)
#   GOVFLOW_PG_PORT   first port to try (default 55432; the next free one is taken if it is busy)
#
# Local test use only: authentication is "trust" and the server listens on 127.0.0.1 only.
# Durability settings (fsync, synchronous_commit) stay at their defaults: benchmarks measure them.
set -euo pipefail

# shellcheck source=scripts/pg-common.sh
source "$(dirname "$0")/pg-common.sh"

say() { echo "pg-start: $*" >&2; }
die() { say "$*"; exit 1; }

# Newest installed major version, e.g. /usr/lib/postgresql/15/bin (Debian's layout).
bindir="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -type d -name bin 2>/dev/null | sort -V | tail -n 1)"
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  die "PostgreSQL is not installed (apt-get install postgresql, or run scripts/test-all.sh as root)"
fi


is_running() {  # $1 = data directory
  [ -f "$1/postmaster.pid" ] && as_pg "$bindir/pg_ctl" -D "$1" status >/dev/null 2>&1
}

port_in_use() {  # something accepts TCP connections on 127.0.0.1:$1
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

url_for() { echo "postgresql://postgres@127.0.0.1:$1/postgres"; }

# 1. Reuse the server of the state file (format: "DATADIR PORT") if it is still up.
if [ -s "$state_file" ]; then
  read -r line < "$state_file" || true
  datadir="${line% *}" port="${line##* }"
  if is_running "$datadir" && "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port"; then
    say "reusing the server in $datadir"
    url_for "$port"
    exit 0
  fi
  say "removing the stale server recorded in $state_file"
  bash "$(dirname "$0")/pg-stop.sh" >&2
fi

# 2. Data directory: $GOVFLOW_PG_DIR/data or <new temp dir>/data. pg-stop.sh deletes a temporary
#    directory (named govflow-pg.XXXXXX) entirely, but only its own files from GOVFLOW_PG_DIR.
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || die "as root this needs the postgres system user (apt-get install postgresql)"
fi
if [ -n "${GOVFLOW_PG_DIR:-}" ]; then
  mkdir -p "$GOVFLOW_PG_DIR"
  base="$(cd "$GOVFLOW_PG_DIR" && pwd)"
else
  base="$(mktemp -d "${TMPDIR:-/tmp}/govflow-pg.XXXXXX")"
fi
datadir="$base/data"
log="$base/server.log"        # written by the server, so created by its user
initdb_log="$base/initdb.log"

if is_running "$datadir"; then  # started earlier from the same GOVFLOW_PG_DIR without a state file
  port="$(sed -n 4p "$datadir/postmaster.pid")"
  echo "$datadir $port" > "$state_file"
  say "reusing the server in $datadir"
  url_for "$port"
  exit 0
fi

# From here on, a failure removes what this run created.
ok=0
started=0
cleanup_on_failure() {
  [ "$ok" = 1 ] && return
  [ -f "$initdb_log" ] && tail -n 20 "$initdb_log" >&2
  [ -f "$log" ] && tail -n 20 "$log" >&2
  [ "$started" = 1 ] && as_pg "$bindir/pg_ctl" -D "$datadir" -m immediate stop >/dev/null 2>&1
  if [ -n "${GOVFLOW_PG_DIR:-}" ]; then rm -rf "$datadir" "$log" "$initdb_log"; else rm -rf "$base"; fi
  rm -f "$state_file"
}
trap cleanup_on_failure EXIT

rm -rf "$datadir" "$log" "$initdb_log"  # leftovers of a server that is no longer running
[ "$(id -u)" = 0 ] && chown postgres: "$base"
as_pg test -w "$base" ||
  die "the postgres user cannot write to $base (set TMPDIR or GOVFLOW_PG_DIR to a directory it can reach)"

say "initdb in $datadir"
as_pg "$bindir/initdb" -D "$datadir" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
  > "$initdb_log" 2>&1 || die "initdb failed"
cat >> "$datadir/postgresql.conf" <<EOF

# Private test server started by scripts/pg-start.sh
listen_addresses = '127.0.0.1'
unix_socket_directories = '$base'
shared_buffers = 256MB
max_connections = 200
EOF

# 3. Start on the first free port from GOVFLOW_PG_PORT. Another run may take the same port between the
#    check and the start, so a start that fails to bind moves on to the next port.
port="${GOVFLOW_PG_PORT:-55432}"
last_port=$((port + 100))
started=1  # from here a failure also stops whatever came up (pg_ctl -w may time out on a slow start)
while :; do
  while port_in_use "$port"; do port=$((port + 1)); done
  [ "$port" -le "$last_port" ] || die "no free port found up to $last_port"
  rm -f "$log"  # only this attempt's messages, in a file the server's user creates
  if out="$(as_pg "$bindir/pg_ctl" -D "$datadir" -l "$log" -o "-p $port" -w -t 60 start 2>&1)"; then
    break
  fi
  grep -q 'could not bind\|already in use' "$log" || die "the server did not start: $out"
  port=$((port + 1))
done

# pg_ctl -w waited for the socket; also make sure TCP answers before handing out the URL.
for _ in $(seq 1 60); do
  "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" && break
  sleep 0.5
done
"$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" || die "the server does not accept connections on port $port"

echo "$datadir $port" > "$state_file"
ok=1
say "server running on port $port (log: $log; stop with scripts/pg-stop.sh)"
url_for "$port"
