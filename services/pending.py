"""Questions awaiting typed answers, stored so that any replica can take the answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.people import Caller
from storage.db import Database
from storage.models import PendingInput
from storage.queries import pending as queries
from storage.upsert import insert_if_absent

# Long enough to open an invite on Friday and type one's name on Monday.
QUESTION_LIFETIME = timedelta(days=7)


@dataclass(frozen=True)
class Pending:
    kind: str
    payload: dict[str, Any]


async def ask(
    session: AsyncSession,
    *,
    caller: Caller,
    kind: str,
    payload: dict[str, Any],
    now: datetime,
) -> None:
    """Await the person's next text in this chat; a new question replaces an older one."""
    await forget(session, caller=caller)
    await insert_if_absent(
        session,
        PendingInput,
        {
            "telegram_user_id": caller.telegram_user_id,
            "chat_id": caller.chat_id,
            "kind": kind,
            "payload": payload,
            "expires_at": now + QUESTION_LIFETIME,
            "created_at": now,
        },
        ["telegram_user_id", "chat_id"],
    )


async def current(session: AsyncSession, *, caller: Caller, now: datetime) -> Pending | None:
    row = await queries.question_in_chat(session, caller.telegram_user_id, caller.chat_id)
    if row is None or row.expires_at <= now:
        return None
    return Pending(row.kind, dict(row.payload))


async def forget_expired(database: Database, now: datetime) -> None:
    async with database.transaction() as session:
        await queries.delete_expired_questions(session, now)


async def forget(session: AsyncSession, *, caller: Caller) -> None:
    await queries.delete_question_in_chat(session, caller.telegram_user_id, caller.chat_id)
