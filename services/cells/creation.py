"""/newcell: a supervisor creates a cell in an organisation they supervise, and is given the
link that makes its secretary."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.messages import N_, Reply, Text
from domain.names import clean_name
from domain.permissions import can_create_cell
from services import actions, pending
from services.cells.links import new_secretary_link
from services.config import ServiceSettings
from services.errors import refused
from services.people import Caller, require_person
from storage.db import Database
from storage.models import Cell, Organisation

ASK_CELL_NAME = "newcell.name"


async def new_cell(
    database: Database,
    caller: Caller,
    name: str,
    now: datetime,
    settings: ServiceSettings,
    bot_username: str,
    organisation_id: int | None = None,
) -> Reply:
    """/newcell [name]: create the cell now, or ask for its name (and organisation) first."""
    async with database.transaction() as session:
        person, actor = await require_person(session, caller)
        organisations = sorted(actor.supervised_organisations)
        if organisation_id is None and len(organisations) == 1:
            organisation_id = organisations[0]
        if organisation_id is None:
            if not organisations:
                raise refused("error.not_supervisor")
            return await _pick_organisation(session, caller, organisations, now)
        if not can_create_cell(actor, organisation_id):
            raise refused("error.not_supervisor")
        if not name.strip():
            await pending.ask(
                session,
                caller=caller,
                kind=ASK_CELL_NAME,
                payload={"organisation_id": organisation_id},
                now=now,
            )
            return Reply(Text("newcell.ask_name"))
        cell = await _create_cell(session, organisation_id, name, now)
        await pending.forget(session, caller=caller)
        return await new_secretary_link(
            session, person, cell, now, settings, bot_username, N_("newcell.done")
        )


async def _pick_organisation(
    session: AsyncSession, caller: Caller, organisation_ids: Sequence[int], now: datetime
) -> Reply:
    make_button = actions.ButtonMaker(session, caller.telegram_user_id, now)
    organisations = (
        await session.scalars(
            select(Organisation)
            .where(Organisation.id.in_(organisation_ids))
            .order_by(Organisation.name)
        )
    ).all()
    rows = [
        (
            await make_button(
                Text("common.org_button", {"organisation": organisation.name}),
                "newcell.org",
                organisation_id=organisation.id,
            ),
        )
        for organisation in organisations
    ]
    return Reply(Text("newcell.pick_org"), tuple(rows))


async def _create_cell(
    session: AsyncSession, organisation_id: int, typed_name: str, now: datetime
) -> Cell:
    name = clean_name(typed_name)
    if name is None:
        raise refused("newcell.bad_name")
    taken = await session.scalar(
        select(Cell.id).where(Cell.organisation_id == organisation_id, Cell.name == name)
    )
    if taken is not None:
        raise refused("newcell.duplicate", cell=name)
    cell = Cell(organisation_id=organisation_id, name=name, created_at=now)
    session.add(cell)
    await session.flush()
    return cell
