"""A cell's group chat: linked with /linkgroup in the group, followed when it migrates."""

from __future__ import annotations

from domain.messages import Reply, Text
from services.cells.common import ChosenCell, asks_which_cell, cell_of_manager, which_cell
from services.errors import refused
from services.people import require_person
from services.request import Request
from services.routes import button
from storage.db import Database
from storage.queries.cells import cell_of_group_chat


@button("linkgroup.cell", ChosenCell)
async def link_group(request: Request, chosen: ChosenCell) -> Reply:
    """/linkgroup in a group: that group becomes the cell's group chat."""
    caller = request.caller
    if caller.private_chat:
        raise refused("linkgroup.not_in_group")
    async with request.transaction() as session:
        _, actor = await require_person(session, caller)
        if asks_which_cell(actor, chosen.cell_id):
            return await which_cell(request.buttons(session), session, actor, "linkgroup.cell")
        cell = await cell_of_manager(session, actor, chosen.cell_id)
        holder = await cell_of_group_chat(session, caller.chat_id)
        if holder is not None and holder.id != cell.id:
            raise refused("linkgroup.taken", cell=holder.name)
        if holder is not None:
            return Reply(Text("linkgroup.already", {"cell": cell.name}))
        cell.group_chat_id = caller.chat_id
        return Reply(Text("linkgroup.done", {"cell": cell.name, "group": caller.chat_title}))


async def group_migrated(database: Database, old_chat_id: int, new_chat_id: int) -> None:
    """A group upgraded to a supergroup gets a new chat id; the cell follows it."""
    async with database.transaction() as session:
        cell = await cell_of_group_chat(session, old_chat_id)
        if cell is not None:
            cell.group_chat_id = new_chat_id
