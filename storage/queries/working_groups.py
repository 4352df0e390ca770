"""What working groups read beyond the meetings and cells queries: who was sent to a
meeting."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import MeetingObserver


async def observer_of_meeting(
    session: AsyncSession, meeting_id: int, person_id: int
) -> MeetingObserver | None:
    """The person's assignment to observe the meeting, if they were sent to it."""
    return await session.scalar(
        select(MeetingObserver).where(
            MeetingObserver.meeting_id == meeting_id, MeetingObserver.person_id == person_id
        )
    )
