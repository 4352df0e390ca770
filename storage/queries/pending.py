"""The questions awaiting a typed answer, one per person and chat."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import PendingInput


def _of(telegram_user_id: int, chat_id: int) -> tuple[ColumnElement[bool], ...]:
    return (
        PendingInput.telegram_user_id == telegram_user_id,
        PendingInput.chat_id == chat_id,
    )


async def question_in_chat(
    session: AsyncSession, telegram_user_id: int, chat_id: int
) -> PendingInput | None:
    """The question the person was last asked in this chat, expired or not."""
    return await session.scalar(select(PendingInput).where(*_of(telegram_user_id, chat_id)))


async def delete_question_in_chat(
    session: AsyncSession, telegram_user_id: int, chat_id: int
) -> None:
    await session.execute(delete(PendingInput).where(*_of(telegram_user_id, chat_id)))


async def delete_expired_questions(session: AsyncSession, now: datetime) -> None:
    """Forget the questions whose answers would no longer be taken at ``now``."""
    await session.execute(delete(PendingInput).where(PendingInput.expires_at <= now))
