"""The supervision pages benchmarks/pages_bench.py times as the supervisor: (name, path, p95 goal in ms).
The issue states goals for the overdue report and a department's 实时监察 (100 ms); the live list of every
department and the warnings are held to the same, and the reports page (a period's aggregates) is timed
without a stated goal (None)."""

PAGES = [
    ("实时监察 (all departments)", "/supervision/", 100),
    ("实时监察, one department", "/supervision/?department=bd008", 100),
    ("实时监察, one process", "/supervision/?process=licence_joint", 100),
    ("预警, red", "/supervision/warnings", 100),
    ("超期 (overdue report)", "/supervision/overdue", 100),
    ("统计报表, 90 days", "/supervision/reports", None),
]
