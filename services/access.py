"""Who may act on what, loaded afresh for each request."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from domain.permissions import Actor, can_manage_cell
from services.errors import refused
from services.people import Caller, require_person
from storage.models import Cell, Meeting, Person


async def managed_meeting(
    session: AsyncSession, caller: Caller, meeting_id: int, *, for_update: bool = False
) -> tuple[Person, Actor, Meeting, Cell]:
    """The meeting, if the caller manages its cell; ``for_update`` locks its row (PostgreSQL)
    so that two changes at once (two secretaries, a double press) apply one after another."""
    person, actor = await require_person(session, caller)
    meeting = await session.get(Meeting, meeting_id, with_for_update=for_update)
    if meeting is None or not can_manage_cell(actor, meeting.cell_id):
        raise refused("error.not_manager")
    cell = await session.get(Cell, meeting.cell_id)
    assert cell is not None
    return person, actor, meeting, cell
