"""An organisation's settings, seen and changed in chat by a supervisor of the whole
organisation (from /cells): its cutoff day, and its plan-by day, by which each month next
month's regular meeting is to be planned (none unless a supervisor sets one)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from domain.messages import Button, Reply, Text
from domain.organisations import valid_plan_due_day
from domain.permissions import can_create_cell
from services import actions, pending
from services.cells.links import AboutOrganisation
from services.errors import refused
from services.people import Caller, require_person
from services.request import Request
from services.routes import answer, button
from storage.models import Organisation

ASK_PLAN_DUE = "plan_due"
# A day of the month as typed: one or two ASCII digits (not "²", which Python calls a digit).
TYPED_DAY = re.compile(r"[0-9]{1,2}")


@dataclass(frozen=True)
class TypedPlanDue:
    """The plan-by day typed for the organisation; the question keeps the organisation."""

    organisation_id: int
    text: str


async def settings_button(make_button: actions.ButtonMaker, organisation: Organisation) -> Button:
    """The button of /cells that opens the organisation's settings."""
    return await make_button(
        Text("org.settings.button", {"organisation": organisation.name}),
        "org.settings",
        organisation_id=organisation.id,
    )


async def _supervised_whole(
    session: AsyncSession, caller: Caller, organisation_id: int
) -> Organisation:
    """The organisation, refused unless the caller supervises all of it."""
    _, actor = await require_person(session, caller)
    organisation = await session.get(Organisation, organisation_id)
    if organisation is None or not can_create_cell(actor, organisation.id):
        raise refused("error.not_supervisor")
    return organisation


@button("org.settings", AboutOrganisation)
async def organisation_settings(request: Request, about: AboutOrganisation) -> Reply:
    """The organisation's settings, with a button for each one a supervisor may change."""
    async with request.transaction() as session:
        organisation = await _supervised_whole(session, request.caller, about.organisation_id)
        await pending.forget(session, caller=request.caller)
        return await _settings_view(request.buttons(session), organisation)


async def _settings_view(make_button: actions.ButtonMaker, organisation: Organisation) -> Reply:
    about = make_button.about(organisation_id=organisation.id)
    rows = [(await about(Text("org.settings.plan_due_button"), "org.plan_due.ask"),)]
    if organisation.plan_due_day is not None:
        rows.append((await about(Text("org.settings.plan_due_off_button"), "org.plan_due.off"),))
    rows.append((await make_button(Text("common.back"), "cells.page", page=0),))
    plan_due = (
        Text("org.settings.plan_due_none")
        if organisation.plan_due_day is None
        else Text("org.settings.plan_due_day", {"day": organisation.plan_due_day})
    )
    return Reply(
        Text(
            "org.settings",
            {
                "organisation": organisation.name,
                "cutoff_day": organisation.cutoff_day,
                "plan_due": plan_due,
            },
        ),
        tuple(rows),
    )


@button("org.plan_due.ask", AboutOrganisation)
async def ask_plan_due(request: Request, about: AboutOrganisation) -> Reply:
    async with request.transaction() as session:
        organisation = await _supervised_whole(session, request.caller, about.organisation_id)
        await request.ask(session, ASK_PLAN_DUE, {"organisation_id": organisation.id})
        return Reply(Text("org.plan_due.ask", {"organisation": organisation.name}))


@answer(ASK_PLAN_DUE, TypedPlanDue)
async def set_plan_due(request: Request, typed: TypedPlanDue) -> Reply:
    """A day from 1 to 28: secretaries are then reminded before it each month, and the
    digest lists the cells that have not planned next month by it."""
    text = typed.text.strip()
    if not TYPED_DAY.fullmatch(text) or not valid_plan_due_day(int(text)):
        raise refused("org.plan_due.bad")
    async with request.transaction() as session:
        organisation = await _supervised_whole(session, request.caller, typed.organisation_id)
        organisation.plan_due_day = int(text)
        await pending.forget(session, caller=request.caller)
        reply = await _settings_view(request.buttons(session), organisation)
    # Typed, so answered by a message, which has no notice: the confirmation heads it.
    saved = Text("org.plan_due.saved", {"day": int(text)})
    return Reply(Text("common.notice_then", {"notice": saved, "text": reply.text}), reply.buttons)


@button("org.plan_due.off", AboutOrganisation)
async def plan_due_off(request: Request, about: AboutOrganisation) -> Reply:
    async with request.transaction() as session:
        organisation = await _supervised_whole(session, request.caller, about.organisation_id)
        organisation.plan_due_day = None
        reply = await _settings_view(request.buttons(session), organisation)
    return Reply(reply.text, reply.buttons, notice=Text("org.plan_due.off_notice"))
