"""/cells: a supervisor's cells with their secretary, size and group, and what can be done
for each one; for a secretary, their cell's page of the dashboard."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from domain.messages import Button, Reply, Text
from domain.permissions import Actor, can_create_cell, can_supervise_cell
from services import actions
from services.cells.common import AboutCell, page_buttons, page_count, within
from services.cells.settings import settings_button
from services.dashboard_links import cell_button, overview_button
from services.errors import refused
from services.people import require_person
from services.request import Request
from services.routes import button
from storage.models import Cell
from storage.queries.cells import (
    cells_by_name,
    cells_in_scope_page,
    count_of_cells_in_scope,
    member_counts_of_cells,
    organisations_by_name,
    secretary_names_of_cells,
)

CELLS_PAGE_SIZE = 20


@dataclass(frozen=True)
class Page:
    page: int = 0


@button("cells.page", Page)
async def cells_overview(request: Request, asked: Page) -> Reply:
    """/cells: the supervisor's cells with secretary, size and group, a page at a time (an
    inline keyboard holds at most 100 buttons); a button each opens what can be done, and
    one the dashboard's overview."""
    async with request.transaction() as session:
        make_button = request.buttons(session)
        _, actor = await require_person(session, request.caller)
        if not actor.is_supervisor:
            return await _own_cells_dashboard(request, session, actor)
        orgs, cells = actor.supervised_organisations, actor.supervised_cells
        total = await count_of_cells_in_scope(session, orgs, cells)
        organisation_rows = await _organisation_buttons(session, actor, make_button)
        if not total:
            return Reply(Text("cells.none"), organisation_rows)
        pages = page_count(total, CELLS_PAGE_SIZE)
        page = within(asked.page, pages)
        shown = await cells_in_scope_page(
            session, orgs, cells, page * CELLS_PAGE_SIZE, CELLS_PAGE_SIZE
        )
        lines = await _cell_lines(session, shown)
        rows = await _cell_buttons(make_button, shown, page, pages)
        dashboard = overview_button(request)
        dashboard_rows = () if dashboard is None else ((dashboard,),)
        return Reply(
            Text("cells.header", {"lines": lines, "page": page + 1, "pages": pages}),
            (*dashboard_rows, *rows, *organisation_rows),
        )


async def _own_cells_dashboard(request: Request, session: AsyncSession, actor: Actor) -> Reply:
    """/cells of a secretary who supervises nothing: a button to each of their cells' pages
    of the dashboard; refused to a member, and where no dashboard is served."""
    buttons = [
        button
        for cell in await cells_by_name(session, actor.managed_cells)
        if (button := cell_button(request, cell.id, cell.name)) is not None
    ]
    if not buttons:
        raise refused("error.not_supervisor")
    return Reply(Text("cells.own_dashboard"), tuple((button,) for button in buttons))


async def _cell_buttons(
    make_button: actions.ButtonMaker, cells: Sequence[Cell], page: int, pages: int
) -> tuple[tuple[Button, ...], ...]:
    """A button a cell shown, to what can be done for it, then the page turns."""
    rows = [
        (
            await make_button(
                Text("common.cell_button", {"cell": cell.name}), "cell.menu", cell_id=cell.id
            ),
        )
        for cell in cells
    ]
    return (*rows, *await page_buttons(make_button, "cells.page", page, pages))


async def _cell_lines(session: AsyncSession, cells: Sequence[Cell]) -> list[Text]:
    """A line a cell: its secretary, how many members it has, whether its group is linked."""
    ids = [c.id for c in cells]
    sizes = await member_counts_of_cells(session, ids)
    secretaries = await secretary_names_of_cells(session, ids)
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


async def _organisation_buttons(
    session: AsyncSession, actor: Actor, make_button: actions.ButtonMaker
) -> tuple[tuple[Button, ...], ...]:
    """An "invite a fellow supervisor" button and a settings button for each organisation
    the actor supervises whole (a supervisor of some cells only cannot widen anyone's reach,
    nor change what binds the others)."""
    if not actor.supervised_organisations:
        return ()
    rows: list[tuple[Button, ...]] = []
    for organisation in await organisations_by_name(session, actor.supervised_organisations):
        invite = await make_button(
            Text("cells.supervisor_invite_button", {"organisation": organisation.name}),
            "org.supervisor_link",
            organisation_id=organisation.id,
        )
        rows += [(invite,), (await settings_button(make_button, organisation),)]
    return tuple(rows)


@button("cell.menu", AboutCell)
async def cell_menu(request: Request, about: AboutCell) -> Reply:
    """What a supervisor can do for one cell: a secretary link, a working group at a meeting."""
    async with request.transaction() as session:
        _, actor = await require_person(session, request.caller)
        cell = await session.get(Cell, about.cell_id)
        if cell is None or not can_supervise_cell(actor, cell.id, cell.organisation_id):
            raise refused("error.not_supervisor")
        make_button = request.buttons(session)
        about_cell = make_button.about(cell_id=cell.id)
        named = {"cell": cell.name}
        rows = []
        if can_create_cell(actor, cell.organisation_id):
            rows += [
                (
                    await about_cell(
                        Text("cells.secretary_link_button", named), "cell.secretary_link"
                    ),
                ),
                (
                    await about_cell(
                        Text("cells.observer_invite_button", named), "cell.observer_link"
                    ),
                ),
            ]
        rows.append((await about_cell(Text("cells.observer_button", named), "observer.cell"),))
        dashboard = cell_button(request, cell.id, cell.name)
        if dashboard is not None:
            rows.append((dashboard,))
        rows.append((await make_button(Text("common.back"), "cells.page", page=0),))
        return Reply(Text("cells.menu", {"cell": cell.name}), tuple(rows))
