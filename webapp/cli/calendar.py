"""`govflow calendar due|show|set|seed`: the official working-day calendar."""

from __future__ import annotations

from datetime import datetime

import click
from flask.cli import AppGroup

from engine.calendar import workdays
from engine.core.clock import CHINA_TZ, SystemClock
from webapp.cli.common import edge, emit, session


@click.group("calendar", help="The official working-day calendar.", cls=AppGroup)
def calendar_cli() -> None:
    pass


def _seeded() -> None:
    if not workdays.is_seeded(session()):
        click.echo("calendar table empty: loading the official schedule first", err=True)
        workdays.seed_official(session(), SystemClock().now())


@calendar_cli.command("due")
@click.argument("start", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.argument("n", type=click.IntRange(min=0, max=3650))
@click.option("--unit", type=click.Choice(["wd", "cd"]), default="wd", show_default=True,
              help="wd: working days, cd: calendar days")
@click.option("--json", "as_json", is_flag=True)
@edge
def calendar_due_cmd(start: datetime, n: int, unit: str, as_json: bool) -> None:
    """Due date of an N-day limit from START (the start day is not counted)."""
    _seeded()
    due = workdays.WorkCalendar(session()).due_at(start.date(), n, unit)
    local = due.due_at.astimezone(CHINA_TZ)
    if due.provisional:
        click.echo("warning: the result relies on a year the State Council has not published yet; "
                   "it follows the weekday rule and may change", err=True)
    emit(as_json, {"start": start.date().isoformat(), "n": n, "unit": unit, "due_date": due.date.isoformat(),
                    "due_at": local.isoformat(), "provisional": due.provisional},
          f"{due.date.isoformat()} (expires {local:%Y-%m-%d %H:%M} China time)"
          + (" [provisional]" if due.provisional else ""))


@calendar_cli.command("show")
@click.argument("year", type=click.IntRange(1990, 2100))
@click.option("--region", default="")
@click.option("--json", "as_json", is_flag=True)
@edge
def calendar_show_cmd(year: int, region: str, as_json: bool) -> None:
    """Status of YEAR, its holidays and make-up working days."""
    _seeded()
    summary = workdays.WorkCalendar(session(), region).year_summary(year)
    days = [{"date": d.day.isoformat(), "kind": d.kind, "workday": d.is_workday, "name": d.name,
             "note": d.note, "source": d.source, "region": d.region}
            for d in workdays.days_of_year(session(), year, region)]
    if summary["status"] == workdays.PROVISIONAL:
        click.echo(f"warning: {year} has no published State Council schedule; weekday rule only", err=True)
    lines = [f"{year}: {summary['status']}, {summary['working_days']} working days, "
             f"{summary['holidays']} holidays, {summary['makeup_days']} make-up days"]
    lines += [f"{d['date']}  {d['kind']:<8} {d['name'] or ''} {d['region'] or ''} "
              f"{d['note'] if d['source'] == 'admin' else ''}".rstrip() for d in days]  # official notes: --json
    emit(as_json, {**summary, "days": days}, "\n".join(lines))


@calendar_cli.command("set")
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.argument("kind", type=click.Choice(["workday", "holiday"]))
@click.option("--note", required=True, help="The notice this follows, e.g. the State Council notice.")
@click.option("--region", default="")
@click.option("--as", "actor", default=None)
@edge
def calendar_set_cmd(day: datetime, kind: str, note: str, region: str, actor: str | None) -> None:
    """Override one day; running clocks are recomputed."""
    _seeded()
    row = workdays.set_day(session(), actor, SystemClock().now(), day.date(), kind, note, region)
    click.echo(f"{row.day.isoformat()} is now a {kind}" + (f" in {region}" if region else ""))


@calendar_cli.command("seed")
@edge
def calendar_seed_cmd() -> None:
    """Load the official schedule (idempotent)."""
    added = workdays.seed_official(session(), SystemClock().now())
    click.echo(f"{added} days added")
