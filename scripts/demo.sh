#!/usr/bin/env bash
# Quick start, part one: install govflow into .venv, create the SQLite database, load the demo
# organisation, processes and sample cases, then serve the web app with its scheduler. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "govflow needs Python 3.11 or newer")'
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/pip install --quiet --upgrade pip
.venv/bin/pip install --quiet -e .
export PATH="$PWD/.venv/bin:$PATH"
pybabel compile -d webapp/translations >/dev/null  # the English catalogue (messages.po -> messages.mo)

export GOVFLOW_DEMO=1  # a generated session key kept in the instance folder (production sets GOVFLOW_SECRET_KEY)
govflow db upgrade
govflow calendar seed >/dev/null
govflow demo
port="${GOVFLOW_PORT:-5000}"
echo
echo "Open http://127.0.0.1:$port/ and log in as one of the demo users above (password govflow123):"
echo "  lisi (部门负责人, has waiting, warned and overdue leave requests), zhangsan (经办人),"
echo "  designer (流程设计: upload a Camunda Modeler file), admin (everything)."
if [ "${GOVFLOW_DEMO_NO_SERVER:-${GOVFLOW_DEMO_NO_SCHEDULER:-}}" = 1 ]; then exit 0; fi
echo "Serving with the embedded scheduler (statutory clocks and BPMN timers); Ctrl-C stops it."
exec govflow serve --host 127.0.0.1 --port "$port"
