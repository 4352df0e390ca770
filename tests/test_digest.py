"""The supervisors' digest: figures for a hand-built quarter, scope, query count, delivery."""

from __future__ import annotations

import asyncio
import gc
import io
import json
from datetime import datetime, timedelta
from typing import Any, cast

import openpyxl
from sqlalchemy import delete, event, select

from domain.attendance import RollStatus
from domain.digest import BehindReason, Period, RegularState, last_week
from domain.meetings import MeetingKind
from domain.messages import Text
from domain.roles import MemberStatus
from services.config import ServiceSettings
from services.digest.figures import digest_figures
from services.digest.report import period_label, render_files, summary_text
from services.digest.weekly import queue_weekly
from storage.db import Database
from storage.files import FileStore
from storage.models import (
    Cell,
    Invitation,
    Meeting,
    MeetingObserver,
    Organisation,
    OutboxMessage,
    Person,
    SupervisorScope,
)
from storage.repositories import supervisor_scopes
from tests.conftest import VIETNAM
from tests.harness import (
    RunningBot,
    add_member,
    add_paper,
    cell_with_members,
    meeting_row,
    plan_and_send,
)

SETTINGS = ServiceSettings(default_language="vi", member_invite_days=14, zone=VIETNAM)
NOW = datetime(2026, 12, 14, 9, 0, tzinfo=VIETNAM)  # a Monday; the cutoff (10th) has passed


def local(month: int, day: int, hour: int = 19) -> datetime:
    return datetime(2026, month, day, hour, 30, tzinfo=VIETNAM)


def render(text: Text) -> str:
    return text.key


class Quarter:
    """Builds a quarter of meetings straight into the database, with known answers."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.next_user = 1000

    async def organisation(self) -> Organisation:
        async with self.database.transaction() as session:
            organisation = Organisation(
                name="Đảng bộ Xã", cutoff_day=10, created_at=NOW - timedelta(days=120)
            )
            session.add(organisation)
        return organisation

    async def cell(
        self,
        organisation: Organisation,
        name: str,
        members: int,
        created_at: datetime = NOW - timedelta(days=120),
    ) -> list[int]:
        async with self.database.transaction() as session:
            cell = Cell(organisation_id=organisation.id, name=name, created_at=created_at)
            session.add(cell)
            await session.flush()
            people = []
            for number in range(members):
                self.next_user += 1
                person_id = await add_member(
                    session,
                    cell.id,
                    self.next_user,
                    f"{name} {number}",
                    secretary=number == 0,
                    status=MemberStatus.FULL,
                    joined_at=NOW - timedelta(days=90),
                    created_at=NOW,
                )
                people.append(person_id)
        return [cell.id, *people]

    async def meeting(
        self,
        cell_and_people: list[int],
        kind: MeetingKind,
        starts_at: datetime,
        roll: list[RollStatus] | None,
        minutes: bool = True,
        late: bool = False,
    ) -> int:
        cell_id, *people = cell_and_people
        async with self.database.transaction() as session:
            meeting = meeting_row(
                cell_id,
                kind,
                starts_at,
                late=late,
                created_at=starts_at - timedelta(days=10),
                broadcast_at=starts_at - timedelta(days=9),
                roll_closed_at=starts_at + timedelta(hours=1) if roll is not None else None,
                minutes_recorded_at=starts_at + timedelta(days=1) if minutes else None,
            )
            session.add(meeting)
            await session.flush()
            for person_id, status in zip(people, roll or [], strict=False):
                session.add(
                    Invitation(
                        meeting_id=meeting.id,
                        person_id=person_id,
                        invited_at=starts_at,
                        roll_status=status,
                    )
                )
        return meeting.id

    async def paper(
        self, meeting_id: int, person_id: int, due: datetime, submitted_at: datetime | None
    ) -> None:
        async with self.database.transaction() as session:
            await add_paper(
                session,
                meeting_id,
                person_id,
                due_at=due,
                assigned_at=NOW,
                submitted_at=submitted_at,
                file_name="a.pdf",
                now=NOW,
            )

    async def supervisor(
        self,
        organisation: Organisation,
        telegram_user_id: int,
        full_name: str = "Giám Sát",
        cell_ids: tuple[int | None, ...] = (None,),
    ) -> Person:
        """A supervisor of the cells named (None: the whole organisation)."""
        async with self.database.transaction() as session:
            person = Person(telegram_user_id=telegram_user_id, full_name=full_name, created_at=NOW)
            session.add(person)
            await session.flush()
            for cell_id in cell_ids:
                session.add(supervision(person, organisation, cell_id, NOW))
        return person


def supervision(
    person: Person, organisation: Organisation, cell_id: int | None, at: datetime
) -> SupervisorScope:
    return SupervisorScope(
        person_id=person.id, organisation_id=organisation.id, cell_id=cell_id, created_at=at
    )


def render_for(_: str) -> Any:
    return render


P, E, U = RollStatus.PRESENT, RollStatus.EXCUSED, RollStatus.UNEXCUSED


async def build(database: Database) -> tuple[Organisation, dict[str, list[int]]]:
    q = Quarter(database)
    organisation = await q.organisation()
    cells = {
        "A": await q.cell(organisation, "Chi bộ A", 10),
        "B": await q.cell(organisation, "Chi bộ B", 10),
        "C": await q.cell(organisation, "Chi bộ C", 6),
    }
    # A: every month on time, full attendance but one, a thematic meeting, papers on time.
    for month in (10, 11, 12):
        await q.meeting(cells["A"], MeetingKind.REGULAR, local(month, 5), [P] * 9 + [E])
    thematic = await q.meeting(cells["A"], MeetingKind.THEMATIC, local(11, 20), [P] * 10)
    await q.paper(thematic, cells["A"][2], local(11, 17), local(11, 16))
    # B: December's meeting late (the 12th), 6 of 10 present (no quorum: needs 7), no minutes.
    for month in (10, 11):
        await q.meeting(cells["B"], MeetingKind.REGULAR, local(month, 8), [P] * 10)
    await q.meeting(
        cells["B"], MeetingKind.REGULAR, local(12, 12), [P] * 6 + [U] * 4, minutes=False, late=True
    )
    # C: no December meeting, missed November; a paper due last week never sent; member 1
    # absent without reason at both meetings this year (at risk).
    await q.meeting(cells["C"], MeetingKind.REGULAR, local(10, 3), [P, U] + [P] * 4)
    committee = await q.meeting(cells["C"], MeetingKind.COMMITTEE, local(12, 8), [P, U] + [P] * 4)
    await q.paper(committee, cells["C"][3], local(12, 9), None)
    return organisation, cells


async def test_figures_for_a_hand_built_quarter(database: Database) -> None:
    organisation, _ = await build(database)
    period = Period(datetime(2026, 12, 7, tzinfo=VIETNAM), datetime(2026, 12, 14, tzinfo=VIETNAM))
    async with database.transaction() as session:
        figures = await digest_figures(
            session, organisation, None, period, NOW, SETTINGS, render, "07/12/2026 – 13/12/2026"
        )
    by_name = {c.name: c for c in figures.cells}
    a, b, c = by_name["Chi bộ A"], by_name["Chi bộ B"], by_name["Chi bộ C"]

    assert (a.regular, b.regular, c.regular) == (
        RegularState.ON_TIME,
        RegularState.LATE,
        RegularState.MISSING,
    )
    # A's meeting of the 5th is outside the period (7–13 Dec): no roll in the period.
    assert a.attendance_percent is None and a.behind == []
    assert a.thematic_at == local(11, 20)
    # B: 6 of 10 present is 60%, under 90%, and under the quorum of 7 (2/3 of 10); its
    # minutes (meeting on the 12th) are not overdue before the 15th.
    assert (b.attendance_percent, b.quorum_ok) == (60, False)
    assert b.reasons == [
        BehindReason.NO_REGULAR_AT_CUTOFF,
        BehindReason.NO_THEMATIC,
        BehindReason.LOW_ATTENDANCE,
        BehindReason.NO_QUORUM,
    ]
    # C: its committee meeting (8 Dec) is in the period: 5 of 6 present is 83%.
    assert (c.attendance_percent, c.quorum_ok) == (83, True)
    assert (c.papers_assigned, c.papers_submitted, c.papers_late) == (1, 0, 0)
    assert c.reasons == [
        BehindReason.NO_REGULAR_AT_CUTOFF,
        BehindReason.MISSED_MONTH,
        BehindReason.NO_THEMATIC,
        BehindReason.LOW_ATTENDANCE,
        BehindReason.PAPERS_MISSING,
    ]
    assert [(m.name, m.unexcused) for m in c.at_risk] == [("Chi bộ C 1", 2)]
    # The organisation: 1 of 3 cells on time (33%), mean of 60% and 83% (72%), 1 of 3 with a
    # thematic meeting this quarter.
    assert (figures.on_time_percent, figures.mean_attendance_percent, figures.thematic_percent) == (
        33,
        72,
        33,
    )
    # Most reasons first: C (5) before B (4).
    assert [cell.name for cell in figures.behind] == ["Chi bộ C", "Chi bộ B"]


async def test_a_bounded_number_of_queries_whatever_the_number_of_cells(
    database: Database,
) -> None:
    organisation, _ = await build(database)
    period = last_week(NOW, VIETNAM)

    async def statements() -> int:
        count = 0

        def counted(*_: Any) -> None:
            nonlocal count
            count += 1

        event.listen(database.engine.sync_engine, "before_cursor_execute", counted)
        try:
            async with database.transaction() as session:
                await digest_figures(session, organisation, None, period, NOW, SETTINGS, render, "")
        finally:
            event.remove(database.engine.sync_engine, "before_cursor_execute", counted)
        return count

    with_three = await statements()
    q = Quarter(database)
    q.next_user = 5000
    for number in range(6):
        extra = await q.cell(organisation, f"Chi bộ thêm {number}", 8)
        await q.meeting(extra, MeetingKind.REGULAR, local(12, 9), [P] * 8)
    assert await statements() == with_three


async def test_the_garbage_collector_runs_again_once_overlapping_digests_are_counted(
    database: Database,
) -> None:
    organisation, _ = await build(database)

    async def counted() -> None:
        async with database.transaction() as session:
            await digest_figures(
                session, organisation, None, last_week(NOW, VIETNAM), NOW, SETTINGS, render, ""
            )

    await asyncio.gather(counted(), counted(), counted())
    assert gc.isenabled()
    # Switched off by someone else, it stays off.
    gc.disable()
    try:
        await counted()
        assert not gc.isenabled()
    finally:
        gc.enable()


async def test_a_supervisor_sees_only_the_cells_in_scope(database: Database) -> None:
    organisation, cells = await build(database)
    supervisor = await Quarter(database).supervisor(
        organisation, 1, cell_ids=(cells["A"][0], cells["B"][0])
    )
    async with database.transaction() as session:
        [(key, cell_ids)] = (await supervisor_scopes(session, [supervisor.id])).items()
        figures = await digest_figures(
            session,
            organisation,
            cell_ids,
            last_week(NOW, VIETNAM),
            NOW,
            SETTINGS,
            render,
            "",
        )
    assert sorted(c.name for c in figures.cells) == ["Chi bộ A", "Chi bộ B"]
    assert key == (supervisor.id, organisation.id)


async def test_weekly_digest_exactly_once_and_caught_up_after_downtime(
    database: Database, tmp_path: Any
) -> None:
    organisation, _ = await build(database)
    supervisor = await Quarter(database).supervisor(organisation, 7)
    files = FileStore(tmp_path)
    # Monday 06:59: not yet. The bot is down on Monday; it comes back on Wednesday.
    assert (
        await queue_weekly(database, NOW.replace(hour=6, minute=59), SETTINGS, render_for, files)
        == 0
    )
    wednesday = NOW + timedelta(days=2)
    assert await queue_weekly(database, wednesday, SETTINGS, render_for, files) == 1
    # A restart, or a second replica, the same week: nothing more.
    assert (
        await queue_weekly(database, wednesday + timedelta(hours=1), SETTINGS, render_for, files)
        == 0
    )
    async with database.transaction() as session:
        rows = (await session.scalars(select_digest_rows())).all()
    assert sorted(
        row.key.rsplit(":", 1)[-1] if row.method == "sendDocument" else "message" for row in rows
    ) == ["message", "png", "xlsx"]
    # An organisation created this week has no digest for last week.
    async with database.transaction() as session:
        newcomer = Organisation(name="Đảng bộ Mới", cutoff_day=10, created_at=wednesday)
        session.add(newcomer)
        await session.flush()
        session.add(supervision(supervisor, newcomer, None, wednesday))
    assert (
        await queue_weekly(database, wednesday + timedelta(hours=2), SETTINGS, render_for, files)
        == 0
    )
    # The next Monday brings the next week's digest (both organisations now).
    assert await queue_weekly(database, NOW + timedelta(days=7), SETTINGS, render_for, files) == 2


async def test_two_replicas_drawing_the_same_digest_queue_it_once(
    database: Database, tmp_path: Any
) -> None:
    organisation, _ = await build(database)
    for n in range(2):
        await Quarter(database).supervisor(organisation, 70 + n, f"Giám Sát {n}")
    files = FileStore(tmp_path)
    # Both replicas find both digests due, draw them meanwhile, and race to queue them.
    queued = await asyncio.gather(
        queue_weekly(database, NOW, SETTINGS, render_for, files),
        queue_weekly(database, NOW, SETTINGS, render_for, files),
    )
    assert sum(queued) == 2
    async with database.transaction() as session:
        rows = (await session.scalars(select_digest_rows())).all()
    assert sorted((row.chat_id, row.method) for row in rows) == [
        (70, "sendDocument"),
        (70, "sendDocument"),
        (70, "sendMessage"),
        (71, "sendDocument"),
        (71, "sendDocument"),
        (71, "sendMessage"),
    ]


async def test_supervisors_sharing_cells_get_the_digests_each_would_alone_from_one_count(
    database: Database, tmp_path: Any
) -> None:
    organisation, cells = await build(database)
    q = Quarter(database)
    # A working group's member reported from C's committee meeting last week.
    async with database.transaction() as session:
        committee = await session.scalar(
            select(Meeting.id).where(Meeting.cell_id == cells["C"][0], Meeting.kind == "committee")
        )
        assert committee is not None
        session.add(
            MeetingObserver(
                meeting_id=committee,
                person_id=cells["A"][1],
                assigned_at=NOW - timedelta(days=10),
                observations="Cần chuẩn bị nghị quyết kỹ hơn.",
                observed_at=local(12, 9),
            )
        )
    a, b, c = (cells[name][0] for name in "ABC")
    scopes: list[tuple[int | None, ...]] = [(a,), (a, b), (b, c), (None,), (a, b)]
    for number, scope in enumerate(scopes):
        await q.supervisor(organisation, 80 + number, f"Giám Sát {number}", cell_ids=scope)
    files = FileStore(tmp_path)

    async def reading_rolls(now: datetime) -> int:
        """The statements reading roll lines while the week's digests are queued."""
        count = 0

        def counted(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            nonlocal count
            count += "invitation" in statement

        event.listen(database.engine.sync_engine, "before_cursor_execute", counted)
        try:
            assert await queue_weekly(database, now, SETTINGS, render_for, files) == len(scopes)
        finally:
            event.remove(database.engine.sync_engine, "before_cursor_execute", counted)
        return count

    five = await reading_rolls(NOW)
    period = last_week(NOW, VIETNAM)
    async with database.transaction() as session:
        rows = (await session.scalars(select_digest_rows())).all()
        for number, scope in enumerate(scopes):
            alone = await digest_figures(
                session,
                organisation,
                None if scope == (None,) else set(cast(tuple[int, ...], scope)),
                period,
                NOW,
                SETTINGS,
                render,
                period_label(period, VIETNAM),
            )
            mine = {row.method: row for row in rows if row.chat_id == 80 + number}
            text = mine["sendMessage"].payload["text"]
            assert text == summary_text(alone).to_json()
            [workbook] = [
                row for row in rows if row.chat_id == 80 + number and row.key.endswith(":xlsx")
            ]
            [_, expected] = render_files(alone, render, "x")
            assert sheets(files.get(workbook.payload["stored"])) == sheets(expected.content)
    # Only C's digests report the observation.
    assert [
        "Cần chuẩn bị nghị quyết" in json.dumps(row.payload, ensure_ascii=False)
        for row in sorted(rows, key=lambda row: row.chat_id)
        if row.method == "sendMessage"
    ] == [False, False, True, True, False]
    # The rolls are read as often for one supervisor as for five.
    async with database.transaction() as session:
        for person_id in await session.scalars(
            select(SupervisorScope.person_id).where(SupervisorScope.cell_id.is_not(None))
        ):
            await session.execute(
                delete(SupervisorScope).where(SupervisorScope.person_id == person_id)
            )
    scopes = [(None,)]
    assert await reading_rolls(NOW + timedelta(days=7)) == five


def sheets(content: bytes) -> list[list[tuple[Any, ...]]]:
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    return [list(sheet.iter_rows(values_only=True)) for sheet in workbook.worksheets]


def select_digest_rows() -> Any:
    return select(OutboxMessage).where(OutboxMessage.key.startswith("digest:"))


async def test_digest_on_demand_with_chart_and_workbook(bot: RunningBot) -> None:
    t = bot.t
    cell = await cell_with_members(bot, ["Lê Văn Minh"])
    hung = cell.supervisor
    choose = await bot.send(hung, "/digest")
    assert choose.button_texts() == [
        t("vi", "digest.period.week"),
        t("vi", "digest.period.month"),
        t("vi", "digest.period.quarter"),
        t("vi", "record.button.organisation_year"),
        t("vi", "record.button.archive"),
    ]
    before = bot.emulator.message_count(hung.id)
    await bot.press(hung, choose, t("vi", "digest.period.quarter"))
    summary, chart, workbook = bot.emulator.messages(hung.id)[before:]
    assert (summary.text or "").startswith("📊 Tổng hợp sinh hoạt chi bộ — Đảng bộ Văn phòng")
    assert chart.document is not None and (chart.content or b"").startswith(b"\x89PNG")
    assert workbook.document is not None and workbook.document["file_name"].endswith(".xlsx")
    book = openpyxl.load_workbook(io.BytesIO(workbook.content or b""))
    summary_sheet = book[t("vi", "digest.label.summary_sheet")]
    values = [c.value for row in summary_sheet.iter_rows() for c in row]
    assert "Chi bộ Phòng Tổng hợp" in values and t("vi", "digest.state.missing") in values
    # A member asking for the digest is refused.
    assert (await bot.send(cell.members[0], "/digest")).text == t("vi", "error.not_supervisor")


async def test_a_working_group_member_attends_and_reports(bot: RunningBot) -> None:
    t, emu = bot.t, bot.emulator
    cell = await cell_with_members(bot, ["Lê Văn Minh"])
    hung, lan = cell.supervisor, cell.secretary
    kinds = await bot.send(lan, "/schedule")
    await bot.press(lan, kinds, t("vi", "meeting.kind.regular"))
    await bot.send(lan, "05/12 19:30")
    await bot.press(lan, await bot.send(lan, "Hội trường"), t("vi", "schedule.create"))
    overview = await bot.send(hung, "/cells")
    menu = await bot.press(hung, overview, "Chi bộ Phòng Tổng hợp")
    meetings = await bot.press(hung, menu, "👁 Tổ công tác dự họp: Chi bộ Phòng Tổng hợp")
    people = await bot.press(hung, meetings, meetings.button_texts()[0])
    done = await bot.press(hung, people, "Trần Văn Hùng")
    assert (done.text or "").startswith("Đã cử Trần Văn Hùng dự họp.")
    assert any(
        (m.text or "").startswith("👁 Cấp ủy cấp trên cử Trần Văn Hùng")
        for m in emu.messages(lan.id)
    )
    # The morning after, the observer is asked for observations, with a button.
    bot.clock.set(datetime(2026, 12, 6, 8, 0, tzinfo=VIETNAM))
    await plan_and_send(bot)
    [prompt] = [m for m in emu.messages(hung.id) if (m.text or "").startswith("📝 Xin gửi")]
    assert prompt.button_texts() == [t("vi", "observer.report_button")]
    await bot.press(hung, prompt, t("vi", "observer.report_button"))
    thanks = await bot.send(hung, "Chi bộ sinh hoạt nề nếp; kiến nghị tăng thảo luận.")
    assert thanks.text == t("vi", "observer.thanks")
    assert any("kiến nghị tăng thảo luận" in (m.text or "") for m in emu.messages(lan.id))
    # The digest of the week shows it.
    choose = await bot.send(hung, "/digest")
    before = emu.message_count(hung.id)
    await bot.press(hung, choose, t("vi", "digest.period.week"))
    summary = emu.messages(hung.id)[before]
    assert "Chi bộ Phòng Tổng hợp — Trần Văn Hùng: Chi bộ sinh hoạt nề nếp" in (summary.text or "")
