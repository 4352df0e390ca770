"""The `chibo` command as an operator uses it, in a fresh working directory."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from alembic.script import ScriptDirectory

from bot.cli import _secrets, _setup_link, drop_late_loop_errors
from bot.settings import Settings
from storage import migrate
from storage.db import Database
from storage.models import SupervisorScope
from tests.conftest import POSTGRES_SKIP_REASON, postgres_url
from tests.harness import BOT_USERNAME, RunningBot, free_port, join, setup_link


def chibo(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CHIBO_")}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=tmp_path,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_run_without_token_names_the_setting(tmp_path: Path) -> None:
    result = chibo(tmp_path, "run")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "chibo: error: CHIBO_BOT_TOKEN is not set: put the token from @BotFather in the "
        "environment or in a .env file"
    ]
    assert "Traceback" not in result.stderr


def test_invalid_setting_is_one_line(tmp_path: Path) -> None:
    result = chibo(tmp_path, "run", CHIBO_TIMEZONE="Mars/Olympus")
    assert result.returncode == 2
    assert "CHIBO_TIMEZONE" in result.stderr and "Traceback" not in result.stderr


def test_db_upgrade_creates_the_default_sqlite_file(tmp_path: Path) -> None:
    result = chibo(tmp_path, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(tmp_path / "chibo.db") as connection:
        tables = {row[0] for row in connection.execute("select name from sqlite_master")}
    assert {"organisation", "cell", "person", "membership", "outbox", "invite"} <= tables


def assert_one_line_error(result: subprocess.CompletedProcess[str], status: int = 2) -> str:
    assert result.returncode == status, result.stderr
    assert "Traceback" not in result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith("chibo: error: ")
    return line


def test_org_create_prints_a_setup_link(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("CHIBO_BOT_USERNAME=chibo_test_bot\n")
    result = chibo(
        tmp_path, "org", "create", "Đảng bộ Văn phòng", "--cutoff-day", "5",
        CHIBO_TIMEZONE="Asia/Tokyo",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    link = result.stdout.strip().splitlines()[-1]
    assert link.startswith("https://t.me/chibo_test_bot?start=")
    token = link.split("start=")[1]
    with sqlite3.connect(tmp_path / "chibo.db") as connection:
        name, cutoff = connection.execute("select name, cutoff_day from organisation").fetchone()
        purpose, max_uses, stored_expiry = connection.execute(
            "select purpose, max_uses, expires_at from invite where token = ?", (token,)
        ).fetchone()
    assert (name, cutoff) == ("Đảng bộ Văn phòng", 5)
    assert (purpose, max_uses) == ("org_setup", 1)
    # The link's validity in the operator's time zone (stored in UTC).
    expiry = datetime.fromisoformat(stored_expiry).replace(tzinfo=ZoneInfo("UTC"))
    tokyo = expiry.astimezone(ZoneInfo("Asia/Tokyo"))
    assert f"valid until {tokyo:%Y-%m-%d %H:%M} Asia/Tokyo" in result.stdout


def test_org_link_gives_an_existing_organisation_another_setup_link(tmp_path: Path) -> None:
    env = {"CHIBO_BOT_USERNAME": "chibo_test_bot"}
    assert chibo(tmp_path, "org", "create", "Đảng bộ Văn phòng", **env).returncode == 0
    result = chibo(tmp_path, "org", "link", "Đảng bộ Văn phòng", **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("new supervisor link for organisation #1.")
    token = result.stdout.strip().splitlines()[-1].split("start=")[1]
    with sqlite3.connect(tmp_path / "chibo.db") as connection:
        invites = connection.execute(
            "select token, organisation_id, purpose, max_uses from invite order by id"
        ).fetchall()
    assert len(invites) == 2 and invites[0][0] != token
    assert invites[1] == (token, 1, "org_setup", 1)

    unknown = chibo(tmp_path, "org", "link", "Đảng bộ Không Có", **env)
    assert assert_one_line_error(unknown) == (
        "chibo: error: no link made: There is no organisation named “Đảng bộ Không Có”."
    )


async def test_the_org_link_makes_one_more_supervisor(bot: RunningBot) -> None:
    """The link `chibo org link` prints works: its opener supervises the organisation too."""
    emu = bot.emulator
    first, second = emu.user(2101, "Trần Văn Hùng"), emu.user(2102, "Lê Thị Mai")
    await join(bot, first, await setup_link(bot), "vi")
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=bot.database.url.render_as_string(hide_password=False),
        bot_username=BOT_USERNAME,
    )
    printed = await _setup_link(settings, "Đảng bộ Văn phòng UBND tỉnh", None)
    welcome = await join(bot, second, printed.splitlines()[-1], "vi")
    assert welcome.text == bot.t(
        "vi", "join.done.setup", organisation="Đảng bộ Văn phòng UBND tỉnh"
    )
    scopes = await bot.rows(SupervisorScope)
    assert len(scopes) == 2 and len({scope.organisation_id for scope in scopes}) == 1
    assert (await bot.send(second, "/newcell")).text == bot.t("vi", "newcell.ask_name")


def test_org_create_without_username_says_the_username_is_enough(tmp_path: Path) -> None:
    result = chibo(tmp_path, "org", "create", "Đảng bộ Văn phòng")
    line = assert_one_line_error(result)
    assert "CHIBO_BOT_USERNAME" in line and "enough" in line


def test_unreachable_bot_api_at_start_is_one_line(tmp_path: Path) -> None:
    api = f"http://127.0.0.1:{free_port()}/bot"
    result = chibo(tmp_path, "run", CHIBO_BOT_TOKEN="123:abc", CHIBO_BOT_API_URL=api)
    line = assert_one_line_error(result)
    assert line.startswith(f"chibo: error: cannot reach the Bot API at {api}")


@pytest.mark.parametrize(
    ("command", "url", "expected"),
    [
        ("db upgrade", "chibo.db", "CHIBO_DATABASE_URL: not a database URL; write "),
        ("db upgrade", "mysql://chibo@db/chibo", "CHIBO_DATABASE_URL: mysql is not supported"),
        (
            "org create X",
            "postgresql+psycopg2://chibo@db/chibo",
            "CHIBO_DATABASE_URL: the psycopg2 driver is not supported: "
            "write postgresql+asyncpg://…",
        ),
        (
            "db upgrade",
            "postgresql+asyncpg://chibo:hunter2@127.0.0.1:{port}/chibo",
            "cannot open the database postgresql+asyncpg://chibo:***@127.0.0.1:{port}/chibo: ",
        ),
        (
            "org create X",
            "sqlite+aiosqlite:///{tmp}/a-file/chibo.db",
            "cannot open the database sqlite+aiosqlite:///{tmp}/a-file/chibo.db: "
            "unable to open database file",
        ),
    ],
    ids=["unparsable", "unsupported", "other driver", "unreachable", "unwritable"],
)
def test_a_database_that_cannot_be_used_is_one_line(
    tmp_path: Path, command: str, url: str, expected: str
) -> None:
    (tmp_path / "a-file").write_text("a file, where the database's folder should be")
    port = free_port()
    result = chibo(
        tmp_path,
        *command.split(),
        CHIBO_DATABASE_URL=url.format(tmp=tmp_path, port=port),
        CHIBO_BOT_USERNAME="chibo_test_bot",
    )
    line = assert_one_line_error(result)
    assert line.startswith("chibo: error: " + expected.format(tmp=tmp_path, port=port)), line
    assert "hunter2" not in result.stderr


def test_sync_driver_urls_are_given_the_async_driver(tmp_path: Path) -> None:
    """`sqlite://` and `postgresql://`, as other tools write them, mean aiosqlite and asyncpg."""
    result = chibo(tmp_path, "db", "upgrade", CHIBO_DATABASE_URL="sqlite:///plain.db")
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(tmp_path / "plain.db") as connection:
        assert connection.execute("select count(*) from organisation").fetchone() == (0,)
    assert Database("postgres://chibo@db/chibo").url.drivername == "postgresql+asyncpg"
    assert Database("postgresql://chibo@db/chibo").url.drivername == "postgresql+asyncpg"


@pytest.mark.postgres
def test_a_plain_postgresql_url_reaches_postgresql(tmp_path: Path) -> None:
    url = postgres_url()
    if url is None:
        pytest.skip(POSTGRES_SKIP_REASON)
    plain = url.replace("postgresql+asyncpg://", "postgresql://", 1)
    result = chibo(tmp_path, "health", CHIBO_DATABASE_URL=plain)
    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        "ok: the database answers\n",
        "",
    )


def test_db_upgrade_and_downgrade_name_the_revisions(tmp_path: Path) -> None:
    scripts = ScriptDirectory.from_config(migrate.alembic_config())
    head = scripts.get_current_head()
    assert head is not None
    previous = scripts.get_revision(head).down_revision
    assert isinstance(previous, str)
    head_name, previous_name = migrate.revision_name(head), migrate.revision_name(previous)
    assert head_name.startswith(f"{head} (") and head_name.endswith(")")

    upgraded = chibo(tmp_path, "db", "upgrade")
    # No Alembic narration ("Context impl SQLiteImpl.", "Running upgrade …") on the terminal.
    assert (upgraded.stdout, upgraded.stderr) == (
        f"database upgraded from no schema to {head_name}\n",
        "",
    )
    downgraded = chibo(tmp_path, "db", "downgrade")
    assert (downgraded.stdout, downgraded.stderr) == (
        f"database downgraded from {head_name} to {previous_name}\n",
        "",
    )
    again = chibo(tmp_path, "db", "upgrade")
    assert again.stdout == f"database upgraded from {previous_name} to {head_name}\n"
    current = chibo(tmp_path, "db", "upgrade")
    assert current.stdout == f"database already at {head_name}: nothing to upgrade\n"


def test_health_in_polling_mode_checks_the_database(tmp_path: Path) -> None:
    assert chibo(tmp_path, "db", "upgrade").returncode == 0
    healthy = chibo(tmp_path, "health")
    assert (healthy.returncode, healthy.stdout) == (0, "ok: the database answers\n")
    down = chibo(
        tmp_path,
        "health",
        CHIBO_DATABASE_URL=f"postgresql+asyncpg://chibo@127.0.0.1:{free_port()}/chibo",
    )
    # Status 1 is what Docker's HEALTHCHECK reads as unhealthy.
    assert "cannot open the database" in assert_one_line_error(down, status=1)


def test_health_in_webhook_mode_asks_the_bot(tmp_path: Path) -> None:
    """A bot that does not serve is unhealthy; test_process.py checks a serving one."""
    port = free_port()
    result = chibo(
        tmp_path,
        "health",
        CHIBO_WEBHOOK_URL="https://bot.example.org",
        CHIBO_WEBHOOK_PORT=str(port),
    )
    line = assert_one_line_error(result, status=1)
    assert line.startswith(f"chibo: error: http://127.0.0.1:{port}/healthz does not answer")


def test_org_create_refuses_an_impossible_cutoff_day(tmp_path: Path) -> None:
    result = chibo(
        tmp_path, "org", "create", "X", "--cutoff-day", "31", CHIBO_BOT_USERNAME="chibo_test_bot"
    )
    assert result.returncode == 2
    assert "Cutoff day 31 is not valid: choose 1 to 28." in result.stderr


def test_org_create_sets_a_plan_by_day_only_when_asked(tmp_path: Path) -> None:
    env = {"CHIBO_BOT_USERNAME": "chibo_test_bot"}
    asked = chibo(tmp_path, "org", "create", "Đảng bộ Hà Nội", "--plan-due-day", "20", **env)
    assert asked.returncode == 0, asked.stderr
    assert chibo(tmp_path, "org", "create", "Đảng bộ Khác", **env).returncode == 0
    with sqlite3.connect(tmp_path / "chibo.db") as connection:
        rows = connection.execute("select name, plan_due_day from organisation order by id")
        assert rows.fetchall() == [("Đảng bộ Hà Nội", 20), ("Đảng bộ Khác", None)]


def test_org_create_refuses_an_impossible_plan_by_day(tmp_path: Path) -> None:
    result = chibo(
        tmp_path, "org", "create", "X", "--plan-due-day", "29", CHIBO_BOT_USERNAME="chibo_test_bot"
    )
    line = assert_one_line_error(result)
    assert line.endswith("Plan-by day 29 is not valid: choose 1 to 28.")
    with sqlite3.connect(tmp_path / "chibo.db") as connection:
        assert connection.execute("select count(*) from organisation").fetchone() == (0,)


def test_the_derived_webhook_secret_is_scrubbed_from_logs_like_the_token() -> None:
    settings = Settings(bot_token="123456:TOKEN-for-scrubbing", webhook_url="https://bot.example")
    derived = settings.effective_webhook_secret
    assert settings.webhook_secret is None
    assert _secrets(settings) == ["123456:TOKEN-for-scrubbing", derived]


@pytest.mark.parametrize(
    "args", [("db", "upgrade", "nonsense"), ("db", "downgrade"), ("db", "downgrade", "nonsense")]
)
def test_a_migration_alembic_cannot_make_is_one_line(tmp_path: Path, args: tuple[str, ...]) -> None:
    # On an empty database: nothing to downgrade from, and no revision called "nonsense".
    result = chibo(tmp_path, *args)
    assert result.returncode != 0
    [line] = result.stderr.splitlines()
    assert line.startswith("chibo: error: database not ") and "Traceback" not in result.stderr


def test_a_worker_thread_reporting_to_a_closed_loop_adds_no_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def fails_with(error: BaseException) -> None:
        def raising() -> None:
            raise error

        thread = threading.Thread(target=raising)
        previous = threading.excepthook
        threading.excepthook = drop_late_loop_errors
        try:
            thread.start()
            thread.join()
        finally:
            threading.excepthook = previous

    fails_with(RuntimeError("Event loop is closed"))
    assert capsys.readouterr().err == ""
    fails_with(ValueError("a real fault"))
    assert "ValueError: a real fault" in capsys.readouterr().err
