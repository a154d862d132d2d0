"""Finished leave requests per second through the web forms, served by gunicorn, against the engine alone.

A client is one applicant, one department head and one office clerk, each with their own login, doing
what their browsers do: open the start page, start a 请假 case, open its first step and submit it, see
待办; the head opens 待办, finds the case, opens it and approves it with an opinion; the office clerk does
the same for 办公室备案. Every request is a real HTTP request to gunicorn with the session cookie and the
CSRF token of the page the form came from; redirects are followed as separate requests, as a browser does.

    python benchmarks/http_throughput.py --pg-url postgresql://postgres@127.0.0.1:55432/postgres
    python benchmarks/http_throughput.py --sqlite --clients 1,4,8 --workers 2 [--json]

Printed per database and client count: finished instances/s, requests per instance, p50/p95/p99 per
request kind, server CPU per finished instance (user+system time of the gunicorn workers from /proc,
before and after), worker RSS before and after; and the engine-direct figure of the same model in the
same run (the same services called in this process, one committed transaction per step) with the
ratio HTTP/engine. Goals (issue "Fast where users wait"): PostgreSQL, 2 workers, 8 clients: CPU per
finished instance <= 40 ms, HTTP >= 0.5 x engine-direct, p95 per request <= 60 ms.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.scheduler_bench import drop_database, fresh_database  # noqa: E402

PASSWORD = "bench-pass-1"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
GOALS = {"cpu_ms_per_instance": 40.0, "http_vs_engine": 0.5, "p95_ms": 60.0}


# --------------------------------------------------------------------------- the database


def prepare(url: str, clients: int) -> None:
    """Schema, calendar, clock policies, the leave process and three people per client."""
    from engine.calendar import workdays
    from engine.clocks.policies import seed_policies
    from engine.core.db import make_engine, make_sessionmaker
    from engine.flow import definitions
    from engine.ops.assembly import Base
    from engine.org import directory as org

    engine = make_engine(url)
    Base.metadata.create_all(engine)
    now = datetime.now(UTC)
    with make_sessionmaker(engine).begin() as session:
        seed_policies(session)
        workdays.seed_official(session, now)
        org.ensure_department(session, "bench", "基准测试局")
        for k in range(clients):
            for role, group in (("a", "clerk"), ("h", "dept_head"), ("o", "office")):
                org.create_user(session, f"{role}{k}", password=PASSWORD, groups=[group], department="bench",
                                display_name=f"{role}{k}")
        org.create_user(session, "engine_a", groups=["clerk"], department="bench")
        org.create_user(session, "engine_h", groups=["dept_head"], department="bench")
        org.create_user(session, "engine_o", groups=["office"], department="bench")
        definitions.deploy(session, "admin", now, [("leave_request.bpmn",
                                                    (ROOT / "processes" / "leave_request.bpmn").read_bytes())])
    engine.dispose()


def engine_direct(url: str, n: int) -> float:
    """The same case through the services the views call: fresh session and one commit per step."""
    from engine.core.db import make_engine, make_sessionmaker
    from engine.flow import instances, tasks

    engine = make_engine(url)
    sessions = make_sessionmaker(engine)

    def one() -> None:
        with sessions.begin() as s:
            inst = instances.start(s, "engine_a", datetime.now(UTC), "leave_request", {"title": "请假"}, title="请假")
            iid = inst.id
        for who, data, opinion in (("engine_a", {"days": 2, "reason": "探亲"}, None),
                                   ("engine_h", {"approved": True, "opinion": "同意"}, "同意"),
                                   ("engine_o", {}, None)):
            with sessions.begin() as s:
                task_id = tasks.open_task_ids(s, iid)[0][0]
                tasks.complete(s, who, datetime.now(UTC), task_id, data, opinion)

    for _ in range(min(20, n)):
        one()
    started = time.perf_counter()
    for _ in range(n):
        one()
    rate = n / (time.perf_counter() - started)
    engine.dispose()
    return rate


# --------------------------------------------------------------------------- the server


class Server:
    """gunicorn serving webapp:create_app() with N sync workers on a free loopback port."""

    def __init__(self, url: str, workers: int, threads: int):
        self.url, self.workers, self.threads = url, workers, threads
        self.port = _free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        env = dict(os.environ, GOVFLOW_DATABASE_URL=self.url, GOVFLOW_SECRET_KEY=secrets.token_hex(32),
                   PYTHONPATH=str(ROOT))
        command = [sys.executable, "-m", "gunicorn", "-w", str(self.workers), "-b", f"127.0.0.1:{self.port}",
                   "--log-level", "warning", "--timeout", "120"]
        if self.threads > 1:
            command += ["-k", "gthread", "--threads", str(self.threads)]
        self.proc = subprocess.Popen(command + ["webapp:create_app()"], cwd=ROOT, env=env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/login")
                if conn.getresponse().status == 200 and len(self.worker_pids()) == self.workers:
                    return self
            except OSError:
                time.sleep(0.2)
        raise SystemExit("gunicorn did not start within 60 s")

    def __exit__(self, *exc: Any) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=30)

    def worker_pids(self) -> list[int]:
        assert self.proc is not None
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(p) for p in path.read_text().split()] if path.exists() else []

    def cpu_seconds(self) -> float:
        total = 0.0
        for pid in self.worker_pids():
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime
        return total

    def rss_mb(self) -> list[float]:
        return [int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE / 2**20 for pid in self.worker_pids()]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --------------------------------------------------------------------------- the clients


@dataclass
class Browser:
    """One person's browser: a cookie, the CSRF token of the last form, timings per request kind."""

    port: int
    timings: dict[str, list[float]]
    cookie: str = ""
    csrf: str = ""
    requests: int = 0

    def call(self, kind: str, method: str, path: str, form: dict[str, str] | None = None,
             expect: int = 200) -> tuple[int, str, str]:
        body = urlencode(form) if form is not None else None
        headers = {"Cookie": self.cookie} if self.cookie else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        started = time.perf_counter()
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        self.timings[kind].append((time.perf_counter() - started) * 1000)
        conn.close()
        self.requests += 1
        for header, value in response.getheaders():
            if header.lower() == "set-cookie" and value.startswith("session="):
                self.cookie = value.split(";", 1)[0]
        if response.status != expect:
            raise RuntimeError(f"{method} {path}: HTTP {response.status}, expected {expect}: {text[:300]}")
        if (token := CSRF.search(text)) is not None:
            self.csrf = token.group(1)
        return response.status, urlsplit(response.getheader("Location") or "").path, text

    def login(self, username: str) -> None:
        self.call("login page", "GET", "/login")
        self.call("login", "POST", "/login", {"username": username, "password": PASSWORD, "csrf_token": self.csrf},
                  expect=302)

    def task_in_inbox(self, title: str) -> str:
        _, _, page = self.call("待办", "GET", "/inbox/")
        found = re.search(r'href="/inbox/tasks/([^"]+)">' + re.escape(title) + "</a>", page)
        if found is None:
            raise RuntimeError(f"'{title}' is not in the inbox")
        return found.group(1)

    def work(self, task_id: str, form: dict[str, str]) -> None:
        self.call("办理页", "GET", f"/inbox/tasks/{task_id}")
        _, location, _ = self.call("提交", "POST", f"/inbox/tasks/{task_id}/complete",
                                   {**form, "csrf_token": self.csrf}, expect=302)
        self.call("待办", "GET", location)


@dataclass
class Client:
    number: int
    port: int
    timings: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    finished: int = 0
    error: str | None = None

    def __post_init__(self) -> None:
        self.applicant, self.head, self.office = (Browser(self.port, self.timings) for _ in range(3))

    def login(self) -> None:
        for browser, role in ((self.applicant, "a"), (self.head, "h"), (self.office, "o")):
            browser.login(f"{role}{self.number}")
        self.timings.clear()
        for browser in (self.applicant, self.head, self.office):
            browser.requests = 0

    def one_case(self, serial: int) -> None:
        title = f"请假 {self.number}-{serial}"
        a = self.applicant
        a.call("发起页", "GET", "/inbox/start")
        _, location, _ = a.call("发起", "POST", "/inbox/start",
                                {"process_id": "leave_request", "title": title, "csrf_token": a.csrf}, expect=302)
        a.work(location.rsplit("/", 1)[1], {"days": "2", "reason": "探亲", "start_date": "2026-12-14"})
        self.head.work(self.head.task_in_inbox(title), {"approved": "true", "opinion": "同意"})
        self.office.work(self.office.task_in_inbox(title), {})
        self.finished += 1

    def run(self, cases: int, offset: int) -> None:
        try:
            for serial in range(offset, offset + cases):
                self.one_case(serial)
        except Exception as exc:  # reported, and the run fails
            self.error = f"client {self.number}: {exc}"

    @property
    def requests(self) -> int:
        return self.applicant.requests + self.head.requests + self.office.requests


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def phase(server: Server, clients: int, cases: int, serial: int) -> dict[str, Any]:
    """`clients` clients each finishing `cases` cases at the same time."""
    crowd = [Client(k, server.port) for k in range(clients)]
    for c in crowd:
        c.login()
        c.one_case(serial - 1)  # warm: every worker has imported, parsed and cached what a case needs
        c.timings.clear()
        c.finished = 0
        for b in (c.applicant, c.head, c.office):
            b.requests = 0
    cpu_before, rss_before = server.cpu_seconds(), server.rss_mb()
    threads = [threading.Thread(target=c.run, args=(cases, serial)) for c in crowd]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    errors = [c.error for c in crowd if c.error]
    if errors:
        raise SystemExit("; ".join(errors))
    cpu = server.cpu_seconds() - cpu_before
    finished = sum(c.finished for c in crowd)
    kinds: dict[str, list[float]] = defaultdict(list)
    for c in crowd:
        for kind, values in c.timings.items():
            kinds[kind].extend(values)
    every = [v for values in kinds.values() for v in values]
    return {
        "clients": clients, "finished": finished, "seconds": round(elapsed, 2),
        "finished_per_s": round(finished / elapsed, 2),
        "requests_per_instance": round(sum(c.requests for c in crowd) / finished, 1),
        "cpu_ms_per_instance": round(cpu * 1000 / finished, 1),
        "p50_ms": round(statistics.median(every), 1), "p95_ms": round(percentile(every, 0.95), 1),
        "p99_ms": round(percentile(every, 0.99), 1),
        "kinds": {kind: {"n": len(v), "p50_ms": round(statistics.median(v), 1),
                         "p95_ms": round(percentile(v, 0.95), 1), "p99_ms": round(percentile(v, 0.99), 1)}
                  for kind, v in sorted(kinds.items())},
        "rss_mb_before": [round(v, 1) for v in rss_before], "rss_mb_after": [round(v, 1) for v in server.rss_mb()],
    }


def floor(server: Server, requests: int) -> dict[str, Any]:
    """Server CPU of the lightest pages a signed-in person opens (发起页: the process list, the header
    counts, the session) and of the login page without a session: what any request costs on this
    stack before a page does its own work. A case's 13 requests cost at least 13 times the first."""
    found: dict[str, Any] = {}
    for kind, path, signed_in in (("发起页", "/inbox/start", True), ("登录页", "/login", False)):
        browser = Browser(server.port, defaultdict(list))
        if signed_in:
            browser.login("a0")
        for _ in range(20):
            browser.call(kind, "GET", path)
        before = server.cpu_seconds()
        for _ in range(requests):
            browser.call(kind, "GET", path)
        found[kind] = round((server.cpu_seconds() - before) * 1000 / requests, 2)
    return found


# --------------------------------------------------------------------------- main


def run_database(label: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    counts = [int(c) for c in args.clients.split(",")]
    prepare(url, max(counts))
    engine_rate = engine_direct(url, args.engine_instances)
    result: dict[str, Any] = {"database": label, "workers": args.workers, "threads": args.threads,
                              "engine_direct_per_s": round(engine_rate, 2), "phases": []}
    with Server(url, args.workers, args.threads) as server:
        serial = 1
        for clients in counts:
            cases = max(1, args.cases // clients)
            found = phase(server, clients, cases, serial + 1)
            serial += cases + 2
            found["http_vs_engine"] = round(found["finished_per_s"] / engine_rate, 3)
            result["phases"].append(found)
            _print_phase(label, found, args.json)
        if args.rss_cases:
            found = phase(server, 8, max(1, args.rss_cases // 8), serial + 1)
            result["rss_run"] = {"finished": found["finished"], "rss_mb_before": found["rss_mb_before"],
                                 "rss_mb_after": found["rss_mb_after"],
                                 "growth_mb": [round(b - a, 1) for a, b in zip(found["rss_mb_before"],
                                                                               found["rss_mb_after"], strict=True)]}
            if not args.json:
                print(f"{label}, memory: {found['finished']} finished instances at 8 clients, worker RSS "
                      f"{found['rss_mb_before']} -> {found['rss_mb_after']} MB (goal: growth <= 10 MB over 10,000)")
        result["floor_cpu_ms_per_request"] = lightest = floor(server, args.floor_requests)
        if not args.json:
            print(f"{label}, floor: server CPU per request " + ", ".join(f"{k} {v} ms" for k, v in lightest.items())
                  + f"; 13 requests of the lightest signed-in page: {13 * lightest['发起页']:.1f} ms")
    return result


def _print_phase(label: str, p: dict[str, Any], quiet: bool) -> None:
    if quiet:
        return
    print(f"{label}, {p['clients']} client(s): {p['finished']} finished in {p['seconds']} s = "
          f"{p['finished_per_s']}/s ({p['http_vs_engine']} x engine-direct), {p['requests_per_instance']} requests "
          f"each, server CPU {p['cpu_ms_per_instance']} ms/instance, p50/p95/p99 {p['p50_ms']}/{p['p95_ms']}/"
          f"{p['p99_ms']} ms, worker RSS {p['rss_mb_before']} -> {p['rss_mb_after']} MB", flush=True)
    for kind, k in p["kinds"].items():
        print(f"    {kind:<8} n={k['n']:<5} p50 {k['p50_ms']:6.1f}  p95 {k['p95_ms']:6.1f}  p99 {k['p99_ms']:6.1f} ms")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pg-url", default=os.environ.get("GOVFLOW_BENCH_PG_URL"),
                    help="PostgreSQL admin URL; a fresh database is created from it and dropped afterwards")
    ap.add_argument("--sqlite", action="store_true", help="also run on a SQLite file")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1, help="gthread worker threads (1: sync workers)")
    ap.add_argument("--clients", default="1,4,8", help="comma-separated client counts, one phase each")
    ap.add_argument("--cases", type=int, default=80, help="finished cases per phase (split among the clients)")
    ap.add_argument("--engine-instances", type=int, default=100, help="instances of the engine-direct run")
    ap.add_argument("--rss-cases", type=int, default=0,
                    help="after the phases, finish this many more cases at 8 clients and print worker RSS growth")
    ap.add_argument("--floor-requests", type=int, default=200, help="requests per page of the floor measurement")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if not args.pg_url and not args.sqlite:
        ap.error("give --pg-url and/or --sqlite")
    results = []
    if args.sqlite:
        with tempfile.TemporaryDirectory(prefix="govflow-http-") as tmp:
            results.append(run_database("SQLite", f"sqlite:///{Path(tmp) / 'bench.db'}", args))
    if args.pg_url:
        url = fresh_database(args.pg_url)
        try:
            results.append(run_database("PostgreSQL", url, args))
        finally:
            drop_database(args.pg_url, url)
    met = True
    for r in results:
        if r["database"] != "PostgreSQL":
            continue
        for p in r["phases"]:
            if p["clients"] != 8 or r["workers"] != 2:
                continue
            checks = {"cpu_ms_per_instance": p["cpu_ms_per_instance"] <= GOALS["cpu_ms_per_instance"],
                      "http_vs_engine": p["http_vs_engine"] >= GOALS["http_vs_engine"],
                      "p95_ms": p["p95_ms"] <= GOALS["p95_ms"]}
            p["goals_met"] = checks
            met = met and all(checks.values())
            if not args.json:
                print("goals at 8 clients, 2 workers, PostgreSQL: " + ", ".join(
                    f"{k} {p[k]} ({'<=' if k != 'http_vs_engine' else '>='} {GOALS[k]}): "
                    f"{'met' if ok else 'NOT met'}" for k, ok in checks.items()))
    if args.json:
        print(json.dumps(results, indent=2, ensure_ascii=False))
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
