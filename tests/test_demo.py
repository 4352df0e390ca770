"""`chibo demo --quick` runs to the end on this machine and leaves files a supervisor opens."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from contextlib import closing
from pathlib import Path

import docx
import pytest
from openpyxl import load_workbook

import bot.cli
from bot.cli import main, parser
from bot.demo import (
    CELLS,
    CHART_FILE,
    DASHBOARD_FILE,
    DATABASE_FILE,
    DEMO_PORT,
    FILE_STORE_DIR,
    LATE_CELL,
    LATE_MONTH,
    MISSED_MONTH,
    MISSING_CELL,
    OPINION,
    WORKBOOK_FILE,
    YEAR,
    DemoError,
    run_demo,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_the_demo_command_is_wired(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert parser().parse_args(["demo"]).out == Path("demo-output")
    runs: list[tuple[Path, bool, bool, int]] = []

    def fake_demo(out: Path, quick: bool, serve: bool, port: int) -> tuple[str, int]:
        runs.append((out, quick, serve, port))
        return "summary of the quarter", 0

    # The real logging set-up would outlive this test: it replaces the root handlers.
    monkeypatch.setattr(bot.cli, "configure_logging", lambda level, secrets: None)
    monkeypatch.setattr(bot.cli, "demo_command", fake_demo)
    assert main(["demo", "--quick", "--out", "somewhere"]) == 0
    assert main(["demo", "--serve", "--port", "9000"]) == 0
    assert runs == [
        (Path("somewhere"), True, False, DEMO_PORT),
        (Path("demo-output"), False, True, 9000),
    ]
    assert capsys.readouterr().out == "summary of the quarter\n" * 2

    def broken_demo(out: Path, quick: bool, serve: bool, port: int) -> tuple[str, int]:
        raise DemoError("no invitation for Lê Văn Minh")

    monkeypatch.setattr(bot.cli, "demo_command", broken_demo)
    assert main(["demo"]) == 2
    assert capsys.readouterr().err == (
        "chibo: error: the demo stopped: no invitation for Lê Văn Minh\n"
    )


def test_a_quick_quarter_leaves_a_chart_a_workbook_and_minutes(tmp_path: Path) -> None:
    # A database from an earlier run (here: not even a database) is replaced, not reused.
    (tmp_path / DATABASE_FILE).write_bytes(b"left over from an earlier run")

    progress: list[str] = []
    report = asyncio.run(run_demo(tmp_path, quick=True, progress=progress.append))

    assert report.problems == []
    # A line per stage as it ends, rather than a minute of silence: --quick plays two months.
    assert len(progress) == 5, progress
    assert progress[0].endswith("5 cells and 32 members joined through their links")
    october, december = progress[1:3]
    assert october.startswith(f"October {YEAR}: 4 of 5 cells met, 4 before the cutoff")
    assert december.startswith(f"December {YEAR}: 5 of 5 cells met, 4 before the cutoff")
    assert progress[3].startswith("Documents written: ")
    assert progress[4] == f"Dashboard written: {DASHBOARD_FILE}"
    chart = (tmp_path / CHART_FILE).read_bytes()
    assert chart.startswith(PNG_SIGNATURE) and len(chart) > 10_000

    summary_sheet = load_workbook(tmp_path / WORKBOOK_FILE).worksheets[0]
    first_column = {row[0] for row in summary_sheet.iter_rows(values_only=True)}
    assert {name for name, _ in CELLS} <= first_column

    [minutes_file] = tmp_path.glob("bien-ban-*.docx")
    minutes = docx.Document(str(minutes_file))
    lines = [paragraph.text for paragraph in minutes.paragraphs]
    assert any("BIÊN BẢN" in line for line in lines)
    # The complete layout: the number, who said what under the second item, the approval.
    assert minutes.tables[0].cell(0, 0).paragraphs[-1].text.endswith("-BB/CB")
    second = next(i for i, line in enumerate(lines) if line.startswith("2. "))
    assert lines[second + 2].endswith(f": {OPINION}")
    assert any(line.startswith("Biên bản đã được thông qua trước chi bộ lúc") for line in lines)

    # The dashboard the supervisor opened from the bot: the quarter, each cell's months as
    # played (the missing cell's October, the late cell's December).
    page = (tmp_path / DASHBOARD_FILE).read_text(encoding="utf-8")
    rows = dict(
        re.findall(
            r'<tr data-cell="\d+">\s*<th class="cell-name"><a [^>]*>([^<]+)</a>(.*?)</tr>',
            page,
            re.S,
        )
    )
    assert sorted(rows) == sorted(name for name, _ in CELLS)
    states = {
        name: dict(re.findall(r'data-month="(\d{4}-\d{2})" data-state="(\w+)"', row))
        for name, row in rows.items()
    }
    assert all(
        list(months) == [f"{YEAR}-10", f"{YEAR}-11", f"{YEAR}-12"] for months in states.values()
    )
    assert states[CELLS[MISSING_CELL][0]][f"{YEAR}-{MISSED_MONTH:02d}"] == "missed"
    assert states[CELLS[LATE_CELL][0]][f"{YEAR}-{LATE_MONTH:02d}"] == "late"
    on_time = [name for name, months in states.items() if months[f"{YEAR}-12"] == "on_time"]
    assert len(on_time) == 4
    assert report.dashboard is not None
    assert report.dashboard.startswith(
        f"http://127.0.0.1:{DEMO_PORT}/app/?year={YEAR}&quarter=4#tgWebAppData="
    )

    printed = report.render()
    assert CELLS[LATE_CELL][0] in printed and "after the cutoff" in printed
    assert "  check-in by QR code: " in printed
    assert f"  member list: {CELLS[0][0]}'s {CELLS[0][1]} names imported" in printed
    # Every name the list added (all but the secretary's, a member already) was claimed by
    # its person through the personal link.
    with closing(sqlite3.connect(tmp_path / DATABASE_FILE)) as stored:
        imported = stored.execute(
            "SELECT count(*), count(person_id), count(claimed_at) FROM imported_member"
        ).fetchone()
    assert imported == (CELLS[0][1] - 1,) * 3
    assert f"{CELLS[MISSING_CELL][0]}, no regular meeting in {MISSED_MONTH:02d}/{YEAR}" in printed
    assert report.dashboard in printed
    for name in (CHART_FILE, WORKBOOK_FILE, minutes_file.name, DASHBOARD_FILE):
        assert name in printed
    assert report.organisation.size == 32 and len(report.organisation.cells) == 5
    assert 0.5 < report.attendance_mean <= 1
    assert report.messages_sent > 300

    # Run again into the same folder: the same files, none added. The first run's stored
    # documents go with its database (their names are content hashes, and generated
    # documents carry the moment they were made: only their number can be compared).
    first_run = run_files(tmp_path)
    asyncio.run(run_demo(tmp_path, quick=True))
    assert run_files(tmp_path) == first_run


def run_files(out: Path) -> tuple[list[str], int]:
    """The folder's own entries, and how many files it holds, the bot's store included."""
    assert (out / FILE_STORE_DIR).is_dir()
    return sorted(path.name for path in out.iterdir()), sum(
        1 for path in out.rglob("*") if path.is_file()
    )
