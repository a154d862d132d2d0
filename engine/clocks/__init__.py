"""Statutory and local time limits: policies with their legal basis (policies), the arithmetic of due
and warning moments over pauses and extensions (schedule), each clock's life from start to finish and
the scheduler's checks (lifecycle), 黄牌/红牌 warnings and expiry actions (alerts). A clock knows its
case and step by id only; what it needs of them it asks through `links`, which the flow layer installs.
It may import engine.calendar, engine.org, engine.intake and engine.core; never the process runtime."""
