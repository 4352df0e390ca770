"""Typed answers to the bot's open questions, whichever replica asked them."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.messages import Reply, Text
from services import (
    attendance,
    papers,
    pending,
    routes,
)
from services.config import ServiceSettings
from services.papers import Files, IncomingDocument
from services.people import Caller
from services.request import Request
from storage.db import Database

# The code a secretary shows in the room, typed by a member to check in.
CHECKIN_CODE = re.compile(rf"\d{{{attendance.CODE_DIGITS}}}")


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


ANSWERS: dict[str, Answer] = {
    papers.ASK_TOPIC: lambda a: papers.ask_due(
        a.database, a.caller, a.number("meeting_id"), a.number("person_id"), a.text, a.now
    ),
    papers.ASK_DUE: lambda a: papers.assign_with_typed_due(
        a.database,
        a.caller,
        a.number("meeting_id"),
        a.number("person_id"),
        str(a.payload["topic"]),
        a.text,
        a.now,
        a.settings,
    ),
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
        question = await pending.current(session, caller=caller, now=now)
    if question is not None and question.kind == papers.ASK_MATERIALS:
        return await papers.add_material(
            database, caller, int(question.payload["meeting_id"]), document, files, now, settings
        )
    return await papers.receive_paper(database, caller, document, files, now, settings)


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
            return await attendance.check_in(
                request.database, request.caller, request.now, code=text.strip()
            )
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
