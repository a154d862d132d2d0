"""Set-based writes for PostgreSQL: many rows inserted or updated in one statement from arrays
(psycopg2's executemany is one round trip per row); other databases take SQLAlchemy's multi-row forms."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Table, insert, text
from sqlalchemy.orm import Session


def insert_rows(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows (all with the same keys) in their order: on PostgreSQL one INSERT ... SELECT from
    arrays, else SQLAlchemy's multi-row INSERT."""
    if not rows:
        return
    dialect = session.get_bind().dialect
    if dialect.name != "postgresql":
        session.execute(insert(table), rows)
        return
    names = list(rows[0])
    values, params = unnest(dialect, names, [table.c[name] for name in names], rows)
    listed = ", ".join(names)
    session.execute(text(f"INSERT INTO {table.name} ({listed}) SELECT {listed} FROM {values} ORDER BY v.ord"),
                    params)


def unnest(dialect: Any, names: list[str], columns: list[Any], rows: list[dict[str, Any]]) -> tuple[str, dict]:
    """`unnest(CAST(:p0 AS type[]), ...) WITH ORDINALITY AS v(name, ..., ord)` and its array parameters.
    Values go through each column type's bind processor (JSON becomes its text, as the ORM writes it);
    the array types carry no length, so an over-long value fails on assignment as in a plain INSERT."""
    casts, params = [], {}
    for n, (name, column) in enumerate(zip(names, columns, strict=True)):
        process = column.type.dialect_impl(dialect).bind_processor(dialect)
        raw = [row[name] for row in rows]
        params[f"p{n}"] = [process(v) for v in raw] if process is not None else raw
        casts.append(f"CAST(:p{n} AS {_LENGTH.sub('', column.type.compile(dialect=dialect))}[])")
    return f"unnest({', '.join(casts)}) WITH ORDINALITY AS v({', '.join(names)}, ord)", params


_LENGTH = re.compile(r"\(\d+\)")
