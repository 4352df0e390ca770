"""What the outbox reads and writes: queuing once per key, claiming due rows, settling them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxMessage
from storage.upsert import insert_if_absent, upsert

# A row's status: waiting, held by a dispatcher, and the three ways it settles.
PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
WITHDRAWN = "withdrawn"


class NewMessage(NamedTuple):
    """A message to queue under its unique key."""

    key: str
    chat_id: int
    method: str
    payload: dict[str, Any]
    due_at: datetime
    created_at: datetime

    def row(self) -> dict[str, Any]:
        return {**self._asdict(), "status": PENDING, "attempts": 0}


class Outcome(NamedTuple):
    """How far a queued message got."""

    key: str
    status: str
    last_error: str | None


async def add_once(session: AsyncSession, message: NewMessage) -> bool:
    """Insert the message unless its key is queued already; True when inserted."""
    return await insert_if_absent(session, OutboxMessage, message.row(), ["key"])


async def add_or_replace(session: AsyncSession, message: NewMessage) -> None:
    """Insert the message, or overwrite whatever its key held, sent or not."""
    values = {**message.row(), "claimed_until": None, "last_error": None, "sent_at": None}
    await upsert(session, OutboxMessage, values, ["key"])


async def queued_keys(session: AsyncSession, keys: Iterable[str]) -> set[str]:
    """Of these keys, those the outbox holds already."""
    wanted = set(keys)
    if not wanted:
        return set()
    return set(
        await session.scalars(select(OutboxMessage.key).where(OutboxMessage.key.in_(wanted)))
    )


async def outcomes_since(session: AsyncSession, prefix: str, since: datetime) -> list[Outcome]:
    """The messages queued since ``since`` whose key starts with ``prefix``, as they stand."""
    rows = await session.execute(
        select(OutboxMessage.key, OutboxMessage.status, OutboxMessage.last_error).where(
            OutboxMessage.key.startswith(prefix), OutboxMessage.created_at >= since
        )
    )
    return [Outcome(*row) for row in rows]


async def withdraw_unsent(session: AsyncSession, prefix: str) -> None:
    """Rows not yet sent (waiting or held) whose key starts with ``prefix`` become withdrawn."""
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.key.startswith(prefix, autoescape=True),
            OutboxMessage.status.in_([PENDING, SENDING]),
        )
        .values(status=WITHDRAWN)
        .execution_options(synchronize_session=False)
    )


async def claim_due_rows(
    session: AsyncSession, *, now: datetime, limit: int, lease: timedelta, skip_locked: bool
) -> list[OutboxMessage]:
    """Mark up to ``limit`` due rows as held until ``now + lease``, and return them: waiting
    rows due by now, and held ones whose lease ran out. One UPDATE ... RETURNING makes the
    claim atomic; ``skip_locked`` (PostgreSQL) lets replicas claim disjoint rows without
    waiting on each other."""
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
    if skip_locked:
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
    return list((await session.scalars(statement)).all())


def _still_held(row: OutboxMessage) -> ColumnElement[bool]:
    """A dispatcher only settles rows it still holds: if its lease ran out and another took
    the row over, the other one's outcome stands."""
    return (
        (OutboxMessage.id == row.id)
        & (OutboxMessage.status == SENDING)
        & (OutboxMessage.claimed_until == row.claimed_until)
    )


async def settle_held(session: AsyncSession, row: OutboxMessage, **values: Any) -> None:
    """Write ``values`` to the row, if the claim that loaded it still holds it."""
    await session.execute(update(OutboxMessage).where(_still_held(row)).values(**values))


async def give_back_held(session: AsyncSession, row: OutboxMessage) -> None:
    """The held row waits again, its attempt not counted, if the claim still holds it."""
    await settle_held(
        session, row, status=PENDING, claimed_until=None, attempts=OutboxMessage.attempts - 1
    )
