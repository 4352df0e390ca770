"""The ids of the Telegram updates already handled, and what admitting one reads.

Admission runs for every update, so its statement is built once, in SQLAlchemy Core, and
run on the transaction's connection: no ORM objects, no statement built per update, and one
statement for the claim and what it reads (its RETURNING clause).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    Insert,
    bindparam,
    delete,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage.models import CallbackAction, Person, ProcessedUpdate


def _claim(dialect: Any) -> Insert:
    return (
        dialect.insert(ProcessedUpdate)
        .values(update_id=bindparam("update_id"), processed_at=bindparam("now"))
        .on_conflict_do_nothing(index_elements=["update_id"])
    )


_CLAIMS = {"postgresql": _claim(postgresql), "sqlite": _claim(sqlite)}


def _button(column: Any) -> Any:
    return select(column).where(CallbackAction.token == bindparam("token")).scalar_subquery()


# The claim returns a row only when it was made (none for an update some replica took): the
# caller's language (NULL for no such person) beside the pressed button's action (NULLs for
# no such token).
_CALLER_AND_BUTTON = (
    select(Person.language)
    .where(Person.telegram_user_id == bindparam("telegram_user_id"))
    .scalar_subquery(),
    _button(CallbackAction.kind),
    _button(CallbackAction.payload),
    _button(CallbackAction.telegram_user_id),
    _button(CallbackAction.expires_at),
)
_CLAIMS_READING = {name: claim.returning(*_CALLER_AND_BUTTON) for name, claim in _CLAIMS.items()}


class CallerAndButton(NamedTuple):
    language: str | None
    # The pressed button's stored action; kind None when there is no such token.
    kind: str | None
    payload: dict[str, Any] | None
    telegram_user_id: int | None
    expires_at: datetime | None


async def claim_update(connection: AsyncConnection, update_id: int, now: datetime) -> bool:
    """Record the update as handled; False when it already was (by some replica)."""
    result = await connection.execute(
        _CLAIMS[connection.dialect.name], {"update_id": update_id, "now": now}
    )
    return bool(result.rowcount)


async def claim_update_reading(
    connection: AsyncConnection,
    update_id: int,
    now: datetime,
    telegram_user_id: int | None,
    token: str | None,
) -> CallerAndButton | None:
    """Record the update as handled and read the caller's chosen language and the action
    stored for ``token``, in one statement; None when the update already was (by some
    replica)."""
    row = (
        await connection.execute(
            _CLAIMS_READING[connection.dialect.name],
            {
                "update_id": update_id,
                "now": now,
                "telegram_user_id": telegram_user_id,
                "token": token,
            },
        )
    ).one_or_none()
    return None if row is None else CallerAndButton(*row)


async def delete_updates_processed_before(session: AsyncSession, before: datetime) -> int:
    """Forget the updates handled before ``before``; returns how many were forgotten."""
    result = await session.execute(
        delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < before)
    )
    return int(getattr(result, "rowcount", 0) or 0)
