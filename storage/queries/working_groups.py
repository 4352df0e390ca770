"""What working groups read: a cell's coming meetings, who supervises the cell, and who was
sent to a meeting."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.meetings import MeetingStatus
from storage.models import Meeting, MeetingObserver, Person, SupervisorScope


async def coming_meetings_of_cell(
    session: AsyncSession, cell_id: int, now: datetime, limit: int
) -> Sequence[Meeting]:
    """The cell's scheduled meetings after ``now``, the soonest first."""
    return (
        await session.scalars(
            select(Meeting)
            .where(
                Meeting.cell_id == cell_id,
                Meeting.status == MeetingStatus.SCHEDULED,
                Meeting.starts_at > now,
            )
            .order_by(Meeting.starts_at)
            .limit(limit)
        )
    ).all()


async def supervisors_of_cell(
    session: AsyncSession, cell_id: int, organisation_id: int
) -> Sequence[Person]:
    """Who supervises the cell (it alone, or its whole organisation), by name."""
    return (
        await session.scalars(
            select(Person)
            .join(SupervisorScope, SupervisorScope.person_id == Person.id)
            .where(
                (SupervisorScope.cell_id == cell_id)
                | (
                    (SupervisorScope.organisation_id == organisation_id)
                    & SupervisorScope.cell_id.is_(None)
                )
            )
            .distinct()
            .order_by(Person.full_name)
        )
    ).all()


async def observer_of_meeting(
    session: AsyncSession, meeting_id: int, person_id: int
) -> MeetingObserver | None:
    """The person's assignment to observe the meeting, if they were sent to it."""
    return await session.scalar(
        select(MeetingObserver).where(
            MeetingObserver.meeting_id == meeting_id, MeetingObserver.person_id == person_id
        )
    )
