"""The outbox dispatcher: exactly once, across faults, restarts and concurrent dispatchers."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from telegram import Bot

from bot.outbox_render import outbox_call
from chat.i18n import Translator
from domain.clock import FakeClock
from domain.messages import Text
from emulator import BotApiEmulator, EmuUser
from scheduler.dispatcher import OutboxDispatcher, _Deliveries
from services import outbox
from storage.db import Database
from storage.files import FileStore
from storage.models import OutboxMessage
from tests.conftest import VIETNAM
from tests.harness import TOKEN, BotWith, RunningBot, private_chats, queue_to_each


@pytest.fixture
async def telegram_bot(emulator: BotApiEmulator) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=emulator.base_url, base_file_url=emulator.base_file_url) as bot:
        yield bot


def dispatcher(database: Database, bot: Bot, clock: FakeClock, **options: Any) -> OutboxDispatcher:
    translator = Translator(VIETNAM, "vi")
    files = FileStore(Path(tempfile.gettempdir()) / "chibo-test-files")
    return OutboxDispatcher(
        database, bot, lambda m, c, p: outbox_call(m, c, p, translator, files), clock, **options
    )


async def queue_for(database: Database, clock: FakeClock, users: list[EmuUser]) -> None:
    await queue_to_each(database, users, "test", clock.now())


def members(emulator: BotApiEmulator, count: int, start: int = 9000) -> list[EmuUser]:
    return private_chats(emulator, count, start, "Member {n}")


async def statuses(database: Database) -> dict[str, int]:
    rows = await _rows(database)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    return counts


async def _rows(database: Database) -> list[OutboxMessage]:
    from sqlalchemy import select

    async with database.transaction() as session:
        return list((await session.scalars(select(OutboxMessage))).all())


async def test_the_same_key_is_queued_once(database: Database, clock: FakeClock) -> None:
    async with database.transaction() as session:
        first = await outbox.enqueue_message(
            session, key="k", chat_id=1, text=Text("status.full"), lang="vi", now=clock.now()
        )
        second = await outbox.enqueue_message(
            session, key="k", chat_id=1, text=Text("status.full"), lang="vi", now=clock.now()
        )
    assert (first, second) == (True, False)
    assert len(await _rows(database)) == 1


async def test_each_member_gets_the_message_once(
    database: Database, clock: FakeClock, emulator: BotApiEmulator, telegram_bot: Bot
) -> None:
    users = members(emulator, 45)
    await queue_for(database, clock, users)
    assert await dispatcher(database, telegram_bot, clock).drain() == 45
    assert [len(emulator.messages(u.id)) for u in users] == [1] * 45
    assert emulator.last_message(users[0].id).text == "Chính thức"  # type: ignore[union-attr]
    # Nothing is due any more: a second run sends nothing.
    assert await dispatcher(database, telegram_bot, clock).drain() == 0
    assert await statuses(database) == {"sent": 45}


async def test_two_dispatchers_never_send_twice(
    database: Database, clock: FakeClock, emulator: BotApiEmulator, telegram_bot: Bot
) -> None:
    users = members(emulator, 80)
    await queue_for(database, clock, users)
    emulator.latency = 0.005
    first, second = (dispatcher(database, telegram_bot, clock, batch_size=7) for _ in range(2))
    attempted = await asyncio.gather(first.drain(), second.drain())
    assert sum(attempted) == 80
    assert all(attempted), "both dispatchers should have taken a share"
    assert [len(emulator.messages(u.id)) for u in users] == [1] * 80
    assert len(emulator.calls("sendMessage")) == 80


async def test_flood_limit_and_server_errors_delay_but_lose_nothing(
    database: Database, clock: FakeClock, emulator: BotApiEmulator, telegram_bot: Bot
) -> None:
    users = members(emulator, 3)
    await queue_for(database, clock, users)
    emulator.fail_next("sendMessage", "429", retry_after=7)
    emulator.fail_next("sendMessage", "502")
    sender = dispatcher(database, telegram_bot, clock, parallel=1)
    await sender.drain()
    assert await statuses(database) == {"sent": 1, "pending": 2}
    # Telegram's retry_after (7 s) is honoured; the 502 waits for the first backoff (5 s).
    clock.advance(timedelta(seconds=5))
    await sender.drain()
    assert await statuses(database) == {"sent": 2, "pending": 1}
    clock.advance(timedelta(seconds=2))
    await sender.drain()
    assert await statuses(database) == {"sent": 3}
    assert [len(emulator.messages(u.id)) for u in users] == [1, 1, 1]


async def test_a_member_who_never_opened_the_chat_is_recorded(
    database: Database, clock: FakeClock, emulator: BotApiEmulator, telegram_bot: Bot
) -> None:
    silent = emulator.user(9500, "Chưa Mở Chat")
    await queue_for(database, clock, [silent])
    await dispatcher(database, telegram_bot, clock).drain()
    [row] = await _rows(database)
    assert row.status == "failed"
    assert row.last_error == "Forbidden: bot can't initiate conversation with a user"


async def test_a_dispatcher_that_died_mid_send_is_taken_over(
    database: Database, clock: FakeClock, emulator: BotApiEmulator, telegram_bot: Bot
) -> None:
    users = members(emulator, 2)
    await queue_for(database, clock, users)
    # A dispatcher claims rows, then its process dies before sending anything.
    claimed = await outbox.claim_due(
        database, now=clock.now(), limit=10, lease=timedelta(minutes=2)
    )
    assert len(claimed) == 2
    survivor = dispatcher(database, telegram_bot, clock)
    assert await survivor.drain() == 0  # the lease still holds
    clock.advance(timedelta(minutes=2, seconds=1))
    assert await survivor.drain() == 2
    assert [len(emulator.messages(u.id)) for u in users] == [1, 1]


async def test_the_bot_paces_itself_under_telegram_s_flood_limit(bot: RunningBot) -> None:
    # Telegram counts 30 messages in any one second; the bot's own limiter, not the
    # server's 429s, must keep the pace, from the first message on.
    users = members(bot.emulator, 75)
    bot.emulator.rate_limit(global_per_second=30)
    await queue_for(bot.database, bot.clock, users)
    await bot.dispatcher.drain()
    assert bot.emulator.http_429_count == 0
    assert [len(bot.emulator.messages(u.id)) for u in users] == [1] * 75
    assert await statuses(bot.database) == {"sent": 75}


async def test_a_wake_up_during_the_last_claim_is_not_lost(
    database: Database,
    clock: FakeClock,
    emulator: BotApiEmulator,
    telegram_bot: Bot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A handler commits its message just after the running loop's last claim looked, and
    # wakes the dispatcher while that loop still holds it: the loop must look once more
    # rather than leave the message to the next poll.
    [user] = members(emulator, 1)
    sender = dispatcher(database, telegram_bot, clock)
    claim_due = outbox.claim_due
    woken: list[int] = []

    async def claim_then_a_handler_commits(*args: Any, **kwargs: Any) -> list[OutboxMessage]:
        rows = await claim_due(*args, **kwargs)
        if not woken:
            await queue_for(database, clock, [user])
            woken.append(await sender.run_once())
        return rows

    monkeypatch.setattr(outbox, "claim_due", claim_then_a_handler_commits)
    await sender.drain()
    assert woken == [0]  # the wake-up found the loop running
    assert len(emulator.messages(user.id)) == 1


async def test_no_send_starts_with_too_little_of_its_claim_left(
    database: Database, clock: FakeClock, emulator: BotApiEmulator, telegram_bot: Bot
) -> None:
    # The first send of a batch takes 106 s of the 120 s claim: too little is left to wait
    # for Telegram's answer to the second, which could then be sent by this dispatcher and
    # by the one taking the row over. It is given back and claimed afresh instead.
    first, second = members(emulator, 2)
    await queue_for(database, clock, [first, second])
    translator = Translator(VIETNAM, "vi")
    files = FileStore(Path(tempfile.gettempdir()) / "chibo-test-files")
    waits: list[float] = []

    def slow(method: str, chat_id: int, payload: dict[str, Any]) -> Any:
        send = outbox_call(method, chat_id, payload, translator, files)

        async def taking_106_seconds(bot: Bot, wait: float) -> object:
            waits.append(wait)
            clock.advance(timedelta(seconds=106))
            return await send(bot, wait)

        return taking_106_seconds

    sender = OutboxDispatcher(database, telegram_bot, slow, clock, parallel=1)
    await sender.drain()
    assert [len(emulator.messages(u.id)) for u in (first, second)] == [1, 1]
    # Each send had all its claim allows but the margin kept for the rest (30 s); the given
    # back row was not counted as an attempt.
    assert waits == [90.0, 90.0]
    assert [(row.status, row.attempts) for row in await _rows(database)] == [("sent", 1)] * 2


async def test_a_replica_keeps_to_its_share_of_the_flood_limit(
    database: Database, clock: FakeClock, emulator: BotApiEmulator, bot_with: BotWith
) -> None:
    # Two replicas of one bot share Telegram's 30 a second: each is given 14.
    async with bot_with(messages_per_second=14) as bot:
        users = members(emulator, 30)
        emulator.rate_limit(global_per_second=15)
        await queue_for(database, clock, users)
        await bot.dispatcher.drain()
        assert emulator.http_429_count == 0
        assert [len(emulator.messages(u.id)) for u in users] == [1] * 30


@pytest.mark.parametrize("fault", ["502", "429"])
async def test_a_message_in_parts_interrupted_sends_each_part_once(
    database: Database,
    clock: FakeClock,
    emulator: BotApiEmulator,
    telegram_bot: Bot,
    fault: str,
) -> None:
    [user] = members(emulator, 1)
    first = "\n".join(f"Dòng {n} của phần đầu" for n in range(250))
    second = "\n".join(f"Dòng {n} của phần sau" for n in range(250))
    async with database.transaction() as session:
        await outbox.enqueue_message(
            session,
            key="test:parts",
            chat_id=user.id,
            text=Text("common.notice_then", {"notice": first, "text": second}),
            lang="vi",
            now=clock.now(),
        )
    # The first part goes through; Telegram refuses the next call once.
    emulator.fail_next("sendMessage", fault, retry_after=3, after=1)  # type: ignore[arg-type]
    sender = dispatcher(database, telegram_bot, clock, parallel=1)
    await sender.drain()
    assert await statuses(database) == {"pending": 1}
    clock.advance(timedelta(seconds=10))
    await sender.drain()
    assert await statuses(database) == {"sent": 1}
    delivered = [m.text or "" for m in emulator.messages(user.id)]
    # Each part once, in order, and together the whole text: nothing repeated, nothing lost.
    assert len(delivered) >= 2
    assert len(set(delivered)) == len(delivered)
    assert "\n".join(delivered).replace("\n\n", "\n") == f"{first}\n{second}"


async def test_the_next_batch_is_claimed_while_one_is_still_being_sent(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Waiting for a batch's last answer before claiming the next one left Telegram's pace
    # unused at every batch boundary: the next claim comes while the batch is still going.
    users = members(bot.emulator, 45)
    claim_due = outbox.claim_due
    sent_at_claims: list[int] = []

    async def counting_claims(*args: Any, **kwargs: Any) -> list[OutboxMessage]:
        sent_at_claims.append(sum(len(bot.emulator.messages(u.id)) for u in users))
        return await claim_due(*args, **kwargs)

    monkeypatch.setattr(outbox, "claim_due", counting_claims)
    with bot.dispatcher_down():
        await queue_for(bot.database, bot.clock, users)
        await dispatcher(bot.database, bot.application.bot, bot.clock, batch_size=20).drain()
    assert sent_at_claims[0] == 0
    assert sent_at_claims[1] < 20
    assert sent_at_claims[2] < 40
    assert [len(bot.emulator.messages(u.id)) for u in users] == [1] * 45
    assert await statuses(bot.database) == {"sent": 45}


async def test_a_member_s_messages_keep_their_order_across_batches(bot: RunningBot) -> None:
    # Each member's two messages (an invitation and its calendar file, say) fall into two
    # batches claimed while the first is still being sent: the second waits for the first.
    users = members(bot.emulator, 7)
    with bot.dispatcher_down():
        async with bot.database.transaction() as session:
            for user in users:
                for key in ("status.full", "agenda.add"):
                    await outbox.enqueue_message(
                        session,
                        key=f"{key}:{user.id}",
                        chat_id=user.id,
                        text=Text(key),
                        lang="vi",
                        now=bot.clock.now(),
                    )
        await dispatcher(bot.database, bot.application.bot, bot.clock, batch_size=3).drain()
    expected = [bot.t("vi", "status.full"), bot.t("vi", "agenda.add")]
    assert [[m.text for m in bot.emulator.messages(u.id)] for u in users] == [expected] * 7


async def test_a_chats_next_row_does_not_overtake_one_whose_delivery_failed() -> None:
    """A delivery that fails unexpectedly leaves its row claimed, to go again once the claim
    runs out: the chat's next row waits to go after it, not before."""
    delivered: list[str] = []

    async def failing() -> None:
        raise RuntimeError("the network stack broke")

    async def deliver(what: str) -> None:
        delivered.append(what)

    deliveries = _Deliveries()
    deliveries.start(7, 1, failing)
    deliveries.start(7, 1, lambda: deliver("calendar file"))
    deliveries.start(8, 1, lambda: deliver("another chat's invitation"))
    await deliveries.until_all_ended()
    assert delivered == ["another chat's invitation"]
    assert isinstance(deliveries.failure, RuntimeError)
