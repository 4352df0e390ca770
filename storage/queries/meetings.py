"""What scheduling, changing and planning meetings read (and the one write that clears every
invitation's answer at once)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.meetings import MeetingKind, MeetingStatus
from storage.models import Cell, Invitation, Meeting, Person


async def scheduled_meeting_between(
    session: AsyncSession,
    cell_id: int,
    kind: MeetingKind,
    start: datetime,
    end: datetime,
    *,
    except_meeting: int | None = None,
) -> Meeting | None:
    """The cell's first scheduled meeting of ``kind`` starting in [start, end), leaving out
    ``except_meeting`` (the one being moved)."""
    query = select(Meeting).where(
        Meeting.cell_id == cell_id,
        Meeting.kind == kind,
        Meeting.status == MeetingStatus.SCHEDULED,
        Meeting.starts_at >= start,
        Meeting.starts_at < end,
    )
    if except_meeting is not None:
        query = query.where(Meeting.id != except_meeting)
    return await session.scalar(query.order_by(Meeting.starts_at).limit(1))


async def scheduled_meeting_at(
    session: AsyncSession, cell_id: int, kind: MeetingKind, starts_at: datetime
) -> Meeting | None:
    """The cell's scheduled meeting of ``kind`` at exactly that moment (a confirmation pressed
    twice made it already)."""
    return await session.scalar(
        select(Meeting).where(
            Meeting.cell_id == cell_id,
            Meeting.kind == kind,
            Meeting.starts_at == starts_at,
            Meeting.status == MeetingStatus.SCHEDULED,
        )
    )


async def upcoming_meetings(
    session: AsyncSession, cell_id: int, now: datetime, limit: int, *, include_begun: bool = True
) -> Sequence[Meeting]:
    """The cell's scheduled meetings not yet over (with ``include_begun=False``: not yet begun),
    soonest first."""
    return (
        await session.scalars(
            select(Meeting)
            .where(
                Meeting.cell_id == cell_id,
                Meeting.status == MeetingStatus.SCHEDULED,
                (Meeting.ends_at if include_begun else Meeting.starts_at) > now,
            )
            .order_by(Meeting.starts_at)
            .limit(limit)
        )
    ).all()


async def last_place_of_cell(session: AsyncSession, cell_id: int) -> str | None:
    """Where the cell's most recently scheduled meeting is held."""
    return await session.scalar(
        select(Meeting.place)
        .where(Meeting.cell_id == cell_id)
        .order_by(Meeting.created_at.desc())
        .limit(1)
    )


async def lock_cell(session: AsyncSession, cell_id: int) -> None:
    """Holds the cell's row (PostgreSQL) until the transaction ends: one writer per cell."""
    await session.execute(select(Cell.id).where(Cell.id == cell_id).with_for_update())


async def invited_people(session: AsyncSession, meeting_id: int) -> Sequence[Person]:
    """Everyone invited to the meeting."""
    return (
        await session.scalars(
            select(Person)
            .join(Invitation, Invitation.person_id == Person.id)
            .where(Invitation.meeting_id == meeting_id)
        )
    ).all()


async def clear_answers(session: AsyncSession, meeting_id: int) -> None:
    """Every invitation to the meeting back to unanswered."""
    await session.execute(
        update(Invitation)
        .where(Invitation.meeting_id == meeting_id)
        .values(response=None, reason=None, reason_note=None, responded_at=None)
        .execution_options(synchronize_session=False)
    )
