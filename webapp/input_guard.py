"""Text from browsers is normalised once, before any view sees it: every form, every query string.

- A NUL character is refused with a 400 naming the field (PostgreSQL cannot store it in text, and no
  person types one).
- Bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069, U+061C) and zero-width or
  invisible characters (U+200B–U+200F, U+2060, U+FEFF, U+180E) are removed: they make a name, title
  or letter read differently from what is stored ("invoice‮fdp.exe"), and clerks copy these texts.
- Uploaded files are kept byte for byte; only their file names are cleaned the same way.
Passwords and the CSRF token are compared, never shown, so they pass as they came.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, render_template, request
from werkzeug.datastructures import ImmutableMultiDict, MultiDict

INVISIBLE = re.compile("[\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]")
UNTOUCHED = frozenset({"password", "csrf_token"})


class NulCharacter(ValueError):
    """A form or query field holds U+0000."""

    def __init__(self, field: str):
        super().__init__(field)
        self.field = field


def clean(text: str) -> str:
    return INVISIBLE.sub("", text)


def _cleaned(values: MultiDict[str, str]) -> ImmutableMultiDict[str, str] | None:
    """The same fields with invisible characters removed; None when nothing changed."""
    changed = False
    pairs: list[tuple[str, str]] = []
    for key, value in values.items(multi=True):
        if "\x00" in value or "\x00" in key:
            raise NulCharacter(key.replace("\x00", ""))
        if key not in UNTOUCHED and INVISIBLE.search(value):
            value, changed = clean(value), True
        pairs.append((key, value))
    return ImmutableMultiDict(pairs) if changed else None


def normalise() -> Any:
    """before_request: refuse NUL, strip bidi and zero-width characters from form, query and file names."""
    try:
        args = _cleaned(request.args)
        form = _cleaned(request.form) if request.method in ("POST", "PUT", "PATCH") else None
    except NulCharacter as exc:
        message = (f"「{exc.field}」含有空字符（NUL），无法保存，请删除后重新提交 / "
                   f"{exc.field}: the text contains a NUL character; remove it and submit again")
        return render_template("errors/error.html", status=400, title="请求有误 / Bad request", message=message), 400
    cache = request._get_current_object().__dict__  # type: ignore[attr-defined]  # werkzeug's parsed values
    if args is not None:
        cache["args"] = args
    if form is not None:
        cache["form"] = form
    if request.method in ("POST", "PUT", "PATCH"):
        for upload in request.files.values():
            if upload.filename:
                upload.filename = clean(upload.filename.replace("\x00", ""))
    return None


def init_app(app: Flask) -> None:
    app.before_request(normalise)
