"""Typed answers to the bot's open questions, whichever replica asked them."""

from __future__ import annotations

from datetime import datetime

from domain.messages import Reply, Text
from services import cells, onboarding, pending
from services.onboarding import Settings
from services.people import Caller
from storage.db import Database


async def answer(
    database: Database,
    caller: Caller,
    text: str,
    now: datetime,
    settings: Settings,
    bot_username: str,
) -> Reply:
    async with database.transaction() as session:
        question = await pending.current(
            session, telegram_user_id=caller.telegram_user_id, chat_id=caller.chat_id, now=now
        )
    if question is None:
        return Reply(Text("fallback.unknown_text"))
    if question.kind == onboarding.ASK_NAME:
        return await onboarding.confirm_name(
            database, caller, int(question.payload["invite_id"]), text, now, settings
        )
    if question.kind == cells.ASK_CELL_NAME:
        return await cells.new_cell(
            database,
            caller,
            text,
            now,
            settings,
            bot_username,
            organisation_id=int(question.payload["organisation_id"]),
        )
    return Reply(Text("fallback.unknown_text"))
