"""What the benchmarks share: a scratch database, the emulator, the running bot, the output.

Nothing here is imported by the product or by the tests; nothing here imports the tests.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import resource
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from sqlalchemy import Table, event, insert, literal, select
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncSession
from telegram.ext import AIORateLimiter, BaseRateLimiter

from bot.app import ChiboApplication, build_application, startup_heap_frozen
from bot.demo import emulated_settings
from bot.settings import Settings
from domain.attendance import RollStatus
from domain.clock import Clock
from domain.meetings import MeetingKind, MeetingStatus
from domain.roles import MemberStatus, Role
from emulator import BotApiEmulator, EmuUser
from emulator.driver import running, running_emulator
from storage import migrate
from storage.db import Database
from storage.models import (
    Cell,
    CellFiguresRevision,
    FiguresRevision,
    Invitation,
    Meeting,
    MeetingObserver,
    Membership,
    Organisation,
    PaperAssignment,
    PaperSubmission,
    Person,
    StoredFile,
)

TOKEN = "123456:BENCH-TOKEN-do-not-log-me"
BOT_USERNAME = "chibo_bench_bot"
# The scratch PostgreSQL database; it is dropped and created afresh by every run.
DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/bench_chibo"
# Databases a benchmark must never drop, whatever BENCH_POSTGRES_URL says.
PROTECTED_DATABASES = frozenset({"test", "postgres", "template0", "template1"})


def bench_parser(name: str, description: str | None) -> argparse.ArgumentParser:
    """The options of ``python -m bench.<name>``, ``--db`` among them; ``description`` is
    the module's docstring."""
    parser = argparse.ArgumentParser(
        prog=f"python -m bench.{name}",
        description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--db",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="sqlite: a file in a temporary folder; postgresql: the scratch database "
        f"$BENCH_POSTGRES_URL (default {DEFAULT_POSTGRES_URL}), dropped and created by the run",
    )
    return parser


# --- the scratch database ----------------------------------------------------------------------


def postgres_url() -> URL:
    url = make_url(os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL))
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+asyncpg")
    if not url.database or url.database in PROTECTED_DATABASES:
        raise SystemExit(f"refusing to use database {url.database!r} as a benchmark scratch")
    return url


async def _admin(url: URL) -> asyncpg.Connection:
    """A connection to the server's maintenance database, to create and drop the scratch one."""
    return await asyncpg.connect(
        host=url.host or "127.0.0.1",
        port=url.port or 5432,
        user=url.username or "postgres",
        password=url.password,
        database="postgres",
    )


async def _recreate_postgres(url: URL) -> None:
    connection = await _admin(url)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{url.database}"')
    finally:
        await connection.close()


async def _drop_postgres(url: URL) -> None:
    connection = await _admin(url)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
    finally:
        await connection.close()


@asynccontextmanager
async def _scratch_url(kind: str) -> AsyncIterator[str]:
    """The URL of an empty database for one run: a SQLite file in a temporary folder, or the
    scratch PostgreSQL database, created afresh and dropped afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="chibo-bench-") as folder:
            yield f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        return
    url = postgres_url()
    await _recreate_postgres(url)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        await _drop_postgres(url)


@asynccontextmanager
async def scratch_database(kind: str) -> AsyncIterator[Database]:
    """A fresh database at the newest migration, gone after the run."""
    async with _scratch_url(kind) as url:
        database = Database(url)
        try:
            await migrate.upgrade(database)
            yield database
        finally:
            await database.dispose()


# --- a cell to measure with ------------------------------------------------------------------


@dataclass
class SeededCell:
    cell: Cell
    # (Telegram user, person id) of each member, the secretary first; each has a private chat
    # open in the emulator.
    members: list[tuple[EmuUser, int]]


async def seed_cell(
    session: AsyncSession, emulator: BotApiEmulator, count: int, first_user_id: int, now: datetime
) -> SeededCell:
    """A cell of ``count`` full members of a new organisation, bulk-inserted."""
    organisation = Organisation(name="Đảng bộ Benchmark", cutoff_day=10, created_at=now)
    session.add(organisation)
    await session.flush()
    cell = Cell(organisation_id=organisation.id, name="Chi bộ Đo tải", created_at=now)
    session.add(cell)
    await session.flush()
    users = [emulator.user(first_user_id + n, f"Đảng viên Số {n:05d}") for n in range(count)]
    await session.execute(
        insert(Person),
        [
            {
                "telegram_user_id": user.id,
                "full_name": user.first_name,
                "name_confirmed_at": now,
                "created_at": now,
            }
            for user in users
        ],
    )
    person_ids: dict[int, int] = dict(
        (await session.execute(select(Person.telegram_user_id, Person.id))).tuples().all()
    )
    await session.execute(
        insert(Membership),
        [
            {
                "person_id": person_ids[user.id],
                "cell_id": cell.id,
                "role": Role.SECRETARY if number == 0 else Role.MEMBER,
                "status": MemberStatus.FULL,
                "joined_at": now - timedelta(days=30),
            }
            for number, user in enumerate(users)
        ],
    )
    for user in users:
        emulator.open_private_chat(user)
    return SeededCell(cell, [(user, person_ids[user.id]) for user in users])


def regular_meeting(cell: Cell, starts_at: datetime, now: datetime, **fields: Any) -> Meeting:
    return Meeting(
        cell_id=cell.id,
        kind=MeetingKind.REGULAR,
        status=MeetingStatus.SCHEDULED,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        place="Hội trường tầng 3",
        version=1,
        created_at=now,
        **fields,
    )


ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
# A Monday morning: the weekly digest's moment, and the cutoff (the 10th) has passed.
NOW = datetime(2026, 12, 14, 9, 0, tzinfo=ZONE)
CUTOFF_DAY = 10
CHUNK = 20_000
PAPER_MONTHS = 3


# --- a province to measure with: N cells x members x months ------------------------------------


@dataclass
class Sizes:
    cells: int = 0
    people: int = 0
    meetings: int = 0
    invitations: int = 0
    papers: int = 0
    observations: int = 0


def _months_back(months: int) -> list[tuple[int, int]]:
    """(year, month) of the ``months`` months up to NOW's, oldest first."""
    year, month = NOW.year, NOW.month
    found = []
    for _ in range(months):
        found.append((year, month))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return found[::-1]


async def _insert(database: Database, table: Table, rows: Iterator[dict[str, Any]]) -> int:
    """In chunks, each its own transaction: PostgreSQL's COPY, elsewhere executemany."""
    count = 0
    chunk: list[dict[str, Any]] = []
    write = _copy if database.is_postgresql else _execute_many

    for row in rows:
        chunk.append(row)
        if len(chunk) >= CHUNK:
            await write(database, table, chunk)
            count += len(chunk)
            chunk = []
    if chunk:
        await write(database, table, chunk)
        count += len(chunk)
    return count


async def _execute_many(database: Database, table: Table, chunk: list[dict[str, Any]]) -> None:
    async with database.transaction() as session:
        await session.execute(insert(table), chunk)


async def _copy(database: Database, table: Table, chunk: list[dict[str, Any]]) -> None:
    """COPY, through asyncpg: 10,000 cells' 4.4 million roll lines take minutes as
    executemany. The values go as Python gives them (a StrEnum is a str), bypassing the
    column types, which only convert on SQLite. The foreign keys' triggers are off for the
    copy (``session_replication_role``): the rows are made consistent, and checking them
    one by one was most of the server's time."""
    columns = list(chunk[0])
    async with database.engine.connect() as connection:
        raw = await connection.get_raw_connection()
        copier: asyncpg.Connection = raw.driver_connection
        await copier.execute("SET session_replication_role = replica")
        await copier.copy_records_to_table(
            table.name, columns=columns, records=[tuple(row.values()) for row in chunk]
        )
        await copier.execute("RESET session_replication_role")
        await connection.commit()


def _table(model: type[Any]) -> Table:
    table: Table = model.__table__
    return table


async def seed(database: Database, cells: int, per_cell: int, months: int) -> Sizes:
    """Explicit ids throughout, so that no row has to be read back."""
    rng = random.Random(8)
    created = NOW - timedelta(days=31 * months + 30)
    sizes = Sizes()
    async with database.transaction() as session:
        await session.execute(
            insert(Organisation).values(
                id=1,
                name="Đảng bộ Khối Cơ quan Tỉnh",
                cutoff_day=CUTOFF_DAY,
                reminder_offsets_minutes=[],
                created_at=created,
            )
        )
        await session.execute(
            insert(StoredFile).values(id=1, sha256="0" * 64, size=1000, created_at=created)
        )
    sizes.cells = await _insert(
        database,
        _table(Cell),
        (
            {
                "id": c,
                "organisation_id": 1,
                "name": f"Chi bộ {c:04d} Phòng Nghiệp vụ",
                "created_at": created,
            }
            for c in range(1, cells + 1)
        ),
    )

    def person_id(cell: int, number: int) -> int:
        return (cell - 1) * per_cell + number + 1

    sizes.people = await _insert(
        database,
        _table(Person),
        (
            {
                "id": person_id(c, n),
                "telegram_user_id": 10_000_000 + person_id(c, n),
                "full_name": f"Nguyễn Văn {c:04d}-{n:02d}",
                "name_confirmed_at": created,
                "created_at": created,
            }
            for c in range(1, cells + 1)
            for n in range(per_cell)
        ),
    )
    await _insert(
        database,
        _table(Membership),
        (
            {
                "id": person_id(c, n),
                "person_id": person_id(c, n),
                "cell_id": c,
                "role": Role.SECRETARY if n == 0 else Role.MEMBER,
                "status": MemberStatus.EXEMPTED if n == per_cell - 1 else MemberStatus.FULL,
                "joined_at": created,
            }
            for c in range(1, cells + 1)
            for n in range(per_cell)
        ),
    )
    # Meetings: (id, cell, kind, starts_at, closed roll, minutes, late)
    meetings: list[tuple[int, int, MeetingKind, datetime, bool, bool]] = []
    for year, month in _months_back(months):
        for c in range(1, cells + 1):
            day = rng.choice((3, 5, 7, 8, 9, 10, 12, 15)) if rng.random() > 0.03 else None
            if day is not None:
                starts = datetime(year, month, day, 14, 0, tzinfo=ZONE)
                if starts < NOW or rng.random() < 0.5:
                    meetings.append(
                        (
                            len(meetings) + 1,
                            c,
                            MeetingKind.REGULAR,
                            starts,
                            starts < NOW,
                            rng.random() > 0.05,
                        )
                    )
            if month % 3 == 2 and rng.random() > 0.2:
                starts = datetime(year, month, 20, 8, 0, tzinfo=ZONE)
                meetings.append(
                    (len(meetings) + 1, c, MeetingKind.THEMATIC, starts, starts < NOW, True)
                )
    sizes.meetings = await _insert(
        database,
        _table(Meeting),
        (
            {
                "id": m_id,
                "cell_id": c,
                "kind": kind,
                "status": MeetingStatus.SCHEDULED,
                "starts_at": starts,
                "ends_at": starts + timedelta(hours=2),
                "place": "Hội trường",
                "theme": None,
                "late": starts.day > CUTOFF_DAY and kind is MeetingKind.REGULAR,
                "version": 1,
                "created_at": starts - timedelta(days=12),
                "broadcast_at": starts - timedelta(days=10),
                "roll_opened_at": starts if closed else None,
                "roll_closed_at": starts + timedelta(hours=1) if closed else None,
                "minutes_recorded_at": starts + timedelta(days=1) if closed and minutes else None,
            }
            for m_id, c, kind, starts, closed, minutes in meetings
        ),
    )

    def roll() -> RollStatus:
        draw = rng.random()
        if draw < 0.93:
            return RollStatus.PRESENT
        return RollStatus.EXCUSED if draw < 0.98 else RollStatus.UNEXCUSED

    sizes.invitations = await _insert(
        database,
        _table(Invitation),
        (
            {
                "meeting_id": m_id,
                "person_id": person_id(c, n),
                "invited_at": starts - timedelta(days=10),
                "roll_status": roll() if closed else None,
                "exempted": n == per_cell - 1,
            }
            for m_id, c, _kind, starts, closed, _minutes in meetings
            for n in range(per_cell)
        ),
    )
    recent = NOW - timedelta(days=31 * PAPER_MONTHS)
    papered = [m for m in meetings if m[3] >= recent]
    sizes.papers = await _insert(
        database,
        _table(PaperAssignment),
        (
            {
                "id": 2 * m_id + k,
                "meeting_id": m_id,
                "person_id": person_id(c, 1 + k),
                "topic": "Tham luận về công tác phát triển đảng viên",
                "due_at": starts - timedelta(days=2),
                "assigned_by_person_id": person_id(c, 0),
                "created_at": starts - timedelta(days=12),
            }
            for m_id, c, _kind, starts, _closed, _minutes in papered
            for k in (0, 1)
        ),
    )
    await _insert(
        database,
        _table(PaperSubmission),
        (
            {
                "assignment_id": 2 * m_id + k,
                "file_id": 1,
                "file_name": "tham-luan.docx",
                "file_type": "docx",
                "submitted_at": starts - timedelta(days=3 - 2 * late),
                "late": bool(late),
                "replaced_at": None,
            }
            for m_id, _c, _kind, starts, _closed, _minutes in papered
            for k in (0, 1)
            if starts - timedelta(days=3) < NOW and rng.random() < 0.85
            for late in (int(rng.random() < 0.15),)
        ),
    )
    observed = [m for m in papered if m[4] and rng.random() < 0.05]
    sizes.observations = await _insert(
        database,
        _table(MeetingObserver),
        (
            {
                "meeting_id": m_id,
                "person_id": person_id(1 + c % cells, 0),
                "assigned_by_person_id": None,
                "assigned_at": starts - timedelta(days=5),
                "observations": "Sinh hoạt đúng quy trình; cần tăng cường tự phê bình.",
                "observed_at": min(starts + timedelta(days=2), NOW - timedelta(days=1)),
            }
            for m_id, c, _kind, starts, _closed, _minutes in observed
        ),
    )
    if database.is_postgresql:
        await _start_counters(database)
    return sizes


async def _start_counters(database: Database) -> None:
    """The cells' figures counters, which the copy's triggers, off, did not start (the
    dashboard keeps no figures of a cell without one)."""
    async with database.transaction() as session:
        for counter, key, rows in (
            (FiguresRevision, FiguresRevision.organisation_id, Organisation.id),
            (CellFiguresRevision, CellFiguresRevision.cell_id, Cell.id),
        ):
            await session.execute(
                insert(counter).from_select(
                    [key.key, "revision"],
                    select(rows, literal(0)).where(rows.not_in(select(key))),
                )
            )


MEMBERS_PER_CELL = 30


def province_arguments(parser: argparse.ArgumentParser, cells: int) -> None:
    """The options that size the synthetic organisation."""
    parser.add_argument("--cells", type=int, default=cells)
    parser.add_argument("--members-per-cell", type=int, default=MEMBERS_PER_CELL)
    parser.add_argument("--months", type=int, default=12)


async def seeded_province(
    database: Database, cells: int, per_cell: int, months: int
) -> tuple[Sizes, float]:
    """The organisation seeded and, on PostgreSQL, analysed; with the seconds it took."""
    progress(f"seeding {cells} cells x {per_cell} members x {months} months")
    started = time.perf_counter()
    sizes = await seed(database, cells, per_cell, months)
    seconds = time.perf_counter() - started
    if database.is_postgresql:
        # Autovacuum would vacuum and analyse the fresh tables soon (it does after inserts
        # too); do it now, not mid-measurement: the visibility map it sets is what lets the
        # digest count rolls from an index alone.
        async with database.engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.exec_driver_sql("VACUUM ANALYZE")
    progress(f"seeded in {seconds:.1f} s")
    return sizes, seconds


def print_province(sizes: Sizes, title: str = "Synthetic organisation") -> None:
    print_table(
        title,
        ("rows", "count"),
        [
            ("cells", sizes.cells),
            ("people (= memberships)", sizes.people),
            ("meetings", sizes.meetings),
            ("invitations (roll lines)", sizes.invitations),
            ("paper assignments", sizes.papers),
            ("observations", sizes.observations),
        ],
    )


# --- the emulator and the real bot -------------------------------------------------------------


def bench_emulator() -> AbstractAsyncContextManager[BotApiEmulator]:
    """The emulator on 127.0.0.1, with the benchmarks' bot."""
    return running_emulator(TOKEN, BOT_USERNAME)


def bench_settings(
    emulator: BotApiEmulator, database: Database, files: Path, **overrides: Any
) -> Settings:
    return emulated_settings(emulator, database, files, bot_username=BOT_USERNAME, **overrides)


@asynccontextmanager
async def running_application(
    settings: Settings,
    database: Database,
    clock: Clock,
    *,
    polling: bool,
    limiter: BaseRateLimiter | None = None,
) -> AsyncIterator[ChiboApplication]:
    """The Application of ``chibo run``, started as ``run_polling`` starts it.

    The planner and housekeeping jobs are switched off: they would add work unrelated to
    what is measured. The outbox dispatcher's job keeps running as in production.
    ``limiter`` replaces bot/app.py's rate limiter (a prototype of a product change).
    """
    application = build_application(settings, database, clock)
    if limiter is not None:
        replace_rate_limiter(application, limiter)
    # As chibo run does; the applications measured after this one start without it.
    with startup_heap_frozen():
        async with running(application, polling=polling, disabled_jobs=("planner", "housekeeping")):
            yield application


# --- measuring ---------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), nearest-rank; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def peak_rss_mb() -> float:
    """This process's peak resident set size (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class StatementCounter:
    count: int = 0


@contextmanager
def counting_statements(database: Database) -> Iterator[StatementCounter]:
    """Counts the SQL statements the engine sends while the block runs."""
    counter = StatementCounter()

    def counted(*_args: Any) -> None:
        counter.count += 1

    event.listen(database.engine.sync_engine, "before_cursor_execute", counted)
    try:
        yield counter
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", counted)


class Stopwatch:
    def __init__(self) -> None:
        self.started = time.perf_counter()

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.started


# --- output ------------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    memory = "?"
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                    break
    except OSError:
        pass
    return {
        "cpus": str(os.cpu_count()),
        "memory": memory,
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
    }


def print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A plain-text table, columns right-aligned except the first."""
    cells = [[str(h) for h in header], *[[_show(v) for v in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        return "  ".join(
            value.ljust(widths[i]) if i == 0 else value.rjust(widths[i])
            for i, value in enumerate(row)
        )

    print(f"\n{title}")
    print(line(cells[0]))
    print("  ".join("-" * w for w in widths))
    for row in cells[1:]:
        print(line(row))


def _show(value: object) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    return str(value)


def print_machine() -> None:
    info = machine()
    print(
        f"machine: {info['cpus']} CPUs, {info['memory']} RAM, Python {info['python']}, "
        f"{info['system']}"
    )


def emit_json(figures: dict[str, Any]) -> None:
    """The benchmark's result, always the last line of its output."""
    sys.stdout.flush()
    print(json.dumps(figures, ensure_ascii=False), flush=True)


def rounded(value: float, digits: int = 3) -> float:
    return round(value, digits)


Progress = Callable[[str], None]


def progress(message: str) -> None:
    """Where a run is, on stderr, so stdout stays the table and the JSON line."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- comparing with the limiter before bot/pacing.py ---------------------------------------------


def ptb_default_limiter() -> BaseRateLimiter:
    """The limiter chibo used before bot/pacing.py: PTB's AIORateLimiter on every request
    naming a chat, with its bucket of 30 (``--limiter ptb-default`` measures it again)."""
    return AIORateLimiter(max_retries=0)


def replace_rate_limiter(application: ChiboApplication, limiter: BaseRateLimiter) -> None:
    """Swap the limiter bot/app.py gave the bot (before ``initialize``)."""
    application.bot._rate_limiter = limiter  # a benchmark's comparison
