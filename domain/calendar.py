"""Months, quarters, the cutoff day, and when reminders and warnings fall due.

Every rule here reads times in the organisation's zone (DOMAIN.md: a month and a quarter
are calendar months and quarters in Asia/Ho_Chi_Minh) and takes ``now`` as a parameter.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# Warnings to secretaries arrive at the start of a working day, never at night.
MORNING = time(8, 0)
CUTOFF_WARNING_DAYS = (5, 1)
PLAN_DUE_WARNING_DAYS = (3, 1)
# Members who have not answered are nudged once, with the reminder a day before.
NUDGE_OFFSET_MINUTES = 24 * 60
QUARTER_WARNING_DAYS = (30, 14)
# The morning-after follow-up is worth sending for a week; later it is noise.
FOLLOW_UP_VALIDITY = timedelta(days=7)
# Minutes not recorded this long after the meeting are overdue (a reminder, a digest mark).
MINUTES_DUE_AFTER = timedelta(days=3)


class _Period(ABC):
    """A calendar month or quarter: from local midnight of its first day to the next one's."""

    @abstractmethod
    def first_day(self) -> date: ...

    @abstractmethod
    def next(self) -> _Period: ...

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        return _local_midnight(self.first_day(), zone), _local_midnight(
            self.next().first_day(), zone
        )


@dataclass(frozen=True, order=True)
class Month(_Period):
    year: int
    month: int

    @classmethod
    def of(cls, moment: datetime, zone: ZoneInfo) -> Month:
        local = moment.astimezone(zone)
        return cls(local.year, local.month)

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Month:
        return Month(self.year - (self.month == 1), 12 if self.month == 1 else self.month - 1)

    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self) -> str:
        """As people write it: 10/2026."""
        return f"{self.month:02d}/{self.year}"


@dataclass(frozen=True, order=True)
class Quarter(_Period):
    year: int
    number: int

    @classmethod
    def of(cls, moment: datetime, zone: ZoneInfo) -> Quarter:
        local = moment.astimezone(zone)
        return cls(local.year, (local.month - 1) // 3 + 1)

    def first_day(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    def next(self) -> Quarter:
        return Quarter(self.year + self.number // 4, self.number % 4 + 1)

    @property
    def key(self) -> str:
        return f"{self.year:04d}-Q{self.number}"

    @property
    def label(self) -> str:
        """As people write it after "quý" / "quarter": 3/2026."""
        return f"{self.number}/{self.year}"


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=zone)


def _morning(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, MORNING, tzinfo=zone)


def months_to_check(period_start: datetime, now: datetime, zone: ZoneInfo) -> list[Month]:
    """The months a report looks back on for a missed regular meeting: the one before now's,
    and every month of the period that is already over."""
    current = Month.of(now, zone)
    months = {current.previous()}
    month = Month.of(period_start, zone)
    while month < current:
        months.add(month)
        month = month.next()
    return sorted(months)


def quarters_to_check(now: datetime, zone: ZoneInfo) -> list[Quarter]:
    """The closed quarters a report looks back on for a missed thematic meeting: the last
    one, for the first month of the next (as a missed month stays for the month after)."""
    current = Quarter.of(now, zone)
    if Month.of(now, zone).first_day() != current.first_day():
        return []
    previous = Quarter(current.year - (current.number == 1), (current.number - 2) % 4 + 1)
    return [previous]


def owes_month(created_at: datetime, month: Month, cutoff_day: int, zone: ZoneInfo) -> bool:
    """A cell owes a month's regular meeting if it existed on that month's cutoff day: a cell
    created after the cutoff could not have met before it."""
    return created_at.astimezone(zone).date() <= cutoff_date(month, cutoff_day)


def owes_quarter(created_at: datetime, quarter: Quarter, zone: ZoneInfo) -> bool:
    """A cell owes a quarter's thematic meeting if it existed for most of the quarter
    (DOMAIN.md): more than half of its days, counting the day it was created."""
    end = quarter.next().first_day()
    days_in_quarter = (end - quarter.first_day()).days
    days_existed = (end - max(created_at.astimezone(zone).date(), quarter.first_day())).days
    return 2 * days_existed > days_in_quarter


def cutoff_date(month: Month, cutoff_day: int) -> date:
    return date(month.year, month.month, cutoff_day)


def cutoff_over(month: Month, cutoff_day: int, zone: ZoneInfo, now: datetime) -> bool:
    """Whether the month's cutoff day is over, so that its regular meeting is settled."""
    return now >= _local_midnight(cutoff_date(month, cutoff_day) + timedelta(days=1), zone)


def months_between(start: datetime, end: datetime, zone: ZoneInfo) -> list[Month]:
    """The months [start, end) touches, in order."""
    months, month = [], Month.of(start, zone)
    while month.bounds(zone)[0] < end:
        months.append(month)
        month = month.next()
    return months


def quarters_of(months: Iterable[Month]) -> list[Quarter]:
    """The quarters the months fall in, in order."""
    return sorted({Quarter(m.year, (m.month - 1) // 3 + 1) for m in months})


def is_after_cutoff(start: datetime, cutoff_day: int, zone: ZoneInfo) -> bool:
    """A regular meeting on a day past the cutoff is late for its month."""
    return start.astimezone(zone).day > cutoff_day


@dataclass(frozen=True)
class DueWarning:
    """A warning that is due now: for which period, and how many days ahead it was planned."""

    period: str
    days_before: int


def _latest_due(
    candidates: Iterable[tuple[str, int, datetime, datetime]], now: datetime
) -> DueWarning | None:
    """Of warnings (period, days, due, valid until), the one due most recently, if any.

    Sending only the latest means a bot that was down for a while sends one warning on
    return, not a burst of stale ones.
    """
    due = [(at, period, days) for period, days, at, until in candidates if at <= now < until]
    if not due:
        return None
    _, period, days = max(due)
    return DueWarning(period, days)


def cutoff_warning(
    now: datetime,
    cutoff_day: int,
    zone: ZoneInfo,
    days_before: Sequence[int] = CUTOFF_WARNING_DAYS,
) -> tuple[Month, DueWarning] | None:
    """The cutoff warning due now, for the month whose cutoff comes next."""
    this_month = Month.of(now, zone)
    found: list[tuple[Month, DueWarning]] = []
    for month in (this_month, this_month.next()):
        cutoff = cutoff_date(month, cutoff_day)
        until = _local_midnight(cutoff + timedelta(days=1), zone)
        warning = _latest_due(
            (
                (month.key, days, _morning(cutoff - timedelta(days=days), zone), until)
                for days in days_before
            ),
            now,
        )
        if warning is not None:
            found.append((month, warning))
    return found[0] if found else None


def plan_due_date(month: Month, plan_due_day: int) -> date:
    """The day by which ``month``'s regular meeting is to be planned: the organisation's
    plan-by day of the month before (its end, local time)."""
    before = month.previous()
    return date(before.year, before.month, plan_due_day)


def plan_due_over(month: Month, plan_due_day: int, zone: ZoneInfo, now: datetime) -> bool:
    """Whether the day to plan ``month`` by is over."""
    return now >= _local_midnight(plan_due_date(month, plan_due_day) + timedelta(days=1), zone)


def plan_due_warning(
    now: datetime,
    plan_due_day: int,
    zone: ZoneInfo,
    days_before: Sequence[int] = PLAN_DUE_WARNING_DAYS,
) -> tuple[Month, DueWarning] | None:
    """The warning due now that a month's plan-by day is near: next month's (due this
    month), or the month after next's, whose plan-by day early in next month is warned of
    in this one."""
    this_month = Month.of(now, zone)
    for month in (this_month.next(), this_month.next().next()):
        due = plan_due_date(month, plan_due_day)
        warning = _latest_due(
            (
                (
                    month.key,
                    days,
                    _morning(due - timedelta(days=days), zone),
                    _local_midnight(due + timedelta(days=1), zone),
                )
                for days in days_before
            ),
            now,
        )
        if warning is not None:
            return month, warning
    return None


def month_overdue_for_plan(
    now: datetime, plan_due_day: int, cutoff_day: int, zone: ZoneInfo
) -> Month | None:
    """The month whose plan-by day is over and whose cutoff is not yet: a cell without its
    regular meeting planned is behind on that plan until the cutoff judges the meeting
    itself (so a plan-by day late in the month is still looked at in the next one)."""
    this_month = Month.of(now, zone)
    if plan_due_over(this_month.next(), plan_due_day, zone, now):
        return this_month.next()
    # This month's plan-by day, in the month before, is over.
    return None if cutoff_over(this_month, cutoff_day, zone, now) else this_month


def owes_plan(created_at: datetime, month: Month, plan_due_day: int, zone: ZoneInfo) -> bool:
    """A cell owes a month's plan if it existed on the day to plan it by."""
    return created_at.astimezone(zone).date() <= plan_due_date(month, plan_due_day)


def quarter_warning(
    now: datetime, zone: ZoneInfo, days_left: Sequence[int] = QUARTER_WARNING_DAYS
) -> tuple[Quarter, DueWarning] | None:
    quarter = Quarter.of(now, zone)
    end = quarter.next().first_day()
    warning = _latest_due(
        (
            (
                quarter.key,
                days,
                _morning(end - timedelta(days=days), zone),
                _local_midnight(end, zone),
            )
            for days in days_left
        ),
        now,
    )
    return None if warning is None else (quarter, warning)


def due_reminder(
    start: datetime, broadcast_at: datetime, offsets_minutes: Sequence[int], now: datetime
) -> int | None:
    """The member reminder (its offset in minutes) to send now, or None.

    A reminder whose time fell before the invitation went out is skipped (the invitation
    itself said it all); of several due ones only the latest is sent.
    """
    due = [
        offset
        for offset in offsets_minutes
        if broadcast_at <= start - timedelta(minutes=offset) <= now < start
    ]
    return min(due) if due else None


def follow_up_due(start: datetime, now: datetime, zone: ZoneInfo) -> bool:
    """Whether it is the morning after the meeting (or the following week)."""
    morning_after = _morning(start.astimezone(zone).date() + timedelta(days=1), zone)
    return morning_after <= now < morning_after + FOLLOW_UP_VALIDITY
