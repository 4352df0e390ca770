"""The outbox: what the bot says on its own, queued with the fact that caused it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.messages import Button, Text
from storage.db import Database
from storage.models import OutboxMessage
from storage.upsert import insert_if_absent

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"


def message_payload(
    text: Text, lang: str, buttons: Sequence[Sequence[Button]] = ()
) -> dict[str, Any]:
    return {
        "text": text.to_json(),
        "lang": lang,
        "buttons": [[b.to_json() for b in row] for row in buttons],
    }


async def enqueue(
    session: AsyncSession,
    *,
    key: str,
    chat_id: int,
    method: str,
    payload: dict[str, Any],
    due_at: datetime,
    now: datetime,
) -> bool:
    """Queue a message once per key, in the caller's transaction; False if already queued."""
    return await insert_if_absent(
        session,
        OutboxMessage,
        {
            "key": key,
            "chat_id": chat_id,
            "method": method,
            "payload": payload,
            "status": PENDING,
            "due_at": due_at,
            "attempts": 0,
            "created_at": now,
        },
        ["key"],
    )


async def enqueue_message(
    session: AsyncSession,
    *,
    key: str,
    chat_id: int,
    text: Text,
    lang: str,
    now: datetime,
    buttons: Sequence[Sequence[Button]] = (),
    due_at: datetime | None = None,
) -> bool:
    return await enqueue(
        session,
        key=key,
        chat_id=chat_id,
        method="sendMessage",
        payload=message_payload(text, lang, buttons),
        due_at=due_at or now,
        now=now,
    )


async def claim_due(
    database: Database, *, now: datetime, limit: int, lease: timedelta
) -> list[OutboxMessage]:
    """Take up to ``limit`` due messages for this dispatcher alone.

    A claim is a lease: a dispatcher that dies mid-send leaves rows that another claims once
    the lease runs out. One UPDATE ... RETURNING makes the claim atomic on SQLite; on
    PostgreSQL, SKIP LOCKED lets replicas claim disjoint rows without waiting on each other.
    """
    due = or_(
        and_(OutboxMessage.status == PENDING, OutboxMessage.due_at <= now),
        and_(OutboxMessage.status == SENDING, OutboxMessage.claimed_until < now),
    )
    candidates = (
        select(OutboxMessage.id)
        .where(due)
        .order_by(OutboxMessage.due_at, OutboxMessage.id)
        .limit(limit)
    )
    if database.is_postgresql:
        candidates = candidates.with_for_update(skip_locked=True)
    # MATERIALIZED: PostgreSQL may otherwise re-run a LIMIT ... SKIP LOCKED subquery per row
    # and claim more rows than asked, starving the other replicas.
    claimed_ids = candidates.cte("claimed_ids").prefix_with("MATERIALIZED")
    statement = (
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(select(claimed_ids.c.id)), due)
        .values(status=SENDING, claimed_until=now + lease, attempts=OutboxMessage.attempts + 1)
        .returning(OutboxMessage)
        .execution_options(synchronize_session=False)
    )
    async with database.transaction() as session:
        rows = list((await session.scalars(statement)).all())
    rows.sort(key=lambda row: (row.due_at, row.id))
    return rows


async def mark_sent(database: Database, message_id: int, now: datetime) -> None:
    async with database.transaction() as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(status=SENT, sent_at=now, claimed_until=None, last_error=None)
        )


async def retry_later(database: Database, message_id: int, due_at: datetime, error: str) -> None:
    async with database.transaction() as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(status=PENDING, due_at=due_at, claimed_until=None, last_error=error[:300])
        )


async def mark_failed(database: Database, message_id: int, error: str) -> None:
    async with database.transaction() as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(status=FAILED, claimed_until=None, last_error=error[:300])
        )
