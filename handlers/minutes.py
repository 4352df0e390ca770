"""Commands for minutes, resolutions and their tasks (their buttons and typed answers are
routed to the use cases, which register themselves)."""

from __future__ import annotations

from telegram import Update

from domain.messages import Reply
from handlers.common import ChiboContext, handler
from services.minutes import record
from services.minutes import tasks as task_cases


@handler("minutes")
async def history(update: Update, context: ChiboContext) -> Reply:
    return await record.history(context.request(update), record.CellChoice())


@handler("tasks")
async def tasks(update: Update, context: ChiboContext) -> Reply:
    return await task_cases.my_tasks(context.request(update))
