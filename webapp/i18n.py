"""Simplified Chinese by default, English on a switch (session) or by the browser's first choice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, g, request, session
from flask_babel import Babel, get_translations

TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def select_locale() -> str:
    chosen = session.get("lang")
    if chosen in ("zh", "en"):
        return chosen
    best = request.accept_languages.best_match(["zh", "en"]) if request else None
    return best or "zh"


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "zh")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    Babel(app, locale_selector=select_locale)
    # Templates ask for a translation ~100 times a page; Flask-Babel finds the catalogue anew each time
    # (context, locale, cache). The catalogue of a request is found once and kept on `g`.
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]  # added by jinja2.ext.i18n
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True)


def _translations() -> Any:
    """The catalogue of the current request (or application context), found on first use."""
    try:
        return g._govflow_translations
    except AttributeError:
        found = g._govflow_translations = get_translations()
        return found
    except RuntimeError:  # no application context: Flask-Babel's answer (no translation)
        return get_translations()
