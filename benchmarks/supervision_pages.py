"""The supervision pages benchmarks/pages_bench.py times as the supervisor: (name, path, p95 goal in ms).
The issue holds the supervision pages to p95 <= 150 ms (实时监察 for every department, one department or one
process; 预警; the overdue report); the reports page (a period's aggregates) is timed without a stated
goal (None)."""

PAGES = [
    ("实时监察 (all departments)", "/supervision/", 150),
    ("实时监察, one department", "/supervision/?department=bd008", 150),
    ("实时监察, one process", "/supervision/?process=licence_joint", 150),
    ("实时监察, page 50", "/supervision/?page=50", 150),
    ("预警, red", "/supervision/warnings", 150),
    ("预警, yellow", "/supervision/warnings?level=yellow", 150),
    ("超期 (overdue report)", "/supervision/overdue", 150),
    ("统计报表, 90 days", "/supervision/reports", None),
]
