"""What the minutes read: the closed roll, the opinions under an agenda item, the numbers
already given in a cell's year, and the cell's latest records."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Cell, Invitation, ItemOpinion, Meeting, Person


class Called(NamedTuple):
    """One expected member on the closed roll."""

    invitation: Invitation
    person: Person


async def closed_roll(session: AsyncSession, meeting_id: int) -> list[Called]:
    """The closed roll of the expected members (the exempted are not counted), by name."""
    rows = await session.execute(
        select(Invitation, Person)
        .join(Person, Person.id == Invitation.person_id)
        .where(
            Invitation.meeting_id == meeting_id,
            Invitation.roll_status.is_not(None),
            Invitation.exempted.is_(False),
        )
        .order_by(Person.full_name)
    )
    return [Called(invitation, person) for invitation, person in rows]


async def opinions_under_item(session: AsyncSession, item_id: int) -> list[ItemOpinion]:
    """Who said what under an agenda item, in the order it was said."""
    return list(
        await session.scalars(
            select(ItemOpinion)
            .where(ItemOpinion.item_id == item_id)
            .order_by(ItemOpinion.created_at, ItemOpinion.id)
        )
    )


async def lock_cell(session: AsyncSession, cell_id: int) -> None:
    """Holds the cell's row until the transaction ends. A write, not SELECT … FOR UPDATE,
    which SQLite ignores: a second transaction doing the same waits on either database until
    the first has committed."""
    await session.execute(
        update(Cell)
        .where(Cell.id == cell_id)
        .values(id=Cell.id)
        .execution_options(synchronize_session=False)
    )


async def last_minutes_number(
    session: AsyncSession, cell_id: int, start: datetime, end: datetime
) -> int | None:
    """The highest minutes number among the cell's meetings starting in [start, end)."""
    return await session.scalar(
        select(func.max(Meeting.minutes_number)).where(
            Meeting.cell_id == cell_id,
            Meeting.starts_at >= start,
            Meeting.starts_at < end,
        )
    )


async def latest_meetings_with_closed_roll(
    session: AsyncSession, cell_id: int, limit: int
) -> list[Meeting]:
    """The cell's latest meetings whose roll was closed, the latest first."""
    return list(
        await session.scalars(
            select(Meeting)
            .where(Meeting.cell_id == cell_id, Meeting.roll_closed_at.is_not(None))
            .order_by(Meeting.starts_at.desc())
            .limit(limit)
        )
    )
