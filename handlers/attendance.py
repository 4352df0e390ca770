"""Commands for attendance: /attendance, /checkin (the roll's buttons are routed to their use
cases in services/attendance/)."""

from __future__ import annotations

from telegram import Update

from domain.messages import Reply
from handlers.common import ChiboContext, handler
from services.attendance import checkin
from services.attendance import overview as attendance_overview


@handler("attendance")
async def overview(update: Update, context: ChiboContext) -> Reply:
    return await attendance_overview.overview(context.request(update))


@handler("checkin")
async def check_in(update: Update, context: ChiboContext) -> Reply:
    return await checkin.check_in_now(context.request(update))
