"""The real `govflow` console command against a fresh database (SQLite file or PostgreSQL): users,
deployment, a case from start to inbox to completion, JSON output, and refusals that exit non-zero
with a one-line reason. Each subprocess costs about a second, so the calls are grouped."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, select

from engine.core.db import make_sessionmaker
from engine.flow.models import HumanTask
from engine.ops.assembly import Base

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bpmn"
START_DATA = {"dept": "dept_tax", "backup": "", "deadline": "2026-11-10T09:00:00+08:00", "urgency": 7}


def _command() -> list[str]:
    """The installed console script (beside this interpreter first), else its entry point."""
    beside = Path(sys.executable).parent / "govflow"
    found = str(beside) if beside.exists() else shutil.which("govflow")
    return [found] if found else [sys.executable, "-c", "from webapp.console import main; main()"]


class Cli:
    def __init__(self, url: str, cwd: Path):
        self.url, self.cwd = url, cwd

    def __call__(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ, GOVFLOW_DATABASE_URL=self.url)
        result = subprocess.run([*_command(), *args], cwd=self.cwd, env=env, text=True, capture_output=True,
                                timeout=120)
        if ok:
            assert result.returncode == 0, f"{args}: {result.stderr}"
        else:
            assert result.returncode != 0, f"{args} should have failed: {result.stdout}"
        return result

    def json(self, *args: str) -> Any:
        return json.loads(self(*args, "--json").stdout)


def _one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


@pytest.fixture(scope="module")
def cli(databases, tmp_path_factory) -> tuple[Cli, Any]:
    """A database with two users and the approval and countersign processes, made through the CLI."""
    engine = databases.engine()
    run = Cli(engine.url.render_as_string(hide_password=False), tmp_path_factory.mktemp("cli"))
    assert run("users", "create", "alice", "--department", "dept_tax").stdout.strip() == "created user alice"
    run("users", "create", "rita", "--group", "reviewers", "--display-name", "Rita")
    deployed = run("definitions", "deploy", str(FIXTURES / "approval.bpmn"), str(FIXTURES / "countersign.bpmn"),
                   "--as", "alice")
    lines = deployed.stdout.splitlines()
    assert lines[:2] == ["approval version 1  [approval.bpmn]", "countersign version 1  [countersign.bpmn]"]
    assert any("countersign.bpmn:30 [countersign_notes]: warning" in line for line in lines)
    return run, engine


def test_deploy_json_and_list(cli) -> None:
    run, _ = cli
    payload = run.json("definitions", "deploy", str(FIXTURES / "approval.bpmn"), str(FIXTURES / "parent_call.bpmn"),
                       str(FIXTURES / "child_review.bpmn"))
    assert [(p["process_id"], p["version"], p["new"]) for p in payload["processes"]] == [
        ("approval", 1, False), ("parent_case", 1, True), ("child_review", 1, True)]
    assert {(p["severity"], p["code"], p["file"], p["line"]) for p in payload["problems"]} == {
        ("warning", "adapted-expression", "approval.bpmn", 45),
        # the fixture's form keys name no form of forms/: review gets the form its gateway needs
        ("warning", "form-key-unknown", "approval.bpmn", 19), ("warning", "form-key-unknown", "approval.bpmn", 27)}

    listed = run.json("definitions", "list")
    assert {(r["process_id"], r["version"], r["file"]) for r in listed} >= {
        ("approval", 1, "approval.bpmn"), ("countersign", 1, "countersign.bpmn"),
        ("parent_case", 1, "parent_call.bpmn"), ("child_review", 1, "child_review.bpmn")}
    assert "countersign_notes" not in {r["process_id"] for r in listed}
    assert all(isinstance(r["instances"], int) for r in listed)


def test_a_case_from_start_to_review(cli) -> None:
    run, engine = cli
    started = run.json("instances", "start", "approval", "--as", "alice", "--data", json.dumps(START_DATA))
    assert (started["status"], started["process_id"]) == ("running", "approval")
    instance_id = started["id"]
    with make_sessionmaker(engine)() as session:
        fill_id = session.scalar(select(HumanTask.id).where(HumanTask.instance_id == instance_id,
                                                            HumanTask.status == "open"))
    assert fill_id is not None

    refused = run("tasks", "complete", fill_id, "--as", "rita", "--data", "{}", ok=False)
    assert "rita may not work task" in _one_line_error(refused)

    done = run.json("tasks", "complete", fill_id, "--as", "alice", "--data", '{"amount": 1200}',
                    "--opinion", "请审批")
    assert (done["task"], done["instance_id"], done["instance_status"]) == (fill_id, instance_id, "running")
    [review] = done["open_tasks"]
    assert (review["element_id"], review["priority"]) == ("review", 7)
    assert review["form_key"].startswith("bpmn-"), "approval_review is no form of forms/: a generic one"
    assert set(review["candidates"]) == {"group:reviewers", "group:dept_tax"}

    inbox = run.json("tasks", "list", "--user", "rita")
    assert [(t["id"], t["instance_id"]) for t in inbox if t["instance_id"] == instance_id] == [
        (review["id"], instance_id)]

    shown = run.json("instances", "show", str(instance_id))
    assert (shown["status"], shown["started_by"], shown["version"]) == ("running", "alice", 1)
    assert shown["data"]["amount"] == 1200 and shown["data"]["starter"] == "alice"
    assert [t["element_id"] for t in shown["open_tasks"]] == ["review"]
    assert [(e["action"], e["actor"]) for e in shown["audit"]] == [("start", "alice"), ("complete", "alice")]
    assert shown["audit"][1]["opinion"] == "请审批" and shown["audit"][1]["changes"] == {"amount": [None, 1200]}


def test_refusals_exit_non_zero_with_a_reason(cli, tmp_path) -> None:
    run, _ = cli
    unknown = run("instances", "start", "no_such_process", "--as", "alice", ok=False)
    assert "no_such_process" in _one_line_error(unknown) and "not deployed" in unknown.stderr

    bad_json = run("instances", "start", "approval", "--as", "alice", "--data", "{approved: yes}", ok=False)
    assert "--data is not valid JSON" in _one_line_error(bad_json)

    hostile = tmp_path / "hostile.bpmn"
    hostile.write_bytes(b'<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
                        b'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">&x;</definitions>\n')
    broken = tmp_path / "broken.bpmn"
    broken.write_text((FIXTURES / "approval.bpmn").read_text().replace('targetRef="review"', 'targetRef="nowhere"'))
    refused = run("definitions", "deploy", str(hostile), str(broken), ok=False)
    lines = refused.stderr.strip().splitlines()
    assert lines[-1].startswith("error: cannot deploy:")
    assert any(line.startswith("hostile.bpmn:2: error:") and "DOCTYPE" in line for line in lines)
    assert any(line.startswith("broken.bpmn:") and "nowhere" in line for line in lines)
    assert all(line.split(":")[1].split(" ")[0].isdigit() for line in lines[:-1])  # every problem has a line


def test_conformance_directory(tmp_path) -> None:
    for name in ("approval.bpmn", "parent_call.bpmn", "child_review.bpmn"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    (tmp_path / "notes.bpmn").write_text("<notes>not BPMN</notes>")
    run = Cli(f"sqlite:///{tmp_path / 'unused.db'}", tmp_path)
    report = {entry["file"]: entry for entry in run.json("conformance", str(tmp_path))}
    assert {name: entry["status"] for name, entry in report.items()} == {
        "approval.bpmn": "deployed", "child_review.bpmn": "deployed", "notes.bpmn": "refused",
        "parent_call.bpmn": "deployed"}  # the caller deploys once the file it calls is in
    assert "definitions" in report["notes.bpmn"]["reason"]
    assert [(e["code"], e["line"]) for e in report["notes.bpmn"]["errors"]] == [("not-bpmn", 1)]
    assert [p["process_id"] for p in report["parent_call.bpmn"]["processes"]] == ["parent_case"]


def test_db_upgrade_builds_the_schema_on_an_empty_database(databases, tmp_path) -> None:
    engine = databases.engine(create_schema=False)
    assert inspect(engine).get_table_names() == []
    run = Cli(engine.url.render_as_string(hide_password=False), tmp_path)
    run("db", "upgrade")
    engine.dispose()
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables and "alembic_version" in tables


EXTRA = Path(__file__).resolve().parents[1] / "conformance" / "extra"


def test_deploy_takes_the_decisions_and_forms_the_bpmn_names_from_beside_it(cli) -> None:
    run, _ = cli
    decided = run.json("definitions", "deploy", str(EXTRA / "leave_with_decisions.bpmn"))
    assert decided["added"] == ["leave_rules.dmn"]
    assert [p["process_id"] for p in decided["processes"]] == ["leave_with_decisions"]
    trip = run("definitions", "deploy", str(EXTRA / "spiff_trip.bpmn"))
    assert trip.stdout.splitlines()[:3] == [
        "with approve-trip-schema.json (named by the BPMN, found beside it)",
        "with describe-trip-schema.json (named by the BPMN, found beside it)",
        "with describe-trip-uischema.json (named by the BPMN, found beside it)"]
    alone = run("definitions", "deploy", str(EXTRA / "risk_rules_dmn11.dmn"),
                str(EXTRA / "spiff_risk_review.bpmn"), "--only-given")
    assert "spiff_risk_review version 1" in alone.stdout
    refused = run("definitions", "deploy", str(EXTRA / "spiff_risk_review.bpmn"), "--only-given", ok=False)
    assert "decision 'risk_level', which no DMN file of this upload defines" in refused.stderr
