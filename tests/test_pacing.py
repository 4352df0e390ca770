"""The bot's own pace: messages sent are spaced, edits and button answers are not; a late
send is made up for, never by more than Telegram allows within a second."""

from __future__ import annotations

import asyncio
import bisect
import heapq
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from bot.pacing import SendingRateLimiter, SendSchedule


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


@dataclass
class Sends:
    went: list[float]
    answered: list[float]


def sends(
    schedule: SendSchedule,
    count: int,
    late: Callable[[int], float],
    answer_after: Callable[[int], float] = lambda n: 0.003,
) -> Sends:
    """``count`` sends on a fake clock, each waiting for its turn (the next asks as the
    previous goes), going ``late(n)`` s after the time it was given and answered
    ``answer_after(n)`` s after it went."""
    went: list[float] = []
    answered: list[float] = []
    answers: list[float] = []
    now = 0.0

    def answers_by(moment: float) -> None:
        while answers and answers[0] <= moment:
            schedule.answered(heapq.heappop(answers))

    for n in range(count):
        slot = schedule.reserve(now)
        while True:
            answers_by(now)
            at = max(slot, schedule.room_at(now))
            if at <= now:
                break
            now = min(at, answers[0]) if answers else at
        now += late(n)
        answers_by(now)
        schedule.sent()
        went.append(now)
        answered.append(now + answer_after(n))
        heapq.heappush(answers, answered[-1])
    return Sends(went, sorted(answered))


def most_within_a_second(times: list[float]) -> int:
    """Telegram's count: the most sends received within any one second (if each was
    received as it went, or only as it was answered)."""
    return max(bisect.bisect_left(times, t + 1.0) - n for n, t in enumerate(times))


def received_within_a_second(sent: Sends) -> int:
    return max(most_within_a_second(sent.went), most_within_a_second(sent.answered))


def test_a_late_send_does_not_push_back_the_ones_after_it() -> None:
    # The tenth message goes 0.2 s late (a busy event loop): the ones after it go at once
    # and then a little closer than their turns (never 31 within a second), until the
    # schedule is met again: the broadcast ends when it would have without the delay.
    late = sends(SendSchedule(29), 600, lambda n: 0.2 if n == 10 else 0.0)
    on_time = sends(SendSchedule(29), 600, lambda n: 0.0)
    assert late.went[11] == late.went[10]
    assert late.went[-1] == pytest.approx(on_time.went[-1])
    assert received_within_a_second(late) == 30


def test_sends_each_a_little_late_keep_the_pace_and_the_limit() -> None:
    # Every send wakes up to 20 ms late, as timers do on a loaded machine: the lateness is
    # not added up, the last message goes at most that late.
    late = random.Random(17)
    sent = sends(SendSchedule(29), 3000, lambda n: late.uniform(0, 0.02))
    assert sent.went[-1] <= 2999 / 29 + 0.02
    assert received_within_a_second(sent) <= 30


def test_slow_answers_never_let_31_arrive_within_a_second() -> None:
    # Some answers take 0.3 s (a connection opened, a slow server): the ones sent meanwhile
    # may have arrived at any moment until then, and are counted so.
    slow = random.Random(5)
    sent = sends(
        SendSchedule(29),
        1000,
        lambda n: slow.uniform(0, 0.05),
        lambda n: 0.3 if slow.random() < 0.1 else 0.003,
    )
    assert received_within_a_second(sent) <= 30


def test_a_pause_longer_than_the_catch_up_starts_afresh() -> None:
    # After a quiet spell, the next message goes at once and those behind it are spaced
    # again, not sent in a burst for the turns missed meanwhile.
    schedule = SendSchedule(29)
    quiet_from = sends(schedule, 3, lambda n: 0.0).answered[-1]
    assert schedule.reserve(quiet_from + 5) == quiet_from + 5
    assert schedule.reserve(quiet_from + 5) == pytest.approx(quiet_from + 5 + 1 / 29)


def test_a_replica_s_share_is_counted_as_its_own_limit() -> None:
    # Paced at 14 a second (two replicas sharing 30), sends that bunch after a stall keep
    # to 15 within any second.
    sent = sends(SendSchedule(14), 200, lambda n: 0.2 if n % 20 == 0 else 0.0)
    assert received_within_a_second(sent) <= 15
