"""The organisations' and cells' figures revisions, bumped by the database itself: every
write of what the digest's figures read bumps one, in the writer's transaction, and nothing
else does.
This is what lets the dashboard keep an overview's figures between requests, and work out
again only the cells whose figures may have changed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path

from sqlalchemy import Select, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from chat.i18n import Translator
from domain.attendance import RollStatus
from domain.calendar import MINUTES_DUE_AFTER
from domain.dashboard import Lens
from domain.digest import DigestFigures
from domain.freshness import figures_valid_until
from domain.meetings import MeetingKind
from domain.messages import Text
from domain.roles import MemberStatus
from domain.webapp import WebAppUser
from services.config import ServiceSettings
from services.dashboard.kept import Kept
from services.dashboard.pages import Overview, OverviewAsked, OverviewFigures, WebRequest, home
from services.digest.figures import digest_figures
from storage.db import Database
from storage.files import FileStore
from storage.models import (
    Cell,
    CellFiguresRevision,
    FiguresRevision,
    Invitation,
    Meeting,
    MeetingObserver,
    Organisation,
    PaperAssignment,
    PaperSubmission,
    Person,
    SupervisorScope,
)
from storage.queries.dashboard import figures_stamp
from tests.conftest import VIETNAM
from tests.harness import add_member, add_paper, held_meeting, meeting_ahead, meeting_row

NOW = datetime(2026, 12, 14, 9, 0, tzinfo=VIETNAM)
Write = Callable[[AsyncSession], Awaitable[object]]


async def _revisions(
    database: Database, first_names: dict[int, str] | None = None
) -> dict[str, int]:
    """Every counter, by the organisation's name or the cell's first name (a renamed cell's
    counter is still its own)."""
    async with database.transaction() as session:
        organisations = await session.execute(
            select(Organisation.name, FiguresRevision.revision).join(
                FiguresRevision, FiguresRevision.organisation_id == Organisation.id
            )
        )
        cells = await session.execute(
            select(Cell.id, Cell.name, CellFiguresRevision.revision).join(
                CellFiguresRevision, CellFiguresRevision.cell_id == Cell.id
            )
        )
        names = {} if first_names is None else first_names
        counted = {name: revision for name, revision in organisations.all()}
        for cell_id, name, revision in cells.all():
            counted[names.setdefault(cell_id, name)] = revision
        return counted


def _bumped(before: dict[str, int], after: dict[str, int]) -> set[str]:
    return {name for name, revision in after.items() if revision > before.get(name, -1)}


async def _organisation(session: AsyncSession, name: str) -> int:
    organisation = Organisation(name=name, cutoff_day=10, created_at=NOW)
    session.add(organisation)
    await session.flush()
    cell = Cell(organisation_id=organisation.id, name=f"Chi bộ của {name}", created_at=NOW)
    session.add(cell)
    await session.flush()
    person = await add_member(
        session,
        cell.id,
        organisation.id * 100,
        f"Đảng viên {name}",
        secretary=True,
        status=MemberStatus.FULL,
        joined_at=NOW,
        created_at=NOW,
    )
    held = NOW - timedelta(days=5)
    meeting = meeting_row(
        cell.id,
        MeetingKind.REGULAR,
        held,
        late=False,
        created_at=held,
        broadcast_at=held,
        roll_closed_at=None,
        minutes_recorded_at=None,
    )
    session.add(meeting)
    await session.flush()
    session.add(Invitation(meeting_id=meeting.id, person_id=person, invited_at=held))
    return organisation.id


async def test_each_write_the_figures_read_bumps_its_organisation_and_nothing_else_does(
    database: Database,
) -> None:
    async with database.transaction() as session:
        await _organisation(session, "Đảng bộ A")
        await _organisation(session, "Đảng bộ B")
    # A new organisation and a new cell start with a counter of their own.
    assert set(await _revisions(database)) == {
        "Đảng bộ A",
        "Đảng bộ B",
        "Chi bộ của Đảng bộ A",
        "Chi bộ của Đảng bộ B",
    }

    async def of_a(session: AsyncSession) -> tuple[int, int, int, int]:
        cell = await session.scalar(select(Cell).where(Cell.name == "Chi bộ của Đảng bộ A"))
        assert cell is not None
        meeting = await session.scalar(select(Meeting).where(Meeting.cell_id == cell.id))
        assert meeting is not None
        invitation = await session.scalar(
            select(Invitation).where(Invitation.meeting_id == meeting.id)
        )
        assert invitation is not None
        return cell.organisation_id, cell.id, meeting.id, invitation.person_id

    async def add_cell(session: AsyncSession) -> None:
        organisation, *_ = await of_a(session)
        session.add(Cell(organisation_id=organisation, name="Chi bộ mới", created_at=NOW))

    async def on_meeting(session: AsyncSession, **values: object) -> None:
        _, _, meeting, _ = await of_a(session)
        await session.execute(update(Meeting).where(Meeting.id == meeting).values(**values))

    async def on_invitation(session: AsyncSession, **values: object) -> None:
        _, _, meeting, _ = await of_a(session)
        await session.execute(
            update(Invitation).where(Invitation.meeting_id == meeting).values(**values)
        )

    async def new_meeting(session: AsyncSession) -> None:
        _, cell, _, _ = await of_a(session)
        ahead = NOW + timedelta(days=3)
        session.add(meeting_ahead(cell, ahead, NOW, MeetingKind.THEMATIC))

    async def paper(session: AsyncSession, submitted: bool) -> None:
        _, _, meeting, person = await of_a(session)
        await add_paper(
            session,
            meeting,
            person,
            due_at=NOW,
            assigned_at=NOW - timedelta(days=9),
            submitted_at=NOW - timedelta(days=1) if submitted else None,
            file_name="tham-luan.pdf",
            now=NOW,
        )

    async def replace_submission(session: AsyncSession) -> None:
        await session.execute(update(PaperSubmission).values(replaced_at=NOW))

    async def move_paper(session: AsyncSession) -> None:
        await session.execute(update(PaperAssignment).values(due_at=NOW + timedelta(days=1)))

    async def observe(session: AsyncSession) -> None:
        _, _, meeting, person = await of_a(session)
        session.add(MeetingObserver(meeting_id=meeting, person_id=person, assigned_at=NOW))

    async def observed_from_b(session: AsyncSession) -> None:
        _, _, meeting, _ = await of_a(session)
        observer = await session.scalar(
            select(Person.id).where(Person.full_name == "Đảng viên Đảng bộ B")
        )
        assert observer is not None
        session.add(MeetingObserver(meeting_id=meeting, person_id=observer, assigned_at=NOW))

    async def report(session: AsyncSession) -> None:
        await session.execute(update(MeetingObserver).values(observations="Tốt", observed_at=NOW))

    async def rename(session: AsyncSession, name: str, to: str) -> None:
        await session.execute(update(Person).where(Person.full_name == name).values(full_name=to))

    async def drop_meeting_ahead(session: AsyncSession) -> None:
        await session.execute(delete(Meeting).where(Meeting.kind == MeetingKind.THEMATIC))

    async def drop_roll_entry(session: AsyncSession) -> None:
        _, _, meeting, _ = await of_a(session)
        await session.execute(delete(Invitation).where(Invitation.meeting_id == meeting))

    async def settings(session: AsyncSession, **values: object) -> None:
        await session.execute(
            update(Organisation).where(Organisation.name == "Đảng bộ A").values(**values)
        )

    # (what is written, the counters it bumps: the organisation's or a cell's)
    organisation, cell, nothing = {"Đảng bộ A"}, {"Chi bộ của Đảng bộ A"}, set[str]()
    writes: list[tuple[str, Write, set[str]]] = [
        # A new cell's counter starts with it, and the organisation's list of cells changes.
        ("a cell added", add_cell, {"Đảng bộ A", "Chi bộ mới"}),
        ("a cell renamed", lambda s: _rename_cell(s, "Chi bộ mới", "Chi bộ đổi tên"), organisation),
        ("a meeting scheduled", new_meeting, cell),
        ("a meeting moved", lambda s: on_meeting(s, starts_at=NOW - timedelta(days=4)), cell),
        ("its place changed", lambda s: on_meeting(s, place="Phòng họp 2"), nothing),
        ("an answer to the invitation", lambda s: on_invitation(s, response="attend"), nothing),
        ("the roll taken", lambda s: on_invitation(s, roll_status=RollStatus.PRESENT), cell),
        ("the roll closed", lambda s: on_meeting(s, roll_closed_at=NOW - timedelta(days=4)), cell),
        (
            "a roll entry corrected",
            lambda s: on_invitation(s, roll_status=RollStatus.EXCUSED),
            cell,
        ),
        ("a roll entry exempted", lambda s: on_invitation(s, exempted=True), cell),
        ("its reason noted", lambda s: on_invitation(s, reason_note="ốm"), nothing),
        ("the minutes recorded", lambda s: on_meeting(s, minutes_recorded_at=NOW), cell),
        ("a paper assigned", lambda s: paper(s, submitted=False), cell),
        ("a paper handed in", lambda s: paper(s, submitted=True), cell),
        ("a paper handed in again", replace_submission, cell),
        ("a paper's due time moved", move_paper, cell),
        ("an observer assigned", observe, cell),
        ("their observations", report, cell),
        ("a member renamed", lambda s: rename(s, "Đảng viên Đảng bộ A", "Đảng viên Đổi Tên"), cell),
        ("B's member observes a meeting of A's", observed_from_b, cell),
        # Renamed, they are named in both cells' figures: as a member, and as an observer.
        (
            "the observer renamed",
            lambda s: rename(s, "Đảng viên Đảng bộ B", "Người Quan Sát"),
            {"Chi bộ của Đảng bộ A", "Chi bộ của Đảng bộ B"},
        ),
        ("the cutoff day changed", lambda s: settings(s, cutoff_day=5), organisation),
        ("the plan-by day set", lambda s: settings(s, plan_due_day=20), organisation),
        ("the reminders changed", lambda s: settings(s, reminder_offsets_minutes=[60]), nothing),
        ("a meeting deleted", drop_meeting_ahead, cell),
        ("a roll entry deleted", drop_roll_entry, cell),
    ]
    first_names: dict[int, str] = {}
    for said, write, bumps in writes:
        before = await _revisions(database, first_names)
        async with database.transaction() as session:
            await write(session)
        assert _bumped(before, await _revisions(database, first_names)) == bumps, said


async def _rename_cell(session: AsyncSession, name: str, to: str) -> None:
    await session.execute(update(Cell).where(Cell.name == name).values(name=to))


async def test_a_write_rolled_back_leaves_the_revision_as_it_was(database: Database) -> None:
    async with database.transaction() as session:
        await _organisation(session, "Đảng bộ A")
    before = await _revisions(database)

    class Undone(Exception):
        pass

    try:
        async with database.transaction() as session:
            await session.execute(update(Meeting).values(minutes_recorded_at=NOW))
            raise Undone
    except Undone:
        pass
    assert await _revisions(database) == before


# --- the clock: figures kept until the first moment they may turn ---------------------------

SETTINGS = ServiceSettings(default_language="vi", member_invite_days=14, zone=VIETNAM)
TRANSLATOR = Translator(VIETNAM, "vi")
# Two days before December's cutoff (the 10th): the month's regular meeting is still ahead.
START = datetime(2026, 12, 8, 10, 0, tzinfo=VIETNAM)
SWEPT = [START + timedelta(hours=hours) for hours in range(0, 4 * 24, 2)]


def vi(text: Text) -> str:
    return TRANSLATOR.render(text, "vi")


async def _province(session: AsyncSession) -> tuple[Organisation, dict[str, datetime]]:
    """Two cells with something turning by the clock in the days swept, and when it turns:
    minutes falling due, a meeting starting, a paper falling due, the cutoff passing."""
    organisation = Organisation(name="Đảng bộ khối", cutoff_day=10, created_at=START)
    session.add(organisation)
    await session.flush()
    created = START - timedelta(days=400)
    turns: dict[str, datetime] = {}
    for name in ("Chi bộ Một", "Chi bộ Hai"):
        cell = Cell(organisation_id=organisation.id, name=name, created_at=created)
        session.add(cell)
        await session.flush()
        person = await add_member(
            session,
            cell.id,
            cell.id * 1000,
            f"Bí thư {name}",
            secretary=True,
            status=MemberStatus.FULL,
            joined_at=created,
            created_at=created,
        )
        if name == "Chi bộ Một":
            # Held three days ago less four hours, its minutes not yet recorded: due in four.
            held = START - MINUTES_DUE_AFTER + timedelta(hours=4)
            turns["minutes due"] = held + MINUTES_DUE_AFTER
            await held_meeting(session, cell.id, held, {person: RollStatus.PRESENT})
            # The quarter's thematic meeting, a day and a half ahead.
            ahead = START + timedelta(hours=36)
            turns["meeting starts"] = ahead
            thematic = meeting_ahead(cell.id, ahead, START, MeetingKind.THEMATIC)
            session.add(thematic)
            await session.flush()
            turns["paper due"] = ahead - timedelta(hours=13)
            await add_paper(
                session,
                thematic.id,
                person,
                due_at=turns["paper due"],
                assigned_at=START,
                submitted_at=None,
                file_name="tham-luan.pdf",
                now=START,
            )
    # Chi bộ Hai has no December meeting: missed once the 10th is over.
    turns["cutoff over"] = datetime(2026, 12, 11, 0, 0, tzinfo=VIETNAM)
    return organisation, turns


async def test_figures_are_kept_no_later_than_the_first_moment_the_clock_changes_them(
    database: Database,
) -> None:
    async with database.transaction() as session:
        organisation, turns = await _province(session)

    async def figures_at(now: datetime) -> tuple[DigestFigures, datetime]:
        """The year's figures as the overview works them out at ``now``, and how long the
        dashboard keeps them."""
        lens = Lens.chosen(None, None, now, VIETNAM)
        period = lens.period(now, VIETNAM)
        async with database.transaction() as session:
            stamp = await figures_stamp(session, organisation.id, now)
            figures = await digest_figures(
                session,
                organisation,
                None,
                period,
                now,
                SETTINGS,
                vi,
                "năm",
                speaking_of=lens.moment(now, VIETNAM),
            )
        return figures, figures_valid_until(now, VIETNAM, stamp.coming)

    # Kept from 10:00 until the minutes fall due, the first of the moments planned.
    _, until = await figures_at(START)
    assert until == min(turns.values()) == turns["minutes due"]
    seen = {now: await figures_at(now) for now in SWEPT}
    for now, (figures, until) in seen.items():
        # Unchanged until the moment the dashboard stops keeping them...
        just_before, _ = await figures_at(until - timedelta(microseconds=1))
        assert just_before == figures, f"figures of {now} changed before {until}"
        for later, (later_figures, _) in seen.items():
            if now < later < until:
                assert later_figures == figures, f"figures of {now} changed by {later}"
    # ...and the sweep did see each planned moment change them.
    changed_at = [b for a, b in pairwise(SWEPT) if seen[a][0] != seen[b][0]]
    for said, moment in turns.items():
        assert any(moment <= c < moment + timedelta(hours=2) for c in changed_at), said


async def test_writes_in_one_transaction_bump_it_even_after_a_savepoint_is_undone(
    database: Database,
) -> None:
    async with database.transaction() as session:
        await _organisation(session, "Đảng bộ A")
    before = await _revisions(database)
    async with database.transaction() as session:
        savepoint = await session.begin_nested()
        await session.execute(update(Meeting).values(minutes_recorded_at=NOW))
        await savepoint.rollback()
        await session.execute(update(Meeting).values(late=True))
        await session.execute(update(Meeting).values(roll_closed_at=NOW))
    assert _bumped(before, await _revisions(database)) == {"Chi bộ của Đảng bộ A"}


# --- the overview: cells worked out again are those changed, and the sums come out the same --


async def test_the_overview_kept_and_partly_worked_out_again_equals_one_worked_out_afresh(
    database: Database, tmp_path: Path
) -> None:
    now = START
    async with database.transaction() as session:
        organisation, _ = await _province(session)
        for number in range(3, 9):
            cell = Cell(
                organisation_id=organisation.id,
                name=f"Chi bộ {number}",
                created_at=now - timedelta(days=400),
            )
            session.add(cell)
            await session.flush()
            person = await add_member(
                session,
                cell.id,
                5000 + number,
                f"Đảng viên {number}",
                secretary=True,
                status=MemberStatus.FULL,
                joined_at=cell.created_at,
                created_at=cell.created_at,
            )
            for months_ago in range(1, 4):
                held = now - timedelta(days=30 * months_ago + number)
                await held_meeting(
                    session,
                    cell.id,
                    held,
                    {person: list(RollStatus)[(number + months_ago) % len(RollStatus)]},
                    late=number % 3 == 0,
                    minutes_recorded_at=held + timedelta(days=1) if number % 2 else None,
                )
        supervisor = Person(telegram_user_id=777, full_name="Giám Sát", created_at=now)
        session.add(supervisor)
        await session.flush()
        supervisor_id = supervisor.id
        session.add(
            SupervisorScope(
                person_id=supervisor.id, organisation_id=organisation.id, created_at=now
            )
        )
    kept: Kept[OverviewFigures] = Kept()

    def web(overviews: Kept[OverviewFigures]) -> WebRequest:
        return WebRequest(
            database,
            WebAppUser(777, "Giám Sát", "vi"),
            now,
            SETTINGS,
            lambda _language: vi,
            FileStore(tmp_path),
            overviews,
        )

    async def both() -> tuple[tuple[object, ...], tuple[object, ...]]:
        """The overview's figures as the kept dashboard shows them, and as one that kept
        nothing shows them."""
        shown = []
        for overviews in (kept, Kept[OverviewFigures]()):
            overview = await home(web(overviews), OverviewAsked())
            assert isinstance(overview, Overview)
            shown.append((overview.digest, overview.rows, overview.totals, overview.page))
        return shown[0], shown[1]

    def cell_meetings(name: str) -> Select[tuple[int]]:
        return select(Meeting.id).join(Cell, Cell.id == Meeting.cell_id).where(Cell.name == name)

    async def write(values: dict[str, object], cell: str, of: type = Meeting) -> None:
        async with database.transaction() as session:
            if of is Meeting:
                query = update(Meeting).where(Meeting.id.in_(cell_meetings(cell)))
            else:
                query = update(Invitation).where(Invitation.meeting_id.in_(cell_meetings(cell)))
            await session.execute(query.values(**values))

    first, fresh = await both()
    assert first == fresh
    # One cell at a time, then two, each a different kind of change.
    await write({"minutes_recorded_at": now}, "Chi bộ 4")
    await write({"roll_status": RollStatus.UNEXCUSED}, "Chi bộ 5", Invitation)
    changed, fresh = await both()
    assert changed == fresh and changed != first
    await write({"late": True}, "Chi bộ 8")
    now += timedelta(hours=5)  # and the clock moves past the minutes falling due
    await write({"exempted": True}, "Chi bộ 3", Invitation)
    later, fresh = await both()
    assert later == fresh and later != changed
    # A working group's member reports from two cells' meetings: their observations join the
    # others', in the cells' order.
    async with database.transaction() as session:
        for cell in ("Chi bộ 7", "Chi bộ 4"):
            [meeting, *_] = await session.scalars(cell_meetings(cell))
            session.add(
                MeetingObserver(
                    meeting_id=meeting,
                    person_id=supervisor_id,
                    assigned_at=now - timedelta(days=40),
                    observations=f"Nhận xét về {cell}",
                    observed_at=now - timedelta(days=1),
                )
            )
    observed, fresh = await both()
    assert observed == fresh
    assert [o.text for o in observed[0].observations] == [
        "Nhận xét về Chi bộ 4",
        "Nhận xét về Chi bộ 7",
    ]


async def test_on_postgresql_a_counter_is_bumped_once_however_often_a_transaction_writes(
    database: Database,
) -> None:
    """A row updated again and again in one PostgreSQL transaction leaves a version per
    update for the next to walk past: bumped once, a counter stays one row version."""
    async with database.transaction() as session:
        await _organisation(session, "Đảng bộ A")
    before = await _revisions(database)
    async with database.transaction() as session:
        for day in range(1, 6):
            await session.execute(update(Meeting).values(starts_at=NOW - timedelta(days=day)))
    after = await _revisions(database)
    bumps = after["Chi bộ của Đảng bộ A"] - before["Chi bộ của Đảng bộ A"]
    assert bumps == 1 if database.is_postgresql else bumps == 5
