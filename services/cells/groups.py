"""A cell's group chat: linked with /linkgroup in the group, followed when it migrates."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from domain.messages import Reply, Text
from services.cells.common import managed_cell
from services.errors import refused
from services.people import Caller, require_person
from storage.db import Database
from storage.models import Cell


async def link_group(
    database: Database, caller: Caller, now: datetime, cell_id: int | None = None
) -> Reply:
    """/linkgroup in a group: that group becomes the cell's group chat."""
    if caller.private_chat:
        raise refused("linkgroup.not_in_group")
    async with database.transaction() as session:
        _, actor = await require_person(session, caller)
        cell = await managed_cell(session, caller, actor, cell_id, "linkgroup.cell", now)
        if isinstance(cell, Reply):
            return cell
        holder = await session.scalar(select(Cell).where(Cell.group_chat_id == caller.chat_id))
        if holder is not None and holder.id != cell.id:
            raise refused("linkgroup.taken", cell=holder.name)
        if holder is not None:
            return Reply(Text("linkgroup.already", {"cell": cell.name}))
        cell.group_chat_id = caller.chat_id
        return Reply(Text("linkgroup.done", {"cell": cell.name, "group": caller.chat_title}))


async def group_migrated(database: Database, old_chat_id: int, new_chat_id: int) -> None:
    """A group upgraded to a supergroup gets a new chat id; the cell follows it."""
    async with database.transaction() as session:
        cell = await session.scalar(select(Cell).where(Cell.group_chat_id == old_chat_id))
        if cell is not None:
            cell.group_chat_id = new_chat_id
