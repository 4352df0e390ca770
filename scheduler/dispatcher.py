"""Sends due outbox rows through the rate-limited bot, once each, across restarts and replicas."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import partial
from typing import Any

from sqlalchemy.exc import DBAPIError
from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from chat.rendering import PartlySent
from domain.clock import Clock
from domain.delivery import gives_up, retry_delay
from services import outbox
from storage.db import Database
from storage.models import OutboxMessage

log = logging.getLogger(__name__)

# Kept free at the end of a claim for what the read timeout does not bound — the wait in the
# rate limiter, connecting, uploading a document — and to record the outcome (a quarter of
# the lease when that is shorter, as in tests).
SETTLE_MARGIN = timedelta(seconds=30)
# PTB's own read timeout: no send starts with less than this left of its claim (or a
# quarter of the lease).
SHORTEST_WAIT = timedelta(seconds=5)
# A row's outcome is written again this many times when the database connection fails (a
# killed connection, a restarted server): a sent message whose mark is lost is sent again
# once its claim runs out. Writing it twice is harmless, a row only settles while still held.
SETTLE_ATTEMPTS = 5
SETTLE_RETRY_SECONDS = 0.1

# Turns a stored row (method, chat, payload) into the call that sends it with a given bot.
# The call is given the bot and the read timeout to use.
Renderer = Callable[[str, int, dict[str, Any]], Callable[[Bot, float], Awaitable[object]]]
# Records how a claimed row ended: sent, failed, to retry, given back.
Settle = Callable[[], Awaitable[None]]


class OutboxDispatcher:
    def __init__(
        self,
        database: Database,
        bot: Bot,
        render: Renderer,
        clock: Clock,
        *,
        batch_size: int = 20,
        parallel: int = 8,
        lease: timedelta = timedelta(minutes=2),
    ) -> None:
        self._database = database
        self._bot = bot
        self._render = render
        self._clock = clock
        self._batch_size = batch_size
        self._parallel = asyncio.Semaphore(parallel)
        self._lease = lease
        self._settle_margin = min(SETTLE_MARGIN, lease / 4)
        self._shortest_wait = min(SHORTEST_WAIT, lease / 4)
        self._running = asyncio.Lock()
        self._woken_while_running = False

    async def run_once(self) -> int:
        """Deliver everything due now; returns how many rows were attempted.

        A second wake-up while a run is under way returns at once: the running loop claims
        again until nothing is due, and once more if woken meanwhile (the wake-up's message
        may have been committed just after the loop's last claim looked).
        """
        if self._running.locked():
            self._woken_while_running = True
            return 0
        return await self.drain()

    async def drain(self, max_batches: int | None = None) -> int:
        """Like run_once, but waits for a run under way instead of leaving the work to it;
        ``max_batches`` bounds the run (a benchmark's step, a test's stop half-way)."""
        async with self._running:
            deliveries = _Deliveries()
            attempted = batches = 0
            more_due = False
            try:
                while max_batches is None or batches < max_batches:
                    if more_due:
                        # The next batch is claimed while a batch's worth is still to be
                        # sent, so the rate limiter never waits for the database between two.
                        await deliveries.until_fewer_held_than(self._batch_size)
                    else:
                        await deliveries.until_all_ended()
                    if deliveries.failure is not None:
                        break
                    self._woken_while_running = False
                    rows = await outbox.claim_due(
                        self._database,
                        now=self._clock.now(),
                        limit=self._batch_size,
                        lease=self._lease,
                    )
                    if not rows:
                        if deliveries.held:
                            # A row given back (too little of its claim left) is due again.
                            await deliveries.until_all_ended()
                            continue
                        if self._woken_while_running:
                            continue
                        break
                    batches += 1
                    attempted += len(rows)
                    more_due = len(rows) == self._batch_size
                    by_chat: dict[int, list[OutboxMessage]] = {}
                    for row in rows:
                        by_chat.setdefault(row.chat_id, []).append(row)
                    for chat_id, chat_rows in by_chat.items():
                        deliveries.start(
                            chat_id, len(chat_rows), partial(self._deliver_in_order, chat_rows)
                        )
            except asyncio.CancelledError:
                deliveries.cancel()
                raise
            finally:
                # Every delivery ends before the run does, failed or not (a failed claim too):
                # one left running past its run could be claimed again, and sent twice.
                await deliveries.until_all_ended()
            if deliveries.failure is not None:
                raise deliveries.failure
            return attempted

    async def _deliver_in_order(self, rows: list[OutboxMessage]) -> None:
        """One chat's messages go one after another (an invitation before its calendar file);
        different chats go in parallel."""
        for row in rows:
            await self._deliver(row)

    async def _deliver(self, row: OutboxMessage) -> None:
        async with self._parallel:
            outcome = await self._attempt(row)
            await self._settle(row, outcome)

    async def _attempt(self, row: OutboxMessage) -> Settle:
        """Send the row, if its claim leaves time for it; returns how the row is to settle."""
        # A send whose answer times out may have been delivered, and is sent again: so
        # wait for a slow answer as long as the claim allows, not PTB's default 5 s.
        assert row.claimed_until is not None, "a claimed row carries its lease"
        answer_within = row.claimed_until - self._clock.now() - self._settle_margin
        if answer_within < self._shortest_wait:
            # Sending now could outlive the claim, and whoever claims the row next would
            # send it again: the row goes back, to be claimed afresh.
            return partial(outbox.release, self._database, row)
        try:
            send = self._render(row.method, row.chat_id, row.payload)
        except (KeyError, ValueError, TypeError) as error:
            log.error("outbox row cannot be rendered", extra={"outbox_id": row.id})
            return partial(
                outbox.mark_failed, self._database, row, f"render: {type(error).__name__}"
            )
        parts_sent: int | None = None
        try:
            try:
                await send(self._bot, answer_within.total_seconds())
            except PartlySent as partly:
                parts_sent = partly.parts_sent
                raise partly.error from partly
        except RetryAfter as error:
            wait = error.retry_after
            seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            due_at = self._clock.now() + timedelta(seconds=seconds)
            return partial(
                outbox.retry_later, self._database, row, due_at, "retry_after", parts_sent
            )
        except (Forbidden, BadRequest) as error:
            log.warning(
                "outbox message refused", extra={"outbox_id": row.id, "reason": error.message}
            )
            return partial(outbox.mark_failed, self._database, row, error.message)
        except (NetworkError, TelegramError) as error:
            if gives_up(row.attempts):
                return partial(outbox.mark_failed, self._database, row, error.message)
            due_at = self._clock.now() + retry_delay(row.attempts)
            return partial(
                outbox.retry_later, self._database, row, due_at, error.message, parts_sent
            )
        return partial(outbox.mark_sent, self._database, row, self._clock.now())

    async def _settle(self, row: OutboxMessage, outcome: Settle) -> None:
        """Write the row's outcome, again if the connection fails meanwhile (the write may
        have been committed before the failure: settling twice changes nothing)."""
        for attempt in range(1, SETTLE_ATTEMPTS + 1):
            try:
                await outcome()
                return
            except (DBAPIError, OSError):
                if attempt == SETTLE_ATTEMPTS:
                    log.error(
                        "outbox row's outcome not recorded; it is tried again once its claim "
                        "runs out",
                        extra={"outbox_id": row.id},
                        exc_info=True,
                    )
                    return
                log.warning(
                    "outbox row's outcome not recorded; writing it again",
                    extra={"outbox_id": row.id},
                )
                await asyncio.sleep(SETTLE_RETRY_SECONDS * 2 ** (attempt - 1))


class _Deliveries:
    """The rows a run holds: each chat's delivered one after another in the order claimed,
    across batches too (an invitation before its calendar file); different chats in
    parallel."""

    def __init__(self) -> None:
        self._rows_of: dict[asyncio.Task[None], int] = {}
        self._last_of_chat: dict[int, asyncio.Task[None]] = {}
        self.failure: BaseException | None = None

    @property
    def held(self) -> int:
        return sum(self._rows_of.values())

    def start(self, chat_id: int, rows: int, delivery: Callable[[], Awaitable[None]]) -> None:
        task = asyncio.create_task(self._after(self._last_of_chat.get(chat_id), delivery))
        self._rows_of[task] = rows
        self._last_of_chat[chat_id] = task
        task.add_done_callback(partial(self._forget_chat, chat_id))

    @staticmethod
    async def _after(
        previous: asyncio.Task[None] | None, delivery: Callable[[], Awaitable[None]]
    ) -> None:
        if previous is not None:
            await asyncio.wait([previous])
            if previous.cancelled() or previous.exception() is not None:
                # The chat's earlier row is still claimed and goes again once its claim runs
                # out: this one waits for it there too, rather than overtake it now.
                return
        await delivery()

    def _forget_chat(self, chat_id: int, task: asyncio.Task[None]) -> None:
        if self._last_of_chat.get(chat_id) is task:
            del self._last_of_chat[chat_id]

    async def until_fewer_held_than(self, rows: int) -> None:
        while self._rows_of and self.held >= rows:
            ended, _ = await asyncio.wait(self._rows_of, return_when=asyncio.FIRST_COMPLETED)
            self._record(ended)

    async def until_all_ended(self) -> None:
        if self._rows_of:
            ended, _ = await asyncio.wait(self._rows_of)
            self._record(ended)

    def cancel(self) -> None:
        for task in self._rows_of:
            task.cancel()

    def _record(self, ended: set[asyncio.Task[None]]) -> None:
        for task in ended:
            del self._rows_of[task]
            if task.cancelled():
                continue
            # Read for every task, so that none is reported as never retrieved.
            error = task.exception()
            if self.failure is None:
                self.failure = error
