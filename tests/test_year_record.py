"""The year's record: its workbook's figures against a recount by hand, texts kept as data,
the buttons under /members and /digest, the delivery at the year's end, and `chibo org
export`'s archive.

The recount reads only the plan below, as a person would count from the cells' books: which
meetings were held (cancelled ones are not), how each member was marked on the closed rolls
(an exempted member never counts), which papers were due in the year and handed in, which
tasks the adopted resolutions gave and which were done, and how each month's regular meeting
and each quarter's thematic one stood against the cutoff day."""

from __future__ import annotations

import asyncio
import io
import random
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import select

from bot.cli import main
from chat.i18n import Translator
from domain.attendance import RollStatus
from domain.meetings import MeetingKind, MeetingStatus
from domain.messages import Text
from domain.resolutions import ResolutionStatus, TaskStatus
from domain.roles import MemberStatus
from services.config import ServiceSettings
from services.record import delivery
from services.record.delivery import queue_year_end
from services.record.year import workbook_file, year_record
from storage import migrate
from storage.db import Database
from storage.files import FileStore
from storage.models import (
    Cell,
    Invitation,
    Organisation,
    OutboxMessage,
    Resolution,
    ResolutionTask,
    StoredFile,
    SupervisorScope,
)
from tests.conftest import VIETNAM
from tests.harness import RunningBot, add_member, add_paper, cell_with_members, meeting_row

SEED = 20270103
YEAR = 2026
CUTOFF_DAY = 10
NOW = datetime(2027, 1, 3, 9, 0, tzinfo=VIETNAM)
SETTINGS = ServiceSettings(default_language="vi", member_invite_days=14, zone=VIETNAM)
TRANSLATOR = Translator(VIETNAM, "vi")
P, E, U = RollStatus.PRESENT, RollStatus.EXCUSED, RollStatus.UNEXCUSED
INJECTED = "=1+1"  # a member's name that a spreadsheet would compute, were it a formula


def vi(text: Text) -> str:
    return TRANSLATOR.render(text, "vi")


def label(key: str, **args: Any) -> str:
    return TRANSLATOR.text("vi", key, **args)


@dataclass
class PlannedMember:
    name: str
    status: MemberStatus = MemberStatus.FULL


@dataclass
class PlannedMeeting:
    kind: MeetingKind
    starts_at: datetime
    cancelled: bool = False
    roll_closed: bool = True
    minutes: bool = False
    roll: dict[str, RollStatus] = field(default_factory=dict)
    papers: dict[str, bool] = field(default_factory=dict)  # author -> handed in
    adopted: bool | None = None  # a resolution: adopted, rejected, or none
    tasks: dict[str, bool] = field(default_factory=dict)  # member -> done


@dataclass
class PlannedCell:
    name: str
    created_at: datetime
    members: list[PlannedMember]
    meetings: list[PlannedMeeting] = field(default_factory=list)


def plan() -> list[PlannedCell]:
    """Two cells' year, drawn from a fixed seed: one older than the year, one created in its
    May (after May's cutoff); meetings on time, late, twice in a month, missing, cancelled,
    with open rolls, and a meeting either side of the year."""
    chance = random.Random(SEED)
    cells = [
        PlannedCell(
            "Chi bộ Phòng Tổng hợp",
            datetime(2025, 11, 3, tzinfo=VIETNAM),
            [
                PlannedMember("Nguyễn Văn An"),
                PlannedMember(INJECTED),
                PlannedMember("Lê Thị Bình", MemberStatus.PROBATIONARY),
                PlannedMember("Phạm Văn Cường", MemberStatus.EXEMPTED),
            ],
        ),
        PlannedCell(
            "Chi bộ Phòng Kế toán",
            datetime(2026, 5, 20, tzinfo=VIETNAM),
            [PlannedMember("Trần Văn Dũng"), PlannedMember("Hoàng Thị Em")],
        ),
    ]
    for cell in cells:
        days = [
            datetime(2025, 12, 6, 19, 0, tzinfo=VIETNAM),
            datetime(2027, 1, 2, 8, 0, tzinfo=VIETNAM),
        ]
        for month in range(1, 13):
            if datetime(YEAR, month, 28, tzinfo=VIETNAM) < cell.created_at:
                continue
            day = chance.choice([None, 5, 8, 10, 11, 20])
            if day is not None:
                days.append(datetime(YEAR, month, day, 19, 30, tzinfo=VIETNAM))
            if chance.random() < 0.2:
                days.append(datetime(YEAR, month, 25, 19, 30, tzinfo=VIETNAM))
        for starts_at in days:
            cell.meetings.append(_meeting(chance, cell, MeetingKind.REGULAR, starts_at))
        for quarter in range(1, 5):
            if chance.random() < 0.7:
                starts_at = datetime(YEAR, 3 * quarter - 1, 15, 8, 0, tzinfo=VIETNAM)
                if starts_at > cell.created_at:
                    cell.meetings.append(_meeting(chance, cell, MeetingKind.THEMATIC, starts_at))
    return cells


def _meeting(
    chance: random.Random, cell: PlannedCell, kind: MeetingKind, starts_at: datetime
) -> PlannedMeeting:
    names = [m.name for m in cell.members]
    return PlannedMeeting(
        kind,
        starts_at,
        cancelled=chance.random() < 0.1,
        roll_closed=chance.random() < 0.9,
        minutes=chance.random() < 0.7,
        roll={name: chance.choice([P, P, P, E, U]) for name in names},
        papers={name: chance.random() < 0.6 for name in names if chance.random() < 0.3},
        adopted=chance.choice([None, True, True, False]),
        tasks={name: chance.random() < 0.5 for name in names if chance.random() < 0.4},
    )


async def load(database: Database, cells: list[PlannedCell]) -> Organisation:
    """The plan as rows: each meeting, roll, paper, resolution and task."""
    async with database.transaction() as session:
        organisation = Organisation(
            name="Đảng bộ Phường Tân Định",
            cutoff_day=CUTOFF_DAY,
            created_at=datetime(2025, 10, 1, tzinfo=VIETNAM),
        )
        session.add(organisation)
        await session.flush()
        user_id = 30_000
        for planned in cells:
            cell = Cell(
                organisation_id=organisation.id, name=planned.name, created_at=planned.created_at
            )
            session.add(cell)
            await session.flush()
            people = {}
            for number, member in enumerate(planned.members):
                user_id += 1
                people[member.name] = await add_member(
                    session,
                    cell.id,
                    user_id,
                    member.name,
                    secretary=number == 0,
                    status=member.status,
                    joined_at=planned.created_at,
                    created_at=planned.created_at,
                )
            exempted = {m.name for m in planned.members if m.status is MemberStatus.EXEMPTED}
            for held in planned.meetings:
                scheduled_at = held.starts_at - timedelta(days=7)
                row = meeting_row(
                    cell.id,
                    held.kind,
                    held.starts_at,
                    status=MeetingStatus.CANCELLED if held.cancelled else MeetingStatus.SCHEDULED,
                    late=held.kind is MeetingKind.REGULAR and held.starts_at.day > CUTOFF_DAY,
                    created_at=scheduled_at,
                    broadcast_at=scheduled_at,
                    roll_closed_at=held.starts_at + timedelta(hours=2)
                    if held.roll_closed
                    else None,
                    minutes_recorded_at=held.starts_at + timedelta(days=1)
                    if held.minutes
                    else None,
                )
                session.add(row)
                await session.flush()
                for name, status in held.roll.items():
                    session.add(
                        Invitation(
                            meeting_id=row.id,
                            person_id=people[name],
                            invited_at=scheduled_at,
                            roll_status=status,
                            exempted=name in exempted,
                        )
                    )
                for author, handed_in in held.papers.items():
                    due_at = held.starts_at - timedelta(days=1)
                    await add_paper(
                        session,
                        row.id,
                        people[author],
                        due_at=due_at,
                        assigned_at=scheduled_at,
                        submitted_at=due_at - timedelta(hours=3) if handed_in else None,
                        file_name="tham-luan.pdf",
                        now=held.starts_at,
                    )
                if held.adopted is None:
                    continue
                resolution = Resolution(
                    meeting_id=row.id,
                    text="Nghị quyết",
                    status=ResolutionStatus.ADOPTED if held.adopted else ResolutionStatus.REJECTED,
                    created_at=held.starts_at,
                )
                session.add(resolution)
                await session.flush()
                for name, done in held.tasks.items():
                    session.add(
                        ResolutionTask(
                            resolution_id=resolution.id,
                            description="Nhiệm vụ",
                            person_id=people[name],
                            status=TaskStatus.DONE if done else TaskStatus.OPEN,
                            done_at=held.starts_at + timedelta(days=3) if done else None,
                            created_at=held.starts_at,
                        )
                    )
    return organisation


# --- the recount by hand -------------------------------------------------------------------


def in_the_year(meeting: PlannedMeeting) -> bool:
    return meeting.starts_at.year == YEAR and not meeting.cancelled


def member_recount(cell: PlannedCell, member: PlannedMember) -> list[Any]:
    """Expected, present, excused, unexcused, rate, papers assigned and handed in, tasks
    given and done: as a secretary would tick them off in the cell's books."""
    held = [m for m in cell.meetings if in_the_year(m)]
    marks: list[RollStatus] = []
    if member.status is not MemberStatus.EXEMPTED:
        marks = [m.roll[member.name] for m in held if m.roll_closed and member.name in m.roll]
    present, excused, unexcused = (marks.count(s) for s in (P, E, U))
    expected = len(marks)
    rate = None if expected == 0 else int(Fraction(100 * present, expected) + Fraction(1, 2)) / 100
    # A paper counts in the year it was due (the day before its meeting).
    papers = [
        m.papers[member.name]
        for m in cell.meetings
        if not m.cancelled
        and (m.starts_at - timedelta(days=1)).year == YEAR
        and member.name in m.papers
    ]
    tasks = [m.tasks[member.name] for m in held if m.adopted and member.name in m.tasks]
    return [
        cell.name,
        member.name,
        expected,
        present,
        excused,
        unexcused,
        rate,
        len(papers),
        sum(papers),
        len(tasks),
        sum(tasks),
    ]


def owes(cell: PlannedCell, month: int) -> bool:
    return cell.created_at.date() <= date(YEAR, month, CUTOFF_DAY)


def owes_quarter(cell: PlannedCell, quarter: int) -> bool:
    first = date(YEAR, 3 * quarter - 2, 1)
    end = date(YEAR + quarter // 4, 3 * quarter % 12 + 1, 1)
    existed = (end - max(cell.created_at.date(), first)).days
    return 2 * existed > (end - first).days


def cell_recount(cell: PlannedCell) -> list[Any]:
    """Each month: its first regular meeting, on or before the cutoff day or after it, or
    none; each quarter: a thematic meeting or none; then the meetings held and the minutes
    recorded."""
    months = []
    for month in range(1, 13):
        regular = sorted(
            m.starts_at
            for m in cell.meetings
            if in_the_year(m) and m.kind is MeetingKind.REGULAR and m.starts_at.month == month
        )
        if not owes(cell, month):
            months.append("not_owed")
        elif not regular:
            months.append("missed")
        else:
            months.append("on_time" if regular[0].day <= CUTOFF_DAY else "late")
    quarters = []
    for quarter in range(1, 5):
        held = any(
            in_the_year(m)
            and m.kind is MeetingKind.THEMATIC
            and (m.starts_at.month - 1) // 3 + 1 == quarter
            for m in cell.meetings
        )
        quarters.append(
            "not_owed" if not owes_quarter(cell, quarter) else "held" if held else "missed"
        )
    held_meetings = [m for m in cell.meetings if in_the_year(m)]
    return [
        cell.name,
        months.count("on_time"),
        months.count("late"),
        months.count("missed"),
        *(label(f"dashboard.square.{state}") for state in months),
        *(label(f"dashboard.thematic.{state}") for state in quarters),
        len(held_meetings),
        sum(1 for m in held_meetings if m.minutes),
    ]


async def test_the_years_workbook_agrees_with_a_recount_by_hand(database: Database) -> None:
    cells = plan()
    organisation = await load(database, cells)
    async with database.transaction() as session:
        record = await year_record(session, organisation, None, YEAR, NOW, SETTINGS, vi)
    attachment = workbook_file(record, vi, "to-chuc")
    assert attachment.file_name == "to-chuc-2026.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(attachment.content))
    cells_sheet = book[label("record.label.cells_sheet")]
    members_sheet = book[label("record.label.members_sheet")]
    header, rows = _rows_after_heading(cells_sheet)
    assert header[:4] == [
        label("record.label.cell"),
        label("record.label.on_time"),
        label("record.label.late"),
        label("record.label.missed"),
    ]
    assert header[4:16] == [f"{m:02d}/2026" for m in range(1, 13)]
    by_name = sorted(cells, key=lambda c: c.name)
    assert rows == [cell_recount(cell) for cell in by_name]
    _, member_rows = _rows_after_heading(members_sheet)
    assert member_rows == [
        member_recount(cell, member)
        for cell in by_name
        for member in sorted(cell.members, key=lambda m: m.name)
    ]
    # The plan holds every kind of figure: none of these columns is zero throughout.
    for column in (2, 3, 4, 5, 7, 8, 9, 10):
        assert any(row[column] for row in member_rows), header[column]
    squares = {value for row in rows for value in row[4:16]}
    assert squares == {
        label(f"dashboard.square.{state}") for state in ("on_time", "late", "missed", "not_owed")
    }


def _rows_after_heading(sheet: Any) -> tuple[list[Any], list[list[Any]]]:
    """The header row (after the sheet's heading and a blank row) and the rows under it."""
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    blank = next(i for i, row in enumerate(rows) if all(value is None for value in row))
    return rows[blank + 1], rows[blank + 2 :]


async def test_a_name_that_looks_like_a_formula_stays_a_name(database: Database) -> None:
    organisation = await load(database, plan())
    async with database.transaction() as session:
        record = await year_record(session, organisation, None, YEAR, NOW, SETTINGS, vi)
    content = workbook_file(record, vi, "to-chuc").content
    book = openpyxl.load_workbook(io.BytesIO(content))
    [injected] = [
        cell
        for row in book[label("record.label.members_sheet")].iter_rows()
        for cell in row
        if cell.value == INJECTED
    ]
    assert injected.data_type == "s"
    with zipfile.ZipFile(io.BytesIO(content)) as package:
        sheets = [n for n in package.namelist() if n.startswith("xl/worksheets/sheet")]
        assert sheets and not any(b"<f>" in package.read(name) for name in sheets)


def documents(bot: RunningBot, chat_id: int, since: int = 0) -> list[Any]:
    return [m for m in bot.emulator.messages(chat_id)[since:] if m.document is not None]


async def test_the_years_workbooks_and_archive_from_members_and_digest(bot: RunningBot) -> None:
    t = bot.t
    cell = await cell_with_members(bot, ["Lê Văn Minh", "Phạm Thu Hà"])
    lan, hung = cell.secretary, cell.supervisor
    members = await bot.send(lan, "/members")
    before = bot.emulator.message_count(lan.id)
    await bot.press(lan, members, t("vi", "record.button.cell_year"))
    [workbook] = documents(bot, lan.id, before)
    assert workbook.document["file_name"] == "Chi bộ Phòng Tổng hợp-2026.xlsx"
    assert workbook.text == t(
        "vi", "record.caption", name="Chi bộ Phòng Tổng hợp", period="01/01/2026 – 31/12/2026"
    )
    book = openpyxl.load_workbook(io.BytesIO(workbook.content or b""))
    _, rows = _rows_after_heading(book[t("vi", "record.label.members_sheet")])
    assert sorted(row[1] for row in rows) == sorted(
        ["Lê Văn Minh", "Nguyễn Thị Lan", "Phạm Thu Hà"]
    )
    assert all(row[2:6] == [0, 0, 0, 0] for row in rows)
    # A plain member has no /members, and so no button to press.
    assert (
        t("vi", "record.button.cell_year")
        not in (await bot.send(cell.members[0], "/members")).button_texts()
    )

    choose = await bot.send(hung, "/digest")
    before = bot.emulator.message_count(hung.id)
    await bot.press(hung, choose, t("vi", "record.button.organisation_year"))
    [organisation_book] = documents(bot, hung.id, before)
    assert organisation_book.document["file_name"] == "Đảng bộ Văn phòng UBND tỉnh-2026.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(organisation_book.content or b""))
    _, rows = _rows_after_heading(book[t("vi", "record.label.cells_sheet")])
    assert [row[0] for row in rows] == ["Chi bộ Phòng Tổng hợp"]

    before = bot.emulator.message_count(hung.id)
    await bot.press(hung, choose, t("vi", "record.button.archive"))
    [archive] = documents(bot, hung.id, before)
    assert archive.document["file_name"] == "Đảng bộ Văn phòng UBND tỉnh-2026.zip"
    [cell_row] = await bot.rows(Cell)
    with zipfile.ZipFile(io.BytesIO(archive.content or b"")) as package:
        assert package.namelist() == [
            "2026/Đảng bộ Văn phòng UBND tỉnh-2026.xlsx",
            f"2026/Chi bộ Phòng Tổng hợp ({cell_row.id})/Chi bộ Phòng Tổng hợp-2026.xlsx",
        ]
    assert archive.text == t(
        "vi", "record.archive_caption", name="Đảng bộ Văn phòng UBND tỉnh", count=2
    )
    # A secretary is no supervisor: the organisation's record is not theirs.
    assert t("vi", "record.button.archive") not in (await bot.send(lan, "/digest")).button_texts()


async def test_the_year_just_ended_is_delivered_once_in_january(bot: RunningBot) -> None:
    cell = await cell_with_members(bot, ["Lê Văn Minh"])
    lan, hung, minh = cell.secretary, cell.supervisor, cell.members[0]
    counts = {user.id: len(documents(bot, user.id)) for user in (lan, hung, minh)}
    await bot.run_planner()  # December: nothing of the year yet
    assert {user.id: len(documents(bot, user.id)) for user in (lan, hung, minh)} == counts
    bot.clock.set(datetime(2027, 1, 2, 8, 0, tzinfo=VIETNAM))
    await bot.run_planner()
    await bot.run_planner()  # a second run (or replica) queues nothing more
    [cell_book] = documents(bot, lan.id, counts[lan.id])
    assert cell_book.document["file_name"] == "Chi bộ Phòng Tổng hợp-2026.xlsx"
    assert cell_book.text == bot.t(
        "vi", "record.year_end_caption", name="Chi bộ Phòng Tổng hợp", year=2026
    )
    new_for_hung = [m.document["file_name"] for m in documents(bot, hung.id, counts[hung.id])]
    assert new_for_hung.count("Đảng bộ Văn phòng UBND tỉnh-2026.xlsx") == 1
    assert documents(bot, minh.id, counts[minh.id]) == []
    rows = await bot.rows(OutboxMessage, OutboxMessage.key.startswith("record:"))
    assert len(rows) == 2


async def test_year_end_delivery_waits_for_january_and_skips_later_cells(
    database: Database, tmp_path: Path
) -> None:
    organisation = await load(database, plan())
    async with database.transaction() as session:
        person_id = (await session.scalars(select(Invitation.person_id).limit(1))).one()
        session.add(
            SupervisorScope(
                person_id=person_id,
                organisation_id=organisation.id,
                cell_id=None,
                created_at=NOW,
            )
        )
        # A cell of the new year has no record of the year before.
        newer = Cell(
            organisation_id=organisation.id,
            name="Chi bộ mới",
            created_at=datetime(2027, 1, 1, 8, 0, tzinfo=VIETNAM),
        )
        session.add(newer)
        await session.flush()
        await add_member(
            session,
            newer.id,
            39_999,
            "Đỗ Văn Giang",
            secretary=True,
            status=MemberStatus.FULL,
            joined_at=newer.created_at,
            created_at=newer.created_at,
        )
    files = FileStore(tmp_path)
    render_for = lambda _lang: vi  # noqa: E731
    assert await queue_year_end(database, NOW.replace(day=8), SETTINGS, render_for, files) == 0
    assert await queue_year_end(database, NOW, SETTINGS, render_for, files) == 3
    assert await queue_year_end(database, NOW, SETTINGS, render_for, files) == 0


def test_org_export_writes_every_minutes_paper_and_workbook_of_the_year(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    url = f"sqlite+aiosqlite:///{tmp_path / 'chibo.db'}"
    monkeypatch.setenv("CHIBO_DATABASE_URL", url)
    monkeypatch.setenv("CHIBO_FILE_STORE", str(tmp_path / "files"))
    cells = plan()

    async def seed() -> dict[str, int]:
        database = Database(url)
        await migrate.upgrade(database)
        organisation = await load(database, cells)
        store = FileStore(tmp_path / "files")
        async with database.transaction() as session:
            for stored in await session.scalars(select(StoredFile)):
                store.path(stored.sha256).parent.mkdir(parents=True, exist_ok=True)
                store.path(stored.sha256).write_bytes(b"%PDF-1.4 paper")
            ids = {c.name: c.id for c in await session.scalars(select(Cell))}
        await database.dispose()
        assert organisation.name == "Đảng bộ Phường Tân Định"
        return ids

    ids = asyncio.run(seed())
    out = tmp_path / "archive.zip"
    assert (
        main(["org", "export", "Đảng bộ Phường Tân Định", "--year", "2026", "--out", str(out)]) == 0
    )
    with zipfile.ZipFile(out) as package:
        names = package.namelist()
        assert package.read(names[-1]) == b"%PDF-1.4 paper"
    folders = {name: f"2026/{name} ({ids[name]})" for name in ids}
    assert names[: 1 + len(cells)] == [
        "2026/Đảng bộ Phường Tân Định-2026.xlsx",
        *(f"{folders[c]}/{c}-2026.xlsx" for c in sorted(ids)),
    ]
    minutes = sorted(
        (folders[cell.name], f"{m.starts_at:%Y%m%d}")
        for cell in cells
        for m in cell.meetings
        if in_the_year(m) and m.minutes
    )
    assert (
        sorted(
            (name.rsplit("/", 1)[0], name.rsplit("/", 1)[1].split("-")[2])
            for name in names
            if name.endswith(".docx")
        )
        == minutes
    )
    papers = sorted(
        (folders[cell.name], f"{m.starts_at:%Y%m%d}", author)
        for cell in cells
        for m in cell.meetings
        if in_the_year(m)
        for author, handed_in in m.papers.items()
        if handed_in
    )
    assert (
        sorted(
            (folder, day.split("-")[2], entry.split(" - ")[1])
            for folder, day, entry in (
                name.rsplit("/", 2) for name in names if name.endswith(".pdf")
            )
        )
        == papers
    )
    assert len(names) == 1 + len(cells) + len(minutes) + len(papers)
    # Unknown organisations are one line, and no file is left behind.
    assert main(["org", "export", "Không có", "--out", str(tmp_path / "none.zip")]) == 2
    assert not (tmp_path / "none.zip").exists()


async def test_an_archive_too_large_for_telegram_is_left_to_the_operator(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(delivery, "MAX_CHAT_ARCHIVE", 100)
    cell = await cell_with_members(bot, ["Lê Văn Minh"])
    hung = cell.supervisor
    choose = await bot.send(hung, "/digest")
    before = bot.emulator.message_count(hung.id)
    update_id = bot.emulator.press_button(hung, choose, text=bot.t("vi", "record.button.archive"))
    await bot.settle(update_id)
    answer = bot.emulator.callback_answer(update_id)
    assert answer is not None and answer.get("show_alert") is True
    assert answer.get("text") == bot.t(
        "vi", "record.archive_too_large", name="Đảng bộ Văn phòng UBND tỉnh"
    )
    assert documents(bot, hung.id, before) == []
