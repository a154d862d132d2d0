"""`govflow <noun> <verb>` commands; each commits at the edge and exits non-zero with a one-line reason."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
from flask import Flask
from flask.cli import AppGroup, FlaskGroup, with_appcontext
from sqlalchemy.orm import Session

from engine import clocks, conformance, definitions, instances, notify, org, tasks, workdays
from engine.clock import CHINA_TZ, SystemClock
from engine.errors import EngineError, InvalidDefinition
from webapp import views_data
from webapp.extensions import db


def _db() -> Session:
    """The request/command's session (Flask-SQLAlchemy's scoped session resolved to a Session)."""
    return db.session()


def main() -> None:
    """Entry point of the `govflow` console script."""
    from webapp import create_app

    cli = FlaskGroup(create_app=create_app, add_version_option=False,
                     help="govflow: BPMN approval platform for government offices.")
    cli.main(prog_name="govflow")


def init_app(app: Flask) -> None:
    for group in (definitions_cli, instances_cli, tasks_cli, users_cli):
        app.cli.add_command(group)
    app.cli.add_command(conformance_cmd)
    app.cli.add_command(demo_cmd)
    app.cli.add_command(calendar_cli)
    app.cli.add_command(scheduler_cmd)
    app.cli.add_command(clocks_cli)
    app.cli.add_command(notifications_cli)
    from webapp.cli_serve import serve_cmd

    app.cli.add_command(serve_cmd)


def _emit(as_json: bool, payload: Any, text: str) -> None:
    if as_json:
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2, default=str))
    else:
        click.echo(text)


def _fail(message: str, code: int = 1) -> None:
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
            _fail(str(exc))
        except EngineError as exc:
            db.session.rollback()
            _fail(str(exc).replace("\n", " "))

    return wrapper


def _json_arg(text: str | None, name: str) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        _fail(f"--{name} is not valid JSON ({exc.msg} at column {exc.colno}); "
              f"example: --{name} '{{\"approved\": true}}'", 2)
    if not isinstance(value, dict):
        _fail(f"--{name} must be a JSON object, e.g. '{{\"approved\": true}}'", 2)
    return value


@click.group("definitions", help="Deploy and list BPMN process definitions.", cls=AppGroup)
def definitions_cli() -> None:
    pass


@definitions_cli.command("deploy")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "actor", default=None, help="Deploying user (recorded).")
@click.option("--json", "as_json", is_flag=True)
@edge
def deploy_cmd(files: tuple[Path, ...], actor: str | None, as_json: bool) -> None:
    """Deploy FILE... together; prints process ids, versions and problems."""
    result = definitions.deploy(_db(), actor, SystemClock().now(),
                                [(f.name, f.read_bytes()) for f in files])
    payload = views_data.deploy_result(result)
    lines = [f"{p.process_id} version {p.version}{'' if p.new else ' (unchanged)'}  [{p.filename}]"
             for p in result.processes]
    lines += [problem.format() for problem in result.problems]
    _emit(as_json, payload, "\n".join(lines))


@definitions_cli.command("list")
@click.option("--json", "as_json", is_flag=True)
@edge
def list_definitions_cmd(as_json: bool) -> None:
    rows = views_data.version_rows(definitions.list_versions(_db()))
    text = "\n".join(f"{r['process_id']}  v{r['version']}  {r['name']}  instances={r['instances']}" for r in rows)
    _emit(as_json, rows, text or "no definitions deployed")


@click.group("instances", help="Start and inspect process instances.", cls=AppGroup)
def instances_cli() -> None:
    pass


@instances_cli.command("start")
@click.argument("process_id")
@click.option("--data", default=None, help="Start data as a JSON object.")
@click.option("--as", "actor", default=None, help="Starting user.")
@click.option("--json", "as_json", is_flag=True)
@edge
def start_cmd(process_id: str, data: str | None, actor: str | None, as_json: bool) -> None:
    """Start PROCESS_ID; prints the instance id."""
    if actor is not None:
        org.get_user(_db(), actor)
    inst = instances.start(_db(), actor, SystemClock().now(), process_id, _json_arg(data, "data"))
    _emit(as_json, {"id": inst.id, "status": inst.status, "process_id": inst.process_id}, str(inst.id))


@instances_cli.command("show")
@click.argument("instance_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@edge
def show_cmd(instance_id: int, as_json: bool) -> None:
    """Status, data, open tasks and audit trail of an instance."""
    view = views_data.instance_view(_db(), instance_id, SystemClock().now())
    _emit(as_json, view, views_data.instance_text(view))


@instances_cli.command("message")
@click.argument("instance_id", type=int)
@click.argument("name")
@click.option("--data", default=None, help="Message payload as a JSON object.")
@click.option("--as", "actor", default=None)
@edge
def message_cmd(instance_id: int, name: str, data: str | None, actor: str | None) -> None:
    """Deliver message or signal NAME to an instance waiting for it."""
    inst = instances.send_message(_db(), actor, SystemClock().now(), instance_id, name,
                                  _json_arg(data, "data"))
    click.echo(f"{inst.id} {inst.status}")


@instances_cli.command("cancel")
@click.argument("instance_id", type=int)
@click.option("--as", "actor", required=True)
@click.option("--reason", default="")
@edge
def cancel_cmd(instance_id: int, actor: str, reason: str) -> None:
    inst = instances.cancel(_db(), actor, SystemClock().now(), instance_id, reason)
    click.echo(f"{inst.id} {inst.status}")


@instances_cli.command("suspend")
@click.argument("instance_id", type=int)
@click.option("--as", "actor", required=True)
@edge
def suspend_cmd(instance_id: int, actor: str) -> None:
    inst = instances.set_suspended(_db(), actor, SystemClock().now(), instance_id, True)
    click.echo(f"{inst.id} {inst.status}")


@instances_cli.command("resume")
@click.argument("instance_id", type=int)
@click.option("--as", "actor", required=True)
@edge
def resume_cmd(instance_id: int, actor: str) -> None:
    inst = instances.set_suspended(_db(), actor, SystemClock().now(), instance_id, False)
    click.echo(f"{inst.id} {inst.status}")


@click.group("tasks", help="List, claim and complete human tasks.", cls=AppGroup)
def tasks_cli() -> None:
    pass


@tasks_cli.command("list")
@click.option("--user", default=None, help="Only tasks this user may work.")
@click.option("--json", "as_json", is_flag=True)
@edge
def list_tasks_cmd(user: str | None, as_json: bool) -> None:
    if user is not None:
        org.get_user(_db(), user)
    rows = [views_data.task_row(t) for t in tasks.list_open(_db(), user)]
    text = "\n".join(f"{r['id']}  instance {r['instance_id']}  {r['element_id']}  {r['name']}"
                     f"  assignee={r['assignee'] or '-'}  candidates={','.join(r['candidates']) or '-'}"
                     for r in rows)
    _emit(as_json, rows, text or "no open tasks")


@tasks_cli.command("complete")
@click.argument("task_id")
@click.option("--as", "actor", required=True, help="User completing the task.")
@click.option("--data", default=None, help="Form data as a JSON object.")
@click.option("--opinion", default=None, help="Opinion (意见) recorded in the trail.")
@click.option("--json", "as_json", is_flag=True)
@edge
def complete_cmd(task_id: str, actor: str, data: str | None, opinion: str | None, as_json: bool) -> None:
    org.get_user(_db(), actor)
    row = tasks.complete(_db(), actor, SystemClock().now(), task_id, _json_arg(data, "data"), opinion)
    inst = instances.get(_db(), row.instance_id)
    opened = [views_data.task_row(t) for t in tasks.open_for_instance(_db(), inst.id)]
    _emit(as_json, {"task": row.id, "instance_id": inst.id, "instance_status": inst.status, "open_tasks": opened},
          f"completed {row.id}; instance {inst.id} is {inst.status}"
          + "".join(f"\nopen: {t['id']} {t['element_id']} {t['name']}" for t in opened))


@tasks_cli.command("claim")
@click.argument("task_id")
@click.option("--as", "actor", required=True)
@edge
def claim_cmd(task_id: str, actor: str) -> None:
    org.get_user(_db(), actor)
    row = tasks.claim(_db(), actor, SystemClock().now(), task_id)
    click.echo(f"{row.id} claimed by {row.assignee}")


@tasks_cli.command("release")
@click.argument("task_id")
@click.option("--as", "actor", required=True)
@edge
def release_cmd(task_id: str, actor: str) -> None:
    row = tasks.release(_db(), actor, SystemClock().now(), task_id)
    click.echo(f"{row.id} released")


@click.group("users", help="Manage users of the organisation.", cls=AppGroup)
def users_cli() -> None:
    pass


@users_cli.command("create")
@click.argument("name")
@click.option("--password", default=None)
@click.option("--group", "groups", multiple=True, help="Group code; repeat for several.")
@click.option("--department", default=None, help="Department code.")
@click.option("--display-name", default=None)
@edge
def create_user_cmd(name: str, password: str | None, groups: tuple[str, ...], department: str | None,
                    display_name: str | None) -> None:
    user = org.create_user(_db(), name, password=password, groups=groups, department=department,
                           display_name=display_name)
    click.echo(f"created user {user.username}")


@click.command("conformance")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True)
def conformance_cmd(directory: Path, as_json: bool) -> None:
    """Check every BPMN file under DIRECTORY in a scratch database: deployed | refused (reason) | warnings."""
    report = conformance.check_directory(directory)
    payload = [entry.to_dict() for entry in report]
    _emit(as_json, payload, "\n".join(entry.line() for entry in report))


@click.command("demo")
@with_appcontext
@edge
def demo_cmd() -> None:
    """Load the demo organisation, deploy processes/ and start a sample case (idempotent)."""
    from webapp import demo

    for line in demo.seed(_db(), SystemClock().now()):
        click.echo(line)


@click.group("calendar", help="The official working-day calendar.", cls=AppGroup)
def calendar_cli() -> None:
    pass


def _seeded() -> None:
    if not workdays.is_seeded(_db()):
        click.echo("calendar table empty: loading the official schedule first", err=True)
        workdays.seed_official(_db(), SystemClock().now())


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
    due = workdays.WorkCalendar(_db()).due_at(start.date(), n, unit)
    local = due.due_at.astimezone(CHINA_TZ)
    if due.provisional:
        click.echo("warning: the result relies on a year the State Council has not published yet; "
                   "it follows the weekday rule and may change", err=True)
    _emit(as_json, {"start": start.date().isoformat(), "n": n, "unit": unit, "due_date": due.date.isoformat(),
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
    summary = workdays.WorkCalendar(_db(), region).year_summary(year)
    days = [{"date": d.day.isoformat(), "kind": d.kind, "workday": d.is_workday, "name": d.name,
             "note": d.note, "source": d.source, "region": d.region}
            for d in workdays.days_of_year(_db(), year, region)]
    if summary["status"] == workdays.PROVISIONAL:
        click.echo(f"warning: {year} has no published State Council schedule; weekday rule only", err=True)
    lines = [f"{year}: {summary['status']}, {summary['working_days']} working days, "
             f"{summary['holidays']} holidays, {summary['makeup_days']} make-up days"]
    lines += [f"{d['date']}  {d['kind']:<8} {d['name'] or ''} {d['region'] or ''} "
              f"{d['note'] if d['source'] == 'admin' else ''}".rstrip() for d in days]  # official notes: --json
    _emit(as_json, {**summary, "days": days}, "\n".join(lines))


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
    row = workdays.set_day(_db(), actor, SystemClock().now(), day.date(), kind, note, region)
    click.echo(f"{row.day.isoformat()} is now a {kind}" + (f" in {region}" if region else ""))


@calendar_cli.command("seed")
@edge
def calendar_seed_cmd() -> None:
    """Load the official schedule (idempotent)."""
    added = workdays.seed_official(_db(), SystemClock().now())
    click.echo(f"{added} days added")


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
    rows = clocks.list_clocks(_db(), status=status)
    _emit(as_json, [_clock_row(c) for c in rows], "\n".join(_clock_line(c) for c in rows) or "no clocks")


@clocks_cli.command("pause")
@click.argument("clock_id", type=int)
@click.option("--reason", required=True, help="补正, 专家评审, 听证, 检验检测, 现场踏勘 or 第三方征求意见")
@click.option("--note", default=None)
@click.option("--as", "actor", required=True)
@edge
def clocks_pause_cmd(clock_id: int, reason: str, note: str | None, actor: str) -> None:
    org.get_user(_db(), actor)
    clock = clocks.pause_clock(_db(), actor, SystemClock().now(), clock_id, reason, note)
    click.echo(_clock_line(clock))


@clocks_cli.command("resume")
@click.argument("clock_id", type=int)
@click.option("--as", "actor", required=True)
@edge
def clocks_resume_cmd(clock_id: int, actor: str) -> None:
    org.get_user(_db(), actor)
    clock = clocks.resume_clock(_db(), actor, SystemClock().now(), clock_id)
    click.echo(_clock_line(clock))


@clocks_cli.command("extend")
@click.argument("clock_id", type=int)
@click.option("--days", type=click.IntRange(min=1), required=True)
@click.option("--reason", required=True, help="Why (told to the applicant).")
@click.option("--approved-by", "approved_by", required=True, help="The head who approved the extension.")
@click.option("--as", "actor", required=True)
@edge
def clocks_extend_cmd(clock_id: int, days: int, reason: str, approved_by: str, actor: str) -> None:
    org.get_user(_db(), actor)
    clock = clocks.extend_clock(_db(), actor, SystemClock().now(), clock_id, days, reason, approved_by)
    click.echo(_clock_line(clock))


@click.group("notifications", help="The notification outbox (in-app and e-mail).", cls=AppGroup)
def notifications_cli() -> None:
    pass


@notifications_cli.command("send")
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@edge
def notifications_send_cmd(limit: int, as_json: bool) -> None:
    """One outbox pass: send due e-mails over SMTP (GOVFLOW_SMTP_HOST / _PORT / _FROM)."""
    report = notify.send_pending(_db(), SystemClock().now(), notify.SmtpSettings.from_env(), limit)
    for error in report.errors:
        click.echo(error, err=True)
    _emit(as_json, {"sent": report.sent, "retrying": report.retrying, "failed": report.failed},
          f"sent {report.sent}, retrying {report.retrying}, failed {report.failed}")


@click.command("scheduler")
@click.option("--interval", default=1.0, show_default=True, help="Seconds between ticks.")
@click.option("--once", is_flag=True, help="Do one tick (everything due now) and exit.")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def scheduler_cmd(interval: float, once: bool, as_json: bool) -> None:
    """Fire due clocks and BPMN timers; run one per node (several share PostgreSQL safely)."""
    from flask import current_app

    from webapp import runner

    if once:
        report = runner.make_tick(current_app._get_current_object())()  # type: ignore[attr-defined]
        _emit(as_json, {"clocks": report.clocks, "timers": report.timers, "failed": report.failed,
                        "emails_sent": report.emails_sent},
              f"fired {len(report.clocks)} clock checks and {len(report.timers)} timers"
              + (f"; {len(report.failed)} failed" if report.failed else ""))
        return
    click.echo(f"scheduler ticking every {interval}s; Ctrl-C stops it")
    runner.run_blocking(current_app._get_current_object(), interval)  # type: ignore[attr-defined]
