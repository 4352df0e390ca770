"""What attendance reads: a meeting's invitees, the meeting a check-in means (by the time,
the room's code or a check-in link) and the year's absences without reason."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.attendance import RollStatus
from domain.meetings import MeetingStatus
from storage.models import Invitation, Meeting, Person


async def invitees_of_meeting(
    session: AsyncSession, meeting_id: int
) -> list[tuple[Invitation, Person]]:
    """Every invitation of the meeting with its person, by name."""
    query = (
        select(Invitation, Person)
        .join(Person, Person.id == Invitation.person_id)
        .where(Invitation.meeting_id == meeting_id)
        .order_by(Person.full_name, Person.id)
    )
    return [(invitation, person) for invitation, person in await session.execute(query)]


async def invitation_of_person(
    session: AsyncSession, meeting_id: int, person_id: int
) -> Invitation | None:
    return await session.scalar(
        select(Invitation).where(
            Invitation.meeting_id == meeting_id, Invitation.person_id == person_id
        )
    )


async def scheduled_meetings_of_cells_between(
    session: AsyncSession,
    cell_ids: list[int],
    *,
    starting_by: datetime,
    ending_after: datetime,
    checkin_code: str | None = None,
) -> list[Meeting]:
    """The cells' scheduled meetings that start by one moment and end after another (with
    that check-in code, when given), earliest first."""
    query = select(Meeting).where(
        Meeting.cell_id.in_(cell_ids),
        Meeting.status == MeetingStatus.SCHEDULED,
        Meeting.starts_at <= starting_by,
        Meeting.ends_at > ending_after,
    )
    if checkin_code is not None:
        query = query.where(Meeting.checkin_code == checkin_code)
    return list((await session.scalars(query.order_by(Meeting.starts_at))).all())


async def meeting_with_checkin_token(session: AsyncSession, token: str) -> Meeting | None:
    return await session.scalar(select(Meeting).where(Meeting.checkin_token == token))


async def unexcused_absences_between(
    session: AsyncSession, person_ids: list[int], start: datetime, end: datetime
) -> dict[int, int]:
    """For each of the people, their absences without reason at meetings starting in
    [start, end) whose roll is closed, where they were expected; people without any are left
    out."""
    rows = await session.execute(
        select(Invitation.person_id, func.count(Invitation.id))
        .join(Meeting, Meeting.id == Invitation.meeting_id)
        .where(
            Invitation.person_id.in_(person_ids),
            Invitation.roll_status == RollStatus.UNEXCUSED,
            Invitation.exempted.is_(False),
            Meeting.roll_closed_at.is_not(None),
            Meeting.starts_at >= start,
            Meeting.starts_at < end,
        )
        .group_by(Invitation.person_id)
    )
    return {person_id: count for person_id, count in rows.all()}
