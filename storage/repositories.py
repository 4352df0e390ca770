"""Queries shared by several use cases."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from domain.permissions import Actor, CellRole
from domain.roles import Role
from storage.models import AgendaItem, Cell, Membership, Person, SupervisorScope


async def person_by_telegram_id(session: AsyncSession, telegram_user_id: int) -> Person | None:
    return await session.scalar(select(Person).where(Person.telegram_user_id == telegram_user_id))


async def language_of_telegram_user(session: AsyncSession, telegram_user_id: int) -> str | None:
    """The language the person chose, None for the default (or no such person)."""
    language: str | None = await session.scalar(
        select(Person.language).where(Person.telegram_user_id == telegram_user_id)
    )
    return language


async def load_actor(session: AsyncSession, person: Person) -> Actor:
    """The person's current powers, read fresh for every command and button."""
    memberships = await session.execute(
        select(Membership.cell_id, Cell.organisation_id, Membership.role)
        .join(Cell, Cell.id == Membership.cell_id)
        .where(Membership.person_id == person.id, Membership.left_at.is_(None))
    )
    scopes = await session.execute(
        select(SupervisorScope.organisation_id, SupervisorScope.cell_id).where(
            SupervisorScope.person_id == person.id
        )
    )
    whole_orgs: set[int] = set()
    single_cells: set[int] = set()
    for organisation_id, cell_id in scopes:
        if cell_id is None:
            whole_orgs.add(organisation_id)
        else:
            single_cells.add(cell_id)
    return Actor(
        person_id=person.id,
        cell_roles=tuple(CellRole(c, o, r) for c, o, r in memberships),
        supervised_organisations=frozenset(whole_orgs),
        supervised_cells=frozenset(single_cells),
    )


async def active_membership(
    session: AsyncSession, person_id: int, cell_id: int
) -> Membership | None:
    return await session.scalar(
        select(Membership).where(
            Membership.person_id == person_id,
            Membership.cell_id == cell_id,
            Membership.left_at.is_(None),
        )
    )


async def active_members(session: AsyncSession, cell_id: int) -> Sequence[Membership]:
    """The cell's current members, secretary first, then deputies, then by name."""
    rows = await session.scalars(
        select(Membership)
        .options(joinedload(Membership.person))
        .join(Person, Person.id == Membership.person_id)
        .where(Membership.cell_id == cell_id, Membership.left_at.is_(None))
        .order_by(Person.full_name, Membership.id)
    )
    order = {Role.SECRETARY: 0, Role.DEPUTY: 1, Role.MEMBER: 2}
    return sorted(rows.all(), key=lambda m: order[m.role])


async def cell_managers(session: AsyncSession, cell_id: int) -> Sequence[Person]:
    rows = await session.scalars(
        select(Person)
        .join(Membership, Membership.person_id == Person.id)
        .where(
            Membership.cell_id == cell_id,
            Membership.left_at.is_(None),
            Membership.role.in_([Role.SECRETARY, Role.DEPUTY]),
        )
    )
    return rows.all()


async def supervisor_scopes(
    session: AsyncSession, person_ids: list[int] | None = None
) -> dict[tuple[int, int], set[int] | None]:
    """(person, organisation) -> the supervised cells, None meaning all of them."""
    query = select(
        SupervisorScope.person_id, SupervisorScope.organisation_id, SupervisorScope.cell_id
    )
    if person_ids is not None:
        query = query.where(SupervisorScope.person_id.in_(person_ids))
    found: dict[tuple[int, int], set[int] | None] = {}
    for person_id, organisation_id, cell_id in await session.execute(query):
        key = (person_id, organisation_id)
        if cell_id is None:
            found[key] = None
        elif key not in found or found[key] is not None:
            cells = found.get(key) or set()
            cells.add(cell_id)
            found[key] = cells
    return found


# Built once: every invitation's text, and every card and notice about a meeting, reads it.
_AGENDA_OF_MEETING = (
    select(AgendaItem)
    .where(AgendaItem.meeting_id == bindparam("meeting_id"))
    .order_by(AgendaItem.position, AgendaItem.id)
)


async def agenda_items_of_meeting(session: AsyncSession, meeting_id: int) -> list[AgendaItem]:
    """The meeting's agenda, in its order."""
    return list((await session.scalars(_AGENDA_OF_MEETING, {"meeting_id": meeting_id})).all())
