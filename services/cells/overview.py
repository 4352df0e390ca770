"""/cells: a supervisor's cells with their secretary, size and group, and what can be done
for each one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.messages import Button, Reply, Text
from domain.permissions import Actor, can_create_cell, can_supervise_cell
from domain.roles import Role
from services import actions
from services.cells.common import page_buttons
from services.errors import refused
from services.people import Caller, require_person
from storage.db import Database
from storage.models import Cell, Membership, Organisation, Person

CELLS_PAGE_SIZE = 20


async def cells_overview(database: Database, caller: Caller, now: datetime, page: int = 0) -> Reply:
    """/cells: the supervisor's cells with secretary, size and group, a page at a time (an
    inline keyboard holds at most 100 buttons); a button each opens what can be done."""
    async with database.transaction() as session:
        make_button = actions.ButtonMaker(session, caller.telegram_user_id, now)
        _, actor = await require_person(session, caller)
        if not actor.is_supervisor:
            raise refused("error.not_supervisor")
        in_scope = Cell.organisation_id.in_(actor.supervised_organisations) | Cell.id.in_(
            actor.supervised_cells
        )
        total = int(await session.scalar(select(func.count(Cell.id)).where(in_scope)) or 0)
        invite_rows = await _supervisor_invite_buttons(session, actor, make_button)
        if not total:
            return Reply(Text("cells.none"), invite_rows)
        pages = -(-total // CELLS_PAGE_SIZE)
        page = min(max(page, 0), pages - 1)
        cells = (
            await session.scalars(
                select(Cell)
                .where(in_scope)
                .order_by(Cell.name)
                .offset(page * CELLS_PAGE_SIZE)
                .limit(CELLS_PAGE_SIZE)
            )
        ).all()
        lines = await _cell_lines(session, cells)
        rows: list[tuple[Button, ...]] = [
            (
                await make_button(
                    Text("common.cell_button", {"cell": cell.name}), "cell.menu", cell_id=cell.id
                ),
            )
            for cell in cells
        ]
        rows.extend(await page_buttons(make_button, "cells.page", page, pages))
        rows.extend(invite_rows)
        return Reply(
            Text("cells.header", {"lines": lines, "page": page + 1, "pages": pages}), tuple(rows)
        )


async def _cell_lines(session: AsyncSession, cells: Sequence[Cell]) -> list[Text]:
    """A line a cell: its secretary, how many members it has, whether its group is linked."""
    ids = [c.id for c in cells]
    sizes: dict[int, int] = dict(
        (
            await session.execute(
                select(Membership.cell_id, func.count(Membership.id))
                .where(Membership.cell_id.in_(ids), Membership.left_at.is_(None))
                .group_by(Membership.cell_id)
            )
        ).all()
    )
    secretaries: dict[int, str] = dict(
        (
            await session.execute(
                select(Membership.cell_id, Person.full_name)
                .join(Person, Person.id == Membership.person_id)
                .where(
                    Membership.cell_id.in_(ids),
                    Membership.left_at.is_(None),
                    Membership.role == Role.SECRETARY,
                )
            )
        ).all()
    )
    return [
        Text(
            "cells.line",
            {
                "cell": c.name,
                "secretary": secretaries.get(c.id) or Text("cells.no_secretary"),
                "members": sizes.get(c.id, 0),
                "group": Text("cells.group_linked")
                if c.group_chat_id
                else Text("cells.group_none"),
            },
        )
        for c in cells
    ]


async def _supervisor_invite_buttons(
    session: AsyncSession, actor: Actor, make_button: actions.ButtonMaker
) -> tuple[tuple[Button, ...], ...]:
    """One "invite a fellow supervisor" button for each organisation the actor supervises
    whole (a supervisor of some cells only cannot widen anyone's reach)."""
    if not actor.supervised_organisations:
        return ()
    organisations = (
        await session.scalars(
            select(Organisation)
            .where(Organisation.id.in_(actor.supervised_organisations))
            .order_by(Organisation.name)
        )
    ).all()
    return tuple(
        [
            (
                await make_button(
                    Text("cells.supervisor_invite_button", {"organisation": organisation.name}),
                    "org.supervisor_link",
                    organisation_id=organisation.id,
                ),
            )
            for organisation in organisations
        ]
    )


async def cell_menu(database: Database, caller: Caller, cell_id: int, now: datetime) -> Reply:
    """What a supervisor can do for one cell: a secretary link, a working group at a meeting."""
    async with database.transaction() as session:
        _, actor = await require_person(session, caller)
        cell = await session.get(Cell, cell_id)
        if cell is None or not can_supervise_cell(actor, cell.id, cell.organisation_id):
            raise refused("error.not_supervisor")
        make_button = actions.ButtonMaker(session, caller.telegram_user_id, now)
        about_cell = make_button.about(cell_id=cell.id)
        named = {"cell": cell.name}
        rows = []
        if can_create_cell(actor, cell.organisation_id):
            rows.append(
                (
                    await about_cell(
                        Text("cells.secretary_link_button", named), "cell.secretary_link"
                    ),
                )
            )
            rows.append(
                (
                    await about_cell(
                        Text("cells.observer_invite_button", named), "cell.observer_link"
                    ),
                )
            )
        rows.append((await about_cell(Text("cells.observer_button", named), "observer.cell"),))
        rows.append((await make_button(Text("common.back"), "cells.page", page=0),))
        return Reply(Text("cells.menu", {"cell": cell.name}), tuple(rows))
