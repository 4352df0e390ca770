"""The bot's own pace: messages sent are spaced, edits and button answers are not."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.pacing import SendingRateLimiter


async def test_an_edit_overtakes_messages_waiting_for_their_turn() -> None:
    limiter = SendingRateLimiter(messages_per_second=29)
    await limiter.initialize()
    order: list[str] = []

    def call(endpoint: str, chat_id: int) -> Any:
        async def request() -> bool:
            order.append(endpoint)
            return True

        return limiter.process_request(request, (), {}, endpoint, {"chat_id": chat_id}, None)

    # Three messages of a broadcast are paced 1/29 s apart; a member's press, answered and
    # edited meanwhile, does not wait behind them.
    sends = [asyncio.create_task(call("sendMessage", 100 + n)) for n in range(3)]
    await asyncio.sleep(0)
    await asyncio.gather(call("answerCallbackQuery", 200), call("editMessageText", 200))
    assert order[-2:] == ["answerCallbackQuery", "editMessageText"]
    assert order.count("sendMessage") < 3
    await asyncio.gather(*sends)
    assert order.count("sendMessage") == 3
    await limiter.shutdown()
