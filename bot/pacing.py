"""The pace of requests to Telegram: messages sent are limited, edits and answers are not."""

from __future__ import annotations

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

# A little under Telegram's 30 a second, so a late timer tick never makes 31.
MESSAGES_PER_SECOND = FloodLimit.MESSAGES_PER_SECOND - 1


class SendingRateLimiter(AIORateLimiter):
    """PTB's AIORateLimiter, paced smoothly and applied to message-sending methods only.

    PTB's default paces every request naming a chat, so the edit that answers a button press
    waited behind a broadcast at 30 a second. Its overall bucket also holds 30 requests:
    after any pause 30 go at once and the refill adds another 30 within the same second,
    which Telegram (counting over a sliding second) refuses with 429. A bucket of one request
    refilled every 1/29 s never sends two closer than that.

    Flood waits are not slept out here (``max_retries=0``): a sleep could outlast the outbox
    claim's lease, so the outbox dispatcher reschedules the message instead.
    """

    def __init__(self, messages_per_second: float = MESSAGES_PER_SECOND) -> None:
        super().__init__(
            overall_max_rate=1, overall_time_period=1 / messages_per_second, max_retries=0
        )

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
        return await super().process_request(
            callback, args, kwargs, endpoint, data, rate_limit_args
        )
