"""Buttons for working groups: sending a supervisor to a meeting, and their observations."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from domain.messages import Reply
from handlers.common import ChiboContext
from services import working_groups
from services.actions import Action
from services.people import Caller

Route = Callable[[Action, Caller, ChiboContext], Awaitable[Reply]]


async def _meetings(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await working_groups.cell_meetings(
        context.state.database, caller, action.integer("cell_id"), context.now()
    )


async def _pick(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await working_groups.pick_observer(
        context.state.database, caller, action.integer("meeting_id"), context.now()
    )


async def _assign(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await working_groups.assign(
        context.state.database,
        caller,
        action.integer("meeting_id"),
        action.integer("person_id"),
        context.now(),
        context.state.settings,
    )


async def _ask_report(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await working_groups.ask_report(
        context.state.database, caller, action.integer("meeting_id"), context.now()
    )


ROUTES: dict[str, Route] = {
    "observer.cell": _meetings,
    "observer.meeting": _pick,
    "observer.assign": _assign,
    "observer.report": _ask_report,
}
