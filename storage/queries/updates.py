"""The ids of the Telegram updates already handled, and what admitting one reads.

Admission runs for every update, so its two statements are built once, in SQLAlchemy Core,
and run on the transaction's connection: no ORM objects, no statement built per update.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    Insert,
    Select,
    bindparam,
    delete,
    literal,
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

# One row whatever is found: the caller's language (NULL for no such person) beside the
# pressed button's action (NULLs for no such token).
_CALLER_AND_BUTTON: Select[Any] = (
    select(
        select(Person.language)
        .where(Person.telegram_user_id == bindparam("telegram_user_id"))
        .scalar_subquery()
        .label("language"),
        CallbackAction.kind,
        CallbackAction.payload,
        CallbackAction.telegram_user_id,
        CallbackAction.expires_at,
    )
    .select_from(select(literal(1).label("one")).subquery())
    .outerjoin(CallbackAction, CallbackAction.token == bindparam("token"))
)


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


async def caller_and_button(
    connection: AsyncConnection, telegram_user_id: int | None, token: str | None
) -> CallerAndButton:
    """The caller's chosen language and the action stored for ``token``, in one statement."""
    row = (
        await connection.execute(
            _CALLER_AND_BUTTON, {"telegram_user_id": telegram_user_id, "token": token}
        )
    ).one()
    return CallerAndButton(*row)


async def delete_updates_processed_before(session: AsyncSession, before: datetime) -> int:
    """Forget the updates handled before ``before``; returns how many were forgotten."""
    result = await session.execute(
        delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < before)
    )
    return int(getattr(result, "rowcount", 0) or 0)
