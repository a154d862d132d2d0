"""`govflow clocks list|pause|resume|extend`: statutory time limits (法定时限)."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

import click
from flask.cli import AppGroup

from engine.clocks import lifecycle
from engine.core.clock import CHINA_TZ, SystemClock
from engine.org import directory
from webapp.cli.common import edge, emit, session


@click.group("clocks", help="Statutory time limits (法定时限): list, pause, resume, extend.", cls=AppGroup)
def clocks_cli() -> None:
    pass


def _clock_row(clock: Any) -> dict[str, Any]:
    return {"id": clock.id, "policy": clock.policy_code, "instance_id": clock.instance_id,
            "element_id": clock.element_id, "task_id": clock.task_id, "status": clock.status,
            "warning_level": clock.warning_level, "unit": clock.unit, "limit_days": clock.limit_days,
            "extended_days": clock.extended_days, "started_at": clock.started_at.isoformat(),
            "due_at": clock.due_at.isoformat(), "provisional": clock.provisional,
            "responsible": clock.responsible, "department": clock.department_code,
            "next_check_at": clock.next_check_at.isoformat() if clock.next_check_at else None}


def _clock_line(clock: Any) -> str:
    last = (clock.due_at.replace(tzinfo=UTC) - timedelta(microseconds=1)).astimezone(CHINA_TZ)
    return (f"{clock.id}  {clock.policy_code}  instance {clock.instance_id or '-'}  {clock.element_id or '-'}  "
            f"{clock.status}/{clock.warning_level}  due {last:%Y-%m-%d} (end of day)"
            + (" [provisional]" if clock.provisional else "") + f"  responsible={clock.responsible or '-'}")


@clocks_cli.command("list")
@click.option("--status", default=None, help="running, paused, warned, overdue, finished_on_time, "
                                               "finished_late, cancelled, expired, or active")
@click.option("--json", "as_json", is_flag=True)
@edge
def clocks_list_cmd(status: str | None, as_json: bool) -> None:
    """Clocks by due time."""
    rows = lifecycle.list_clocks(session(), status=status)
    emit(as_json, [_clock_row(c) for c in rows], "\n".join(_clock_line(c) for c in rows) or "no clocks")


@clocks_cli.command("pause")
@click.argument("clock_id", type=int)
@click.option("--reason", required=True, help="补正, 专家评审, 听证, 检验检测, 现场踏勘 or 第三方征求意见")
@click.option("--note", default=None)
@click.option("--as", "actor", required=True)
@edge
def clocks_pause_cmd(clock_id: int, reason: str, note: str | None, actor: str) -> None:
    directory.get_user(session(), actor)
    clock = lifecycle.pause_clock(session(), actor, SystemClock().now(), clock_id, reason, note)
    click.echo(_clock_line(clock))


@clocks_cli.command("resume")
@click.argument("clock_id", type=int)
@click.option("--as", "actor", required=True)
@edge
def clocks_resume_cmd(clock_id: int, actor: str) -> None:
    directory.get_user(session(), actor)
    clock = lifecycle.resume_clock(session(), actor, SystemClock().now(), clock_id)
    click.echo(_clock_line(clock))


@clocks_cli.command("extend")
@click.argument("clock_id", type=int)
@click.option("--days", type=click.IntRange(min=1), required=True)
@click.option("--reason", required=True, help="Why (told to the applicant).")
@click.option("--approved-by", "approved_by", required=True, help="The head who approved the extension.")
@click.option("--as", "actor", required=True)
@edge
def clocks_extend_cmd(clock_id: int, days: int, reason: str, approved_by: str, actor: str) -> None:
    directory.get_user(session(), actor)
    clock = lifecycle.extend_clock(session(), actor, SystemClock().now(), clock_id, days, reason, approved_by)
    click.echo(_clock_line(clock))
