#!/usr/bin/env bash
# Quick start, part two: install what the tests need and run the whole suite, once on SQLite and
# once on a private PostgreSQL server, plus ruff and mypy. Extra arguments go to pytest.
set -uo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

have_pg() { ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1; }
missing=()
have_pg || missing+=(postgresql)
python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
if ((${#missing[@]})); then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -q && apt-get install -y -q --no-install-recommends "${missing[@]}" || exit 1
  else
    echo "please install: ${missing[*]}" >&2
    exit 1
  fi
fi

python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "govflow needs Python 3.11 or newer")' || exit 1
[ -x .venv/bin/python ] || python3 -m venv .venv || exit 1
.venv/bin/python -m pip install --quiet --upgrade pip || exit 1
.venv/bin/python -m pip install --quiet -e '.[test]' || exit 1
export PATH="$PWD/.venv/bin:$PATH"

pg_url="$(bash scripts/pg-start.sh | tail -n 1)" || { echo "could not start PostgreSQL" >&2; exit 1; }
trap 'bash scripts/pg-stop.sh' EXIT

status=0
echo "== ruff"; ruff check engine webapp tests benchmarks || status=1
echo "== mypy"; mypy || status=1

mkdir -p test-artifacts
run_suite() {  # $1 = database kind
  local db="$1" rc
  echo "== pytest on $db"
  GOVFLOW_TEST_DATABASE="$db" GOVFLOW_TEST_PG_URL="$pg_url" \
    python -m pytest -n 2 -p no:cacheprovider --junitxml="test-artifacts/junit-$db.xml" "${@:2}"
  rc=$?
  if [ "$rc" = 5 ]; then echo "no tests were collected on $db: that is a failure" >&2; rc=1; fi
  return "$rc"
}
run_suite sqlite "$@"; sqlite_rc=$?
run_suite postgresql "$@"; pg_rc=$?

echo "== summary: sqlite exit $sqlite_rc, postgresql exit $pg_rc, lint/types $([ $status = 0 ] && echo ok || echo FAILED)"
[ "$sqlite_rc" = 0 ] && [ "$pg_rc" = 0 ] && [ "$status" = 0 ]
