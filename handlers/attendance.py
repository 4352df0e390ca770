"""Commands for attendance: /attendance, /checkin (the roll's buttons are routed to their use
cases in services/attendance/)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update

from domain.messages import Reply
from handlers.common import ChiboContext, handler
from services.actions import Action
from services.attendance import checkin
from services.attendance import overview as attendance_overview
from services.people import Caller

Route = Callable[[Action, Caller, ChiboContext], Awaitable[Reply]]

ROUTES: dict[str, Route] = {}


@handler("attendance")
async def overview(update: Update, context: ChiboContext) -> Reply:
    return await attendance_overview.overview(context.request(update))


@handler("checkin")
async def check_in(update: Update, context: ChiboContext) -> Reply:
    return await checkin.check_in_now(context.request(update))
