"""Organisation settings that rules depend on."""

from __future__ import annotations

# Every month has a 28th, so a cutoff day up to 28 exists in each month.
MIN_CUTOFF_DAY = 1
MAX_CUTOFF_DAY = 28
DEFAULT_CUTOFF_DAY = 10


def valid_cutoff_day(day: int) -> bool:
    return MIN_CUTOFF_DAY <= day <= MAX_CUTOFF_DAY


def valid_plan_due_day(day: int) -> bool:
    """The plan-by day (by which next month's regular meeting is planned) is a day of every
    month, as the cutoff day is."""
    return valid_cutoff_day(day)
