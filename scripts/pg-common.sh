# shellcheck shell=bash
# Shared by pg-start.sh and pg-stop.sh (sourced, not run): where the state file lives, and how to run
# PostgreSQL's programs.

# One state file per checkout, so a CI clone never reuses or stops a developer's server.
root_key="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd | cksum | cut -d' ' -f1)"
# shellcheck disable=SC2034  # used by the scripts that source this file
state_file="${GOVFLOW_PG_STATE:-${TMPDIR:-/tmp}/govflow-pg-$root_key.state}"

# PostgreSQL refuses to run as root: as root, run its programs as the postgres system user, from /
# so that a working directory postgres cannot enter causes no warnings.
as_pg() {
  if [ "$(id -u)" != 0 ]; then
    "$@"
  elif command -v runuser >/dev/null; then
    (cd / && runuser -u postgres -- "$@")
  else
    # shellcheck disable=SC2016  # $0 and $@ are expanded by the inner shell
    (cd / && su postgres -s /bin/sh -c 'exec "$0" "$@"' -- "$@")
  fi
}
