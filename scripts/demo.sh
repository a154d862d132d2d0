#!/usr/bin/env bash
# Quick start, part one: install govflow into .venv, create the SQLite database, load the demo
# organisation and processes, then show what a clerk would see. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "govflow needs Python 3.11 or newer")'
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/pip install --quiet --upgrade pip
.venv/bin/pip install --quiet -e .
export PATH="$PWD/.venv/bin:$PATH"

govflow db upgrade
govflow demo
echo
echo "Open tasks of lisi (部门负责人):"
govflow tasks list --user lisi
govflow calendar seed >/dev/null
echo
echo "Try, in another terminal (PATH=\"$PWD/.venv/bin:\$PATH\"):"
echo "     govflow tasks complete <TASK_ID> --as lisi --data '{\"approved\": true}' --opinion 同意"
echo "     govflow instances show 1"
echo "     govflow calendar due $(date +%F) 20 --unit wd"
echo
if [ "${GOVFLOW_DEMO_NO_SCHEDULER:-}" = 1 ]; then exit 0; fi
echo "Starting the scheduler (statutory clocks and BPMN timers); Ctrl-C stops it."
exec govflow scheduler
