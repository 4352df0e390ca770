"""What the cells' use cases share: which cell a manager's command is about, and the buttons
that turn a long list's pages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.messages import N_, Button, Reply, Text
from domain.permissions import Actor, can_manage_cell
from services import actions
from services.errors import refused
from services.people import Caller
from storage.models import Cell


async def managed_cell(
    session: AsyncSession,
    caller: Caller,
    actor: Actor,
    cell_id: int | None,
    kind: str,
    now: datetime,
) -> Cell | Reply:
    """The cell a manager's command is about, or a question asking which one."""
    if cell_id is None:
        managed = actor.managed_cells
        if not managed:
            raise refused("error.not_manager")
        if len(managed) > 1:
            return await _pick_cell(session, caller, managed, kind, now)
        cell_id = managed[0]
    cell = await session.get(Cell, cell_id)
    if cell is None or not can_manage_cell(actor, cell_id):
        raise refused("error.not_manager")
    return cell


async def _pick_cell(
    session: AsyncSession, caller: Caller, cell_ids: Sequence[int], kind: str, now: datetime
) -> Reply:
    """Ask which cell a command is for, when the person manages several."""
    make_button = actions.ButtonMaker(session, caller.telegram_user_id, now)
    cells = (
        await session.scalars(select(Cell).where(Cell.id.in_(cell_ids)).order_by(Cell.name))
    ).all()
    rows = tuple(
        [
            (await make_button(Text("common.cell_button", {"cell": c.name}), kind, cell_id=c.id),)
            for c in cells
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
