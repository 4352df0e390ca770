"""Faults while the bot runs: Bot API errors and a database that drops its connections."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import asyncpg
import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.util import await_only

from domain.meetings import Response
from domain.roles import Role
from services import outbox
from storage.db import Database
from storage.models import Cell, Invitation, MembershipChange, OutboxMessage, Person
from tests.harness import RunningBot, cell_with_members, eventually, private_chats, queue_to_each
from tests.test_attendance_e2e import invitation, schedule_and_invite


async def test_bot_api_faults_during_a_broadcast_lose_and_double_nothing(
    bot: RunningBot,
) -> None:
    emu = bot.emulator
    members = private_chats(emu, 40, 60_000)
    for kind in ("429", "500", "502", "drop", "timeout"):
        emu.fail_next("sendMessage", kind, count=2, retry_after=1)  # type: ignore[arg-type]
    # Telegram delivers these two but answers late, after PTB's default 5 s read timeout:
    # sent again on that timeout, they would arrive twice.
    emu.timeout_delay = 6.0
    with bot.dispatcher_down():
        await queue_to_each(bot.database, members, "broadcast:faults", bot.clock.now())
    # Retries wait for Telegram's retry_after or the backoff: the clock moves past them.
    for _ in range(12):
        await bot.dispatcher.drain()
        bot.clock.advance(timedelta(minutes=1))
    assert sorted({len(emu.messages(m.id)) for m in members}) == [1]
    assert emu.http_429_count == 2


async def test_faults_while_handling_buttons_leave_the_bot_serving(bot: RunningBot) -> None:
    t, emu = bot.t, bot.emulator
    lan = (await cell_with_members(bot, ["Lê Văn Minh"])).secretary
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


@pytest.mark.postgres_only
async def test_the_bot_reconnects_after_the_database_drops_connections(
    bot: RunningBot,
) -> None:
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


class MidTransactionKiller:
    """Terminates the backend of a connection right after the statements that are
    ``wanted`` and whose count (from 1) is in ``at``, from another connection, while the
    statement's transaction is still open (PostgreSQL)."""

    def __init__(
        self, killer: asyncpg.Connection, wanted: Callable[[str], bool], at: set[int]
    ) -> None:
        self._killer = killer
        self._wanted = wanted
        self._at = at
        self._seen = 0
        self._one_at_a_time = asyncio.Lock()
        self.killed: list[str] = []  # the statements after which a connection was killed

    def after_cursor_execute(self, conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not self._wanted(statement):
            return
        self._seen += 1
        if self._seen not in self._at:
            return
        assert conn.in_transaction()
        pid = conn.connection.driver_connection.get_server_pid()
        # The statement ran, its transaction is open: what follows, the commit included,
        # finds the connection gone. With a timeout, the call returns once it is gone.
        await_only(self._terminate(pid))
        self.killed.append(" ".join(statement.split()[:3]))

    async def _terminate(self, pid: int) -> None:
        # One kill at a time: statements of concurrent transactions can be due for killing
        # together, and the killer's connection runs one command at a time.
        async with self._one_at_a_time:
            await self._killer.fetchval("SELECT pg_terminate_backend($1, 5000)", pid)


@asynccontextmanager
async def killing_mid_transaction(
    database: Database, wanted: Callable[[str], bool], *, at: set[int]
) -> AsyncIterator[MidTransactionKiller]:
    url = database.url.set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(url)
    killer = MidTransactionKiller(connection, wanted, at)
    engine = database.engine.sync_engine
    event.listen(engine, "after_cursor_execute", killer.after_cursor_execute)
    try:
        yield killer
    finally:
        event.remove(engine, "after_cursor_execute", killer.after_cursor_execute)
        await connection.close()


def _claims(statement: str) -> bool:
    """The dispatcher's claims (WITH ... UPDATE)."""
    return statement.lstrip().upper().startswith("WITH")


def _marks(statement: str) -> bool:
    """The dispatcher's sent, failed and retry marks."""
    return statement.lstrip().upper().startswith("UPDATE OUTBOX")


def _writes(statement: str) -> bool:
    return statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE", "WITH"))


@pytest.mark.postgres_only
async def test_connections_killed_mid_transaction_during_a_broadcast_lose_and_double_nothing(
    bot: RunningBot,
) -> None:
    emu = bot.emulator
    members = private_chats(emu, 50, 70_000)
    with bot.dispatcher_down():
        await queue_to_each(bot.database, members, "broadcast:kills", bot.clock.now())
        # The second claim is made while the first batch is still being sent.
        claims_cut, marks_cut = {2, 4}, set(range(7, 50, 7))
        async with (
            killing_mid_transaction(bot.database, _claims, at=claims_cut) as claim_killer,
            killing_mid_transaction(bot.database, _marks, at=marks_cut) as mark_killer,
        ):
            for _ in range(10):
                # A run cut short by a claim that failed is the next poll's to finish.
                with contextlib.suppress(DBAPIError):
                    await bot.dispatcher.drain()
                # Past every claim's lease: a row whose "sent" was lost would go again now.
                bot.clock.advance(timedelta(minutes=3))
    assert sorted({len(emu.messages(m.id)) for m in members}) == [1]
    assert {row.status for row in await bot.rows(OutboxMessage)} == {outbox.SENT}
    # Claims and "sent" marks were cut, several of each.
    assert claim_killer.killed == ["WITH claimed_ids AS"] * len(claims_cut)
    assert mark_killer.killed == ["UPDATE outbox SET"] * len(marks_cut)


@pytest.mark.postgres_only
async def test_connections_killed_mid_transaction_during_presses_leave_no_contradiction(
    bot: RunningBot,
) -> None:
    """Members answer their invitation while connections die in the middle of the presses'
    transactions (after the claim of the update, after the answer): each press gets one
    answer, the apology or the recorded answer on the invitation, never both; pressing again
    after an apology works, and every answer is there in the end. (A connection found dead
    at the claim itself, before anything of the transaction ran, is retried on a new one:
    tests/test_webhook_hardening.py.)"""
    emu, t = bot.emulator, bot.t
    cell = await cell_with_members(bot, [f"Đảng Viên {n}" for n in range(1, 7)])
    await schedule_and_invite(bot, cell.secretary, "vi", "meeting.kind.regular", "05/12 19:30")
    apologies = 0
    with bot.dispatcher_down():
        # The count of writes cut: 2 a press (the claim of the update and the answer, in one
        # transaction), and 1 more for the claim made again, on a new connection, after a
        # cut (the apology is for a press admitted).
        kills = {1, 3, 6, 8, 11, 14}
        async with killing_mid_transaction(bot.database, _writes, at=kills) as killer:
            for member in cell.members:
                for _ in range(10):
                    card = invitation(bot, member)
                    before = len(emu.calls())
                    await bot.settle(emu.press_button(member, card, text=t("vi", "rsvp.attend")))
                    calls = emu.calls()[before:]
                    [answer] = [c for c in calls if c.method == "answerCallbackQuery"]
                    edits = [c for c in calls if c.method == "editMessageText"]
                    if answer.params.get("text") == t("vi", "error.generic"):
                        apologies += 1
                        assert not edits, "an apology, and the invitation changed anyway"
                        continue
                    assert answer.params.get("text") == t("vi", "rsvp.recorded")
                    [edit] = edits
                    assert t("vi", "rsvp.answer.attend") in str(edit.params["text"])
                    break
                else:
                    pytest.fail(f"member {member.id} never got an answer recorded")
    # The claim and the answer were each cut at least once, and each cut apologised for.
    assert len(killer.killed) == len(kills)
    assert apologies == len(kills)
    # The answer is recorded in a WITH clause of the statement that reads the invitation back.
    assert {"INSERT INTO processed_update", "WITH recorded AS"} == set(killer.killed)
    member_ids = [m.id for m in cell.members]
    people = {p.id for p in await bot.rows(Person, Person.telegram_user_id.in_(member_ids))}
    answered = await bot.rows(Invitation, Invitation.person_id.in_(people))
    assert len(answered) == len(cell.members)
    assert {i.response for i in answered} == {Response.ATTEND}
