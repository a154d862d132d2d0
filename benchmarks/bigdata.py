"""A PostgreSQL database the size the inbox and reporting goals are stated on (up to 1,000,000 open tasks
and 1,000,000 running clocks).

The real organisation and the shipped processes are created through the engine; the bulk rows are
generated on the server with generate_series, shaped like real work: every case has four steps, every
running case one open step (the first `open_clocks` of them with a statutory clock: a tenth warned, a
tenth overdue, and the open step's deadline and warning level as engine.flow.task_deadlines keeps them),
every finished case a finished clock (on time or late, with working days used), half the open steps
assigned to a person and half waiting for a department group. Every department has a head (group
dept_head, the clerks' supervisor) who sees the department's pooled steps; a tenth of the cases are copied
to a clerk, every mayor's-mailbox case has its letter in the folder its state implies, and one open clock
in a thousand waits for an extension decision. Used by benchmarks/pages_bench.py.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine

from benchmarks.scheduler_bench import drop_database, fresh_database  # noqa: F401  (pages_bench drops with it)
from engine.calendar import workdays
from engine.clocks.policies import seed_policies
from engine.core.db import make_engine, make_sessionmaker
from engine.flow import definitions
from engine.ops.assembly import Base
from engine.org import demo as demo_org

ROOT = Path(__file__).resolve().parents[1]
STEPS_PER_CASE = 4
CLERKS_PER_DEPT = 20
DEPARTMENTS = 100  # a large city: bureaus, district offices and service centres
BULK_TABLES = ("instance", "human_task", "task_candidate", "clock", "carbon_copy", "letter", "extension_request")


@dataclass
class Shape:
    """`tasks` rows in all; `open_tasks` running cases (default: one per open clock), the first
    `open_clocks` of them with a running clock. Running cases come first, so tasks < 4 x open_tasks
    simply means no finished cases."""

    tasks: int = 1_000_000
    open_clocks: int = 100_000
    open_tasks: int | None = None

    @property
    def running(self) -> int:
        return self.open_clocks if self.open_tasks is None else self.open_tasks

    @property
    def cases(self) -> int:
        return max(self.tasks // STEPS_PER_CASE, self.running)


def _organisation(engine: Engine, now: datetime) -> None:
    """Policies, calendar, the demo organisation and the shipped processes, through the engine."""
    sessions = make_sessionmaker(engine)
    with sessions.begin() as session:
        seed_policies(session)
        workdays.seed_official(session, now)
        demo_org.seed_org(session)
        files = sorted((ROOT / "processes").glob("*.bpmn"))
        definitions.deploy(session, "admin", now, [(f.name, f.read_bytes()) for f in files])


STATEMENTS = [
    # departments beside the demo ones, each with its clerks' group
    """INSERT INTO department (code, name) SELECT code, '第' || k || '局' FROM unnest(:depts) WITH ORDINALITY AS d(code, k)""",
    """INSERT INTO user_group (code, name, department_id)
       SELECT d.code || '_clerk', d.name || '经办人', d.id FROM department d WHERE d.code = ANY(:depts)""",
    # clerks: CLERKS_PER_DEPT per department, members of <dept>_clerk
    """INSERT INTO user_account (username, display_name, department_id, active)
       SELECT 'b_' || d.code || '_' || k, d.name || ' 经办人' || k, d.id, true
       FROM department d CROSS JOIN generate_series(0, :clerks - 1) k WHERE d.code = ANY(:depts)""",
    """INSERT INTO membership (user_id, group_id)
       SELECT u.id, g.id FROM user_account u JOIN department d ON d.id = u.department_id
       JOIN user_group g ON g.code = d.code || '_clerk' WHERE u.username LIKE 'b\\_%'""",
    # a head per department: group dept_head, sees the department's pooled steps, the clerks' supervisor
    """INSERT INTO user_group (code, name) SELECT 'dept_head', '部门负责人'
       WHERE NOT EXISTS (SELECT 1 FROM user_group WHERE code = 'dept_head')""",
    """INSERT INTO user_account (username, display_name, department_id, active)
       SELECT 'h_' || d.code, d.name || ' 负责人', d.id, true FROM department d WHERE d.code = ANY(:depts)""",
    """INSERT INTO membership (user_id, group_id)
       SELECT u.id, g.id FROM user_account u JOIN department d ON d.id = u.department_id
       JOIN user_group g ON g.code IN ('dept_head', d.code || '_clerk') WHERE u.username LIKE 'h\\_%'""",
    """UPDATE user_account u SET supervisor_id = h.id FROM user_account h
       WHERE u.username LIKE 'b\\_%' AND h.username LIKE 'h\\_%' AND h.department_id = u.department_id""",
    # cases: the first `running` are running, the rest finished; spread over the last 400 days
    """INSERT INTO instance (uid, process_version_id, process_id, status, title, state, started_by, started_at,
                             ended_at, lock_version)
       SELECT md5('case' || g), pv.id, pv.process_id, CASE WHEN g <= :running THEN 'running' ELSE 'completed' END,
              '案件' || g || (ARRAY['关于道路整修的来信','食品经营许可申请','关于安全生产的通知','收文办理'])[1 + g % 4],
              '', 'b_' || (:depts)[1 + g % :ndept] || '_' || (g / :ndept) % :clerks,
              CAST(:now AS timestamp) - ((g % 400) || ' days')::interval - ((g % 24) || ' hours')::interval,
              CASE WHEN g <= :running THEN NULL
                   ELSE CAST(:now AS timestamp) - ((g % 400) || ' days')::interval + ((g % 25) || ' days')::interval END,
              1
       FROM generate_series(1, :cases) g
       JOIN (SELECT id, process_id, row_number() OVER (ORDER BY id) - 1 AS n FROM process_version) pv
         ON pv.n = (g / 100) % (SELECT count(*) FROM process_version)""",
    # four steps per case; the last step of a running case is open
    """INSERT INTO human_task (id, instance_id, process_id, element_id, name, kind, status, assignee,
                               created_at, completed_at, completed_by, properties, deadline_at, warning_level)
       SELECT md5(i.id || '-' || k)::uuid::text, i.id, i.process_id, 'step' || k, '第' || k || '步', 'user',
              CASE WHEN i.status = 'running' AND k = :steps THEN 'open' ELSE 'completed' END,
              CASE WHEN i.status = 'running' AND k = :steps AND (i.id / 1000) % 2 = 0 THEN
                   'b_' || (:depts)[1 + i.id % :ndept] || '_' || (i.id / 7) % :clerks
                   WHEN i.status = 'running' AND k = :steps THEN NULL
                   ELSE 'b_' || (:depts)[1 + (i.id + k) % :ndept] || '_' || ((i.id + k) / :ndept) % :clerks END,
              i.started_at + ((k - 1) || ' days')::interval,
              CASE WHEN i.status = 'running' AND k = :steps THEN NULL ELSE i.started_at + (k || ' days')::interval END,
              CASE WHEN i.status = 'running' AND k = :steps THEN NULL
                   ELSE 'b_' || (:depts)[1 + (i.id + k) % :ndept] || '_' || ((i.id + k) / :ndept) % :clerks END,
              '{}',
              CASE WHEN i.status <> 'running' OR k < :steps OR i.id >= :first + :clocks THEN NULL
                   WHEN (i.id / 100) % 10 = 0 THEN CAST(:now AS timestamp) - ((i.id % 9 + 1) || ' days')::interval
                   WHEN (i.id / 100) % 10 = 1 THEN CAST(:now AS timestamp) + interval '1 day'
                   ELSE CAST(:now AS timestamp) + ((i.id % 20 + 3) || ' days')::interval END,
              CASE WHEN i.status <> 'running' OR k < :steps OR i.id >= :first + :clocks THEN 'none'
                   WHEN (i.id / 100) % 10 = 0 THEN 'red' WHEN (i.id / 100) % 10 = 1 THEN 'yellow' ELSE 'none' END
       FROM instance i CROSS JOIN generate_series(1, :steps) k WHERE i.state = ''""",
    # candidate groups: the open steps waiting for a group, and (as in real history) half the finished ones
    """INSERT INTO task_candidate (task_id, kind, value, open)
       SELECT t.id, 'group', (:depts)[1 + t.instance_id % :ndept] || '_clerk', t.status = 'open'
       FROM human_task t WHERE (t.status = 'open' AND t.assignee IS NULL)
                            OR (t.status = 'completed' AND (t.instance_id + length(t.element_id)) % 2 = 1)""",
    # one statutory clock on every open step: a tenth overdue, a tenth warned
    """INSERT INTO clock (instance_id, process_id, task_id, element_id, policy_code, legal_basis, unit, limit_days, extended_days,
                          started_at, due_at, warn_at, provisional, status, warning_level, active, next_check_at,
                          used_working_days, responsible, department_code, lock_version)
       SELECT t.instance_id, t.process_id, t.id, t.element_id, 'xk_decision', '《行政许可法》第四十二条', 'wd', 20,
              CASE WHEN t.instance_id % 37 = 0 THEN 10 ELSE 0 END, t.created_at,
              CASE WHEN (t.instance_id / 100) % 10 = 0 THEN CAST(:now AS timestamp) - ((t.instance_id % 9 + 1) || ' days')::interval
                   WHEN (t.instance_id / 100) % 10 = 1 THEN CAST(:now AS timestamp) + interval '1 day'
                   ELSE CAST(:now AS timestamp) + ((t.instance_id % 20 + 3) || ' days')::interval END,
              CAST(:now AS timestamp) - interval '1 day', false,
              CASE WHEN (t.instance_id / 100) % 10 = 0 THEN 'overdue' WHEN (t.instance_id / 100) % 10 = 1 THEN 'warned' ELSE 'running' END,
              CASE WHEN (t.instance_id / 100) % 10 = 0 THEN 'red' WHEN (t.instance_id / 100) % 10 = 1 THEN 'yellow' ELSE 'none' END,
              true, CAST(:now AS timestamp) + interval '1 hour', t.instance_id % 20,
              coalesce(t.assignee, 'b_' || (:depts)[1 + t.instance_id % :ndept] || '_0'),
              (:depts)[1 + t.instance_id % :ndept], 1
       FROM human_task t WHERE t.status = 'open' AND t.instance_id < :first + :clocks""",
    # finished cases: one finished clock each, a twentieth late
    """INSERT INTO clock (instance_id, process_id, task_id, element_id, policy_code, legal_basis, unit, limit_days, extended_days,
                          started_at, due_at, warn_at, provisional, status, warning_level, active, next_check_at,
                          used_working_days, responsible, department_code, finished_at, lock_version)
       SELECT i.id, i.process_id, NULL, NULL, 'xk_decision', '《行政许可法》第四十二条', 'wd', 20, 0, i.started_at,
              i.started_at + interval '28 days', NULL, false,
              CASE WHEN i.id % 20 = 0 THEN 'finished_late' ELSE 'finished_on_time' END,
              CASE WHEN i.id % 20 = 0 THEN 'red' ELSE 'none' END, false, NULL,
              CASE WHEN i.id % 20 = 0 THEN 21 + i.id % 5 ELSE 1 + i.id % 19 END, i.started_by,
              (:depts)[1 + i.id % :ndept], i.ended_at, 1
       FROM instance i WHERE i.status = 'completed' AND i.state = ''""",
    # 抄送: a tenth of the cases copied to a clerk of another department, half of them read
    """INSERT INTO carbon_copy (instance_id, sender, recipient, note, created_at, read_at)
       SELECT i.id, i.started_by, 'b_' || (:depts)[1 + (i.id / 10) % :ndept] || '_' || (i.id / 1000) % :clerks,
              '请阅', i.started_at + interval '1 hour',
              CASE WHEN i.id % 20 = 0 THEN NULL ELSE i.started_at + interval '1 day' END
       FROM instance i WHERE i.state = '' AND i.id % 10 = 0""",
    # the mayor's mailbox: every case of its process has a letter, in the folder its state implies
    """INSERT INTO letter (code, password_hash, instance_id, writer_name, phone, category, title, content,
                           wants_public, screen_hits, folder, published, submitted_at, finished_at, failed_checks)
       SELECT 'XJ' || lpad(i.id::text, 10, '0'), '', i.id, '市民' || i.id % 1000, '13800000000',
              (ARRAY['consult','suggest','complain'])[1 + i.id % 3], i.title, '来信内容', false, '[]',
              CASE WHEN i.status = 'running' AND i.id % 5 = 0 THEN 'new' WHEN i.status = 'running' THEN 'handling'
                   WHEN i.id % 10 = 0 THEN 'rejected' WHEN i.id % 50 = 1 THEN 'recycle' ELSE 'done' END,
              i.status <> 'running' AND i.id % 3 = 0, i.started_at, i.ended_at, 0
       FROM instance i WHERE i.state = '' AND i.process_id = 'mayor_mailbox'""",
    # one open clock in a thousand waits for its department head's decision on an extension
    """INSERT INTO extension_request (clock_id, instance_id, days, reason, requested_by, requested_at, status)
       SELECT c.id, c.instance_id, 5, '需补正材料', c.responsible, CAST(:now AS timestamp) - interval '2 hours', 'pending'
       FROM clock c WHERE c.active AND c.id % 1000 = 0""",
]


def build(admin_url: str, shape: Shape, now: datetime) -> str:
    """A new database holding `shape`; returns its URL. Prints what each stage took."""
    url = fresh_database(admin_url)
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    _organisation(engine, now)
    # The bulk tables' secondary indexes are built once after the load (sorted, not row by row).
    indexes = [index for name in BULK_TABLES for index in Base.metadata.tables[name].indexes]
    with engine.begin() as conn:
        for index in indexes:
            index.drop(conn)
    depts = [f"bd{k:03d}" for k in range(1, DEPARTMENTS + 1)]
    params = {"depts": depts, "ndept": len(depts), "clerks": CLERKS_PER_DEPT,
              "running": shape.running, "clocks": shape.open_clocks, "cases": shape.cases, "steps": STEPS_PER_CASE,
              "now": now.astimezone(UTC).replace(tzinfo=None),
              "first": 1}  # the bulk cases are the database's first instances: their ids run from 1
    for statement in STATEMENTS:
        started = time.perf_counter()
        with engine.begin() as conn:
            rows = conn.execute(text(statement), params).rowcount
        words = statement.split()
        table = words[2] if words[0] == "INSERT" else words[1]
        print(f"  {table:<18} {rows:>9,} rows  {time.perf_counter() - started:6.1f} s", flush=True)
    started = time.perf_counter()
    with engine.begin() as conn:
        for index in indexes:
            index.create(conn)
    print(f"  {len(indexes)} indexes{'':<16}{time.perf_counter() - started:6.1f} s", flush=True)
    started = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    print(f"  vacuum analyze{'':<19}{time.perf_counter() - started:6.1f} s", flush=True)
    engine.dispose()
    return url

