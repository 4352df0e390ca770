"""The real bot, polling the local Bot API emulator over HTTP, driven as users would."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from bot.app import ChiboApplication, build_application
from bot.clock import FakeClock
from bot.i18n import Translator
from bot.settings import Settings
from bot.updates import TrackedUpdateProcessor
from domain.messages import ArgValue
from emulator import BotApiEmulator, EmuChat, EmuUser, SentMessage
from scheduler.dispatcher import OutboxDispatcher
from storage.db import Database
from storage.models import Base

TOKEN = "123456:TEST-TOKEN-do-not-log-me"
BOT_USERNAME = "chibo_test_bot"
SETTLE_TIMEOUT = 10.0


@dataclass
class RunningBot:
    emulator: BotApiEmulator
    application: ChiboApplication
    database: Database
    clock: FakeClock
    settings: Settings

    @property
    def translator(self) -> Translator:
        translator: Translator = self.application.bot_data["chibo"].translator
        return translator

    @property
    def dispatcher(self) -> OutboxDispatcher:
        dispatcher: OutboxDispatcher = self.application.bot_data["dispatcher"]
        return dispatcher

    def t(self, lang: str, key: str, **args: ArgValue) -> str:
        """What the bot says for a catalogue key, to compare with what a user saw."""
        return self.translator.text(lang, key, **args)

    async def settle(self, update_id: int) -> None:
        """Wait until the update is handled and everything it queued has been sent."""
        processor = self.application.update_processor
        assert isinstance(processor, TrackedUpdateProcessor)
        async with asyncio.timeout(SETTLE_TIMEOUT):
            await processor.wait_finished(update_id)
        await self.dispatcher.drain()

    async def send(self, user: EmuUser, text: str, chat: EmuChat | None = None) -> SentMessage:
        """The user sends text; returns the bot's latest message in that chat."""
        update_id = self.emulator.send_text(user, text, chat=chat)
        await self.settle(update_id)
        return self.last(chat.id if chat else user.id)

    async def press(self, user: EmuUser, message: SentMessage, button: str) -> SentMessage:
        """The user presses the button labelled ``button``; returns the (edited) message."""
        update_id = self.emulator.press_button(user, message, text=button)
        await self.settle(update_id)
        return self.last(message.chat_id)

    def last(self, chat_id: int) -> SentMessage:
        message = self.emulator.last_message(chat_id)
        assert message is not None, f"the bot said nothing in chat {chat_id}"
        return message

    def answer(self, update_id: int) -> str | None:
        answer = self.emulator.callback_answer(update_id)
        return None if answer is None else answer.get("text")

    async def rows(self, model: type[Base], *criteria: Any) -> list[Any]:
        async with self.database.transaction() as session:
            return list((await session.scalars(select(model).where(*criteria))).all())


@asynccontextmanager
async def running_bot(
    database: Database, clock: FakeClock, emulator: BotApiEmulator, **overrides: Any
) -> AsyncIterator[RunningBot]:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token=TOKEN,
        bot_api_url=emulator.base_url,
        bot_api_file_url=emulator.base_file_url,
        database_url=database.url.render_as_string(hide_password=False),
        outbox_poll_seconds=0.2,
        **overrides,
    )
    application = build_application(settings, database, clock)
    await application.initialize()
    if application.post_init is not None:
        await application.post_init(application)
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0.0, timeout=1)
    try:
        yield RunningBot(emulator, application, database, clock, settings)
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
