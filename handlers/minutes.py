"""Commands for minutes, resolutions and their tasks (their buttons and typed answers are
routed to the use cases, which register themselves)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update

from domain.messages import Reply
from handlers.common import ChiboContext, handler
from services.actions import Action
from services.minutes import record
from services.minutes import tasks as task_cases
from services.people import Caller

Route = Callable[[Action, Caller, ChiboContext], Awaitable[Reply]]

ROUTES: dict[str, Route] = {}


@handler("minutes")
async def history(update: Update, context: ChiboContext) -> Reply:
    return await record.history(context.request(update), record.CellChoice())


@handler("tasks")
async def tasks(update: Update, context: ChiboContext) -> Reply:
    return await task_cases.my_tasks(context.request(update))
