"""/newcell: a supervisor creates a cell in an organisation they supervise, and is given the
link that makes its secretary."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from domain.messages import N_, Reply, Text
from domain.names import clean_name
from domain.permissions import Actor, can_create_cell
from services import actions, pending
from services.cells.links import new_secretary_link
from services.errors import refused
from services.people import require_person
from services.request import Request
from services.routes import answer, button
from storage.models import Cell
from storage.queries.cells import cell_id_named, organisations_by_name

ASK_CELL_NAME = "newcell.name"


@dataclass(frozen=True)
class CellName:
    """The new cell's name as typed (none yet: asked), and its organisation once known."""

    text: str = ""
    organisation_id: int | None = None


@answer(ASK_CELL_NAME, CellName)
@button("newcell.org", CellName)
async def new_cell(request: Request, named: CellName) -> Reply:
    """/newcell [name]: create the cell now, or ask for its name (and organisation) first."""
    caller, now = request.caller, request.now
    async with request.transaction() as session:
        person, actor = await require_person(session, caller)
        organisation_id = _organisation_of(actor, named.organisation_id)
        if organisation_id is None:
            return await _pick_organisation(
                request.buttons(session), session, actor.supervised_organisations
            )
        if not named.text.strip():
            await request.ask(session, ASK_CELL_NAME, {"organisation_id": organisation_id})
            return Reply(Text("newcell.ask_name"))
        cell = await _create_cell(session, organisation_id, named.text, now)
        await pending.forget(session, caller=caller)
        return await new_secretary_link(request, session, person, cell, N_("newcell.done"))


def _organisation_of(actor: Actor, organisation_id: int | None) -> int | None:
    """The organisation the cell is to be made in: the one named, or the supervisor's only
    one; None when they must pick; refused when they may not create cells there."""
    organisations = actor.supervised_organisations
    if organisation_id is None and len(organisations) == 1:
        [organisation_id] = organisations
    if organisation_id is None:
        if not organisations:
            raise refused("error.not_supervisor")
        return None
    if not can_create_cell(actor, organisation_id):
        raise refused("error.not_supervisor")
    return organisation_id


async def _pick_organisation(
    make_button: actions.ButtonMaker, session: AsyncSession, organisation_ids: Collection[int]
) -> Reply:
    rows = [
        (
            await make_button(
                Text("common.org_button", {"organisation": organisation.name}),
                "newcell.org",
                organisation_id=organisation.id,
            ),
        )
        for organisation in await organisations_by_name(session, organisation_ids)
    ]
    return Reply(Text("newcell.pick_org"), tuple(rows))


async def _create_cell(
    session: AsyncSession, organisation_id: int, typed_name: str, now: datetime
) -> Cell:
    name = clean_name(typed_name)
    if name is None:
        raise refused("newcell.bad_name")
    if await cell_id_named(session, organisation_id, name) is not None:
        raise refused("newcell.duplicate", cell=name)
    cell = Cell(organisation_id=organisation_id, name=name, created_at=now)
    session.add(cell)
    await session.flush()
    return cell
