"""What the cells' use cases share: which cell a manager's command is about, the payloads
that name a cell, the buttons that turn a long list's pages, a membership's history, and
the notices to a cell's managers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.messages import N_, Button, Reply, Text
from domain.permissions import Actor, can_manage_cell
from domain.roles import Role
from services import actions, outbox
from services.errors import refused
from storage.models import Cell, Membership, MembershipChange, Person
from storage.queries.cells import cells_by_name
from storage.repositories import cell_managers


@dataclass(frozen=True)
class AboutCell:
    """A button about one cell."""

    cell_id: int


@dataclass(frozen=True)
class ChosenCell:
    """A manager's command about their cell: none named yet (asked when they manage
    several), or the one picked."""

    cell_id: int | None = None


@dataclass(frozen=True)
class CellPage:
    """A page of a list about a cell (none named yet: as for ``ChosenCell``)."""

    cell_id: int | None = None
    page: int = 0


def asks_which_cell(actor: Actor, cell_id: int | None) -> bool:
    """Whether the manager must first say which cell they mean: none named, several managed."""
    return cell_id is None and len(actor.managed_cells) > 1


async def cell_of_manager(session: AsyncSession, actor: Actor, cell_id: int | None) -> Cell:
    """The cell named, or the one cell the actor manages; refused unless they manage it."""
    if cell_id is None:
        if not actor.managed_cells:
            raise refused("error.not_manager")
        cell_id = actor.managed_cells[0]
    cell = await session.get(Cell, cell_id)
    if cell is None or not can_manage_cell(actor, cell_id):
        raise refused("error.not_manager")
    return cell


async def which_cell(
    make_button: actions.ButtonMaker, session: AsyncSession, actor: Actor, kind: str
) -> Reply:
    """Ask which of their cells a manager's command is for; a button of ``kind`` each."""
    rows = tuple(
        [
            (await make_button(Text("common.cell_button", {"cell": c.name}), kind, cell_id=c.id),)
            for c in await cells_by_name(session, actor.managed_cells)
        ]
    )
    return Reply(Text("common.pick_cell"), rows)


async def page_buttons(
    make_button: actions.ButtonMaker, kind: str, page: int, pages: int, **payload: Any
) -> tuple[tuple[Button, ...], ...]:
    """A row to the previous and the next page, where there is one (none for a single page)."""
    navigation = [
        await make_button(Text(key), kind, **payload, page=target)
        for target, key in ((page - 1, N_("common.previous")), (page + 1, N_("common.next")))
        if 0 <= target < pages
    ]
    return (tuple(navigation),) if navigation else ()


def page_count(total: int, size: int) -> int:
    """How many pages of ``size`` hold ``total`` rows (one at least, even empty)."""
    return max(1, -(-total // size))


def within(page: int, pages: int) -> int:
    """The page asked for, brought into the pages there are."""
    return min(max(page, 0), pages - 1)


def record_change(
    session: AsyncSession,
    membership: Membership,
    field: str,
    old: str | None,
    new: str | None,
    by: Person,
    now: datetime,
) -> None:
    """One line of a membership's history: what changed, from what to what, by whom."""
    session.add(
        MembershipChange(
            membership_id=membership.id,
            field=field,
            old_value=old,
            new_value=new,
            changed_by_person_id=by.id,
            changed_at=now,
        )
    )


def change_role(
    session: AsyncSession, membership: Membership, role: Role, by: Person, now: datetime
) -> None:
    """The member's new role in the cell, kept in the history."""
    record_change(session, membership, "role", membership.role.value, role.value, by, now)
    membership.role = role


async def tell_managers(
    session: AsyncSession,
    cell_id: int,
    key: str,
    text: Text,
    now: datetime,
    default_language: str,
    *,
    leaving_out: int | None = None,
) -> None:
    """Queues ``text`` for each manager of the cell (but the person ``leaving_out``), in their
    language; each message's outbox key is ``key`` and the manager's id."""
    for manager in await cell_managers(session, cell_id):
        if manager.id == leaving_out:
            continue
        await outbox.message_person(
            session,
            manager,
            key=f"{key}:{manager.id}",
            text=text,
            default_language=default_language,
            now=now,
        )
