"""The year's record: its workbook's figures against a recount by hand, texts kept as data,
the buttons under /members and /digest, the delivery at the year's end, and `chibo org
export`'s archive.

The recount reads only the plan below, as a person would count from the cells' books: which
meetings were held (cancelled ones are not), how each member was marked on the closed rolls
(an exempted member never counts), which papers were due in the year and handed in, which
tasks the adopted resolutions gave and which were done, and how each month's regular meeting
and each quarter's thematic one stood against the cutoff day."""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import Any

import openpyxl

from chat.i18n import Translator
from domain.attendance import RollStatus
from domain.meetings import MeetingKind, MeetingStatus
from domain.messages import Text
from domain.resolutions import ResolutionStatus, TaskStatus
from domain.roles import MemberStatus
from services.config import ServiceSettings
from services.record.year import workbook_file, year_record
from storage.db import Database
from storage.models import (
    Cell,
    Invitation,
    Organisation,
    Resolution,
    ResolutionTask,
)
from tests.conftest import VIETNAM
from tests.harness import add_member, add_paper, meeting_row

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
