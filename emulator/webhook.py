"""Pushing updates to the bot's webhook, the way Telegram does once setWebhook was called."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp

from .state import QueuedUpdate, WebhookConfig, World

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass
class WebhookAttempt:
    """One POST of an update to the webhook; ``status`` 0 means no HTTP response."""

    update_id: int
    url: str
    attempt: int
    status: int
    at: float
    error: str | None = None


class WebhookDeliverer:
    """Delivers pending updates one at a time, in order, retrying failed POSTs.

    Telegram retries a failing webhook for much longer; a few quick attempts keep tests fast
    while still exercising the bot's handling of redelivered updates.
    """

    def __init__(
        self,
        world: World,
        *,
        max_attempts: Callable[[], int],
        retry_delay: Callable[[], float],
        clock: Callable[[], float],
    ) -> None:
        self.world = world
        self.attempts: list[WebhookAttempt] = []
        self._max_attempts = max_attempts
        self._retry_delay = retry_delay
        self._clock = clock
        self._session: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        self._task = asyncio.create_task(self._run(), name="emulator-webhook")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _run(self) -> None:
        queue = self.world.updates
        while True:
            hook = self.world.webhook
            entry = queue.peek() if hook is not None else None
            if hook is None or entry is None:
                await queue.changed.wait(None)
                continue
            await self._deliver(hook, entry)

    async def _deliver(self, hook: WebhookConfig, entry: QueuedUpdate) -> None:
        assert self._session is not None
        headers = {"Content-Type": "application/json"}
        if hook.secret_token:
            headers[SECRET_HEADER] = hook.secret_token
        body = json.dumps(entry.payload, ensure_ascii=False).encode("utf-8")
        attempts = max(1, self._max_attempts())
        for attempt in range(1, attempts + 1):
            status, error = 0, None
            try:
                async with self._session.post(hook.url, data=body, headers=headers) as response:
                    status = response.status
                    await response.read()
            except (aiohttp.ClientError, TimeoutError) as exc:
                error = f"{type(exc).__name__}: {exc}"
            self.attempts.append(
                WebhookAttempt(entry.update_id, hook.url, attempt, status, self._clock(), error)
            )
            if 200 <= status < 300:
                self.world.updates.ack(entry, delivered=True)
                return
            hook.last_error_date = self.world.now()
            hook.last_error_message = error or f"Wrong response from the webhook: {status}"
            if self.world.webhook is not hook:
                # The webhook was replaced or removed; the update stays pending for it.
                return
            if attempt < attempts:
                await asyncio.sleep(self._retry_delay() * 2 ** (attempt - 1))
                if self.world.webhook is not hook:
                    return
        self.world.updates.ack(entry, delivered=False)
