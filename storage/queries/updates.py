"""The ids of the Telegram updates already handled."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ProcessedUpdate


async def delete_updates_processed_before(session: AsyncSession, before: datetime) -> int:
    """Forget the updates handled before ``before``; returns how many were forgotten."""
    result = await session.execute(
        delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < before)
    )
    return int(getattr(result, "rowcount", 0) or 0)
