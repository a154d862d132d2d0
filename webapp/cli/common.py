"""What every `govflow` command shares: the command's session, output as text or --json, the one-line
error and non-zero exit, JSON arguments, and `edge`, which commits on success and rolls back on refusal."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Any

import click
from sqlalchemy.orm import Session

from engine.core.errors import EngineError, InvalidDefinition
from webapp.extensions import db


def session() -> Session:
    """The request/command's session (Flask-SQLAlchemy's scoped session resolved to a Session)."""
    return db.session()


def emit(as_json: bool, payload: Any, text: str) -> None:
    if as_json:
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2, default=str))
    else:
        click.echo(text)


def fail(message: str, code: int = 1) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def edge(func: Callable[..., Any]) -> Callable[..., Any]:
    """Commit on success, roll back and print the engine's reason on failure."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            result = func(*args, **kwargs)
            db.session.commit()
            return result
        except InvalidDefinition as exc:
            db.session.rollback()
            if kwargs.get("as_json"):
                click.echo(json.dumps({"error": str(exc), "problems": [p.to_dict() for p in exc.problems]},
                                      ensure_ascii=False, indent=2))
            for problem in exc.problems:
                click.echo(problem.format(), err=True)
            fail(str(exc))
        except EngineError as exc:
            db.session.rollback()
            fail(str(exc).replace("\n", " "))

    return wrapper


def json_arg(text: str | None, name: str) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        fail(f"--{name} is not valid JSON ({exc.msg} at column {exc.colno}); "
              f"example: --{name} '{{\"approved\": true}}'", 2)
    if not isinstance(value, dict):
        fail(f"--{name} must be a JSON object, e.g. '{{\"approved\": true}}'", 2)
    return value
