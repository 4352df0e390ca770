"""Typed answers to the bot's open questions, whichever replica asked them."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from domain.messages import Reply, Text
from services import (
    onboarding,
    pending,
    routes,
    working_groups,
)
from services.attendance import checkin
from services.cells import creation
from services.config import ServiceSettings
from services.meetings import agenda, plan, scheduling
from services.meetings.common import Draft
from services.minutes import comments, opinions, record, resolution, tasks
from services.people import Caller
from services.request import Request
from storage.db import Database

# The code a secretary shows in the room, typed by a member to check in.
CHECKIN_CODE = re.compile(rf"\d{{{checkin.CODE_DIGITS}}}")


@dataclass(frozen=True)
class Answered:
    """A typed answer to a stored question, with what the use case behind it needs."""

    database: Database
    caller: Caller
    text: str
    payload: dict[str, Any]
    now: datetime
    settings: ServiceSettings
    bot_username: str

    def number(self, name: str) -> int:
        return int(self.payload[name])


Answer = Callable[[Answered], Awaitable[Reply]]


def _draft_step(step: str) -> Answer:
    async def answer(a: Answered) -> Reply:
        return await scheduling.continue_draft(
            a.database,
            a.caller,
            Draft.from_json(a.payload["draft"]),
            step,
            a.now,
            a.settings,
            answer=a.text,
        )

    return answer


ANSWERS: dict[str, Answer] = {
    onboarding.ASK_NAME: lambda a: onboarding.confirm_name(
        a.database, a.caller, a.number("invite_id"), a.text, a.now, a.settings
    ),
    creation.ASK_CELL_NAME: lambda a: creation.new_cell(
        a.database,
        a.caller,
        a.text,
        a.now,
        a.settings,
        a.bot_username,
        organisation_id=a.number("organisation_id"),
    ),
    scheduling.ASK_WHEN: _draft_step("when"),
    scheduling.ASK_PLACE: _draft_step("place"),
    scheduling.ASK_THEME: _draft_step("theme"),
    scheduling.ASK_TIME: lambda a: scheduling.at_time_of_day(
        a.database,
        a.caller,
        Draft.from_json(a.payload["draft"]),
        date.fromisoformat(a.payload["day"]),
        a.text,
        a.now,
        a.settings,
    ),
    agenda.ASK_AGENDA_ADD: lambda a: agenda.write_agenda_text(
        a.database, a.caller, a.text, a.now, meeting_id=a.number("meeting_id")
    ),
    agenda.ASK_AGENDA_EDIT: lambda a: agenda.write_agenda_text(
        a.database, a.caller, a.text, a.now, item_id=a.number("item_id")
    ),
    plan.ASK_PATTERN: lambda a: plan.set_pattern(
        a.database, a.caller, a.number("cell_id"), a.text, a.now, a.settings
    ),
    record.ASK_FIELD: lambda a: record.write(
        a.database,
        a.caller,
        a.number("meeting_id"),
        str(a.payload["field"]),
        None if a.payload.get("item_id") is None else a.number("item_id"),
        a.text,
        a.now,
        a.settings,
    ),
    opinions.ASK_OPINION: lambda a: opinions.record_opinion(
        a.database,
        a.caller,
        a.number("item_id"),
        None if a.payload.get("person_id") is None else a.number("person_id"),
        a.text,
        a.now,
    ),
    resolution.ASK_TASK: lambda a: resolution.add_task(
        a.database,
        a.caller,
        a.number("meeting_id"),
        a.number("person_id"),
        a.text,
        a.now,
        a.settings,
    ),
    comments.ASK_COMMENT: lambda a: comments.comment(
        a.database, a.caller, a.number("resolution_id"), a.text, a.now
    ),
    tasks.ASK_PROGRESS: lambda a: tasks.report_progress(
        a.database, a.caller, a.number("task_id"), a.text, a.now
    ),
    working_groups.ASK_REPORT: lambda a: working_groups.report(
        a.database, a.caller, a.number("meeting_id"), a.text, a.now, a.settings
    ),
}


async def answer(request: Request, text: str) -> Reply:
    """Typed text answers the caller's open question here; without one, it is a check-in
    code or nothing the bot understands."""
    async with request.transaction() as session:
        question = await pending.current(session, caller=request.caller, now=request.now)
    if question is not None:
        route = routes.ANSWERS.get(question.kind)
        if route is not None:
            return await route(request, {**question.payload, "text": text})
    respond = None if question is None else ANSWERS.get(question.kind)
    if question is None or respond is None:
        if CHECKIN_CODE.fullmatch(text.strip()):
            return await checkin.check_in_with_code(request, checkin.CheckinCode(text.strip()))
        return Reply(Text("fallback.unknown_text"))
    return await respond(
        Answered(
            request.database,
            request.caller,
            text,
            question.payload,
            request.now,
            request.settings,
            request.bot_username,
        )
    )
