"""Typed answers to the bot's open questions, whichever replica asked them."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any

from domain.messages import Reply, Text
from services import (
    attendance,
    cells,
    meetings,
    minutes,
    onboarding,
    papers,
    pending,
    rsvp,
    working_groups,
)
from services.config import ServiceSettings
from services.meetings import Draft
from services.papers import Files, IncomingDocument
from services.people import Caller
from storage.db import Database

# The code a secretary shows in the room, typed by a member to check in.
CHECKIN_CODE = re.compile(rf"\d{{{attendance.CODE_DIGITS}}}")

Answer = Callable[
    [Database, Caller, str, dict[str, Any], datetime, ServiceSettings, str], Awaitable[Reply]
]


async def _name(
    database: Database,
    caller: Caller,
    text: str,
    payload: dict[str, Any],
    now: datetime,
    settings: ServiceSettings,
    bot_username: str,
) -> Reply:
    return await onboarding.confirm_name(
        database, caller, int(payload["invite_id"]), text, now, settings
    )


async def _cell_name(
    database: Database,
    caller: Caller,
    text: str,
    payload: dict[str, Any],
    now: datetime,
    settings: ServiceSettings,
    bot_username: str,
) -> Reply:
    return await cells.new_cell(
        database,
        caller,
        text,
        now,
        settings,
        bot_username,
        organisation_id=int(payload["organisation_id"]),
    )


def _draft_step(step: str) -> Answer:
    async def answer(
        database: Database,
        caller: Caller,
        text: str,
        payload: dict[str, Any],
        now: datetime,
        settings: ServiceSettings,
        bot_username: str,
    ) -> Reply:
        return await meetings.continue_draft(
            database, caller, Draft.from_json(payload["draft"]), step, now, settings, answer=text
        )

    return answer


async def _time(
    database: Database,
    caller: Caller,
    text: str,
    payload: dict[str, Any],
    now: datetime,
    settings: ServiceSettings,
    bot_username: str,
) -> Reply:
    return await meetings.at_time_of_day(
        database,
        caller,
        Draft.from_json(payload["draft"]),
        date.fromisoformat(payload["day"]),
        text,
        now,
        settings,
    )


async def _agenda_add(
    database: Database,
    caller: Caller,
    text: str,
    payload: dict[str, Any],
    now: datetime,
    settings: ServiceSettings,
    bot_username: str,
) -> Reply:
    return await meetings.write_agenda_text(
        database, caller, text, now, meeting_id=int(payload["meeting_id"])
    )


async def _agenda_edit(
    database: Database,
    caller: Caller,
    text: str,
    payload: dict[str, Any],
    now: datetime,
    settings: ServiceSettings,
    bot_username: str,
) -> Reply:
    return await meetings.write_agenda_text(
        database, caller, text, now, item_id=int(payload["item_id"])
    )


async def _pattern(
    database: Database,
    caller: Caller,
    text: str,
    payload: dict[str, Any],
    now: datetime,
    settings: ServiceSettings,
    bot_username: str,
) -> Reply:
    return await meetings.set_pattern(
        database, caller, int(payload["cell_id"]), text, now, settings
    )


async def _absence_note(
    database: Database,
    caller: Caller,
    text: str,
    payload: dict[str, Any],
    now: datetime,
    settings: ServiceSettings,
    bot_username: str,
) -> Reply:
    return await rsvp.give_note(database, caller, int(payload["meeting_id"]), text, now)


async def _paper_topic(
    database: Database,
    caller: Caller,
    text: str,
    payload: dict[str, Any],
    now: datetime,
    settings: ServiceSettings,
    bot_username: str,
) -> Reply:
    return await papers.ask_due(
        database, caller, int(payload["meeting_id"]), int(payload["person_id"]), text, now
    )


async def _paper_due(
    database: Database,
    caller: Caller,
    text: str,
    payload: dict[str, Any],
    now: datetime,
    settings: ServiceSettings,
    bot_username: str,
) -> Reply:
    return await papers.assign_with_typed_due(
        database,
        caller,
        int(payload["meeting_id"]),
        int(payload["person_id"]),
        str(payload["topic"]),
        text,
        now,
        settings,
    )


async def _minutes_field(
    database: Database,
    caller: Caller,
    text: str,
    payload: dict[str, Any],
    now: datetime,
    settings: ServiceSettings,
    bot_username: str,
) -> Reply:
    item_id = payload.get("item_id")
    return await minutes.write(
        database,
        caller,
        int(payload["meeting_id"]),
        str(payload["field"]),
        None if item_id is None else int(item_id),
        text,
        now,
        settings,
    )


async def _task(
    database: Database,
    caller: Caller,
    text: str,
    payload: dict[str, Any],
    now: datetime,
    settings: ServiceSettings,
    bot_username: str,
) -> Reply:
    return await minutes.add_task(
        database, caller, int(payload["meeting_id"]), int(payload["person_id"]), text, now, settings
    )


async def _comment(
    database: Database,
    caller: Caller,
    text: str,
    payload: dict[str, Any],
    now: datetime,
    settings: ServiceSettings,
    bot_username: str,
) -> Reply:
    return await minutes.comment(database, caller, int(payload["resolution_id"]), text, now)


async def _progress(
    database: Database,
    caller: Caller,
    text: str,
    payload: dict[str, Any],
    now: datetime,
    settings: ServiceSettings,
    bot_username: str,
) -> Reply:
    return await minutes.report_progress(database, caller, int(payload["task_id"]), text, now)


async def _observations(
    database: Database,
    caller: Caller,
    text: str,
    payload: dict[str, Any],
    now: datetime,
    settings: ServiceSettings,
    bot_username: str,
) -> Reply:
    return await working_groups.report(
        database, caller, int(payload["meeting_id"]), text, now, settings
    )


ANSWERS: dict[str, Answer] = {
    onboarding.ASK_NAME: _name,
    cells.ASK_CELL_NAME: _cell_name,
    meetings.ASK_WHEN: _draft_step("when"),
    meetings.ASK_PLACE: _draft_step("place"),
    meetings.ASK_THEME: _draft_step("theme"),
    meetings.ASK_TIME: _time,
    meetings.ASK_AGENDA_ADD: _agenda_add,
    meetings.ASK_AGENDA_EDIT: _agenda_edit,
    meetings.ASK_PATTERN: _pattern,
    rsvp.ASK_NOTE: _absence_note,
    papers.ASK_TOPIC: _paper_topic,
    papers.ASK_DUE: _paper_due,
    minutes.ASK_FIELD: _minutes_field,
    minutes.ASK_TASK: _task,
    minutes.ASK_COMMENT: _comment,
    minutes.ASK_PROGRESS: _progress,
    working_groups.ASK_REPORT: _observations,
}


async def receive_document(
    database: Database,
    caller: Caller,
    document: IncomingDocument,
    files: Files,
    now: datetime,
    settings: ServiceSettings,
) -> Reply:
    """A document is a meeting material when the secretary was asked for one, else a paper."""
    async with database.transaction() as session:
        question = await pending.current(
            session, telegram_user_id=caller.telegram_user_id, chat_id=caller.chat_id, now=now
        )
    if question is not None and question.kind == papers.ASK_MATERIALS:
        return await papers.add_material(
            database, caller, int(question.payload["meeting_id"]), document, files, now, settings
        )
    return await papers.receive_paper(database, caller, document, files, now, settings)


async def answer(
    database: Database,
    caller: Caller,
    text: str,
    now: datetime,
    settings: ServiceSettings,
    bot_username: str,
) -> Reply:
    async with database.transaction() as session:
        question = await pending.current(
            session, telegram_user_id=caller.telegram_user_id, chat_id=caller.chat_id, now=now
        )
    respond = None if question is None else ANSWERS.get(question.kind)
    if question is None or respond is None:
        if CHECKIN_CODE.fullmatch(text.strip()):
            return await attendance.check_in(database, caller, now, code=text.strip())
        return Reply(Text("fallback.unknown_text"))
    return await respond(database, caller, text, question.payload, now, settings, bot_username)
