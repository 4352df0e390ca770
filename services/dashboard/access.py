"""Who opened the dashboard, and what they may see: looked up afresh for every request from
the launch data Telegram signed, never from anything the page itself says."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from domain.permissions import Actor, can_manage_cell, can_supervise_cell
from domain.webapp import WebAppUser
from storage.models import Cell, Organisation, Person
from storage.queries.digest import organisations_by_id
from storage.repositories import load_actor, person_by_telegram_id, supervisor_scopes


class Denial(StrEnum):
    """Why a page is not shown, each said to the person in words of its own."""

    NOT_REGISTERED = "not_registered"  # Telegram knows them, chibo does not
    NO_DASHBOARD = "no_dashboard"  # a member: neither supervisor nor secretary
    NOT_YOURS = "not_yours"  # another cell than the secretary's, another organisation
    NOT_FOUND = "not_found"  # no such cell, meeting or minutes


class DashboardDenied(Exception):
    def __init__(self, denial: Denial, language: str | None = None) -> None:
        super().__init__(denial.value)
        self.denial = denial
        self.language = language


@dataclass(frozen=True)
class Sight:
    """What one person may see: the organisations they supervise (each with the cells in
    their scope, None for all) and the cells they manage."""

    person: Person
    actor: Actor
    supervised: dict[int, set[int] | None]  # organisation id -> cells, None: all
    organisations: dict[int, Organisation]

    @property
    def language(self) -> str | None:
        return self.person.language

    def deny(self, denial: Denial) -> DashboardDenied:
        return DashboardDenied(denial, self.language)

    def supervises(self, cell: Cell) -> bool:
        return can_supervise_cell(self.actor, cell.id, cell.organisation_id)

    def may_see(self, cell: Cell) -> bool:
        return can_manage_cell(self.actor, cell.id) or self.supervises(cell)

    def organisation(self, asked: int | None) -> tuple[Organisation, set[int] | None]:
        """The organisation asked for, or the first by name, with the cells in scope."""
        if not self.supervised:
            raise self.deny(Denial.NO_DASHBOARD)
        chosen = (
            asked
            if asked is not None
            else min(self.organisations.values(), key=lambda o: (o.name, o.id)).id
        )
        if chosen not in self.supervised:
            raise self.deny(Denial.NOT_YOURS)
        return self.organisations[chosen], self.supervised[chosen]


async def sight_of(session: AsyncSession, user: WebAppUser) -> Sight:
    """What the person Telegram vouched for may see now."""
    person = await person_by_telegram_id(session, user.telegram_user_id)
    if person is None:
        raise DashboardDenied(Denial.NOT_REGISTERED, user.language_code)
    scopes = await supervisor_scopes(session, [person.id])
    supervised = {organisation_id: cells for (_, organisation_id), cells in scopes.items()}
    return Sight(
        person,
        await load_actor(session, person),
        supervised,
        await organisations_by_id(session, supervised),
    )


async def visible_cell(session: AsyncSession, sight: Sight, cell_id: int) -> Cell:
    """The cell, if the person supervises it or manages it; a cell that does not exist is
    refused alike, so that the answer tells nothing of others' cells."""
    cell = await session.get(Cell, cell_id)
    if cell is None or not sight.may_see(cell):
        raise sight.deny(Denial.NOT_YOURS)
    return cell
