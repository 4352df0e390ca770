"""The outbox: what the bot says on its own, queued with the fact that caused it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypedDict, Unpack

from sqlalchemy.ext.asyncio import AsyncSession

from domain.messages import Button, Text
from storage.db import Database
from storage.models import OutboxMessage, Person
from storage.queries import outbox as queries
from storage.queries.outbox import FAILED as FAILED
from storage.queries.outbox import PENDING as PENDING
from storage.queries.outbox import SENDING as SENDING
from storage.queries.outbox import SENT as SENT
from storage.queries.outbox import WITHDRAWN as WITHDRAWN


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


class Message(TypedDict):
    """What is queued: under ``key``, the call ``method`` to ``chat_id`` with ``payload``,
    due at ``due_at``."""

    key: str
    chat_id: int
    method: str
    payload: dict[str, Any]
    due_at: datetime
    now: datetime


def _new(message: Message) -> queries.NewMessage:
    return queries.NewMessage(
        message["key"],
        message["chat_id"],
        message["method"],
        message["payload"],
        message["due_at"],
        message["now"],
    )


async def enqueue(session: AsyncSession, **message: Unpack[Message]) -> bool:
    """Queue a message once per key, in the caller's transaction; False if already queued."""
    _note_queued()
    return await queries.add_once(session, _new(message))


async def enqueue_latest(session: AsyncSession, **message: Unpack[Message]) -> None:
    """Queue a message under ``key``, replacing whatever that key held, sent or not."""
    _note_queued()
    await queries.add_or_replace(session, _new(message))


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


async def message_person(
    session: AsyncSession,
    person: Person,
    *,
    key: str,
    text: Text,
    default_language: str,
    now: datetime,
    buttons: Sequence[Sequence[Button]] = (),
) -> bool:
    """Queues ``text`` for the person's private chat, in their language (or the default)."""
    return await enqueue_message(
        session,
        key=key,
        chat_id=person.telegram_user_id,
        text=text,
        lang=person.language or default_language,
        now=now,
        buttons=buttons,
    )


async def withdraw(session: AsyncSession, *, prefix: str) -> None:
    """Stop messages not yet sent whose key starts with ``prefix`` (a moved meeting's
    reminders); ones already sent stay as they were. A row a dispatcher holds right now is
    withdrawn too: if its send fails and would be retried, it no longer is."""
    await queries.withdraw_unsent(session, prefix)


async def claim_due(
    database: Database, *, now: datetime, limit: int, lease: timedelta
) -> list[OutboxMessage]:
    """Take up to ``limit`` due messages for this dispatcher alone.

    A claim is a lease: a dispatcher that dies mid-send leaves rows that another claims once
    the lease runs out. One UPDATE ... RETURNING makes the claim atomic on SQLite; on
    PostgreSQL, SKIP LOCKED lets replicas claim disjoint rows without waiting on each other.
    """
    async with database.transaction() as session:
        rows = await queries.claim_due_rows(
            session, now=now, limit=limit, lease=lease, skip_locked=database.is_postgresql
        )
    rows.sort(key=lambda row: (row.due_at, row.id))
    return rows


async def _settle(database: Database, row: OutboxMessage, **values: object) -> None:
    """Record the row's outcome, if this dispatcher still holds it: if its lease ran out and
    another took the row over, the other one's outcome stands."""
    async with database.transaction() as session:
        await queries.settle_held(session, row, **values)


async def mark_sent(database: Database, row: OutboxMessage, now: datetime) -> None:
    await _settle(database, row, status=SENT, sent_at=now, claimed_until=None, last_error=None)


async def release(database: Database, row: OutboxMessage) -> None:
    """Give back a claimed row unsent and untried, for the next claim to take at once."""
    async with database.transaction() as session:
        await queries.give_back_held(session, row)


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
    await _settle(database, row, **values)


async def mark_failed(database: Database, row: OutboxMessage, error: str) -> None:
    await _settle(database, row, status=FAILED, claimed_until=None, last_error=error[:300])
