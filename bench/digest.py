"""The supervisors' digest for a large synthetic organisation: time, memory, SQL statements.

    python -m bench.digest --cells 1000 --members-per-cell 30 --months 12 [--db ...]

The organisation is written with SQLAlchemy core ``insert()`` executemany, in chunks: cells,
people, memberships, a regular meeting per cell and month (some after the cutoff day, some
without minutes), a thematic meeting per cell and quarter, the closed roll of every past
meeting (an invitation per member with its roll status), papers for the last three months,
and a few working-group observations.

Then a fresh Python process (so that its peak RSS is the digest's, not the seeding's) runs,
as the weekly digest and /digest do, ``services.digest.figures.digest_figures`` for every
cell of the organisation and ``services.digest.report.render_files`` (the PNG chart and the
XLSX workbook), and reports ``figures_s`` (first call, cold caches; the second call is shown
in the table), ``render_s``, ``peak_rss_mb`` (``ru_maxrss`` of that process) and
``sql_statements`` (sent during one ``digest_figures`` call, counted with
``before_cursor_execute``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Table, insert

from bench.common import (
    bench_parser,
    counting_statements,
    emit_json,
    peak_rss_mb,
    print_machine,
    print_table,
    progress,
    scratch_database,
)
from domain.attendance import RollStatus
from domain.meetings import MeetingKind, MeetingStatus
from domain.roles import MemberStatus, Role
from storage.db import Database
from storage.models import (
    Cell,
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

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
# A Monday morning: the weekly digest's moment, and the cutoff (the 10th) has passed.
NOW = datetime(2026, 12, 14, 9, 0, tzinfo=ZONE)
CUTOFF_DAY = 10
CHUNK = 20_000
PAPER_MONTHS = 3
# The goals (bench/README.md): the figures within 2 s, the process under 400 MB.
FIGURES_GOAL_S = 2.0
RSS_GOAL_MB = 400


# --- the synthetic organisation ----------------------------------------------------------------


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
    """executemany in chunks, each chunk its own transaction."""
    count = 0
    chunk: list[dict[str, Any]] = []

    async def flush() -> None:
        async with database.transaction() as session:
            await session.execute(insert(table), chunk)

    for row in rows:
        chunk.append(row)
        if len(chunk) >= CHUNK:
            await flush()
            count += len(chunk)
            chunk = []
    if chunk:
        await flush()
        count += len(chunk)
    return count


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
    return sizes


# --- the measurement, in a fresh process -------------------------------------------------------


async def measure(url: str, period_name: str) -> dict[str, Any]:
    from chat.i18n import Translator
    from domain.digest import PeriodName, period_of
    from domain.messages import Text
    from reports.chart import attendance_chart
    from reports.spreadsheet import digest_workbook
    from services.config import ServiceSettings
    from services.digest import report
    from services.digest.figures import digest_figures

    settings = ServiceSettings(default_language="vi", member_invite_days=14, zone=ZONE)
    translator = Translator(ZONE, "vi")

    def render(text: Text) -> str:
        return translator.render(text, "vi")

    period = period_of(PeriodName(period_name), NOW, ZONE)
    label = f"{period.start:%d/%m/%Y} – {period.end - timedelta(seconds=1):%d/%m/%Y}"
    database = Database(url)
    rss_before = peak_rss_mb()
    try:
        timings = []
        statements = []
        for _ in range(2):
            async with database.transaction() as session:
                organisation = await session.get(Organisation, 1)
                assert organisation is not None
                with counting_statements(database) as counter:
                    started = time.perf_counter()
                    figures = await digest_figures(
                        session, organisation, None, period, NOW, settings, render, label
                    )
                    timings.append(time.perf_counter() - started)
                statements.append(counter.count)
        rss_figures = peak_rss_mb()
        # What report.render_files does, timed step by step.
        started = time.perf_counter()
        labels = report.labels(render)
        chart = attendance_chart(figures, labels)
        chart_s = time.perf_counter() - started
        rss_chart = peak_rss_mb()
        workbook = digest_workbook(figures, labels)
        render_s = time.perf_counter() - started
    finally:
        await database.dispose()
    return {
        "figures_s": timings[0],
        "figures_warm_s": timings[1],
        "sql_statements": statements[0],
        "sql_statements_warm": statements[1],
        "render_s": render_s,
        "chart_s": chart_s,
        "png_bytes": len(chart),
        "xlsx_bytes": len(workbook),
        "cells_in_figures": len(figures.cells),
        "meetings_in_period": sum(len(c.meetings) for c in figures.cells),
        "behind": len(figures.behind),
        "rss_after_imports_mb": rss_before,
        "rss_after_figures_mb": rss_figures,
        "rss_after_chart_mb": rss_chart,
        "peak_rss_mb": peak_rss_mb(),
    }


def _measure_in_child(url: str, period: str) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "-m", "bench.digest", "--measure", url, "--period", period],
        check=False,
        capture_output=True,
        text=True,
    )
    if completed.returncode != 0:
        lines = completed.stderr.strip().splitlines()
        errors = [line for line in lines if "Error" in line.split(":")[0]] or lines[-1:]
        # SQL errors quote the statement and its parameters: keep the first words.
        raise SystemExit(f"the digest failed: {(errors or ['no output'])[-1][:400]}")
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def print_result(
    args: argparse.Namespace, sizes: Sizes, seed_s: float, result: dict[str, Any]
) -> None:
    print_machine()
    print(
        f"database: {args.db}; digest period: {args.period} (of {NOW:%Y-%m-%d %H:%M} "
        f"Asia/Ho_Chi_Minh); seeding took {seed_s:.1f} s"
    )
    print_table(
        "Synthetic organisation",
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
    print_table(
        "The digest",
        ("figure", "value"),
        [
            ("figures_s (first call)", result["figures_s"]),
            ("figures, second call, s", result["figures_warm_s"]),
            ("sql_statements per figures call", result["sql_statements"]),
            ("render_s (chart + workbook)", result["render_s"]),
            ("  of which the chart alone, s", result["chart_s"]),
            ("PNG size, KB", result["png_bytes"] / 1024),
            ("XLSX size, KB", result["xlsx_bytes"] / 1024),
            (
                "cells / meetings in the period",
                f"{result['cells_in_figures']} / {result['meetings_in_period']}",
            ),
            ("cells behind", result["behind"]),
            ("RSS after imports, MB", result["rss_after_imports_mb"]),
            ("peak RSS after figures, MB", result["rss_after_figures_mb"]),
            ("peak RSS after the chart, MB", result["rss_after_chart_mb"]),
            ("peak_rss_mb (after rendering)", result["peak_rss_mb"]),
        ],
    )


async def main(args: argparse.Namespace) -> dict[str, Any]:
    async with scratch_database(args.db) as database:
        progress(
            f"seeding {args.cells} cells x {args.members_per_cell} members x {args.months} "
            f"months ({args.db})"
        )
        started = time.perf_counter()
        sizes = await seed(database, args.cells, args.members_per_cell, args.months)
        seed_s = time.perf_counter() - started
        if database.is_postgresql:
            # Autovacuum would analyse the fresh tables soon; do it now, not mid-measurement.
            async with database.engine.connect() as connection:
                autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
                await autocommit.exec_driver_sql("ANALYZE")
        progress(f"seeded in {seed_s:.1f} s; measuring in a fresh process")
        url = database.url.render_as_string(hide_password=False)
        result = await asyncio.to_thread(_measure_in_child, url, args.period)
    print_result(args, sizes, seed_s, result)
    ratios = {
        "figures_to_goal": result["figures_s"] / FIGURES_GOAL_S,
        "rss_to_goal": result["peak_rss_mb"] / RSS_GOAL_MB,
        "warm_to_cold": result["figures_warm_s"] / result["figures_s"],
    }
    print(
        f"\nfigures_s / goal ({FIGURES_GOAL_S:g} s): {ratios['figures_to_goal']:.3f}; "
        f"peak_rss_mb / goal ({RSS_GOAL_MB} MB): {ratios['rss_to_goal']:.3f}; "
        f"second figures call / first: {ratios['warm_to_cold']:.3f}"
    )
    return {
        "db": args.db,
        "cells": args.cells,
        "members_per_cell": args.members_per_cell,
        "months": args.months,
        "figures_s": round(result["figures_s"], 3),
        "render_s": round(result["render_s"], 3),
        "peak_rss_mb": round(result["peak_rss_mb"], 1),
        "sql_statements": result["sql_statements"],
        **{name: round(value, 3) for name, value in ratios.items()},
    }


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = bench_parser("digest", __doc__)
    parser.add_argument("--cells", type=int, default=1000)
    parser.add_argument("--members-per-cell", type=int, default=30)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument(
        "--period",
        choices=("week", "month", "quarter"),
        default="quarter",
        help="the digest's period, as /digest offers it (quarter: the most meetings)",
    )
    parser.add_argument("--measure", metavar="URL", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


if __name__ == "__main__":
    arguments = parse()
    if arguments.measure:
        emit_json(asyncio.run(measure(arguments.measure, arguments.period)))
    else:
        emit_json(asyncio.run(main(arguments)))
