"""What joining by link reads and counts: organisations by name, links by token, who already
supervises or has left, a link's uses taken one at a time, a cell's secretaries; and the
language a person chose."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.roles import Role
from storage.models import Cell, Invite, Membership, Organisation, SupervisorScope


async def organisation_named(session: AsyncSession, name: str) -> Organisation | None:
    return await session.scalar(select(Organisation).where(Organisation.name == name))


async def invite_with_token(session: AsyncSession, token: str) -> Invite | None:
    return await session.scalar(select(Invite).where(Invite.token == token))


async def supervises_already(
    session: AsyncSession, person_id: int, organisation_id: int, cell_id: int | None
) -> bool:
    """Whether the person supervises the whole organisation, or (given a cell) that cell."""
    found = await session.scalar(
        select(SupervisorScope.id).where(
            SupervisorScope.person_id == person_id,
            SupervisorScope.organisation_id == organisation_id,
            (SupervisorScope.cell_id == cell_id) | SupervisorScope.cell_id.is_(None),
        )
    )
    return found is not None


async def left_cell_since(
    session: AsyncSession, person_id: int, cell_id: int, since: datetime
) -> bool:
    """Whether the person left (or was removed from) the cell at ``since`` or later."""
    found = await session.scalar(
        select(Membership.id)
        .where(
            Membership.person_id == person_id,
            Membership.cell_id == cell_id,
            Membership.left_at >= since,
        )
        .limit(1)
    )
    return found is not None


async def took_one_use(session: AsyncSession, invite_id: int, now: datetime) -> bool:
    """Counts one use of a link still working, atomically: False when none was left (so two
    people racing for a one-time link can't both win)."""
    result = await session.execute(
        update(Invite)
        .where(
            Invite.id == invite_id,
            Invite.revoked_at.is_(None),
            Invite.expires_at > now,
            (Invite.max_uses.is_(None)) | (Invite.use_count < Invite.max_uses),
        )
        .values(use_count=Invite.use_count + 1)
        .execution_options(synchronize_session=False)
    )
    return getattr(result, "rowcount", 0) == 1


async def lock_cell(session: AsyncSession, cell_id: int) -> None:
    """Locks the cell's row until the transaction ends (PostgreSQL; SQLite has a single
    writer anyway)."""
    await session.execute(select(Cell.id).where(Cell.id == cell_id).with_for_update())


async def other_secretaries_of_cell(
    session: AsyncSession, cell_id: int, person_id: int
) -> Sequence[Membership]:
    """The cell's current secretary memberships, but the person's own."""
    return (
        await session.scalars(
            select(Membership).where(
                Membership.cell_id == cell_id,
                Membership.left_at.is_(None),
                Membership.role == Role.SECRETARY,
                Membership.person_id != person_id,
            )
        )
    ).all()
