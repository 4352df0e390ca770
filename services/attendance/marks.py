"""Each member's marks on a cell's closed rolls over a period, as the dashboard's cell page
and the year's workbook list them: the current members by name, then those who left during
the period, whose marks still count (the digest reports them at risk as it counts them)."""

from __future__ import annotations

from collections import defaultdict
from typing import NamedTuple

from sqlalchemy.ext.asyncio import AsyncSession

from domain.attendance import RollStatus
from domain.dashboard import MemberAttendance, member_attendance
from domain.digest import Period
from storage.queries.dashboard import current_members, member_rolls_between
from storage.queries.digest import people_by_id


class MarkedMember(NamedTuple):
    person_id: int
    attendance: MemberAttendance


async def marks_over(session: AsyncSession, cell_id: int, period: Period) -> list[MarkedMember]:
    marks: dict[int, dict[RollStatus, int]] = defaultdict(dict)
    for person_id, status, count in await member_rolls_between(
        session, cell_id, period.start, period.end
    ):
        marks[person_id][status] = count
    current = await current_members(session, cell_id)
    gone = await people_by_id(session, set(marks) - {m.person_id for m in current})
    return [
        MarkedMember(m.person_id, member_attendance(m.name, marks[m.person_id])) for m in current
    ] + sorted(
        (
            MarkedMember(p.id, member_attendance(p.full_name, marks[p.id], left=True))
            for p in gone.values()
        ),
        key=lambda m: m.attendance.name,
    )
