"""What a member list's import and its claims read: a cell's imported rows, one by its
personal link's token, the unclaimed ones, and a claim taken once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ImportedMember


async def imported_members_of_cell(session: AsyncSession, cell_id: int) -> Sequence[ImportedMember]:
    rows = await session.scalars(
        select(ImportedMember)
        .where(ImportedMember.cell_id == cell_id)
        .order_by(ImportedMember.full_name, ImportedMember.id)
    )
    return rows.all()


async def unclaimed_of_cell(session: AsyncSession, cell_id: int) -> Sequence[ImportedMember]:
    rows = await session.scalars(
        select(ImportedMember)
        .where(ImportedMember.cell_id == cell_id, ImportedMember.person_id.is_(None))
        .order_by(ImportedMember.full_name, ImportedMember.id)
    )
    return rows.all()


async def imported_with_token(session: AsyncSession, token: str) -> ImportedMember | None:
    return await session.scalar(select(ImportedMember).where(ImportedMember.claim_token == token))


async def took_claim(
    session: AsyncSession, imported_id: int, person_id: int, now: datetime
) -> bool:
    """Claims the row for the person, unless someone claimed it first (one winner of a race);
    its personal link dies with the claim."""
    result = await session.execute(
        update(ImportedMember)
        .where(ImportedMember.id == imported_id, ImportedMember.person_id.is_(None))
        .values(person_id=person_id, claimed_at=now, claim_token=None)
        .execution_options(synchronize_session="fetch")
    )
    return bool(getattr(result, "rowcount", 0))
