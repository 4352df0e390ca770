"""Replayed Telegram updates change nothing."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete

from storage.db import Database
from storage.models import ProcessedUpdate
from storage.upsert import insert_if_absent


async def claim_update(database: Database, update_id: int, now: datetime) -> bool:
    """Record the update as handled; False when some replica already took it."""
    async with database.transaction() as session:
        return await insert_if_absent(
            session, ProcessedUpdate, {"update_id": update_id, "processed_at": now}, ["update_id"]
        )


async def forget_old_updates(database: Database, now: datetime, keep: timedelta) -> int:
    """Telegram never redelivers an update after a day, so older ids needn't be kept."""
    async with database.transaction() as session:
        result = await session.execute(
            delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < now - keep)
        )
    return int(getattr(result, "rowcount", 0) or 0)
