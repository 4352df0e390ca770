"""Fixtures: a migrated database per test (SQLite always, PostgreSQL when configured)."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import settings
from sqlalchemy import text
from sqlalchemy.engine import make_url

from domain.clock import FakeClock
from storage import migrate
from storage.db import Database
from storage.models import Base

if TYPE_CHECKING:
    from tests.browser import Chromium, Page

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")

# Property tests judge what the code does, never how fast a shared machine ran an example.
settings.register_profile("chibo", deadline=None)
settings.load_profile("chibo")
POSTGRES_SKIP_REASON = (
    "PostgreSQL tests need TEST_DATABASE_URL, e.g. "
    "postgresql+asyncpg://postgres@127.0.0.1:5432/test (.ci/run sets it)"
)
BROWSER_SKIP_REASON = (
    "Browser tests need Debian's chromium and chromium-driver (/usr/bin/chromium, "
    "/usr/bin/chromedriver): apt-get install chromium chromium-driver (.ci/run installs them)"
)


def postgres_url() -> str | None:
    raw = os.environ.get("TEST_DATABASE_URL")
    if not raw:
        return None
    url = make_url(raw)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+asyncpg")
    return url.render_as_string(hide_password=False)


def _line_of(call: str) -> int:
    return next(
        number
        for number, line in enumerate(Path(__file__).read_text(encoding="utf-8").splitlines(), 1)
        if line.strip() == call
    )


# Where each skip that many tests share is raised, whichever test it skips.
_FOLDED_SKIPS = {
    POSTGRES_SKIP_REASON: _line_of("pytest.skip(POSTGRES_SKIP_REASON)"),
    BROWSER_SKIP_REASON: _line_of("pytest.skip(BROWSER_SKIP_REASON)"),
}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Every test skipped for want of PostgreSQL (or of Chromium) is reported at one place, so
    the summary folds them into a single line instead of one per test."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and isinstance(report.longrepr, tuple):
        for reason, line in _FOLDED_SKIPS.items():
            if report.longrepr[2].endswith(reason):
                report.longrepr = (__file__, line, report.longrepr[2])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test of PostgreSQL's own behaviour (its server killing connections) has no SQLite
    variant to skip: it is not collected for SQLite at all."""
    kept, dropped = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_sqlite = callspec is not None and callspec.params.get("database") == "sqlite"
        (dropped if on_sqlite and item.get_closest_marker("postgres_only") else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrated once; each test gets a copy, which is much faster than migrating again."""
    import asyncio

    path = tmp_path_factory.mktemp("template") / "template.db"

    async def build() -> None:
        database = Database(f"sqlite+aiosqlite:///{path}")
        await migrate.upgrade(database)
        await database.dispose()

    asyncio.run(build())
    return path


_postgres_migrated = False


async def _fresh_postgres(url: str) -> Database:
    global _postgres_migrated
    database = Database(url)
    if not _postgres_migrated:
        # Whatever an earlier run left (even from a migration since rewritten) goes.
        async with database.engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
        await migrate.upgrade(database)
        _postgres_migrated = True
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    async with database.engine.begin() as connection:
        await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    return database


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def database(
    request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path
) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        path = tmp_path / "chibo.db"
        shutil.copy(sqlite_template, path)
        db = Database(f"sqlite+aiosqlite:///{path}")
    else:
        url = postgres_url()
        if url is None:
            pytest.skip(POSTGRES_SKIP_REASON)
        db = await _fresh_postgres(url)
    yield db
    await db.dispose()


@pytest.fixture(params=["vi", "en"])
def lang(request: pytest.FixtureRequest) -> str:
    """The user's language: a test taking ``lang`` runs once in Vietnamese, once in English."""
    return str(request.param)


@pytest.fixture
def clock() -> FakeClock:
    # A Tuesday morning in Hanoi, at the start of a month.
    return FakeClock(datetime(2026, 12, 1, 9, 0, tzinfo=VIETNAM))


@pytest.fixture
async def emulator() -> AsyncIterator[Any]:
    from emulator.driver import running_emulator
    from tests.harness import BOT_USERNAME, TOKEN

    async with running_emulator(TOKEN, BOT_USERNAME) as emu:
        yield emu


@pytest.fixture(scope="session")
def chromium() -> Iterator[Chromium]:
    """One headless Chromium for the session; ``browser`` gives each test a tab of it."""
    from tests.browser import missing_browser, running_chromium

    if missing_browser():
        # CI must run the browser tests, never skip them.
        if os.environ.get("CHIBO_REQUIRE_BROWSER") == "1":
            pytest.fail(f"CHIBO_REQUIRE_BROWSER=1: {BROWSER_SKIP_REASON}")
        pytest.skip(BROWSER_SKIP_REASON)
    with running_chromium() as browser:
        yield browser


@pytest.fixture
async def browser(chromium: Chromium, request: pytest.FixtureRequest) -> AsyncIterator[Page]:
    """A fresh phone-sized tab (tests/browser.py's Page); its last view is saved as
    test-artifacts/screenshots/<test name>.png, whether the test passed or not."""
    from tests.browser import tab

    async with tab(chromium, request.node.name) as page:
        yield page


@pytest.fixture
def bot_with(database: Database, clock: FakeClock, emulator: Any, tmp_path: Path) -> Any:
    """The running bot with settings of the test's own: ``async with bot_with(max_file_mb=1)``."""
    from tests.harness import running_bot

    return partial(running_bot, database, clock, emulator, tmp_path / "files")


@pytest.fixture
async def bot(bot_with: Any) -> AsyncIterator[Any]:
    async with bot_with() as running:
        yield running
