"""Typed answers to the bot's open questions, whichever replica asked them."""

from __future__ import annotations

import re

from domain.messages import Reply, Text
from services import pending, routes
from services.attendance import checkin
from services.request import Request

# The code a secretary shows in the room, typed by a member to check in.
CHECKIN_CODE = re.compile(rf"\d{{{checkin.CODE_DIGITS}}}")


async def answer(request: Request, text: str) -> Reply:
    """Typed text answers the caller's open question, by the use case registered for its
    kind (services/routes.py: ANSWERS); without one, it is a check-in code or nothing the bot
    understands."""
    async with request.transaction() as session:
        question = await pending.current(session, caller=request.caller, now=request.now)
    route = None if question is None else routes.ANSWERS.get(question.kind)
    if question is not None and route is not None:
        return await route(request, {**question.payload, "text": text})
    if CHECKIN_CODE.fullmatch(text.strip()):
        return await checkin.check_in_with_code(request, checkin.CheckinCode(text.strip()))
    return Reply(Text("fallback.unknown_text"))
