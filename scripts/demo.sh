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
echo
echo "Try: govflow tasks complete <TASK_ID> --as lisi --data '{\"approved\": true}' --opinion 同意"
echo "     govflow instances show 1"
