"""Replayed Telegram updates change nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.text import is_token
from services import actions
from services.actions import Action
from storage.db import Database, once_more_if_disconnected
from storage.queries.updates import (
    caller_and_button,
    claim_update,
    delete_updates_processed_before,
)


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
    took the update.

    Being every update's first transaction, it is where a connection that died in the pool
    (the database restarted) shows: it is retried once on a fresh one, and the pool's other
    connections of that age are replaced too."""
    # A forged token (a NUL byte, say) is not even looked up.
    token = button_token if button_token is not None and is_token(button_token) else None

    async def admitted() -> Admission | None:
        async with database.connection() as connection:
            if not await claim_update(connection, update_id, now):
                return None
            if telegram_user_id is None and token is None:
                return Admission(None, None)
            found = await caller_and_button(connection, telegram_user_id, token)
        button = actions.stored(
            found.kind, found.payload, found.telegram_user_id, found.expires_at, now
        )
        return Admission(found.language, button)

    return await once_more_if_disconnected(admitted)


async def forget_old_updates(database: Database, now: datetime, keep: timedelta) -> int:
    """Telegram never redelivers an update after a day, so older ids needn't be kept."""
    async with database.transaction() as session:
        return await delete_updates_processed_before(session, now - keep)
