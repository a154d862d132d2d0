"""The working-day calendar: the official State Council schedule with 调休, administrators' overrides
and provisional years (workdays, models), and due dates counted in working or calendar days. Others
learn of a changed day through `workdays.ON_CALENDAR_CHANGE`. It may import engine.core and engine.org."""
