"""Commands for meetings: /schedule and /meetings (their buttons and typed answers are routed
to the use cases registered in ``services.meetings``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update

from domain.messages import Reply
from handlers.common import ChiboContext, handler
from services.actions import Action
from services.meetings import plan as month_plan
from services.meetings import scheduling
from services.meetings.common import ForCell
from services.people import Caller

Route = Callable[[Action, Caller, ChiboContext], Awaitable[Reply]]


@handler("schedule")
async def schedule(update: Update, context: ChiboContext) -> Reply:
    return await scheduling.start_scheduling(context.request(update), ForCell())


@handler("meetings")
async def plan(update: Update, context: ChiboContext) -> Reply:
    return await month_plan.plan(context.request(update), ForCell())


ROUTES: dict[str, Route] = {}
