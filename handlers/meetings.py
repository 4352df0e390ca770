"""Commands for meetings: /schedule and /meetings (their buttons and typed answers are routed
to the use cases registered in ``services.meetings``)."""

from __future__ import annotations

from telegram import Update

from domain.messages import Reply
from handlers.common import ChiboContext, handler
from services.meetings import plan as month_plan
from services.meetings import scheduling
from services.meetings.common import ForCell


@handler("schedule")
async def schedule(update: Update, context: ChiboContext) -> Reply:
    return await scheduling.start_scheduling(context.request(update), ForCell())


@handler("meetings")
async def plan(update: Update, context: ChiboContext) -> Reply:
    return await month_plan.plan(context.request(update), ForCell())
