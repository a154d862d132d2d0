"""Every message a template or the web app's code marks for translation has an English entry, none fuzzy
or empty."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "webapp" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
MARKED = re.compile(r"""\b_l?\(\s*(["'])((?:(?!\1).)+)\1""")


def test_every_marked_template_string_is_translated() -> None:
    with CATALOG.open("rb") as handle:
        catalog = read_po(handle)
    done = {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}
    sources = [*(ROOT / "webapp" / "templates").rglob("*.html"), *(ROOT / "webapp").rglob("*.py")]
    wanted = {match.group(2) for path in sources for match in MARKED.finditer(path.read_text("utf-8"))}
    missing = sorted(wanted - set(done))
    assert not missing, f"untranslated (run the pybabel steps in docs/i18n.md): {missing[:20]}"
    assert not [m.id for m in catalog if m.id and m.fuzzy]
