"""`chibo run` as a real process against the emulator: polling and webhook modes, clean logs,
on SQLite (the default file) and on PostgreSQL when TEST_DATABASE_URL is set."""

from __future__ import annotations

import asyncio
import signal
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import text

from emulator import BotApiEmulator
from storage import migrate
from storage.db import Database
from tests.conftest import POSTGRES_SKIP_REASON, postgres_url
from tests.harness import (
    TOKEN,
    chibo_env,
    chibo_process,
    eventually,
    free_port,
    private_chats,
    queue_to_each,
    webhook_env,
)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str | None:
    """None: `chibo run` uses its default, chibo.db in its working directory. PostgreSQL is
    emptied first, so that `chibo run` creates the schema there too."""
    if request.param == "sqlite":
        return None
    url = postgres_url()
    if url is None:
        pytest.skip(POSTGRES_SKIP_REASON)
    database = Database(url)
    async with database.engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await database.dispose()
    return url


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_chibo_run_answers_and_logs_no_secrets(
    emulator: BotApiEmulator, tmp_path: Path, mode: str, database_url: str | None
) -> None:
    env = chibo_env(emulator, database_url, CHIBO_LOG_LEVEL="DEBUG")
    if mode == "webhook":
        port = free_port()
        env.update(webhook_env(port), CHIBO_WEBHOOK_SECRET="s3cret-header-value")
    process = await chibo_process("run", cwd=tmp_path, env=env)
    try:
        if mode == "webhook":
            await emulator.wait_for_call("setWebhook", timeout=30)
        member = emulator.user(8101, "Nguyễn Văn Bí Mật", username="bimat_0912345678")
        # The first update after the start: answered, not apologised for (the database was
        # prepared in an event loop of its own, whose connections must not be reused).
        emulator.send_text(member, "/start")
        reply = await emulator.wait_for_message(member.id, timeout=30)
        assert reply.text is not None and reply.text.startswith("Xin chào! Tôi là chibo")
        # The database was created and migrated by `chibo run` itself.
        if database_url is None:
            assert (tmp_path / "chibo.db").exists()
        else:
            database = Database(database_url)
            try:
                assert await migrate.is_current(database)
            finally:
                await database.dispose()
        # What Docker's HEALTHCHECK runs: /healthz in webhook mode, the database otherwise.
        health = await chibo_process("health", cwd=tmp_path, env=env)
        verdict, complaint = await asyncio.wait_for(health.communicate(), timeout=30)
        assert health.returncode == 0, complaint.decode()
        assert verdict.decode().startswith("ok: ")
        if mode == "webhook":
            async with aiohttp.ClientSession() as http:
                base = f"http://127.0.0.1:{port}"
                async with http.get(f"{base}/healthz") as health:
                    assert (health.status, await health.json()) == (200, {"status": "ok"})
                # Someone who is not Telegram (no secret header) is turned away.
                async with http.post(f"{base}/telegram", json={"update_id": 1}) as forged:
                    assert forged.status == 403
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    logs = stderr.decode()
    assert process.returncode == 0, logs
    assert '"event": "starting' in logs and '"update_id"' in logs
    assert '"level": "error"' not in logs, logs
    for secret in (
        TOKEN,
        TOKEN.split(":")[1],
        "Bí Mật",
        "bimat_0912345678",
        "0912345678",
        "s3cret-header-value",
    ):
        assert secret not in logs
    if mode == "webhook":
        [hook] = emulator.calls("setWebhook")
        assert hook.params["secret_token"] == "s3cret-header-value"


async def test_polling_with_a_web_address_serves_the_dashboards_server_and_stops_with_it(
    emulator: BotApiEmulator, tmp_path: Path, database_url: str | None
) -> None:
    """Long polling with CHIBO_WEB_URL: the same web server as webhook mode (the dashboard
    under /app, which tests/test_web_server.py opens, and /healthz) on CHIBO_WEB_LISTEN and
    CHIBO_WEB_PORT, without the webhook's route; Ctrl+C stops both."""
    port = free_port()
    env = chibo_env(
        emulator,
        database_url,
        CHIBO_WEB_URL="https://chibo.example.org",
        CHIBO_WEB_LISTEN="127.0.0.1",
        CHIBO_WEB_PORT=str(port),
    )
    base = f"http://127.0.0.1:{port}"
    process = await chibo_process("run", cwd=tmp_path, env=env)
    try:
        member = emulator.user(8201, "Nguyễn Văn An")
        emulator.send_text(member, "/start")
        reply = await emulator.wait_for_message(member.id, timeout=30)
        assert reply.text is not None and reply.text.startswith("Xin chào! Tôi là chibo")
        assert emulator.calls("getUpdates") and emulator.webhook_url is None
        async with aiohttp.ClientSession() as http:
            health_status = await _served(http, f"{base}/healthz")
            assert health_status == (200, {"status": "ok"})
            async with http.post(f"{base}/telegram", json={"update_id": 1}) as posted:
                assert posted.status == 404
        health = await chibo_process("health", cwd=tmp_path, env=env)
        verdict, complaint = await asyncio.wait_for(health.communicate(), timeout=30)
        assert health.returncode == 0, complaint.decode()
        assert verdict.decode().strip() == f"ok: {base}/healthz answers"
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    logs = stderr.decode()
    assert process.returncode == 0, logs
    assert '"level": "error"' not in logs, logs
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.ClientConnectionError):
            await http.get(f"{base}/healthz")


async def _served(http: aiohttp.ClientSession, url: str) -> tuple[int, object]:
    """The status and JSON body at ``url``, once the server there listens (it starts beside
    the bot, which may answer first)."""
    async with asyncio.timeout(30):
        while True:
            try:
                async with http.get(url) as response:
                    return response.status, await response.json()
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.05)


async def test_a_killed_bot_loses_no_message_of_a_broadcast(
    emulator: BotApiEmulator, tmp_path: Path, database_url: str | None
) -> None:
    """SIGKILL in the middle of a 300-member broadcast, then a restart: nobody is missed.

    A message whose request reached Telegram in the instant before the kill, but whose
    'sent' mark never reached the database, is sent again: the Bot API has no idempotency
    key, so at most the messages in flight at the kill (the dispatcher's parallelism) can be
    doubled. The test holds the bot to that bound."""
    database = Database(database_url or f"sqlite+aiosqlite:///{tmp_path / 'chibo.db'}")
    await migrate.upgrade(database)
    now = datetime.now(UTC)
    members = private_chats(emulator, 300, 200_000)
    await queue_to_each(database, members, "invite:crash", now)
    await database.dispose()
    emulator.latency = 0.02
    env = chibo_env(
        emulator, database_url, CHIBO_OUTBOX_POLL_SECONDS="0.2", CHIBO_OUTBOX_LEASE_SECONDS="2"
    )

    async def start() -> asyncio.subprocess.Process:
        quiet = asyncio.subprocess.DEVNULL
        return await chibo_process("run", cwd=tmp_path, env=env, stdout=quiet, stderr=quiet)

    def received() -> list[int]:
        return [len(emulator.messages(member.id)) for member in members]

    first = await start()
    await eventually(lambda: sum(received()) >= 100)
    first.kill()
    await first.wait()
    killed_at = sum(received())
    assert killed_at < 300, "the broadcast finished before the kill; slow the emulator down"
    second = await start()
    try:
        await eventually(lambda: min(received()) > 0)
        await asyncio.sleep(1.0)
    finally:
        second.send_signal(signal.SIGINT)
        await asyncio.wait_for(second.wait(), timeout=30)
    counts = received()
    assert min(counts) == 1, "someone never got the message"
    doubled = sum(count - 1 for count in counts)
    assert doubled <= 8, f"{doubled} members got it twice (at most the 8 in flight may)"
