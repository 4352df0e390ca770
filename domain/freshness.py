"""When the digest's figures change by the clock alone, their data unchanged.

Every moment the figures compare ``now`` with is a local midnight (cutoff days, plan-by days,
a quarter's last thirty days, the ends of months and quarters), a meeting's start (it is then
held), the moment its minutes fall due, or a paper's due time."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from domain.calendar import MINUTES_DUE_AFTER


class ComingMoments(NamedTuple):
    """The next of each moment the figures turn at, as the database holds them (None: none)."""

    meeting_starts: datetime | None  # the first meeting starting after now
    # The first meeting started less than MINUTES_DUE_AFTER ago, or starting later.
    meeting_due_minutes: datetime | None
    paper_due: datetime | None  # the first paper due at or after now


def figures_valid_until(now: datetime, zone: ZoneInfo, coming: ComingMoments) -> datetime:
    """The first moment at which figures worked out ``now`` may be out of date by the clock."""
    local = now.astimezone(zone)
    moments = [datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=zone)]
    if coming.meeting_starts is not None:
        moments.append(coming.meeting_starts)
    if coming.meeting_due_minutes is not None:
        moments.append(coming.meeting_due_minutes + MINUTES_DUE_AFTER)
    if coming.paper_due is not None:
        moments.append(coming.paper_due)
    return min(moments)
