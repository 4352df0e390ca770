"""What the digest reports beside the figures: the working groups' observations from the
cells' meetings, and the members with repeated unexcused absences."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from domain.digest import MemberAtRisk, Observation, Period
from storage.queries.digest import CellScope, observations_between, unexcused_absences_between

# Members listed "at risk" from this many unexcused absences in the year (flagged at 3).
AT_RISK_FROM = 2


async def observations(
    session: AsyncSession, scope: CellScope, period: Period
) -> list[tuple[int, Observation]]:
    """What the working groups reported from the cells' meetings during the period, each
    with its cell's id."""
    rows = await observations_between(session, scope, period.start, period.end)
    return [
        (cell_id, Observation(cell, observer, text))
        for cell_id, cell, observer, text in rows
        if text
    ]


async def members_at_risk(
    session: AsyncSession, scope: CellScope, period_start: datetime, zone: ZoneInfo
) -> dict[int, list[MemberAtRisk]]:
    """Per cell, the members with repeated unexcused absences in the year the period starts
    in (the first digest of January still reports December's third absence)."""
    year = period_start.astimezone(zone).year
    rows = await unexcused_absences_between(
        session,
        scope,
        datetime(year, 1, 1, tzinfo=zone),
        datetime(year + 1, 1, 1, tzinfo=zone),
        AT_RISK_FROM,
    )
    found: dict[int, list[MemberAtRisk]] = defaultdict(list)
    for cell_id, cell_name, name, count in rows:
        found[cell_id].append(MemberAtRisk(name, cell_name, count))
    return found
