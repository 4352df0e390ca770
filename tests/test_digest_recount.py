"""Every figure the digest states, against a recount by hand of what happened.

Six months of four cells are played from a seeded, recorded plan: cells created before the
summer, in the middle of July (after its cutoff) and early in August (before its cutoff);
regular meetings on time, late and missing; thematic meetings in some quarters; rolls with
excused and unexcused absences, an exempted member (wrongly marked "unexcused" on the roll,
as older rolls were) and probationary members; minutes recorded late or never; papers handed
in on time, late or never, some due after the digest's moment; the organisation's plan-by
day (the 20th), past which some cells have next month planned and some have not. Written
in on purpose: the mid-July cell meeting in July (a month it did not owe), a cancelled
thematic meeting with a paper, and a third unexcused absence on 30 December, which
January's first digest reports.

At every Monday of the months, the database holds exactly what had happened by then, and the
weekly digest (and the current week's and the quarter's on demand) is compared, figure by
figure, with a recount that reads only the plan below, written out plainly as a person would
count: it shares with the service only the calendar's arithmetic (which month, which
quarter), the periods it asks the service for, and the translations (so that every reason's
wording is compared too). The dashboard's figures are the digest's own, so the same
comparison covers its grid (each month's and quarter's square, each month's attendance, the
totals per month), also for the year so far at moments either side of a cutoff day's, a
quarter's and the year's end; and a cell's page: its members' attendance over the year, and
who is marked at risk.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from fractions import Fraction
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import delete, select

from chat.i18n import Translator
from domain.attendance import RollStatus
from domain.calendar import Month, Quarter
from domain.dashboard import Lens
from domain.digest import (
    DigestFigures,
    PeriodName,
    RegularState,
    Square,
    last_week,
    looked_at_first,
    month_totals,
    period_of,
)
from domain.meetings import MeetingKind, MeetingStatus
from domain.messages import Text
from domain.roles import MemberStatus
from domain.webapp import WebAppUser
from services.config import ServiceSettings
from services.dashboard.access import DashboardDenied, Denial
from services.dashboard.kept import Kept
from services.dashboard.pages import WebRequest, cell_year
from services.digest import report
from services.digest.figures import digest_figures
from storage.db import Database
from storage.files import FileStore
from storage.models import (
    Cell,
    Invitation,
    Meeting,
    Membership,
    Organisation,
    PaperAssignment,
    PaperSubmission,
    Person,
    StoredFile,
    SupervisorScope,
)
from tests.conftest import VIETNAM
from tests.harness import add_member, add_paper, meeting_row

SEED = 20261201
# The organisation's supervisor, of all its cells (the members' Telegram ids start at 10001).
SUPERVISOR = WebAppUser(9_999, "Giám sát Tổ chức", "vi")
CUTOFF_DAY = 10
# Next month's regular meeting is to be planned by the 20th.
PLAN_DUE_DAY = 20
SETTINGS = ServiceSettings(default_language="vi", member_invite_days=14, zone=VIETNAM)
TRANSLATOR = Translator(VIETNAM, "vi")
P, E, U = RollStatus.PRESENT, RollStatus.EXCUSED, RollStatus.UNEXCUSED
FIRST_MONDAY = datetime(2026, 7, 20, 7, 0, tzinfo=VIETNAM)
LAST_MONDAY = datetime(2027, 1, 11, 7, 0, tzinfo=VIETNAM)
# When the year so far is looked at as well: either side of a cutoff day's end, of a
# quarter's and of the year's, and a January with the year before it whole.
YEAR_SO_FAR_MOMENTS = [
    datetime(2026, 8, 10, 23, 59, tzinfo=VIETNAM),
    datetime(2026, 8, 11, 0, 0, tzinfo=VIETNAM),
    datetime(2026, 9, 30, 23, 59, tzinfo=VIETNAM),
    datetime(2026, 10, 1, 0, 0, tzinfo=VIETNAM),
    datetime(2026, 11, 16, 7, 0, tzinfo=VIETNAM),
    datetime(2026, 12, 31, 23, 59, tzinfo=VIETNAM),
    datetime(2027, 1, 1, 0, 0, tzinfo=VIETNAM),
    datetime(2027, 1, 11, 7, 0, tzinfo=VIETNAM),
]
GRID_CASES = {
    *(
        f"month: {case}"
        for case in (
            "on time",
            "late, held",
            "late, still ahead",
            "ahead, planned on time",
            "ahead, nothing yet",
            "missed",
            "not owed",
        )
    ),
    *(f"quarter: {case}" for case in ("held", "missed", "ahead", "not owed")),
}


def vi(text: Text) -> str:
    return TRANSLATOR.render(text, "vi")


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=VIETNAM)


# --- the plan: what happens, recorded ------------------------------------------------------


@dataclass
class PlannedMember:
    name: str
    status: MemberStatus


@dataclass
class PlannedMeeting:
    kind: MeetingKind
    starts_at: datetime
    scheduled_at: datetime
    late: bool  # scheduled after the cutoff, as the bot records it
    roll: dict[str, RollStatus]  # by member name, as closed; the exempted one included
    roll_closed_at: datetime | None
    minutes_at: datetime | None
    cancelled: bool = False


@dataclass
class PlannedPaper:
    meeting: PlannedMeeting
    author: str
    due_at: datetime
    submitted_at: datetime | None


@dataclass
class PlannedCell:
    name: str
    created_at: datetime
    members: list[PlannedMember]
    meetings: list[PlannedMeeting] = field(default_factory=list)
    papers: list[PlannedPaper] = field(default_factory=list)


def months_from(first: date, last: date) -> Iterator[date]:
    day = first.replace(day=1)
    while day <= last:
        yield day
        day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def plan() -> list[PlannedCell]:
    rng = random.Random(SEED)
    creations = {
        "Chi bộ Phường 1": datetime(2026, 5, 20, 9, 0, tzinfo=VIETNAM),
        "Chi bộ Phường 2": datetime(2026, 6, 2, 9, 0, tzinfo=VIETNAM),
        "Chi bộ Trường THCS": datetime(2026, 7, 14, 15, 0, tzinfo=VIETNAM),
        "Chi bộ Trạm Y tế": datetime(2026, 8, 5, 10, 0, tzinfo=VIETNAM),
    }
    cells = []
    for name, created in creations.items():
        statuses = [MemberStatus.FULL] * 5 + [MemberStatus.PROBATIONARY] * 2
        statuses.append(MemberStatus.EXEMPTED)
        members = [PlannedMember(f"{name} – đv {n + 1}", s) for n, s in enumerate(statuses)]
        cell = PlannedCell(name, created, members)
        for first in months_from(created.date(), date(2027, 1, 15)):
            choice = rng.random()
            if choice < 0.6:
                day = first.replace(day=rng.randint(3, CUTOFF_DAY))
            elif choice < 0.8:
                day = first.replace(day=rng.randint(CUTOFF_DAY + 1, 25))
            else:
                day = None  # no regular meeting this month
            starts = at(day, 19, 30) if day else None
            if starts is not None and starts > created + timedelta(days=1):
                cell.meetings.append(meeting(rng, cell, MeetingKind.REGULAR, starts))
            if first.month in (8, 11) and rng.random() < 0.75:
                thematic = at(first.replace(day=rng.randint(12, 26)), 14, 0)
                if thematic > created + timedelta(days=1):
                    held = meeting(rng, cell, MeetingKind.THEMATIC, thematic)
                    cell.meetings.append(held)
                    for author in rng.sample(members[:7], 2):
                        due = held.starts_at - timedelta(days=3)
                        outcome = rng.random()
                        handed = (
                            due - timedelta(days=1)
                            if outcome < 0.5
                            else due + timedelta(days=1)
                            if outcome < 0.75
                            else None
                        )
                        cell.papers.append(PlannedPaper(held, author.name, due, handed))
        cells.append(cell)
    add_the_edges_a_seed_may_miss(rng, cells)
    return cells


def add_the_edges_a_seed_may_miss(rng: random.Random, cells: list[PlannedCell]) -> None:
    """Cases written in on purpose rather than left to chance."""
    mid_july = next(c for c in cells if c.created_at.day == 14)
    # It meets in July, a month it did not owe (created after the cutoff): neither on time
    # nor late.
    mid_july.meetings = [m for m in mid_july.meetings if m.starts_at.month != 7]
    july_meeting = meeting(rng, mid_july, MeetingKind.REGULAR, at(date(2026, 7, 20), 19, 30))
    mid_july.meetings.append(july_meeting)
    # A thematic meeting with a paper, cancelled: its paper is not missing.
    first = cells[0]
    dropped = meeting(rng, first, MeetingKind.THEMATIC, at(date(2026, 10, 22), 14, 0))
    dropped.cancelled = True
    first.meetings.append(dropped)
    first.papers.append(
        PlannedPaper(dropped, first.members[2].name, dropped.starts_at - timedelta(days=3), None)
    )
    # A member's third unexcused absence on 30 December, reported in January's first digest.
    late_in_year = meeting(rng, first, MeetingKind.COMMITTEE, at(date(2026, 12, 30), 19, 30))
    late_in_year.roll_closed_at = late_in_year.starts_at + timedelta(hours=2)
    late_in_year.roll[first.members[1].name] = U
    first.meetings.append(late_in_year)
    # January's regular meeting planned in December, after January's cutoff: the current
    # week's digest of 28 December, which runs into January, shows that month late, though
    # the meeting is still ahead.
    newest = cells[-1]
    newest.meetings = [
        m
        for m in newest.meetings
        if not (m.kind is MeetingKind.REGULAR and m.starts_at.year > 2026)
    ]
    planned_early = meeting(rng, newest, MeetingKind.REGULAR, at(date(2027, 1, 14), 19, 30))
    planned_early.scheduled_at = at(date(2026, 12, 21), 9)
    newest.meetings.append(planned_early)


def meeting(
    rng: random.Random, cell: PlannedCell, kind: MeetingKind, starts: datetime
) -> PlannedMeeting:
    roll = {}
    for member in cell.members:
        if member.status is MemberStatus.EXEMPTED:
            roll[member.name] = U  # as older rolls pre-filled them: must never count
        else:
            roll[member.name] = rng.choices([P, E, U], weights=[80, 10, 10])[0]
    if cell.members[1].status is MemberStatus.FULL and rng.random() < 0.5:
        roll[cell.members[1].name] = U  # one member who keeps missing meetings
    closed = starts + timedelta(hours=2) if rng.random() < 0.9 else None
    minutes_delay = rng.choice([1, 2, 5, None])
    return PlannedMeeting(
        kind=kind,
        starts_at=starts,
        scheduled_at=starts - timedelta(days=rng.randint(4, 12)),
        late=kind is MeetingKind.REGULAR and starts.day > CUTOFF_DAY,
        roll=roll,
        roll_closed_at=closed,
        minutes_at=None if minutes_delay is None else starts + timedelta(days=minutes_delay),
    )


# --- the database as it stood at a moment --------------------------------------------------


async def load_as_of(database: Database, cells: list[PlannedCell], now: datetime) -> Organisation:
    async with database.transaction() as session:
        for model in (
            SupervisorScope,
            PaperSubmission,
            StoredFile,
            PaperAssignment,
            Invitation,
            Meeting,
            Membership,
            Person,
            Cell,
            Organisation,
        ):
            await session.execute(delete(model))
    user_id = 10_000
    async with database.transaction() as session:
        organisation = Organisation(
            name="Đảng bộ Phường Tân Định",
            cutoff_day=CUTOFF_DAY,
            plan_due_day=PLAN_DUE_DAY,
            created_at=datetime(2026, 5, 1, tzinfo=VIETNAM),
        )
        session.add(organisation)
        await session.flush()
        supervisor = Person(
            telegram_user_id=SUPERVISOR.telegram_user_id, full_name=SUPERVISOR.name, created_at=now
        )
        session.add(supervisor)
        await session.flush()
        session.add(
            SupervisorScope(
                person_id=supervisor.id,
                organisation_id=organisation.id,
                cell_id=None,  # the whole organisation
                created_at=now,
            )
        )
        for planned in cells:
            if planned.created_at > now:
                continue
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
                    created_at=now,
                )
            exempted = {m.name for m in planned.members if m.status is MemberStatus.EXEMPTED}
            rows = {}
            for held in planned.meetings:
                if held.scheduled_at > now:
                    continue
                closed = (
                    held.roll_closed_at
                    if held.roll_closed_at and held.roll_closed_at <= now
                    else None
                )
                row = meeting_row(
                    cell.id,
                    held.kind,
                    held.starts_at,
                    status=MeetingStatus.CANCELLED if held.cancelled else MeetingStatus.SCHEDULED,
                    late=held.late,
                    created_at=held.scheduled_at,
                    broadcast_at=held.scheduled_at,
                    roll_closed_at=closed,
                    minutes_recorded_at=held.minutes_at
                    if held.minutes_at and held.minutes_at <= now
                    else None,
                )
                session.add(row)
                await session.flush()
                rows[id(held)] = row.id
                # Marked from the meeting's start; counted only once the roll is closed.
                marked = held.starts_at <= now
                for name, status in held.roll.items():
                    session.add(
                        Invitation(
                            meeting_id=row.id,
                            person_id=people[name],
                            invited_at=held.scheduled_at,
                            roll_status=status if marked else None,
                            exempted=name in exempted,
                        )
                    )
            for paper in planned.papers:
                if id(paper.meeting) not in rows:
                    continue
                handed_in = paper.submitted_at is not None and paper.submitted_at <= now
                await add_paper(
                    session,
                    rows[id(paper.meeting)],
                    people[paper.author],
                    due_at=paper.due_at,
                    assigned_at=paper.meeting.scheduled_at,
                    submitted_at=paper.submitted_at if handed_in else None,
                    file_name="tham-luan.pdf",
                    now=now,
                )
    return organisation


# --- the recount by hand -------------------------------------------------------------------


def month_start(month: Month) -> datetime:
    return datetime(month.year, month.month, 1, tzinfo=VIETNAM)


def next_month(moment: datetime) -> Month:
    return Month.of(moment, VIETNAM).next()


def quarter_start(quarter: Quarter) -> datetime:
    return datetime(quarter.year, 3 * quarter.number - 2, 1, tzinfo=VIETNAM)


def quarter_end(quarter: Quarter) -> datetime:
    return quarter_start(quarter.next())


def previous_quarter(quarter: Quarter) -> Quarter:
    if quarter.number == 1:
        return Quarter(quarter.year - 1, 4)
    return Quarter(quarter.year, quarter.number - 1)


def existed_on(cell: PlannedCell, day: date) -> bool:
    return cell.created_at.date() <= day


def owes_month(cell: PlannedCell, month: Month) -> bool:
    return existed_on(cell, date(month.year, month.month, CUTOFF_DAY))


def owes_quarter(cell: PlannedCell, quarter: Quarter) -> bool:
    # Owed by a cell that existed for most of the quarter: more than half of its days.
    first, end = quarter_start(quarter).date(), quarter_end(quarter).date()
    existed = (end - max(cell.created_at.date(), first)).days
    return existed > (end - first).days / 2


def reason(key: str, **arguments: Any) -> str:
    return TRANSLATOR.text("vi", f"digest.reason.{key}", **arguments)


@dataclass
class Counted:
    state: RegularState
    rate: Fraction | None
    assigned: int
    submitted: int
    late_papers: int
    minutes_missing: int
    reasons: list[str]
    at_risk: dict[str, int]
    # Each meeting of the period, in order: when, expected, present, excused, unexcused
    # (zeros while its roll is open).
    meetings: list[tuple[datetime, int, int, int, int]]
    quorum: bool | None


def known_by(cell: PlannedCell, now: datetime) -> list[PlannedMeeting]:
    """The cell's meetings planned by ``now`` and not cancelled."""
    return [m for m in cell.meetings if m.scheduled_at <= now and not m.cancelled]


def exempted_of(cell: PlannedCell) -> set[str]:
    return {m.name for m in cell.members if m.status is MemberStatus.EXEMPTED}


def roll_by_hand(
    held: PlannedMeeting, exempted: set[str], now: datetime
) -> tuple[int, int, int, int] | None:
    """Expected, present, excused, unexcused on the meeting's roll; None while it is open."""
    if held.roll_closed_at is None or held.roll_closed_at > now:
        return None
    expected = [name for name in held.roll if name not in exempted]
    present = sum(1 for name in expected if held.roll[name] is P)
    excused = sum(1 for name in expected if held.roll[name] is E)
    return len(expected), present, excused, len(expected) - present - excused


def recount_cell(cell: PlannedCell, start: datetime, end: datetime, now: datetime) -> Counted:
    """By hand, from the plan: what had happened by ``now``, for the period [start, end)."""
    known = known_by(cell, now)
    exempted = exempted_of(cell)
    this_month = Month.of(now, VIETNAM)
    this_quarter = Quarter.of(now, VIETNAM)

    regulars_this_month = sorted(
        (
            m
            for m in known
            if m.kind is MeetingKind.REGULAR and Month.of(m.starts_at, VIETNAM) == this_month
        ),
        key=lambda m: m.starts_at,
    )
    regular = regulars_this_month[0] if regulars_this_month else None
    if not owes_month(cell, this_month):
        state = RegularState.NOT_OWED
    elif regular is None:
        state = RegularState.MISSING
    elif regular.late or regular.starts_at.day > CUTOFF_DAY:
        state = RegularState.LATE
    elif regular.starts_at > now:
        state = RegularState.SCHEDULED
    else:
        state = RegularState.ON_TIME

    # The months looked back on: last month, and every month of the period before this one.
    looked_at = {this_month.previous()}
    month = Month.of(start, VIETNAM)
    while month < this_month:
        looked_at.add(month)
        month = month.next()
    held_in = {Month.of(m.starts_at, VIETNAM) for m in known if m.kind is MeetingKind.REGULAR}
    missed = sorted(m for m in looked_at if m not in held_in and owes_month(cell, m))

    thematic_quarters = {
        Quarter.of(m.starts_at, VIETNAM) for m in known if m.kind is MeetingKind.THEMATIC
    }
    closed_quarters = []
    if now.month == quarter_start(this_quarter).month:  # the first month of a quarter
        closed_quarters = [previous_quarter(this_quarter)]

    in_period = sorted((m for m in known if start <= m.starts_at < end), key=lambda m: m.starts_at)
    rates, quorums = [], []
    meetings = []
    for held in in_period:
        roll = roll_by_hand(held, exempted, now)
        if roll is None:
            meetings.append((held.starts_at, 0, 0, 0, 0))
            continue
        meetings.append((held.starts_at, *roll))
        expected, present = roll[0], roll[1]
        rates.append(Fraction(present, expected))
        needed = -(-expected * 2 // 3)
        quorums.append(present >= needed)
    rate = sum(rates, Fraction(0)) / len(rates) if rates else None

    since = min([month_start(min(looked_at)), start] + [quarter_start(q) for q in closed_quarters])
    minutes_missing = [
        m
        for m in known
        if since <= m.starts_at < end
        and (m.minutes_at is None or m.minutes_at > now)
        and m.starts_at <= now - timedelta(days=3)
    ]
    papers = [
        p
        for p in cell.papers
        if p.meeting.scheduled_at <= now and not p.meeting.cancelled and start <= p.due_at < end
    ]
    handed = [p for p in papers if p.submitted_at is not None and p.submitted_at <= now]
    overdue = [p for p in papers if p not in handed and now > p.due_at]

    cutoff_passed = now >= at(date(now.year, now.month, CUTOFF_DAY) + timedelta(days=1), 0)
    reasons = []
    if cutoff_passed and state in (RegularState.MISSING, RegularState.LATE):
        reasons.append(reason("no_regular_at_cutoff", month=f"{now.month:02d}/{now.year}"))
    reasons += [reason("missed_month", month=f"{m.month:02d}/{m.year}") for m in missed]
    # Past this month's 20th, next month is to have been planned; earlier in the month, this
    # one (by the 20th of the last), until its cutoff settles the meeting itself.
    this_plan_due = date(now.year, now.month, PLAN_DUE_DAY)
    before = this_month.previous()
    to_plan, plan_due = (
        (this_month.next(), this_plan_due)
        if now >= at(this_plan_due + timedelta(days=1), 0)
        else (None if cutoff_passed else this_month, date(before.year, before.month, PLAN_DUE_DAY))
    )
    if to_plan is not None and existed_on(cell, plan_due) and to_plan not in held_in:
        label = f"{to_plan.month:02d}/{to_plan.year}"
        reasons.append(reason("not_planned", month=label, deadline=plan_due))
    if (
        this_quarter not in thematic_quarters
        and owes_quarter(cell, this_quarter)
        and quarter_end(this_quarter) - now <= timedelta(days=30)
    ):
        reasons.append(reason("no_thematic", quarter=f"{this_quarter.number}/{this_quarter.year}"))
    reasons += [
        reason("missed_thematic", quarter=f"{q.number}/{q.year}")
        for q in closed_quarters
        if q not in thematic_quarters and owes_quarter(cell, q)
    ]
    if rate is not None and rate < Fraction(9, 10):
        percent = int(rate * 100 + Fraction(1, 2))
        if percent < 90:
            reasons.append(reason("low_attendance", percent=f"{percent}%"))
        else:  # 89.5% and more reads 90%: said without the figure
            reasons.append(reason("near_norm"))
    if quorums and not all(quorums):
        reasons.append(reason("no_quorum"))
    if minutes_missing:
        in_order = sorted(minutes_missing, key=lambda m: m.starts_at)
        dates = ", ".join(f"{m.starts_at:%d/%m/%Y}" for m in in_order)
        reasons.append(reason("minutes_missing", dates=dates))
    if overdue:
        reasons.append(reason("papers_missing", count=len(overdue)))

    marks = marks_by_hand(cell, start.year, now)  # the year the period starts in
    unexcused = {name: counts.get(U, 0) for name, counts in marks.items()}
    return Counted(
        state=state,
        rate=rate,
        assigned=len(papers),
        submitted=len(handed),
        late_papers=sum(1 for p in handed if p.submitted_at and p.submitted_at > p.due_at),
        minutes_missing=len(minutes_missing),
        reasons=reasons,
        at_risk={name: count for name, count in unexcused.items() if count >= 2},
        meetings=meetings,
        quorum=all(quorums) if quorums else None,
    )


def marks_by_hand(cell: PlannedCell, year: int, now: datetime) -> dict[str, dict[RollStatus, int]]:
    """How often each member (never the exempted) was marked each way on the closed rolls of
    the year's meetings."""
    exempted = exempted_of(cell)
    marks: dict[str, dict[RollStatus, int]] = {
        m.name: {} for m in cell.members if m.name not in exempted
    }
    for held in known_by(cell, now):
        if held.starts_at.year != year or roll_by_hand(held, exempted, now) is None:
            continue
        for name, status in held.roll.items():
            if name in marks:
                marks[name][status] = marks[name].get(status, 0) + 1
    return marks


# --- the dashboard's grid, by hand -----------------------------------------------------------


@dataclass
class Grid:
    """A cell's row of the dashboard's grid: each month the period touches (its square, why,
    and its attendance), each quarter of those months (the thematic square, why), and how
    many of the period's meetings have their minutes."""

    months: list[tuple[Month, Square, str, Fraction | None]]
    quarters: list[tuple[Quarter, Square, str]]
    minutes_recorded: int


def months_touched(start: datetime, end: datetime) -> list[Month]:
    months, month = [], Month.of(start, VIETNAM)
    while month_start(month) < end:
        months.append(month)
        month = month.next()
    return months


def month_square_by_hand(cell: PlannedCell, month: Month, now: datetime) -> tuple[Square, str]:
    """The month's regular meeting as the grid shows it, and which case that is."""
    if not owes_month(cell, month):
        return Square.NOT_OWED, "not owed"
    regulars = sorted(
        (
            m
            for m in known_by(cell, now)
            if m.kind is MeetingKind.REGULAR and Month.of(m.starts_at, VIETNAM) == month
        ),
        key=lambda m: m.starts_at,
    )
    if not regulars:
        day_after_cutoff = date(month.year, month.month, CUTOFF_DAY) + timedelta(days=1)
        if now >= at(day_after_cutoff, 0):
            return Square.MISSED, "missed"
        return Square.AHEAD, "ahead, nothing yet"
    first = regulars[0]
    if first.late or first.starts_at.day > CUTOFF_DAY:
        return Square.LATE, "late, held" if first.starts_at <= now else "late, still ahead"
    if first.starts_at > now:
        return Square.AHEAD, "ahead, planned on time"
    return Square.ON_TIME, "on time"


def quarter_square_by_hand(
    cell: PlannedCell, quarter: Quarter, now: datetime
) -> tuple[Square, str]:
    if not owes_quarter(cell, quarter):
        return Square.NOT_OWED, "not owed"
    if any(
        m.kind is MeetingKind.THEMATIC
        and Quarter.of(m.starts_at, VIETNAM) == quarter
        and m.starts_at <= now
        for m in known_by(cell, now)
    ):
        return Square.ON_TIME, "held"
    if now >= quarter_end(quarter):
        return Square.MISSED, "missed"
    return Square.AHEAD, "ahead"


def month_rate_by_hand(cell: PlannedCell, month: Month, now: datetime) -> Fraction | None:
    """The mean of the exact rates of the month's closed rolls, of every kind of meeting."""
    exempted = exempted_of(cell)
    rates = []
    for held in known_by(cell, now):
        roll = roll_by_hand(held, exempted, now)
        if roll is not None and Month.of(held.starts_at, VIETNAM) == month:
            expected, present = roll[0], roll[1]
            rates.append(Fraction(present, expected))
    return sum(rates, Fraction(0)) / len(rates) if rates else None


def recount_grid(cell: PlannedCell, start: datetime, end: datetime, now: datetime) -> Grid:
    months = months_touched(start, end)
    quarters = sorted({Quarter.of(month_start(m), VIETNAM) for m in months})
    return Grid(
        months=[
            (m, *month_square_by_hand(cell, m, now), month_rate_by_hand(cell, m, now))
            for m in months
        ],
        quarters=[(q, *quarter_square_by_hand(cell, q, now)) for q in quarters],
        minutes_recorded=sum(
            1
            for m in known_by(cell, now)
            if start <= m.starts_at < end and m.minutes_at is not None and m.minutes_at <= now
        ),
    )


@dataclass
class CountedMonth:
    """The organisation's month: cells in each square, the on-time share of those settled
    (on time, late or missed), the mean of the cells' attendance that month."""

    month: Month
    squares: dict[Square, int]
    on_time_share: Fraction | None
    mean_attendance: Fraction | None


def totals_by_hand(grids: list[Grid]) -> list[CountedMonth]:
    totals = []
    for month in sorted({m for grid in grids for m, *_ in grid.months}):
        squares = [sq for grid in grids for m, sq, _, _ in grid.months if m == month]
        rates = [r for grid in grids for m, _, _, r in grid.months if m == month and r is not None]
        counts = {square: squares.count(square) for square in Square}
        settled = counts[Square.ON_TIME] + counts[Square.LATE] + counts[Square.MISSED]
        totals.append(
            CountedMonth(
                month,
                counts,
                Fraction(counts[Square.ON_TIME], settled) if settled else None,
                sum(rates, Fraction(0)) / len(rates) if rates else None,
            )
        )
    return totals


def by_hand_percent(share: Fraction) -> str:
    return f"{int(share * 100 + Fraction(1, 2))}%"


# --- the comparison ------------------------------------------------------------------------


class Tally:
    def __init__(self) -> None:
        self.compared = 0
        self.cases: set[str] = set()  # the grid's cases met, e.g. "month: late, still ahead"

    def same(self, stated: Any, counted: Any, what: str) -> None:
        assert stated == counted, what
        self.compared += 1


def mondays() -> Iterator[datetime]:
    moment = FIRST_MONDAY
    while moment <= LAST_MONDAY:
        yield moment
        moment += timedelta(days=7)


def compare(
    tally: Tally,
    cells: list[PlannedCell],
    figures: DigestFigures,
    start: datetime,
    end: datetime,
    now: datetime,
) -> None:
    existing = [c for c in cells if c.created_at <= now]
    when = f"{now:%d/%m/%Y}"
    tally.same(sorted(c.name for c in figures.cells), sorted(c.name for c in existing), when)
    stated = {c.name: c for c in figures.cells}
    counted = {c.name: recount_cell(c, start, end, now) for c in existing}
    text = vi(report.summary_text(figures))
    for name, count in counted.items():
        cell = stated[name]
        where = f"{name} on {when}"
        tally.same(cell.regular, count.state, f"{where}: regular meeting")
        tally.same(cell.attendance_rate, count.rate, f"{where}: attendance")
        tally.same(
            (cell.papers_assigned, cell.papers_submitted, cell.papers_late),
            (count.assigned, count.submitted, count.late_papers),
            f"{where}: papers",
        )
        tally.same(cell.minutes_missing, count.minutes_missing, f"{where}: minutes")
        tally.same([b.label for b in cell.behind], count.reasons, f"{where}: reasons")
        tally.same({m.name: m.unexcused for m in cell.at_risk}, count.at_risk, f"{where}: at risk")
        for label in count.reasons:
            tally.same(f"   – {label}" in text, True, f"{where}: '{label}' in the text")

    this_month, this_quarter = Month.of(now, VIETNAM), Quarter.of(now, VIETNAM)
    owing_month = [c for c in existing if owes_month(c, this_month)]
    cutoff_over = now.date() > date(now.year, now.month, CUTOFF_DAY)
    settled = [
        c
        for c in owing_month
        if counted[c.name].state in (RegularState.ON_TIME, RegularState.LATE)
        or (counted[c.name].state is RegularState.MISSING and cutoff_over)
    ]
    on_time = [c for c in settled if counted[c.name].state is RegularState.ON_TIME]
    owing_quarter = [c for c in existing if owes_quarter(c, this_quarter)]
    with_thematic = [
        c
        for c in owing_quarter
        if any(
            m.kind is MeetingKind.THEMATIC
            and not m.cancelled
            and m.starts_at <= now  # held, not only planned
            and Quarter.of(m.starts_at, VIETNAM) == this_quarter
            for m in c.meetings
        )
    ]
    rates = [counted[c.name].rate for c in existing if counted[c.name].rate is not None]
    not_owed = TRANSLATOR.text("vi", "digest.not_owed")
    if settled:
        on_time_said = by_hand_percent(Fraction(len(on_time), len(settled)))
    elif owing_month:
        on_time_said = TRANSLATOR.text("vi", "digest.not_due_yet")
    else:
        on_time_said = not_owed
    thematic_said = (
        by_hand_percent(Fraction(len(with_thematic), len(owing_quarter)))
        if owing_quarter
        else not_owed
    )
    mean_said = (
        by_hand_percent(sum(rates, Fraction(0)) / len(rates))
        if rates
        else TRANSLATOR.text("vi", "digest.no_roll_yet")
    )
    month_label = f"{this_month.month:02d}/{this_month.year}"
    quarter_label = f"{this_quarter.number}/{this_quarter.year}"
    tally.same(
        f"Sinh hoạt thường kỳ tháng {month_label} đúng hạn: {on_time_said}" in text, True, when
    )
    tally.same(f"Tỷ lệ tham dự bình quân: {mean_said}" in text, True, when)
    tally.same(f"Có sinh hoạt chuyên đề quý {quarter_label}: {thematic_said}" in text, True, when)
    tally.same(f"\n{len(existing)} chi bộ\n" in text, True, when)
    behind = [name for name, count in counted.items() if count.reasons]
    tally.same(("Không có chi bộ nào cần lưu ý" in text), not behind, when)
    for name in behind:
        tally.same(f"• {name}\n" in text, True, f"{name} listed on {when}")
    for name, count in counted.items():
        for member, absences in count.at_risk.items():
            line = f"• {member} ({name}): {absences} lần"
            tally.same(line in text, absences >= 3, f"{member} in the text on {when}")
    # The workbook states the same shares, as fractions formatted 0%, or in its own words.
    labels = report.labels(vi)

    def in_sheet(said: str, instead: str) -> str | float:
        return int(said[:-1]) / 100 if said.endswith("%") else instead

    compare_grid(tally, existing, figures, counted, start, end, now)
    compare_workbook(
        tally,
        figures,
        counted,
        {
            labels.on_time_share: in_sheet(
                on_time_said, labels.not_due_yet if owing_month else labels.nobody_owed
            ),
            labels.mean_attendance: in_sheet(mean_said, labels.no_roll),
            labels.thematic_share: in_sheet(thematic_said, labels.nobody_owed),
        },
        when,
    )


def compare_grid(
    tally: Tally,
    existing: list[PlannedCell],
    figures: DigestFigures,
    counted: dict[str, Counted],
    start: datetime,
    end: datetime,
    now: datetime,
) -> None:
    """The dashboard's grid: each cell's months and quarters, its minutes recorded, the
    totals per month, and the cells to look at first on top."""
    when = f"{now:%d/%m/%Y %H:%M} ({start:%d/%m/%Y} – {end:%d/%m/%Y})"
    grids = {c.name: recount_grid(c, start, end, now) for c in existing}
    for cell in figures.cells:
        grid = grids[cell.name]
        where = f"{cell.name} on {when}"
        tally.same([m.month for m in cell.months], [m for m, *_ in grid.months], f"{where}")
        for stated, (month, square, case, rate) in zip(cell.months, grid.months, strict=True):
            tally.same(stated.square, square, f"{where}: {month.label} ({case})")
            tally.same(stated.attendance_rate, rate, f"{where}: attendance in {month.label}")
            tally.cases.add(f"month: {case}")
        tally.same([q.quarter for q in cell.quarters], [q for q, *_ in grid.quarters], where)
        for stated_quarter, (quarter, square, case) in zip(
            cell.quarters, grid.quarters, strict=True
        ):
            tally.same(stated_quarter.square, square, f"{where}: quarter {quarter.label} ({case})")
            tally.cases.add(f"quarter: {case}")
        tally.same(cell.minutes_recorded, grid.minutes_recorded, f"{where}: minutes recorded")
    stated_totals = month_totals(figures.cells)
    counted_totals = totals_by_hand(list(grids.values()))
    tally.same([t.month for t in stated_totals], [t.month for t in counted_totals], when)
    for total, by_hand in zip(stated_totals, counted_totals, strict=True):
        where = f"the totals of {by_hand.month.label} on {when}"
        tally.same(total.squares, by_hand.squares, f"{where}: squares")
        tally.same(total.on_time_share, by_hand.on_time_share, f"{where}: on time")
        tally.same(total.mean_attendance, by_hand.mean_attendance, f"{where}: attendance")
        for percent, share in (
            (total.on_time_percent, by_hand.on_time_share),
            (total.attendance_percent, by_hand.mean_attendance),
        ):
            tally.same(
                None if percent is None else f"{percent}%",
                None if share is None else by_hand_percent(share),
                f"{where}: as a percentage",
            )
    tally.same(
        [c.name for c in looked_at_first(figures.cells)],
        sorted(counted, key=lambda name: (-len(counted[name].reasons), name)),
        f"the cells to look at first on {when}",
    )


def compare_workbook(
    tally: Tally,
    figures: DigestFigures,
    counted: dict[str, Counted],
    said: dict[str, str | float],
    when: str,
) -> None:
    """The workbook as a supervisor opens it: the organisation's three shares, one row per
    cell, each cell's sheet of meetings, and the members at risk."""
    labels = report.labels(vi)
    files = report.render_files(figures, vi, "recount")
    workbook = load_workbook(BytesIO(files[1].content))
    summary = workbook.worksheets[0]
    rows = [list(row) for row in summary.iter_rows(values_only=True)]
    for title, value in said.items():
        [row] = [r for r in rows if r and isinstance(r[0], str) and r[0].startswith(title)]
        tally.same(row[1], value, f"{title} in the workbook on {when}")
    header_at = next(i for i, row in enumerate(rows) if row and row[0] == labels.cell)
    header = rows[header_at]
    column = {title: index for index, title in enumerate(header) if title}
    by_name = {str(row[0]): row for row in rows[header_at + 1 :] if row and row[0] in counted}
    tally.same(sorted(by_name), sorted(counted), f"cells in the workbook on {when}")
    for name, count in counted.items():
        row = by_name[name]
        where = f"{name} in the workbook on {when}"
        expected_rate = None if count.rate is None else int(count.rate * 100 + Fraction(1, 2)) / 100
        state = next(title for title in header if str(title).startswith(labels.regular))
        tally.same(row[column[state]], labels.states[count.state.value], f"{where}: state")
        tally.same(row[column[labels.attendance]], expected_rate, f"{where}: attendance")
        quorum = None if count.quorum is None else (labels.yes if count.quorum else labels.no)
        tally.same(row[column[labels.quorum]], quorum, f"{where}: quorum")
        tally.same(row[column[labels.papers_assigned]], count.assigned, f"{where}: assigned")
        tally.same(row[column[labels.papers_submitted]], count.submitted, f"{where}: submitted")
        tally.same(row[column[labels.papers_late]], count.late_papers, f"{where}: late papers")
        tally.same(row[column[labels.minutes_missing]], count.minutes_missing, f"{where}: minutes")
        tally.same(row[column[labels.behind]], "; ".join(count.reasons) or None, f"{where}: why")
        compare_cell_sheet(tally, workbook, name, count, f"{name}'s sheet on {when}")
    at_risk_rows = [
        (row[0], row[1], row[2])
        for row in workbook.worksheets[1].iter_rows(min_row=2, values_only=True)
        if row[0] and row[2] is not None
    ]
    tally.same(
        sorted(at_risk_rows),
        sorted((m, c, n) for c, count in counted.items() for m, n in count.at_risk.items()),
        f"members at risk in the workbook on {when}",
    )


def compare_cell_sheet(tally: Tally, workbook: Any, name: str, count: Counted, where: str) -> None:
    [sheet] = [s for s in workbook.worksheets if s.cell(1, 1).value == name]
    rows = [row for row in sheet.iter_rows(min_row=3, values_only=True) if row[0] is not None]
    stated = [
        (row[0], row[2], row[3], row[4], row[5]) for row in rows if isinstance(row[0], datetime)
    ]
    tally.same(
        stated,
        [(at.replace(tzinfo=None), *figures) for at, *figures in count.meetings],
        where,
    )


async def test_every_digest_figure_matches_a_recount_by_hand(database: Database) -> None:
    cells = plan()
    # The plan has what the recount must get right: a mid-month cell, a quarter boundary,
    # a 6/7 roll, papers due after some digest's moment, a member at risk.
    assert any(c.created_at.day == 14 for c in cells)
    assert any(
        sum(1 for status in m.roll.values() if status is P) == 6  # of the seven expected
        and list(m.roll.values())[-1] is U  # the exempted one, marked absent on old rolls
        and m.roll_closed_at is not None
        for c in cells
        for m in c.meetings
    )
    assert any(
        p.meeting.scheduled_at <= monday < p.due_at
        for c in cells
        for p in c.papers
        for monday in mondays()
    )
    tally = Tally()
    for now in mondays():
        organisation = await load_as_of(database, cells, now)
        weekly = last_week(now, VIETNAM)
        quarter = period_of(PeriodName.QUARTER, now, VIETNAM)
        for period in (weekly, quarter, period_of(PeriodName.WEEK, now, VIETNAM)):
            async with database.transaction() as session:
                figures = await digest_figures(
                    session, organisation, None, period, now, SETTINGS, vi, "kỳ"
                )
            compare(tally, cells, figures, period.start, period.end, now)
    for now in YEAR_SO_FAR_MOMENTS:
        organisation = await load_as_of(database, cells, now)
        for year in sorted({2026, now.year}):
            # What the dashboard asks for: from 1 January to the end of this month, or the
            # whole of a year gone by.
            start = datetime(year, 1, 1, tzinfo=VIETNAM)
            end = min(datetime(year + 1, 1, 1, tzinfo=VIETNAM), month_start(next_month(now)))
            period = Lens(year).period(now, VIETNAM)
            tally.same((period.start, period.end), (start, end), f"the year {year} on {now}")
            async with database.transaction() as session:
                figures = await digest_figures(
                    session, organisation, None, period, now, SETTINGS, vi, "năm"
                )
            compare(tally, cells, figures, start, end, now)
    # Every case of the grid came up, so that each was compared.
    assert tally.cases == GRID_CASES, GRID_CASES ^ tally.cases
    print(f"digest figures compared with the recount: {tally.compared}")
    assert tally.compared > 1000


# When a cell's page is opened: in the autumn, after the third unexcused absence of the year
# on 30 December, and in the new year (with the year gone by whole).
CELL_PAGE_MOMENTS = [
    datetime(2026, 10, 12, 7, 0, tzinfo=VIETNAM),
    datetime(2026, 12, 31, 23, 59, tzinfo=VIETNAM),
    datetime(2027, 1, 11, 7, 0, tzinfo=VIETNAM),
]


async def test_a_cells_page_shows_its_members_attendance_as_counted_by_hand(
    database: Database, tmp_path: Path
) -> None:
    """Each member's marks over the year, and those marked at risk: exactly the members the
    digest of that year reports at risk (three unexcused absences or more) in that cell."""
    cells = plan()
    unexcused_seen: set[int] = set()
    for now in CELL_PAGE_MOMENTS:
        organisation = await load_as_of(database, cells, now)
        async with database.transaction() as session:
            telegram_ids = dict(
                (await session.execute(select(Person.full_name, Person.telegram_user_id))).all()
            )
        existing = [c for c in cells if c.created_at <= now]
        for year in sorted({2026, now.year}):
            period = Lens(year).period(now, VIETNAM)
            async with database.transaction() as session:
                digest = await digest_figures(
                    session, organisation, None, period, now, SETTINGS, vi, "năm"
                )
            cell_ids = {c.name: c.cell_id for c in digest.cells}
            for planned in existing:
                where = f"{planned.name}'s page of {year} on {now:%d/%m/%Y %H:%M}"
                secretary = planned.members[0]
                marks = marks_by_hand(planned, year, now)
                counted = []
                for member in sorted(planned.members, key=lambda m: m.name):
                    times = marks.get(member.name, {})
                    present, excused, unexcused = (times.get(s, 0) for s in (P, E, U))
                    expected = present + excused + unexcused
                    percent = (
                        int(Fraction(present, expected) * 100 + Fraction(1, 2))
                        if expected
                        else None
                    )
                    counted.append((member.name, present, excused, unexcused, percent))
                    unexcused_seen.add(unexcused)
                at_risk = {name for name, _, _, unexcused, _ in counted if unexcused >= 3}
                reported = {m.name for m in digest.members_at_risk if m.cell == planned.name}
                assert at_risk == reported, where
                grid = recount_grid(planned, period.start, period.end, now)
                viewers = (
                    SUPERVISOR,
                    WebAppUser(telegram_ids[secretary.name], secretary.name, "vi"),
                )
                for viewer in viewers:
                    web = WebRequest(
                        database,
                        viewer,
                        now,
                        SETTINGS,
                        lambda _language: vi,
                        FileStore(tmp_path),
                        Kept(),
                    )
                    page = await cell_year(web, cell_ids[planned.name], year)
                    seen = f"{where}, as {viewer.name}"
                    assert page.cell.name == planned.name, seen
                    assert [
                        (m.name, m.present, m.excused, m.unexcused, m.rate_percent)
                        for m in page.members
                    ] == counted, seen
                    assert {m.name for m in page.members if m.at_risk} == at_risk, seen
                    assert [(m.month, m.square) for m in page.cell.months] == [
                        (month, square) for month, square, _, _ in grid.months
                    ], seen
                    assert [(q.quarter, q.square) for q in page.cell.quarters] == [
                        (quarter, square) for quarter, square, _ in grid.quarters
                    ], seen
            # A secretary sees their own cell's page only.
            first, other = existing[0], existing[-1]
            secretary = WebAppUser(telegram_ids[first.members[0].name], first.members[0].name, "vi")
            web = WebRequest(
                database,
                secretary,
                now,
                SETTINGS,
                lambda _language: vi,
                FileStore(tmp_path),
                Kept(),
            )
            with pytest.raises(DashboardDenied) as denied:
                await cell_year(web, cell_ids[other.name], year)
            assert denied.value.denial is Denial.NOT_YOURS
    # Members at risk, and members one absence short of it (listed by the digest's workbook,
    # not marked at risk on the page).
    assert 2 in unexcused_seen and max(unexcused_seen) >= 3
