"""Replayed Telegram updates change nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from services import actions
from services.actions import Action
from services.people import chosen_language
from storage.db import Database
from storage.models import ProcessedUpdate
from storage.queries.updates import delete_updates_processed_before
from storage.upsert import insert_if_absent


@dataclass(frozen=True)
class Admission:
    language: str | None  # the caller's chosen language, None for the default
    button: Action | None  # what the pressed button's token stands for, None if nothing


async def admit(
    database: Database,
    update_id: int,
    telegram_user_id: int | None,
    now: datetime,
    button_token: str | None = None,
) -> Admission | None:
    """Record the update as handled, read the caller's language and look up the pressed
    button, in one transaction (it runs for every update); None when some replica already
    took the update."""
    async with database.transaction() as session:
        claimed = await insert_if_absent(
            session, ProcessedUpdate, {"update_id": update_id, "processed_at": now}, ["update_id"]
        )
        if not claimed:
            return None
        language = (
            None if telegram_user_id is None else await chosen_language(session, telegram_user_id)
        )
        button = None if button_token is None else await actions.load(session, button_token, now)
        return Admission(language, button)


async def forget_old_updates(database: Database, now: datetime, keep: timedelta) -> int:
    """Telegram never redelivers an update after a day, so older ids needn't be kept."""
    async with database.transaction() as session:
        return await delete_updates_processed_before(session, now - keep)
