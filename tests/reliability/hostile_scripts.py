"""Scripts that grow a process by gigabytes or spin a CPU in one operation, without any loop.

Run as a program it executes each in this process's sandbox and prints one line per script (refused or
not, with the reason) and then the peak resident memory, for test_sandbox_caps.py to read."""

from __future__ import annotations

import sys
from pathlib import Path

HOSTILE = {
    "to_bytes": "x = (1).to_bytes(10**9, 'big')",
    "str_of_shared_list": "x = str(['a' * 10**6] * 10000)",
    "repr_of_nested": "x = repr([[0] * 100000] * 10000)",
    "fstring_of_list": "x = f\"{['a' * 10**6] * 100}\"",
    "percent_of_list": "x = '%s' % (['a' * 10**5] * 1000,)",
    "print_of_list": "print(['a' * 10**6] * 100)",
    "modular_pow": "x = pow(3, 10**15000 - 1, 10**15000 + 7)",
    "many_large_lists": "\n".join(f"a{n} = [{n}] * 1000000" for n in range(60)),
    "sorting_without_loops": "l = [(i * 7919) % 50021 for i in range(50000)]\n" + "x = sorted(l)\n" * 3000,
}


def peak_mb() -> int:
    """This program's own peak resident memory (VmHWM). Not getrusage's ru_maxrss: Linux keeps that
    across fork and exec, so a child of a large test worker would report the worker's size."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def main() -> None:
    from engine.bpmn.sandbox import SandboxEnvironment, SandboxViolation
    from webapp import create_app

    create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True})  # everything a web worker loads
    print(f"start_rss_mb\t{peak_mb()}")

    env = SandboxEnvironment()
    for name, script in HOSTILE.items():
        try:
            env.execute(script, {})
            print(f"{name}\tran")
        except SandboxViolation as exc:
            print(f"{name}\trefused\t{exc}")
        except Exception as exc:  # reported: the test expects a refusal
            print(f"{name}\tfailed\t{type(exc).__name__}: {exc}")
    print(f"peak_rss_mb\t{peak_mb()}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
