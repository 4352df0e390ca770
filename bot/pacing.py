"""The pace of requests to Telegram: messages sent are limited, edits and answers are not."""

from __future__ import annotations

import asyncio
import math
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.constants import FloodLimit
from telegram.ext import AIORateLimiter

# Telegram's flood limits (about 30 messages a second overall, 20 a minute per group) count
# messages sent. Editing a message or answering a button press is not sending one.
SENDING_METHODS = frozenset(
    {
        "sendmessage",
        "senddocument",
        "sendphoto",
        "sendaudio",
        "sendvideo",
        "sendanimation",
        "sendvoice",
        "sendvideonote",
        "sendmediagroup",
        "sendpoll",
        "sendlocation",
        "sendvenue",
        "sendcontact",
        "senddice",
        "sendsticker",
        "forwardmessage",
        "forwardmessages",
        "copymessage",
        "copymessages",
    }
)

# A little under Telegram's 30 a second: the slot left free each second is where a send
# that went late is made up for, without ever making 31.
MESSAGES_PER_SECOND = FloodLimit.MESSAGES_PER_SECOND - 1
# Telegram counts the sends it received within any one second; the bot counts a little
# more, for the server's own clock.
COUNTED_SECONDS = 1.01
# How far behind its schedule the pace may fall and still make the time up: a late timer,
# a busy event loop. A longer pause is no turn missed but an idle bot, and starts afresh.
CATCH_UP_SECONDS = 0.25


class SendSchedule:
    """When each message may go (times in seconds of one clock).

    The pace: one every 1/rate s, each send's slot the previous slot plus that interval (not
    the moment the previous one went, or every late wake-up would push back all the sends
    after it). The limit: a message received within a second of 30 others is refused, and
    Telegram receives one somewhere between the moment it is sent and the moment it is
    answered; so a send goes only while fewer than 30 others (the rate rounded up to a whole
    message) are unanswered or were answered within the last second. However late sends
    bunch up, and however long they take to arrive, 31 never arrive within a second.
    """

    def __init__(self, messages_per_second: float) -> None:
        self._interval = 1 / messages_per_second
        self._limit = math.floor(messages_per_second) + 1
        self._next_slot = -math.inf
        self._unanswered = 0
        # Answer times within the last COUNTED_SECONDS, oldest first.
        self._answered: deque[float] = deque()

    def reserve(self, now: float) -> float:
        """The next send's slot on the schedule, ``now`` or later."""
        slot = self._next_slot if self._next_slot >= now - CATCH_UP_SECONDS else now
        self._next_slot = slot + self._interval
        return max(slot, now)

    def room_at(self, now: float) -> float:
        """When the limit has room for one more send; infinity until an answer comes."""
        while self._answered and self._answered[0] + COUNTED_SECONDS <= now:
            self._answered.popleft()
        expiring = self._unanswered + len(self._answered) - self._limit
        if expiring < 0:
            return now
        if expiring >= len(self._answered):
            return math.inf
        return max(now, self._answered[expiring] + COUNTED_SECONDS)

    def sent(self) -> None:
        self._unanswered += 1

    def answered(self, at: float) -> None:
        self._unanswered -= 1
        self._answered.append(at)


class SendingRateLimiter(AIORateLimiter):
    """PTB's AIORateLimiter for its per-group limit, applied to message-sending methods
    only, with the overall pace of a ``SendSchedule``.

    PTB's default paces every request naming a chat, so the edit that answers a button press
    waited behind a broadcast at 30 a second. Its overall bucket also holds 30 requests:
    after any pause 30 go at once and the refill adds another 30 within the same second,
    which Telegram (counting over a sliding second) refuses with 429. A bucket of one request
    instead drifts: each send waits 1/rate s from the moment the previous one went, so every
    late wake-up under load is time lost for good.

    Flood waits are not slept out here (``max_retries=0``): a sleep could outlast the outbox
    claim's lease, so the outbox dispatcher reschedules the message instead.
    """

    def __init__(self, messages_per_second: float = MESSAGES_PER_SECOND) -> None:
        super().__init__(overall_max_rate=0, max_retries=0)
        self._schedule = SendSchedule(messages_per_second)
        self._turn = asyncio.Lock()
        self._an_answer = asyncio.Event()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        if endpoint.lower() not in SENDING_METHODS:
            return await callback(*args, **kwargs)

        async def in_its_turn(
            *args: Any, **kwargs: Any
        ) -> bool | dict[str, Any] | list[dict[str, Any]]:
            # Taken after the group's limit has let the message through, just before it goes.
            await self._wait_for_turn()
            try:
                return await callback(*args, **kwargs)
            finally:
                self._schedule.answered(asyncio.get_running_loop().time())
                self._an_answer.set()

        return await super().process_request(
            in_its_turn, args, kwargs, endpoint, data, rate_limit_args
        )

    async def _wait_for_turn(self) -> None:
        loop = asyncio.get_running_loop()
        async with self._turn:
            slot = self._schedule.reserve(loop.time())
            while (at := max(slot, self._schedule.room_at(now := loop.time()))) > now:
                if at == math.inf:
                    self._an_answer.clear()
                    await self._an_answer.wait()
                else:
                    await asyncio.sleep(at - now)
            self._schedule.sent()
