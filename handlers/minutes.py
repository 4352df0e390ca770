"""Commands and buttons for minutes, resolutions and their tasks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update

from domain.messages import Reply, Text
from handlers.common import ChiboContext, caller_of, handler
from services.actions import Action
from services.minutes import comments, export, opinions, record, resolution
from services.minutes import tasks as task_cases
from services.people import Caller

Route = Callable[[Action, Caller, ChiboContext], Awaitable[Reply]]


@handler("minutes")
async def history(update: Update, context: ChiboContext) -> Reply:
    return await record.history(context.state.database, caller_of(update), context.now())


@handler("tasks")
async def tasks(update: Update, context: ChiboContext) -> Reply:
    return await task_cases.my_tasks(context.state.database, caller_of(update), context.now())


async def _open(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await record.editor(
        context.state.database, caller, action.integer("meeting_id"), context.now()
    )


async def _history(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await record.history(
        context.state.database, caller, context.now(), cell_id=action.integer("cell_id")
    )


async def _item(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await record.item_menu(
        context.state.database, caller, action.integer("item_id"), context.now()
    )


async def _ask(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    item_id = action.payload.get("item_id")
    return await record.ask(
        context.state.database,
        caller,
        action.integer("meeting_id"),
        str(action.payload["field"]),
        context.now(),
        item_id=None if item_id is None else int(item_id),
    )


async def _finish(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await record.finish(
        context.state.database,
        caller,
        action.integer("meeting_id"),
        context.now(),
        context.state.settings,
    )


async def _opinion(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await opinions.ask_opinion(
        context.state.database, caller, action.integer("item_id"), context.now()
    )


async def _opinion_of(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await opinions.ask_opinion_of(
        context.state.database,
        caller,
        action.integer("item_id"),
        action.integer("person_id"),
        context.now(),
    )


async def _export(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    translator, lang = context.state.translator, context.language

    def render(text: Text) -> str:
        return translator.render(text, lang)

    return await export.export(
        context.state.database, caller, action.integer("meeting_id"), render, context.state.settings
    )


async def _resolution(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await resolution.resolution_view(
        context.state.database,
        caller,
        action.integer("meeting_id"),
        context.now(),
        context.state.settings,
    )


async def _task_member(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await resolution.pick_task_member(
        context.state.database, caller, action.integer("meeting_id"), context.now()
    )


async def _ask_task(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await resolution.ask_task(
        context.state.database,
        caller,
        action.integer("meeting_id"),
        action.integer("person_id"),
        context.now(),
    )


async def _ask_comment(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await comments.ask_comment(
        context.state.database, caller, action.integer("resolution_id"), context.now()
    )


async def _done(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await task_cases.mark_done(
        context.state.database, caller, action.integer("task_id"), context.now()
    )


async def _progress(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await task_cases.ask_progress(
        context.state.database, caller, action.integer("task_id"), context.now()
    )


ROUTES: dict[str, Route] = {
    "minutes.open": _open,
    "minutes.cell": _history,
    "minutes.item": _item,
    "minutes.ask": _ask,
    "minutes.opinion": _opinion,
    "minutes.opinion_of": _opinion_of,
    "minutes.finish": _finish,
    "minutes.export": _export,
    "resolution.open": _resolution,
    "resolution.task": _task_member,
    "resolution.task_member": _ask_task,
    "resolution.comment": _ask_comment,
    "task.done": _done,
    "task.progress": _progress,
}
