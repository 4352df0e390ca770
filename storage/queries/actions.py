"""What the inline buttons' stored actions need beyond loading one by its token."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import CallbackAction


async def delete_expired_actions(session: AsyncSession, now: datetime) -> None:
    """Forget the actions whose buttons no longer work at ``now``."""
    await session.execute(delete(CallbackAction).where(CallbackAction.expires_at <= now))
