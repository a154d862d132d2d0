#!/usr/bin/env bash
# The project's test command: installs what the tests need (PostgreSQL, Chromium with Chinese fonts, slapd, a
# Python virtualenv in .venv), runs ruff, mypy and lint-imports (the layer contracts), then the whole
# pytest suite twice: on SQLite and on a private PostgreSQL server started for this run. Arguments are
# handed to pytest instead of running the whole suite, on both databases:
#   scripts/test-all.sh tests/engine -k deploy
# Exits non-zero if ruff, mypy, lint-imports or either pytest run fails. JUnit reports go to test-artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."

export DEBIAN_FRONTEND=noninteractive PIP_NO_INPUT=1 PIP_DISABLE_PIP_VERSION_CHECK=1
apt_packages=(postgresql python3-venv chromium fonts-noto-cjk slapd ldap-utils)

# ---------------------------------------------------------------------------------------------------
# 1. System packages. Skipped when everything is already there, so repeated runs stay fast.
have_postgres() { compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; }
have_slapd() { command -v slapd >/dev/null || [ -x /usr/sbin/slapd ]; }  # the directory tests' OpenLDAP
have_chromium() { command -v chromium >/dev/null || command -v chromium-browser >/dev/null; }
have_cjk_fonts() {  # any font covering Chinese will do for screenshots
  dpkg-query -W -f='${Status}' fonts-noto-cjk 2>/dev/null | grep -q 'ok installed' ||
    { command -v fc-list >/dev/null && [ -n "$(fc-list :lang=zh family)" ]; }
}
venv_ok() {  # an existing .venv on Python >= 3.11, or the means to create one
  .venv/bin/python -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null ||
    python3 -c 'import ensurepip, venv' 2>/dev/null
}
missing_packages() {
  local need=()
  have_postgres || need+=(postgresql)
  venv_ok || need+=(python3-venv)
  have_chromium || need+=(chromium)
  have_cjk_fonts || need+=(fonts-noto-cjk)
  have_slapd || need+=(slapd ldap-utils)
  echo "${need[*]}"
}

missing="$(missing_packages)"
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "== installing system packages (missing: $missing)"
    # Wait for another apt/dpkg run instead of failing at once on its lock.
    apt-get -q -o DPkg::Lock::Timeout=600 update
    apt-get -q -y -o DPkg::Lock::Timeout=600 install --no-install-recommends "${apt_packages[@]}" </dev/null
    missing="$(missing_packages)"
    [ -z "$missing" ] || { echo "still missing after apt-get install: $missing" >&2; exit 1; }
  else
    echo "Missing: $missing" >&2
    echo "Install them first, e.g.: sudo apt-get install --no-install-recommends $missing" >&2
    exit 1
  fi
fi

# ---------------------------------------------------------------------------------------------------
# 2. Python environment: .venv from the python3 on PATH, with the project and its test extras.
python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
  { echo "govflow needs Python 3.11 or newer; python3 is $(python3 --version 2>&1)" >&2; exit 1; }
if ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "== creating .venv"
  python3 -m venv --clear .venv
  .venv/bin/python -m pip install --quiet --upgrade pip
fi
# Reinstall only when the declared dependencies changed (the install is editable, so code changes
# need none); the stamp is a checksum of the packaging files.
stamp=.venv/.govflow-install-stamp
want="$(cat setup.cfg pyproject.toml | cksum)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ] || [ ! -x .venv/bin/govflow ]; then
  echo "== installing govflow and its test dependencies into .venv"
  .venv/bin/python -m pip install --quiet -e '.[test]'
  echo "$want" > "$stamp"
fi
PATH="$PWD/.venv/bin:$PATH"
export PATH
pybabel compile -d webapp/translations >/dev/null  # the English catalogue, compiled from messages.po at install

# ---------------------------------------------------------------------------------------------------
# 3. A private PostgreSQL server for this run only (its own state file, so a server a developer
#    started with scripts/pg-start.sh is neither reused nor stopped), stopped again on any exit.
run_dir="$(mktemp -d "${TMPDIR:-/tmp}/govflow-test-run.XXXXXX")"
export GOVFLOW_PG_STATE="$run_dir/pg.state"
cleanup() {
  bash scripts/pg-stop.sh || true
  rm -rf "$run_dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "== starting PostgreSQL"
pg_url="$(bash scripts/pg-start.sh | tail -n 1)"
case "$pg_url" in
  postgresql://*) ;;
  *) echo "scripts/pg-start.sh did not print a URL" >&2; exit 1 ;;
esac

# ---------------------------------------------------------------------------------------------------
# 4. Lint, types and the import contracts between the layers.
lint_rc=0
echo "== ruff"
ruff check engine webapp tests benchmarks || lint_rc=1
echo "== mypy"
mypy || lint_rc=1  # files and options in setup.cfg
echo "== lint-imports"
lint-imports --no-cache || lint_rc=1  # contracts in setup.cfg [importlinter]

# ---------------------------------------------------------------------------------------------------
# 5. The test suite on each database. Both always run; their exit codes are kept for the summary.
mkdir -p test-artifacts
workers="${GOVFLOW_TEST_WORKERS:-2}"

run_pytest() {  # $1 = sqlite|postgresql, then extra pytest arguments
  local db="$1"
  shift
  echo "== pytest on $db"
  GOVFLOW_TEST_DATABASE="$db" GOVFLOW_TEST_PG_URL="$pg_url" \
    python -m pytest -n "$workers" -p no:cacheprovider --junitxml="test-artifacts/junit-$db.xml" "$@"
}

sqlite_rc=0
run_pytest sqlite "$@" || sqlite_rc=$?
pg_rc=0
run_pytest postgresql "$@" || pg_rc=$?

describe() {  # pytest exit code -> words
  case "$1" in
    0) echo "passed" ;;
    1) echo "FAILED (some tests failed)" ;;
    5) echo "FAILED (no tests were collected)" ;;
    *) echo "FAILED (pytest exit code $1)" ;;
  esac
}
echo "== summary"
echo "ruff/mypy/contracts: $([ "$lint_rc" = 0 ] && echo passed || echo FAILED)"
echo "sqlite:              $(describe "$sqlite_rc")"
echo "postgresql:          $(describe "$pg_rc")"
[ "$lint_rc" = 0 ] && [ "$sqlite_rc" = 0 ] && [ "$pg_rc" = 0 ]
