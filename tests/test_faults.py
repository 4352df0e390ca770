"""Faults while the bot runs: Bot API errors and a database that drops its connections."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import text

from domain.messages import Text
from domain.roles import Role
from services import outbox
from storage.models import Cell, MembershipChange
from tests.harness import RunningBot, cell_with_members, eventually


async def test_bot_api_faults_during_a_broadcast_lose_and_double_nothing(
    bot: RunningBot,
) -> None:
    emu = bot.emulator
    members = [emu.user(60_000 + n, f"Đảng viên {n}") for n in range(40)]
    for member in members:
        emu.open_private_chat(member)
    for kind in ("429", "500", "502", "drop", "timeout"):
        emu.fail_next("sendMessage", kind, count=2, retry_after=1)  # type: ignore[arg-type]
    # Telegram delivers these two but answers late, after PTB's default 5 s read timeout:
    # sent again on that timeout, they would arrive twice.
    emu.timeout_delay = 6.0
    with bot.dispatcher_down():
        async with bot.database.transaction() as session:
            for member in members:
                await outbox.enqueue_message(
                    session,
                    key=f"broadcast:faults:{member.id}",
                    chat_id=member.id,
                    text=Text("status.full"),
                    lang="vi",
                    now=bot.clock.now(),
                )
    # Retries wait for Telegram's retry_after or the backoff: the clock moves past them.
    for _ in range(12):
        await bot.dispatcher.drain()
        bot.clock.advance(timedelta(minutes=1))
    assert sorted({len(emu.messages(m.id)) for m in members}) == [1]
    assert emu.http_429_count == 2


async def test_faults_while_handling_buttons_leave_the_bot_serving(bot: RunningBot) -> None:
    t, emu = bot.t, bot.emulator
    cell = await cell_with_members(bot, ["Lê Văn Minh"])
    lan = cell.secretary
    listing = await bot.send(lan, "/members")
    emu.fail_next("editMessageText", "502")
    update_id = emu.press_button(lan, listing, text="2. Lê Văn Minh")
    await bot.settle(update_id)
    # The press failed on Telegram's side; the next one works, nothing is stuck.
    emu.fail_next("sendMessage", "drop")
    await bot.send(lan, "/help")
    card = await bot.press(lan, await bot.send(lan, "/members"), "2. Lê Văn Minh")
    assert t("vi", "members.make_deputy") in card.button_texts()
    # Telegram answers after PTB's 5 s timeout, having delivered: the change is made once,
    # the card shows it when the late edit lands, and the bot goes on serving.
    emu.timeout_delay = 6.0
    emu.fail_next("editMessageText", "timeout")
    update_id = emu.press_button(lan, card, text=t("vi", "members.make_deputy"))
    await bot.settle(update_id)
    [change] = await bot.rows(MembershipChange)
    assert (change.field, change.new_value) == ("role", Role.DEPUTY)
    shown = emu.message(card.chat_id, card.message_id)
    await eventually(lambda: t("vi", "members.revoke_deputy") in shown.button_texts())  # type: ignore[union-attr]
    # A late answer to the button press itself does not keep the card from changing.
    emu.fail_next("answerCallbackQuery", "timeout")
    update_id = emu.press_button(lan, card, text=t("vi", "members.revoke_deputy"))
    await bot.settle(update_id)
    assert t("vi", "members.make_deputy") in shown.button_texts()  # type: ignore[union-attr]
    assert len(await bot.rows(MembershipChange)) == 2
    # A press whose answer fails outright still shows its new screen, with no apology on top.
    emu.fail_next("answerCallbackQuery", "500")
    update_id = emu.press_button(lan, card, text=t("vi", "members.make_deputy"))
    await bot.settle(update_id)
    assert t("vi", "members.revoke_deputy") in shown.button_texts()  # type: ignore[union-attr]
    assert bot.answer(update_id) != t("vi", "error.generic")
    # A command's reply that times out the same way arrives, with no "something went wrong"
    # after it to contradict it.
    emu.fail_next("sendMessage", "timeout")
    before = len(emu.messages(lan.id))
    await bot.settle(emu.send_text(lan, "/help"))
    await eventually(lambda: len(emu.messages(lan.id)) > before)
    await asyncio.sleep(0.2)  # room for an apology, were one sent
    [reply] = emu.messages(lan.id)[before:]
    assert reply.text != t("vi", "error.generic")


async def test_the_bot_reconnects_after_the_database_drops_connections(
    bot: RunningBot,
) -> None:
    if not bot.database.is_postgresql:
        pytest.skip("connections are killed on the PostgreSQL server")
    t = bot.t
    cell = await cell_with_members(bot, ["Lê Văn Minh"])
    async with bot.database.engine.connect() as connection:
        await connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    # The pool's connections are dead; the next command still works and sees the data.
    listing = await bot.send(cell.secretary, "/members")
    assert "Lê Văn Minh" in (listing.text or "")
    created = await bot.send(cell.supervisor, "/newcell Chi bộ Sau Sự Cố")
    assert (created.text or "").startswith(
        t("vi", "newcell.done", cell="Chi bộ Sau Sự Cố", link="", expires="")[:15]
    )
    assert {c.name for c in await bot.rows(Cell)} == {"Chi bộ Phòng Tổng hợp", "Chi bộ Sau Sự Cố"}
