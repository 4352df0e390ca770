"""Two replicas sharing one database: every update and every message takes effect once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import select
from telegram import Update

from bot.app import ChiboApplication, build_application
from domain.clock import FakeClock
from emulator import BotApiEmulator
from emulator.driver import running
from handlers.admission import handle
from scheduler.dispatcher import OutboxDispatcher
from services.onboarding import create_organisation
from storage.db import Database
from storage.models import PendingInput
from tests.harness import chibo_settings, eventually, private_chats, queue_to_each


@asynccontextmanager
async def replica(
    database: Database, clock: FakeClock, emulator: BotApiEmulator, files: Path
) -> AsyncIterator[ChiboApplication]:
    """A replica as in webhook mode: no polling; updates are handed to it."""
    application = build_application(chibo_settings(database, emulator, files), database, clock)
    async with running(application, polling=False):
        yield application


async def deliver(application: ChiboApplication, raw: dict[str, Any]) -> None:
    """As the webhook does: handled now, and acknowledged (admitted here or by the other)."""
    async with asyncio.timeout(10):
        assert await handle(application, Update.de_json(raw, application.bot))


async def test_two_replicas_apply_each_update_and_message_once(
    database: Database, clock: FakeClock, emulator: BotApiEmulator, tmp_path: Path
) -> None:
    async with AsyncExitStack() as stack:
        first, second = [
            await stack.enter_async_context(replica(database, clock, emulator, tmp_path / name))
            for name in ("one", "two")
        ]
        # Telegram retries a webhook call on another replica: the same update reaches both.
        created = await create_organisation(database, "Đảng bộ Xã", clock.now())
        user = emulator.user(4242, "Trần Văn Hùng")
        raw = {
            "update_id": 777_001,
            "message": {
                "message_id": 1,
                "date": 0,
                "text": f"/start {created.setup_token}",
                "chat": {"id": user.id, "type": "private", "first_name": user.first_name},
                "from": {"id": user.id, "is_bot": False, "first_name": user.first_name},
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
            },
        }
        emulator.open_private_chat(user)
        await asyncio.gather(deliver(first, raw), deliver(second, raw))
        # One answer (the question to confirm the name), not two, and one stored question.
        assert len(emulator.messages(user.id)) == 1
        async with database.transaction() as session:
            questions = (await session.scalars(select(PendingInput))).all()
        assert len(questions) == 1

        # A broadcast of 500 reminders, with both replicas' dispatchers at work.
        members = private_chats(emulator, 500, 100_000)
        await queue_to_each(database, members, "reminder:test", clock.now())
        dispatchers: list[OutboxDispatcher] = [
            first.bot_data["dispatcher"],
            second.bot_data["dispatcher"],
        ]
        # The replicas' own timers may take a share too: three dispatchers at once.
        await asyncio.gather(*(d.drain() for d in dispatchers))
        await eventually(lambda: sum(len(emulator.messages(m.id)) for m in members) >= 500)
        await asyncio.sleep(0.5)  # anything doubled would have arrived by now
        assert sorted({len(emulator.messages(m.id)) for m in members}) == [1]
        assert len(emulator.calls("sendMessage")) == 500 + 1
