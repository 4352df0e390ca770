"""Commands and buttons for meetings: /schedule, /meetings, the agenda, invitations, RSVP."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date

from telegram import Update

from domain.messages import Reply
from handlers.common import ChiboContext, caller_of, handler
from services.actions import Action
from services.meetings import agenda, card, changes, invitations, scheduling
from services.meetings import plan as month_plan
from services.meetings.common import Draft
from services.people import Caller

Route = Callable[[Action, Caller, ChiboContext], Awaitable[Reply]]


@handler("schedule")
async def schedule(update: Update, context: ChiboContext) -> Reply:
    return await scheduling.start_scheduling(
        context.state.database, caller_of(update), context.now()
    )


@handler("meetings")
async def plan(update: Update, context: ChiboContext) -> Reply:
    return await month_plan.plan(
        context.state.database, caller_of(update), context.now(), context.state.settings
    )


def _draft(action: Action) -> Draft:
    return Draft.from_json(action.payload["draft"])


async def _schedule_cell(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await scheduling.start_scheduling(
        context.state.database, caller, context.now(), cell_id=action.integer("cell_id")
    )


async def _draft_step(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    step = str(action.payload["step"])
    if step == "time":
        return await scheduling.ask_time_of_day(
            context.state.database,
            caller,
            _draft(action),
            date.fromisoformat(str(action.payload["day"])),
            context.now(),
        )
    answer = action.payload.get("answer")
    return await scheduling.continue_draft(
        context.state.database,
        caller,
        _draft(action),
        step,
        context.now(),
        context.state.settings,
        answer=None if answer is None else str(answer),
    )


async def _at_time(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await scheduling.at_time_of_day(
        context.state.database,
        caller,
        _draft(action),
        date.fromisoformat(str(action.payload["day"])),
        str(action.payload["time"]),
        context.now(),
        context.state.settings,
    )


async def _create(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await scheduling.create(
        context.state.database, caller, _draft(action), context.now(), context.state.settings
    )


async def _abandon(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await scheduling.abandon(context.state.database, caller)


async def _card(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await card.meeting_card(
        context.state.database, caller, action.integer("meeting_id"), context.now()
    )


async def _plan(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await month_plan.plan(
        context.state.database,
        caller,
        context.now(),
        context.state.settings,
        cell_id=action.integer("cell_id"),
    )


async def _agenda(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await agenda.agenda_editor(
        context.state.database, caller, action.integer("meeting_id"), context.now()
    )


async def _agenda_item(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await agenda.agenda_item_menu(
        context.state.database, caller, action.integer("item_id"), context.now()
    )


async def _agenda_move(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await agenda.move_agenda_item(
        context.state.database,
        caller,
        action.integer("item_id"),
        action.integer("step"),
        context.now(),
    )


async def _agenda_remove(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await agenda.remove_agenda_item(
        context.state.database, caller, action.integer("item_id"), context.now()
    )


async def _agenda_edit(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await agenda.ask_agenda_text(
        context.state.database, caller, context.now(), item_id=action.integer("item_id")
    )


async def _agenda_add(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await agenda.ask_agenda_text(
        context.state.database, caller, context.now(), meeting_id=action.integer("meeting_id")
    )


async def _broadcast(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await invitations.broadcast(
        context.state.database,
        caller,
        action.integer("meeting_id"),
        context.now(),
        context.state.settings.default_language,
        context.bot_username,
    )


async def _reschedule(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await changes.ask_new_time(
        context.state.database,
        caller,
        action.integer("meeting_id"),
        context.now(),
        context.state.settings,
    )


async def _move(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await changes.reschedule(
        context.state.database,
        caller,
        _draft(action),
        context.now(),
        context.state.settings,
        context.state.settings.default_language,
    )


async def _ask_cancel(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await changes.ask_cancel(
        context.state.database, caller, action.integer("meeting_id"), context.now()
    )


async def _cancel(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await changes.cancel(
        context.state.database,
        caller,
        action.integer("meeting_id"),
        context.now(),
        context.state.settings.default_language,
    )


async def _ask_pattern(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await month_plan.ask_pattern(
        context.state.database, caller, action.integer("cell_id"), context.now()
    )


ROUTES: dict[str, Route] = {
    "schedule.cell": _schedule_cell,
    "schedule.draft": _draft_step,
    "schedule.at": _at_time,
    "schedule.create": _create,
    "schedule.abandon": _abandon,
    "meeting.card": _card,
    "meetings.cell": _plan,
    "agenda.open": _agenda,
    "agenda.item": _agenda_item,
    "agenda.move": _agenda_move,
    "agenda.remove": _agenda_remove,
    "agenda.edit": _agenda_edit,
    "agenda.add": _agenda_add,
    "meeting.broadcast": _broadcast,
    "meeting.reschedule": _reschedule,
    "meeting.move": _move,
    "meeting.cancel.ask": _ask_cancel,
    "meeting.cancel": _cancel,
    "pattern.ask": _ask_pattern,
}
