"""Webhook mode under attack and under a failing database: never open, never acknowledging
an update it did not take, never handling an update it did not record."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bot.logging import JsonFormatter
from bot.settings import Settings
from bot.webhook import SECRET_HEADER, WEBHOOK_PATH, asgi_app
from emulator import BotApiEmulator, EmuUser, SentMessage
from services import updates
from storage.db import Database
from storage.models import Cell, Invitation
from tests.conftest import VIETNAM
from tests.harness import (
    TOKEN,
    RunningBot,
    cell_with_members,
    chibo_env,
    chibo_process,
    eventually,
    free_port,
    link_in,
    token_of,
    webhook_env,
)
from tests.test_attendance_e2e import invitation, schedule_and_invite


class _Lines(logging.Handler):
    def __init__(self, lines: list[str]) -> None:
        super().__init__()
        self.lines = lines
        self.setFormatter(JsonFormatter([TOKEN]))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@contextmanager
def json_log_lines() -> Iterator[list[str]]:
    """The lines the bot's JSON log writes meanwhile, formatted where they are logged."""
    lines: list[str] = []
    capture = _Lines(lines)
    root = logging.getLogger()
    level = root.level
    root.addHandler(capture)
    root.setLevel(logging.INFO)
    try:
        yield lines
    finally:
        root.removeHandler(capture)
        root.setLevel(level)


class Webhook:
    """Telegram's side of webhook mode: POSTs to the bot's ASGI app, with its secret."""

    def __init__(self, bot: RunningBot, http: httpx.AsyncClient, secret: str) -> None:
        self.bot = bot
        self.http = http
        self.secret = secret
        self._next_update_id = 5_000_000

    def press(self, user: EmuUser, message: SentMessage, text: str) -> dict[str, Any]:
        """An update as Telegram would post it: ``user`` presses the button ``text``."""
        self._next_update_id += 1
        return self.bot.emulator.webhook_press(user, message, self._next_update_id, text)

    def command(self, user: EmuUser, text: str) -> dict[str, Any]:
        """An update as Telegram would post it: ``user`` writes ``text`` to the bot."""
        self._next_update_id += 1
        command_length = len(text.split()[0])
        return {
            "update_id": self._next_update_id,
            "message": {
                "message_id": self._next_update_id,
                "date": 0,
                "text": text,
                "chat": {"id": user.id, "type": "private", "first_name": user.first_name},
                "from": user.to_api(),
                "entities": [{"type": "bot_command", "offset": 0, "length": command_length}],
            },
        }

    async def post(self, body: object, secret: str | bytes | None = None) -> int:
        response = await self.http.post(
            WEBHOOK_PATH,
            content=body if isinstance(body, bytes) else json.dumps(body).encode(),
            headers={SECRET_HEADER: self.secret if secret is None else secret},
        )
        return response.status_code


@pytest.fixture
async def webhook(bot: RunningBot) -> AsyncIterator[Webhook]:
    """The running bot's application behind the webhook's ASGI app, as `chibo run` serves it
    when CHIBO_WEBHOOK_URL is set and CHIBO_WEBHOOK_SECRET is not."""
    settings = bot.settings.model_copy(update={"webhook_url": "https://bot.example.org"})
    assert settings.webhook_secret is None
    secret = settings.effective_webhook_secret
    app = asgi_app(bot.application, bot.database, settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bot") as http:
        yield Webhook(bot, http, secret)


def unreachable(database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on every transaction, through a session or a Core connection, fails as with
    PostgreSQL down."""

    @asynccontextmanager
    async def refused() -> AsyncIterator[AsyncSession]:
        raise OperationalError("BEGIN", {}, ConnectionRefusedError("database is down"))
        yield  # pragma: no cover - a generator for asynccontextmanager

    monkeypatch.setattr(database, "transaction", refused)
    monkeypatch.setattr(database, "connection", refused)


async def cells_named(bot: RunningBot, name: str) -> int:
    return len(await bot.rows(Cell, Cell.name == name))


def says_created(bot: RunningBot, message: SentMessage, name: str) -> bool:
    done = bot.t("vi", "newcell.done", cell=name, link="", expires="")
    return (message.text or "").startswith(done[:15])


def test_the_derived_webhook_secret_is_telegrams_format_and_the_tokens_own() -> None:
    def secret(token: str, webhook_secret: str | None = None) -> str:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            bot_token=SecretStr(token),
            webhook_secret=None if webhook_secret is None else SecretStr(webhook_secret),
        )
        return settings.effective_webhook_secret

    derived = secret(TOKEN)
    assert derived == secret(TOKEN), "every replica derives the same secret"
    assert derived != secret("654321:ANOTHER-TOKEN")
    assert 1 <= len(derived) <= 256 and all(c.isalnum() or c in "_-" for c in derived)
    assert TOKEN not in derived and TOKEN.split(":")[1] not in derived
    assert secret(TOKEN, webhook_secret="chosen_secret-1") == "chosen_secret-1"
    with pytest.raises(ValueError, match="A-Z, a-z, 0-9"):
        secret(TOKEN, webhook_secret="has spaces and é")


async def test_chibo_run_in_webhook_mode_without_a_secret_setting_is_not_open(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    port = free_port()
    env = chibo_env(emulator, None, **webhook_env(port))
    process = await chibo_process("run", cwd=tmp_path, env=env, stdout=asyncio.subprocess.DEVNULL)
    settings = Settings(_env_file=None, bot_token=SecretStr(TOKEN))  # type: ignore[call-arg]
    derived = settings.effective_webhook_secret
    try:
        hook = await emulator.wait_for_call("setWebhook", timeout=30)
        assert hook.params["secret_token"] == derived
        # Telegram sends that secret with every update: they are answered.
        member = emulator.user(8102, "Nguyễn Văn An")
        emulator.send_text(member, "/start")
        reply = await emulator.wait_for_message(member.id, timeout=30)
        assert reply.text is not None and reply.text.startswith("Xin chào!")
        # A forger, who does not know the token, is turned away with or without a guess.
        forged = {
            "update_id": 99,
            "message": {
                "message_id": 1,
                "date": 0,
                "text": "/newcell Chi bộ Giả",
                "chat": {"id": 8102, "type": "private"},
                "from": {"id": 8102, "is_bot": False, "first_name": "An"},
                "entities": [{"type": "bot_command", "offset": 0, "length": 8}],
            },
        }
        async with aiohttp.ClientSession() as http:
            url = f"http://127.0.0.1:{port}{WEBHOOK_PATH}"
            for headers in ({}, {SECRET_HEADER: "guess"}, {SECRET_HEADER: ""}):
                async with http.post(url, json=forged, headers=headers) as refused:
                    assert refused.status == 403
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, stderr.decode()


@pytest.mark.parametrize(
    "body",
    [
        [],
        [{"update_id": 1}],
        "update",
        None,
        42,
        {},
        {"update_id": "1"},
        {"update_id": 1, "message": "hi"},
        {"update_id": 2, "callback_query": [1]},
        b"\xff\xfe not json",
    ],
    ids=repr,
)
async def test_a_webhook_body_that_is_not_an_update_is_refused_in_one_log_line(
    webhook: Webhook, body: object
) -> None:
    with json_log_lines() as lines:
        status = await webhook.post(body)
    assert status == 400
    [line] = [line for line in lines if '"level": "warning"' in line or '"level": "error"' in line]
    entry = json.loads(line)
    assert entry["logger"] == "bot.webhook" and "error" not in entry and "where" not in entry


async def test_an_update_the_database_cannot_take_is_not_acknowledged_and_comes_again(
    webhook: Webhook, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot = webhook.bot
    emu = bot.emulator
    cell = await cell_with_members(bot, [])
    supervisor = cell.supervisor
    update = webhook.command(supervisor, "/newcell Chi bộ Kho Bạc")
    before = emu.message_count(supervisor.id)
    with bot.dispatcher_down():
        unreachable(bot.database, monkeypatch)
        # Telegram is told to deliver it again, and does, twice: the user is not told to try
        # again (the update will be handled when it comes back), once or at each delivery.
        assert await webhook.post(update) == 503
        assert await webhook.post(update) == 503
        monkeypatch.undo()
    assert emu.messages(supervisor.id)[before:] == []
    assert await cells_named(bot, "Chi bộ Kho Bạc") == 0
    # The database is back: Telegram's next delivery is handled, and answered 200.
    assert await webhook.post(update) == 200
    assert says_created(bot, bot.last(supervisor.id), "Chi bộ Kho Bạc")
    # A third delivery (Telegram did not see the 200) changes nothing.
    count = emu.message_count(supervisor.id)
    assert await webhook.post(update) == 200
    assert emu.message_count(supervisor.id) == count
    assert await cells_named(bot, "Chi bộ Kho Bạc") == 1


def answers_to(bot: RunningBot, update: dict[str, Any]) -> list[str | None]:
    """The texts of every answer the bot gave the press (Telegram takes only the first)."""
    callback_id = update["callback_query"]["id"]
    return [
        call.params.get("text")
        for call in bot.emulator.calls("answerCallbackQuery")
        if call.params.get("callback_query_id") == callback_id
    ]


async def test_a_press_is_acknowledged_once_its_claim_is_committed_with_its_answer_or_alone(
    webhook: Webhook, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A press's claim of its update commits with its answer. When the answer fails and the
    database is gone by the time the press is claimed again, Telegram is not told it was
    taken, nor the member to try again: it comes again, and is answered once. A press
    refused inside its transaction is claimed again on its own, and acknowledged."""
    from services import rsvp

    bot = webhook.bot
    t = bot.t
    cell = await cell_with_members(bot, ["Lê Văn Minh"])
    [minh] = cell.members
    await schedule_and_invite(bot, cell.secretary, "vi", "meeting.kind.regular", "05/12 19:30")

    async def database_gone(*args: Any, **kwargs: Any) -> None:
        unreachable(bot.database, monkeypatch)
        raise OperationalError("INSERT INTO invitation", {}, ConnectionRefusedError("down"))

    update = webhook.press(minh, invitation(bot, minh), t("vi", "rsvp.attend"))
    with bot.dispatcher_down():
        monkeypatch.setattr(rsvp, "record_answer", database_gone)
        assert await webhook.post(update) == 503
        monkeypatch.undo()
    assert answers_to(bot, update) == []
    assert [invited.response for invited in await bot.rows(Invitation)] == [None, None]
    assert await webhook.post(update) == 200
    assert answers_to(bot, update) == [t("vi", "rsvp.recorded")]
    # Delivered once more (Telegram did not see the 200): nothing more.
    assert await webhook.post(update) == 200
    assert answers_to(bot, update) == [t("vi", "rsvp.recorded")]
    assert sorted(str(i.response) for i in await bot.rows(Invitation)) == ["None", "attend"]

    bot.clock.set(datetime(2026, 12, 5, 19, 45, tzinfo=VIETNAM))
    late = webhook.press(minh, invitation(bot, minh), t("vi", "rsvp.absent"))
    assert await webhook.post(late) == 200
    assert await webhook.post(late) == 200
    assert answers_to(bot, late) == [t("vi", "rsvp.closed")]


async def test_the_apology_is_in_the_callers_language_without_asking_the_database(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu, t = bot.emulator, bot.t
    cell = await cell_with_members(bot, [], lang="en")
    admit = updates.admit

    async def admitted_then_the_database_fails(*args: Any, **kwargs: Any) -> Any:
        admission = await admit(*args, **kwargs)
        unreachable(bot.database, monkeypatch)
        return admission

    monkeypatch.setattr(updates, "admit", admitted_then_the_database_fails)
    with bot.dispatcher_down():
        await bot.handled(emu.send_text(cell.supervisor, "/newcell Chi bộ Kho Bạc"))
        monkeypatch.undo()
    assert bot.last(cell.supervisor.id).text == t("en", "error.generic")


async def test_an_update_whose_admission_fails_is_apologised_for_and_not_handled(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The connection dies exactly when the update id is recorded: the handler must not run,
    or a redelivery (or the user's retry, as the apology advises) would do it twice."""
    emu, t = bot.emulator, bot.t
    cell = await cell_with_members(bot, [])
    supervisor = cell.supervisor
    admit = updates.admit
    failed: list[int] = []

    async def connection_killed_once(
        database: Database, update_id: int, *args: Any, **kwargs: Any
    ) -> Any:
        if not failed:
            failed.append(update_id)
            raise OperationalError(
                "INSERT INTO processed_update", {}, ConnectionResetError("connection was closed")
            )
        return await admit(database, update_id, *args, **kwargs)

    monkeypatch.setattr(updates, "admit", connection_killed_once)
    before = emu.message_count(supervisor.id)
    update_id = emu.send_text(supervisor, "/newcell Chi bộ Kho Bạc")
    await bot.settle(update_id)
    assert failed == [update_id]
    assert [m.text for m in emu.messages(supervisor.id)[before:]] == [t("vi", "error.generic")]
    assert await cells_named(bot, "Chi bộ Kho Bạc") == 0
    # Delivered again (Telegram's redelivery of an unacknowledged webhook call): done once.
    emu.replay(update_id)
    done = await emu.wait_for_message(supervisor.id, after=before + 1, timeout=10)
    assert says_created(bot, done, "Chi bộ Kho Bạc")
    assert await cells_named(bot, "Chi bộ Kho Bạc") == 1


async def drop_every_connection(database: Database) -> None:
    """As a restarted PostgreSQL does: every connection the bot holds in its pool is dead."""
    url = database.url
    admin = await asyncpg.connect(
        host=url.host,
        port=url.port,
        user=url.username,
        password=url.password,
        database=url.database,
    )
    try:
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await admin.close()


async def test_an_update_after_the_server_dropped_every_connection_is_handled(
    bot: RunningBot,
) -> None:
    """The pool holds only dead connections (nothing pings them before use): the first
    update finds out, and is handled on a new connection, not apologised for."""
    if not bot.database.is_postgresql:
        pytest.skip("only a database server drops its clients' connections")
    emu = bot.emulator
    cell = await cell_with_members(bot, [])
    supervisor = cell.supervisor
    await drop_every_connection(bot.database)
    await bot.handled(emu.send_text(supervisor, "/newcell Chi bộ Kho Bạc"))
    assert says_created(bot, bot.last(supervisor.id), "Chi bộ Kho Bạc")
    assert await cells_named(bot, "Chi bộ Kho Bạc") == 1


async def test_an_update_whose_connection_turns_out_dead_is_handled_on_a_new_one(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu = bot.emulator
    cell = await cell_with_members(bot, [])
    supervisor = cell.supervisor
    claim = updates.claim_update_reading
    dead: list[int] = []

    async def dead_once(connection: AsyncConnection, update_id: int, *args: Any) -> Any:
        if not dead:
            dead.append(update_id)
            raise OperationalError(
                "INSERT INTO processed_update",
                {},
                ConnectionResetError("connection was closed"),
                connection_invalidated=True,
            )
        return await claim(connection, update_id, *args)

    monkeypatch.setattr(updates, "claim_update_reading", dead_once)
    update_id = emu.send_text(supervisor, "/newcell Chi bộ Kho Bạc")
    await bot.handled(update_id)
    assert dead == [update_id]
    assert says_created(bot, bot.last(supervisor.id), "Chi bộ Kho Bạc")
    assert await cells_named(bot, "Chi bộ Kho Bạc") == 1


async def test_the_outbox_dispatcher_logs_in_its_own_context_not_the_press_that_woke_it(
    bot: RunningBot,
) -> None:
    emu = bot.emulator
    cell = await cell_with_members(bot, [])
    member_link = link_in(await bot.send(cell.secretary, "/invite"))
    # The secretary has blocked the bot: the notice of a new member is refused by Telegram.
    emu.block(cell.secretary)
    newcomer = emu.user(20_500, "Phạm Thị Hoa")
    bot.dispatching = False  # only the dispatcher the press wakes sends the notice
    question = await bot.send(newcomer, f"/start {token_of(member_link)}")
    with json_log_lines() as lines:
        press = emu.press_button(newcomer, question, text=f"✅ {newcomer.first_name}")
        await bot.handled(press)
        await eventually(lambda: any("outbox message refused" in line for line in lines))
    [refusal] = [json.loads(line) for line in lines if "outbox message refused" in line]
    assert "update_id" not in refusal
    assert refusal["handler"] == "outbox"
    # The press's own lines do carry its update id.
    assert any(json.loads(line).get("update_id") == press for line in lines)


@pytest.mark.parametrize("secret", ["été".encode("latin-1"), "é".encode() * 32, b"wrong"])
async def test_a_secret_header_of_any_characters_is_refused_not_a_crash(
    webhook: Webhook, secret: bytes
) -> None:
    update = webhook.command(webhook.bot.emulator.user(8200, "Ai Đó"), "/help")
    assert await webhook.post(update, secret=secret) == 403


async def test_a_date_beyond_any_calendar_is_refused_as_no_update(webhook: Webhook) -> None:
    update = webhook.command(webhook.bot.emulator.user(8201, "Ai Đó"), "/help")
    update["message"]["date"] = 10**20
    assert await webhook.post(update) == 400
