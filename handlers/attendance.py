"""Commands and buttons for attendance: /attendance, /checkin, the roll."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update

from domain.messages import Reply
from handlers.common import ChiboContext, caller_of, handler
from services import attendance
from services.actions import Action
from services.people import Caller

Route = Callable[[Action, Caller, ChiboContext], Awaitable[Reply]]


@handler("attendance")
async def overview(update: Update, context: ChiboContext) -> Reply:
    return await attendance.overview(context.state.database, caller_of(update), context.now())


@handler("checkin")
async def check_in(update: Update, context: ChiboContext) -> Reply:
    return await attendance.check_in(context.state.database, caller_of(update), context.now())


async def _overview_for_cell(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await attendance.overview(
        context.state.database, caller, context.now(), cell_id=action.integer("cell_id")
    )


async def _overview_for_meeting(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await attendance.overview(
        context.state.database, caller, context.now(), meeting_id=action.integer("meeting_id")
    )


async def _open_roll(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await attendance.open_roll(
        context.state.database,
        caller,
        action.integer("meeting_id"),
        context.now(),
        page=int(action.payload.get("page", 0)),
    )


async def _cycle(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await attendance.cycle(
        context.state.database,
        caller,
        action.integer("invitation_id"),
        str(action.payload["seen"]),
        action.integer("page"),
        context.now(),
    )


async def _close_roll(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await attendance.close_roll(
        context.state.database,
        caller,
        action.integer("meeting_id"),
        context.now(),
        context.state.settings,
        confirmed=bool(action.payload.get("confirmed", False)),
    )


async def _check_in(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await attendance.check_in(
        context.state.database, caller, context.now(), meeting_id=action.integer("meeting_id")
    )


ROUTES: dict[str, Route] = {
    "attendance.cell": _overview_for_cell,
    "attendance.meeting": _overview_for_meeting,
    "roll.open": _open_roll,
    "roll.cycle": _cycle,
    "roll.close": _close_roll,
    "checkin": _check_in,
}
