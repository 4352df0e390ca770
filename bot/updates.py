"""Update processing: replay protection, the caller's language, and a record of completion."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import ApplicationHandlerStop, BaseUpdateProcessor

from bot.logging import handler_var, update_id_var
from domain.messages import Text
from handlers.common import ChiboContext, send_refusal
from services import people, updates

log = logging.getLogger(__name__)


class TrackedUpdateProcessor(BaseUpdateProcessor):
    """PTB's bounded concurrency, remembering which updates finished so a test, a benchmark
    or a graceful shutdown can wait for one."""

    def __init__(self, max_concurrent_updates: int, remember: int = 10_000) -> None:
        super().__init__(max_concurrent_updates)
        self._finished: deque[int] = deque(maxlen=remember)
        self._changed = asyncio.Condition()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        try:
            await coroutine
        finally:
            if isinstance(update, Update):
                async with self._changed:
                    self._finished.append(update.update_id)
                    self._changed.notify_all()

    async def wait_finished(self, update_id: int) -> None:
        async with self._changed:
            await self._changed.wait_for(lambda: update_id in self._finished)

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None


async def admit_update(update: Update, context: ChiboContext) -> None:
    """First handler of every update: drop replays, then load who is asking in which language."""
    update_id_var.set(update.update_id)
    handler_var.set(None)
    state = context.state
    user = update.effective_user
    query = update.callback_query
    admission = await updates.admit(
        state.database,
        update.update_id,
        user.id if user else None,
        state.clock.now(),
        button_token=None if query is None else query.data or "",
    )
    if admission is None:
        log.info("replayed update ignored")
        raise ApplicationHandlerStop
    context.lang = admission.language
    context.button = admission.button


async def on_error(update: object, context: ChiboContext) -> None:
    """Log without personal data, and tell the user in their language to try again."""
    log.error("handler failed", exc_info=context.error)
    if not isinstance(update, Update):
        return
    try:
        # Error handlers get a fresh context, without the language the pre-handler loaded.
        user = update.effective_user
        if user is not None:
            context.lang = await people.language_of(context.state.database, user.id)
        await send_refusal(update, context, Text("error.generic"))
    except Exception:
        log.warning("could not report the failure to the user")
