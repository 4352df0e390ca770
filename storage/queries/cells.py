"""What the cells' screens read: cells and organisations by name, a supervisor's page of
cells with their sizes and secretaries, a cell's group chat, its member link and who
supervises it."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.roles import InvitePurpose, Role
from storage.models import Cell, Invite, Membership, Organisation, Person, SupervisorScope


async def cells_by_name(session: AsyncSession, cell_ids: Collection[int]) -> Sequence[Cell]:
    """The cells of ``cell_ids``, in the order of their names."""
    return (
        await session.scalars(select(Cell).where(Cell.id.in_(cell_ids)).order_by(Cell.name))
    ).all()


async def cells_of_organisation(
    session: AsyncSession, organisation_id: int, cell_ids: Collection[int] | None
) -> Sequence[Cell]:
    """The organisation's cells (only ``cell_ids`` when given), by name."""
    query = select(Cell).where(Cell.organisation_id == organisation_id)
    if cell_ids is not None:
        query = query.where(Cell.id.in_(cell_ids))
    return (await session.scalars(query.order_by(Cell.name))).all()


async def organisations_by_name(
    session: AsyncSession, organisation_ids: Collection[int]
) -> Sequence[Organisation]:
    """The organisations of ``organisation_ids``, in the order of their names."""
    return (
        await session.scalars(
            select(Organisation)
            .where(Organisation.id.in_(organisation_ids))
            .order_by(Organisation.name)
        )
    ).all()


async def cell_id_named(session: AsyncSession, organisation_id: int, name: str) -> int | None:
    """The organisation's cell of that exact name, if there is one."""
    found: int | None = await session.scalar(
        select(Cell.id).where(Cell.organisation_id == organisation_id, Cell.name == name)
    )
    return found


async def cell_of_group_chat(session: AsyncSession, chat_id: int) -> Cell | None:
    """The cell whose group chat this is."""
    return await session.scalar(select(Cell).where(Cell.group_chat_id == chat_id))


def _in_scope(organisation_ids: Collection[int], cell_ids: Collection[int]) -> ColumnElement[bool]:
    """The cells of whole organisations, and single cells besides."""
    return Cell.organisation_id.in_(organisation_ids) | Cell.id.in_(cell_ids)


async def count_of_cells_in_scope(
    session: AsyncSession, organisation_ids: Collection[int], cell_ids: Collection[int]
) -> int:
    return int(
        await session.scalar(
            select(func.count(Cell.id)).where(_in_scope(organisation_ids, cell_ids))
        )
        or 0
    )


async def cells_in_scope_page(
    session: AsyncSession,
    organisation_ids: Collection[int],
    cell_ids: Collection[int],
    offset: int,
    limit: int,
) -> Sequence[Cell]:
    """One page of the cells in scope, by name."""
    return (
        await session.scalars(
            select(Cell)
            .where(_in_scope(organisation_ids, cell_ids))
            .order_by(Cell.name)
            .offset(offset)
            .limit(limit)
        )
    ).all()


async def member_counts_of_cells(
    session: AsyncSession, cell_ids: Collection[int]
) -> dict[int, int]:
    """How many current members each cell has (cells without any are left out)."""
    rows = await session.execute(
        select(Membership.cell_id, func.count(Membership.id))
        .where(Membership.cell_id.in_(cell_ids), Membership.left_at.is_(None))
        .group_by(Membership.cell_id)
    )
    return {cell_id: count for cell_id, count in rows}


async def secretary_names_of_cells(
    session: AsyncSession, cell_ids: Collection[int]
) -> dict[int, str]:
    """The name of each cell's current secretary (cells without one are left out)."""
    rows = await session.execute(
        select(Membership.cell_id, Person.full_name)
        .join(Person, Person.id == Membership.person_id)
        .where(
            Membership.cell_id.in_(cell_ids),
            Membership.left_at.is_(None),
            Membership.role == Role.SECRETARY,
        )
    )
    return {cell_id: name for cell_id, name in rows}


async def revoke_open_secretary_links(session: AsyncSession, cell_id: int, now: datetime) -> None:
    """Every secretary link of the cell not yet revoked is revoked now."""
    await session.execute(
        update(Invite)
        .where(
            Invite.cell_id == cell_id,
            Invite.purpose == InvitePurpose.CELL_SECRETARY,
            Invite.revoked_at.is_(None),
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )


async def current_member_invite(
    session: AsyncSession, cell_id: int, now: datetime
) -> Invite | None:
    """The cell's newest member link still working."""
    return await session.scalar(
        select(Invite)
        .where(
            Invite.cell_id == cell_id,
            Invite.purpose == InvitePurpose.CELL_MEMBER,
            Invite.revoked_at.is_(None),
            Invite.expires_at > now,
        )
        .order_by(Invite.created_at.desc())
        .limit(1)
    )


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
