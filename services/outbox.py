"""The outbox: what the bot says on its own, queued with the fact that caused it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.messages import Button, Text
from storage.db import Database
from storage.models import OutboxMessage
from storage.upsert import insert_if_absent, upsert

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
WITHDRAWN = "withdrawn"


@dataclass
class QueueWatch:
    queued: bool = False


_watch: ContextVar[QueueWatch | None] = ContextVar("outbox_watch", default=None)


@contextmanager
def watching() -> Iterator[QueueWatch]:
    """Notes whether the work inside queued a message, so the sender is woken only then
    (waking it costs a write transaction, and most button presses queue nothing)."""
    watch = QueueWatch()
    token = _watch.set(watch)
    try:
        yield watch
    finally:
        _watch.reset(token)


def _note_queued() -> None:
    watch = _watch.get()
    if watch is not None:
        watch.queued = True


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
    _note_queued()
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


async def enqueue_latest(
    session: AsyncSession,
    *,
    key: str,
    chat_id: int,
    method: str,
    payload: dict[str, Any],
    due_at: datetime,
    now: datetime,
) -> None:
    """Queue a message under ``key``, replacing whatever that key held, sent or not."""
    _note_queued()
    await upsert(
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
            "claimed_until": None,
            "last_error": None,
            "sent_at": None,
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


async def withdraw(session: AsyncSession, *, prefix: str) -> None:
    """Stop messages not yet sent whose key starts with ``prefix`` (a moved meeting's
    reminders); ones already sent stay as they were. A row a dispatcher holds right now is
    withdrawn too: if its send fails and would be retried, it no longer is."""
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.key.startswith(prefix, autoescape=True),
            OutboxMessage.status.in_([PENDING, SENDING]),
        )
        .values(status=WITHDRAWN)
        .execution_options(synchronize_session=False)
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


def _still_mine(row: OutboxMessage) -> Any:
    """A dispatcher only settles rows it still holds: if its lease ran out and another took
    the row over, the other one's outcome stands."""
    return (
        (OutboxMessage.id == row.id)
        & (OutboxMessage.status == SENDING)
        & (OutboxMessage.claimed_until == row.claimed_until)
    )


async def mark_sent(database: Database, row: OutboxMessage, now: datetime) -> None:
    async with database.transaction() as session:
        await session.execute(
            update(OutboxMessage)
            .where(_still_mine(row))
            .values(status=SENT, sent_at=now, claimed_until=None, last_error=None)
        )


async def release(database: Database, row: OutboxMessage) -> None:
    """Give back a claimed row unsent and untried, for the next claim to take at once."""
    async with database.transaction() as session:
        await session.execute(
            update(OutboxMessage)
            .where(_still_mine(row))
            .values(status=PENDING, claimed_until=None, attempts=OutboxMessage.attempts - 1)
        )


async def retry_later(
    database: Database,
    row: OutboxMessage,
    due_at: datetime,
    error: str,
    parts_sent: int | None = None,
) -> None:
    """The row goes back for a later try; of a message in parts, ``parts_sent`` were
    delivered and are not sent again."""
    values: dict[str, object] = {
        "status": PENDING,
        "due_at": due_at,
        "claimed_until": None,
        "last_error": error[:300],
    }
    if parts_sent is not None:
        values["payload"] = {**row.payload, "parts_sent": parts_sent}
    async with database.transaction() as session:
        await session.execute(update(OutboxMessage).where(_still_mine(row)).values(**values))


async def mark_failed(database: Database, row: OutboxMessage, error: str) -> None:
    async with database.transaction() as session:
        await session.execute(
            update(OutboxMessage)
            .where(_still_mine(row))
            .values(status=FAILED, claimed_until=None, last_error=error[:300])
        )
