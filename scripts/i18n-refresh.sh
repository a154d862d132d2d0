#!/usr/bin/env bash
# Refresh the English catalogue after changing templates or webapp/labels.py: extract every marked
# message, merge the new ones into messages.po (translate them there), then compile. docs/i18n.md.
set -euo pipefail
cd "$(dirname "$0")/.."
cfg="$(mktemp)"; pot="$(mktemp)"
trap 'rm -f "$cfg" "$pot"' EXIT
printf '[python: webapp/**.py]\n[jinja2: webapp/templates/**.html]\n' > "$cfg"
pybabel extract -F "$cfg" -k _l -o "$pot" . >/dev/null 2>&1
pybabel update -i "$pot" -d webapp/translations -l en --no-fuzzy-matching >/dev/null 2>&1
pybabel compile -d webapp/translations -l en >/dev/null 2>&1
python - <<'PY'
from babel.messages.pofile import read_po
with open("webapp/translations/en/LC_MESSAGES/messages.po", "rb") as handle:
    missing = [m.id for m in read_po(handle) if m.id and not m.string]
print("untranslated:", missing if missing else "none")
PY
