"""The supervisors' digest: figures per cell and for the organisation, a chart, a workbook.

The figures come from a fixed number of queries, whatever the number of cells or members:
each query covers every cell in scope at once.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.attendance import ATTENDANCE_NORM, RollStatus, roll_figures
from domain.calendar import (
    MINUTES_DUE_AFTER,
    Month,
    Quarter,
    cutoff_date,
    is_after_cutoff,
    months_to_check,
    owes_month,
    owes_quarter,
    quarters_to_check,
)
from domain.digest import (
    Behind,
    BehindReason,
    CellFigures,
    DigestFigures,
    DigestLabels,
    MeetingFigures,
    MemberAtRisk,
    Observation,
    RegularState,
)
from domain.meetings import MeetingKind, MeetingStatus
from domain.messages import N_, ArgValue, Attachment, Reply, Text
from domain.papers import is_overdue
from domain.percent import mean, share_of, whole_percent
from reports.chart import attendance_chart
from reports.spreadsheet import digest_workbook
from services import actions, outbox
from services.config import ServiceSettings
from services.errors import refused
from services.people import Caller, require_person
from services.views import KIND_TEXT
from storage.db import Database
from storage.files import FileStore
from storage.models import (
    Cell,
    Invitation,
    Meeting,
    MeetingObserver,
    Organisation,
    OutboxMessage,
    PaperAssignment,
    PaperSubmission,
    Person,
)
from storage.repositories import supervisor_scopes

Render = Callable[[Text], str]

# The digest goes out on Monday at 07:00 and covers the week that just ended.
DIGEST_WEEKDAY = 0
DIGEST_TIME = timedelta(hours=7)
# Members listed "at risk" from this many unexcused absences in the year (flagged at 3).
AT_RISK_FROM = 2
# A quarter is "nearly over" for the thematic-meeting check with this many days left.
QUARTER_NEARLY_OVER = timedelta(days=30)

STATE_TEXT = {
    RegularState.ON_TIME: N_("digest.state.on_time"),
    RegularState.LATE: N_("digest.state.late"),
    RegularState.SCHEDULED: N_("digest.state.scheduled"),
    RegularState.MISSING: N_("digest.state.missing"),
    RegularState.NOT_OWED: N_("digest.state.not_owed"),
}
REASON_TEXT = {
    BehindReason.NO_REGULAR_AT_CUTOFF: N_("digest.reason.no_regular_at_cutoff"),
    BehindReason.MISSED_MONTH: N_("digest.reason.missed_month"),
    BehindReason.NO_THEMATIC: N_("digest.reason.no_thematic"),
    BehindReason.MISSED_THEMATIC: N_("digest.reason.missed_thematic"),
    BehindReason.LOW_ATTENDANCE: N_("digest.reason.low_attendance"),
    BehindReason.NO_QUORUM: N_("digest.reason.no_quorum"),
    BehindReason.MINUTES_MISSING: N_("digest.reason.minutes_missing"),
    BehindReason.PAPERS_MISSING: N_("digest.reason.papers_missing"),
}
LABEL_KEYS = {
    "title": N_("digest.label.title"),
    "attendance_axis": N_("digest.label.attendance_axis"),
    "norm": N_("digest.label.norm"),
    "late": N_("digest.label.late"),
    "missing": N_("digest.label.missing"),
    "no_roll": N_("digest.label.no_roll"),
    "summary_sheet": N_("digest.label.summary_sheet"),
    "at_risk_sheet": N_("digest.label.at_risk_sheet"),
    "cell": N_("digest.label.cell"),
    "regular": N_("digest.label.regular"),
    "regular_date": N_("digest.label.regular_date"),
    "thematic": N_("digest.label.thematic"),
    "attendance": N_("digest.label.attendance"),
    "quorum": N_("digest.label.quorum"),
    "papers_assigned": N_("digest.label.papers_assigned"),
    "papers_submitted": N_("digest.label.papers_submitted"),
    "papers_late": N_("digest.label.papers_late"),
    "minutes_missing": N_("digest.label.minutes_missing"),
    "behind": N_("digest.label.behind"),
    "meeting_date": N_("digest.label.meeting_date"),
    "meeting_kind": N_("digest.label.meeting_kind"),
    "expected": N_("digest.label.expected"),
    "present": N_("digest.label.present"),
    "minutes": N_("digest.label.minutes"),
    "member": N_("digest.label.member"),
    "unexcused": N_("digest.label.unexcused"),
    "yes": N_("digest.label.yes"),
    "no": N_("digest.label.no"),
    "organisation": N_("digest.label.organisation"),
    "period": N_("digest.label.period"),
    "on_time_share": N_("digest.label.on_time_share"),
    "mean_attendance": N_("digest.label.mean_attendance"),
    "thematic_share": N_("digest.label.thematic_share"),
    "meetings_sheet": N_("digest.label.meetings_sheet"),
    "nobody_owed": N_("digest.label.nobody_owed"),
    "not_due_yet": N_("digest.label.not_due_yet"),
    "meeting_excused": N_("digest.label.meeting_excused"),
    "meeting_unexcused": N_("digest.label.meeting_unexcused"),
    "empty": N_("digest.label.empty"),
}


def labels(render: Render) -> DigestLabels:
    return DigestLabels(
        **{name: render(Text(key)) for name, key in LABEL_KEYS.items()},
        more_cells=lambda count: render(Text("digest.label.more_cells", {"count": count})),
        month_of=lambda month: render(Text("digest.label.month_of", {"month": month})),
        quarter_of=lambda quarter: render(Text("digest.label.quarter_of", {"quarter": quarter})),
        states={state.value: render(Text(key)) for state, key in STATE_TEXT.items()},
    )


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime  # exclusive


def last_week(now: datetime, zone: ZoneInfo) -> Period:
    """Monday 00:00 to Sunday 24:00 of the week before the one ``now`` is in."""
    local = now.astimezone(zone)
    monday = datetime.combine(
        local.date() - timedelta(days=local.weekday()), datetime.min.time(), tzinfo=zone
    )
    return Period(monday - timedelta(days=7), monday)


def digest_moment(now: datetime, zone: ZoneInfo) -> datetime:
    """This week's sending time: Monday 07:00 local."""
    local = now.astimezone(zone)
    monday = datetime.combine(
        local.date() - timedelta(days=local.weekday()), datetime.min.time(), tzinfo=zone
    )
    return monday + DIGEST_TIME


# --- figures ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Looking:
    """What one digest looks at: its period, the current month and quarter, and the closed
    months and quarters it looks back on."""

    period: Period
    now: datetime
    cutoff_day: int
    settings: ServiceSettings
    render: Render
    month: Month
    quarter: Quarter
    months: list[Month]  # checked for a missed regular meeting
    quarters: list[Quarter]  # closed, checked for a missed thematic meeting

    @property
    def zone(self) -> ZoneInfo:
        return self.settings.zone

    @property
    def cutoff_passed(self) -> bool:
        """Whether this month's cutoff day is over, so that its regular meeting is settled."""
        day_after = cutoff_date(self.month, self.cutoff_day) + timedelta(days=1)
        return self.now >= datetime.combine(day_after, datetime.min.time(), tzinfo=self.zone)

    @property
    def since(self) -> datetime:
        """The earliest moment anything it looks at starts."""
        return min(
            self.months[0].bounds(self.zone)[0],
            *(q.bounds(self.zone)[0] for q in self.quarters),
            self.period.start,
        )


async def figures(
    session: AsyncSession,
    organisation: Organisation,
    cell_ids: set[int] | None,
    period: Period,
    now: datetime,
    settings: ServiceSettings,
    render: Render,
    period_label: str,
) -> DigestFigures:
    zone = settings.zone
    # The organisation's cells as a subquery, not a list of ids: a province's thousands of
    # cells, and their meetings, would exceed a driver's bound-parameter limit (asyncpg's is
    # 32,767). Only a supervisor scoped to particular cells names them, a handful.
    scope = select(Cell.id).where(Cell.organisation_id == organisation.id)
    if cell_ids is not None:
        scope = scope.where(Cell.id.in_(cell_ids))
    cells = list(
        (await session.scalars(select(Cell).where(Cell.id.in_(scope)).order_by(Cell.name))).all()
    )
    looking = _Looking(
        period=period,
        now=now,
        cutoff_day=organisation.cutoff_day,
        settings=settings,
        render=render,
        month=Month.of(now, zone),
        quarter=Quarter.of(now, zone),
        months=months_to_check(period.start, now, zone),
        quarters=quarters_to_check(now, zone),
    )
    window_end = max(looking.month.bounds(zone)[1], looking.quarter.bounds(zone)[1], period.end)
    in_window = (
        Meeting.cell_id.in_(scope),
        Meeting.status == MeetingStatus.SCHEDULED,
        Meeting.starts_at >= min(looking.since, looking.quarter.bounds(zone)[0]),
        Meeting.starts_at < window_end,
    )
    meetings = list(
        (await session.scalars(select(Meeting).where(*in_window).order_by(Meeting.starts_at))).all()
    )
    rolls = await _rolls(session, in_window)
    papers = await _papers(session, scope, period, now)
    at_risk = await _at_risk(session, scope, period.start, zone)
    by_cell: dict[int, list[Meeting]] = defaultdict(list)
    for meeting in meetings:
        by_cell[meeting.cell_id].append(meeting)
    results = [
        _cell_figures(
            cell,
            by_cell[cell.id],
            rolls,
            papers.get(cell.id, (0, 0, 0, 0)),
            at_risk.get(cell.id, []),
            looking,
        )
        for cell in cells
    ]
    return _organisation_figures(
        organisation.name,
        period_label,
        results,
        await _observations(session, scope, period),
        looking,
    )


def _organisation_figures(
    organisation: str,
    period_label: str,
    results: list[CellFigures],
    observations: list[Observation],
    looking: _Looking,
) -> DigestFigures:
    owing_month = [c for c in results if c.owes_month]
    # Of the cells that owe the month, those whose month is settled: met (on time or late),
    # planned late, or past the cutoff without a meeting; one planned on time but still
    # ahead, or not planned before the cutoff, is neither on time nor late yet.
    settled = [
        c
        for c in owing_month
        if c.regular in (RegularState.ON_TIME, RegularState.LATE)
        or (c.regular is RegularState.MISSING and looking.cutoff_passed)
    ]
    owing_quarter = [c for c in results if c.owes_quarter]
    # Held, not only planned: a thematic meeting still ahead is not one the cell had.
    held_thematic = [
        c for c in owing_quarter if c.thematic_at is not None and c.thematic_at <= looking.now
    ]
    return DigestFigures(
        observations=observations,
        organisation=organisation,
        period=period_label,
        cells=results,
        month=looking.month.label,
        quarter=looking.quarter.label,
        on_time_share=share_of(
            sum(1 for c in settled if c.regular is RegularState.ON_TIME), len(settled)
        ),
        on_time_pending=bool(owing_month) and not settled,
        mean_attendance=mean([c.attendance_rate for c in results if c.attendance_rate is not None]),
        thematic_share=share_of(len(held_thematic), len(owing_quarter)),
    )


async def _observations(
    session: AsyncSession, scope: Select[int], period: Period
) -> list[Observation]:
    """What the working groups reported from the cells' meetings during the period."""
    rows = await session.execute(
        select(Cell.name, Person.full_name, MeetingObserver.observations)
        .join(Meeting, Meeting.id == MeetingObserver.meeting_id)
        .join(Cell, Cell.id == Meeting.cell_id)
        .join(Person, Person.id == MeetingObserver.person_id)
        .where(
            Meeting.cell_id.in_(scope),
            MeetingObserver.observed_at >= period.start,
            MeetingObserver.observed_at < period.end,
        )
        .order_by(Cell.name, MeetingObserver.observed_at)
    )
    return [Observation(cell, observer, text) for cell, observer, text in rows.all() if text]


async def _rolls(
    session: AsyncSession, meetings: tuple[ColumnElement[bool], ...]
) -> dict[int, list[RollStatus]]:
    """The closed rolls of the meetings matching ``meetings``, exempted members left out."""
    rolls: dict[int, list[RollStatus]] = defaultdict(list)
    rows = await session.execute(
        select(Invitation.meeting_id, Invitation.roll_status)
        .join(Meeting, Meeting.id == Invitation.meeting_id)
        .where(
            *meetings,
            Meeting.roll_closed_at.is_not(None),
            Invitation.roll_status.is_not(None),
            Invitation.exempted.is_(False),
        )
    )
    for meeting_id, status in rows:
        if status is not None:
            rolls[meeting_id].append(status)
    return rolls


async def _papers(
    session: AsyncSession, scope: Select[int], period: Period, now: datetime
) -> dict[int, tuple[int, int, int, int]]:
    """Per cell, for papers due in the period: assigned, submitted, late, and missing (due by
    ``now`` and not handed in: a paper not yet due is not missing)."""
    current = (
        select(PaperSubmission.assignment_id, PaperSubmission.late)
        .where(PaperSubmission.replaced_at.is_(None))
        .subquery()
    )
    rows = await session.execute(
        select(Meeting.cell_id, PaperAssignment.due_at, current.c.late)
        .join(Meeting, Meeting.id == PaperAssignment.meeting_id)
        .outerjoin(current, current.c.assignment_id == PaperAssignment.id)
        .where(
            Meeting.cell_id.in_(scope),
            Meeting.status == MeetingStatus.SCHEDULED,  # a cancelled meeting's papers are moot
            PaperAssignment.due_at >= period.start,
            PaperAssignment.due_at < period.end,
        )
    )
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for cell_id, due_at, late in rows:
        counts[cell_id][0] += 1
        if late is not None:
            counts[cell_id][1] += 1
            counts[cell_id][2] += int(bool(late))
        elif is_overdue(due_at, now):
            counts[cell_id][3] += 1
    return {cell_id: (a, s, la, m) for cell_id, (a, s, la, m) in counts.items()}


async def _at_risk(
    session: AsyncSession, scope: Select[int], period_start: datetime, zone: ZoneInfo
) -> dict[int, list[MemberAtRisk]]:
    """Members with repeated unexcused absences in the year the period starts in (the first
    digest of January still reports December's third absence); the exempted are never
    absent."""
    year = period_start.astimezone(zone).year
    start = datetime(year, 1, 1, tzinfo=zone)
    rows = await session.execute(
        select(Meeting.cell_id, Cell.name, Person.full_name, func.count(Invitation.id))
        .join(Meeting, Meeting.id == Invitation.meeting_id)
        .join(Cell, Cell.id == Meeting.cell_id)
        .join(Person, Person.id == Invitation.person_id)
        .where(
            Meeting.cell_id.in_(scope),
            Meeting.starts_at >= start,
            Meeting.starts_at < datetime(year + 1, 1, 1, tzinfo=zone),
            Meeting.status == MeetingStatus.SCHEDULED,
            Meeting.roll_closed_at.is_not(None),
            Invitation.roll_status == RollStatus.UNEXCUSED,
            Invitation.exempted.is_(False),
        )
        .group_by(Meeting.cell_id, Cell.name, Person.id, Person.full_name)
        .having(func.count(Invitation.id) >= AT_RISK_FROM)
    )
    found: dict[int, list[MemberAtRisk]] = defaultdict(list)
    for cell_id, cell_name, name, count in rows:
        found[cell_id].append(MemberAtRisk(name, cell_name, int(count)))
    return found


def _regular_state(regular: Meeting | None, owed: bool, looking: _Looking) -> RegularState:
    # A month the cell did not owe is neither on time nor late, whether it met or not.
    if not owed:
        return RegularState.NOT_OWED
    if regular is None:
        return RegularState.MISSING
    if regular.late or is_after_cutoff(regular.starts_at, looking.cutoff_day, looking.zone):
        return RegularState.LATE
    if regular.starts_at > looking.now:
        return RegularState.SCHEDULED
    return RegularState.ON_TIME


def _cell_figures(
    cell: Cell,
    meetings: list[Meeting],
    rolls: dict[int, list[RollStatus]],
    papers: tuple[int, int, int, int],
    at_risk: list[MemberAtRisk],
    looking: _Looking,
) -> CellFigures:
    zone, now = looking.zone, looking.now
    # Reversed, so that of two meetings in a month (or quarter) the first is the one kept.
    earliest_first = list(reversed(meetings))
    regular_months = {
        Month.of(m.starts_at, zone): m for m in earliest_first if m.kind is MeetingKind.REGULAR
    }
    thematic_quarters = {
        Quarter.of(m.starts_at, zone): m for m in earliest_first if m.kind is MeetingKind.THEMATIC
    }
    regular = regular_months.get(looking.month)
    thematic = thematic_quarters.get(looking.quarter)
    owes_month_now = owes_month(cell.created_at, looking.month, looking.cutoff_day, zone)
    owes_quarter_now = owes_quarter(cell.created_at, looking.quarter, zone)
    period = looking.period
    meeting_figures, quorum_results, rates = _meetings_in_period(
        [m for m in meetings if period.start <= m.starts_at < period.end], rolls, looking
    )
    # Minutes still missing from any meeting it looks at, the closed months' included: a
    # month's unfinished record is reported after the month, not forgotten with it.
    minutes_missing = [
        m
        for m in meetings
        if looking.since <= m.starts_at < period.end
        and m.minutes_recorded_at is None
        and m.starts_at <= now - MINUTES_DUE_AFTER
    ]
    assigned, submitted, late_papers, missing_papers = papers
    state = _regular_state(regular, owes_month_now, looking)
    attendance = mean(rates)
    reasons = _reasons(
        looking,
        state=state,
        missed_months=[
            m
            for m in looking.months
            if m not in regular_months and owes_month(cell.created_at, m, looking.cutoff_day, zone)
        ],
        thematic_due=thematic is None and owes_quarter_now,
        missed_quarters=[
            q
            for q in looking.quarters
            if q not in thematic_quarters and owes_quarter(cell.created_at, q, zone)
        ],
        attendance=attendance,
        quorum_results=quorum_results,
        minutes_missing=minutes_missing,
        missing_papers=missing_papers,
    )
    return CellFigures(
        cell_id=cell.id,
        name=cell.name,
        regular=state,
        regular_at=regular.starts_at.astimezone(zone) if regular else None,
        thematic_at=thematic.starts_at.astimezone(zone) if thematic else None,
        attendance_rate=attendance,
        quorum_ok=all(quorum_results) if quorum_results else None,
        papers_assigned=assigned,
        papers_submitted=submitted,
        papers_late=late_papers,
        minutes_missing=len(minutes_missing),
        meetings=meeting_figures,
        at_risk=sorted(at_risk, key=lambda m: -m.unexcused),
        behind=reasons,
        owes_month=owes_month_now,
        owes_quarter=owes_quarter_now,
    )


def _meetings_in_period(
    in_period: list[Meeting], rolls: dict[int, list[RollStatus]], looking: _Looking
) -> tuple[list[MeetingFigures], list[bool], list[Fraction]]:
    """Each meeting's figures, and of the closed rolls: whether they had quorum, their rate."""
    figures, quorum_results, rates = [], [], []
    for meeting in in_period:
        roll = (
            roll_figures(rolls.get(meeting.id, []), looking.settings.quorum)
            if meeting.roll_closed_at
            else None
        )
        if roll is not None:
            quorum_results.append(roll.quorum_met)
            if roll.rate is not None:
                rates.append(roll.rate)
        figures.append(
            MeetingFigures(
                starts_at=meeting.starts_at.astimezone(looking.zone),
                kind=meeting.kind.value,
                kind_label=looking.render(Text(KIND_TEXT[meeting.kind])),
                expected=roll.expected if roll else 0,
                present=roll.present if roll else 0,
                excused=roll.excused if roll else 0,
                unexcused=roll.unexcused if roll else 0,
                rate_percent=roll.percent if roll else None,
                quorum_met=roll.quorum_met if roll else None,
                late=meeting.late,
                minutes_recorded=meeting.minutes_recorded_at is not None,
            )
        )
    return figures, quorum_results, rates


def _reasons(
    looking: _Looking,
    *,
    state: RegularState,
    missed_months: list[Month],
    thematic_due: bool,
    missed_quarters: list[Quarter],
    attendance: Fraction | None,
    quorum_results: list[bool],
    minutes_missing: list[Meeting],
    missing_papers: int,
) -> list[Behind]:
    """Why the cell is to be looked at, each said with the month, quarter or meetings it
    concerns, in the order a supervisor reads them."""

    def behind(reason: BehindReason, **arguments: ArgValue) -> Behind:
        return Behind(reason, looking.render(Text(REASON_TEXT[reason], arguments)))

    reasons = []
    if looking.cutoff_passed and state in (RegularState.MISSING, RegularState.LATE):
        reasons.append(behind(BehindReason.NO_REGULAR_AT_CUTOFF, month=looking.month.label))
    reasons += [behind(BehindReason.MISSED_MONTH, month=m.label) for m in missed_months]
    if thematic_due and looking.quarter.bounds(looking.zone)[1] - looking.now <= (
        QUARTER_NEARLY_OVER
    ):
        reasons.append(behind(BehindReason.NO_THEMATIC, quarter=looking.quarter.label))
    reasons += [behind(BehindReason.MISSED_THEMATIC, quarter=q.label) for q in missed_quarters]
    if attendance is not None and attendance < ATTENDANCE_NORM:
        shown = whole_percent(attendance)
        # 89.6% shows as 90%: said as "below the norm" alone, not as "90%, below 90%".
        near_norm = looking.render(Text("digest.reason.near_norm"))
        reasons.append(
            behind(BehindReason.LOW_ATTENDANCE, percent=f"{shown}%")
            if shown < whole_percent(ATTENDANCE_NORM)
            else Behind(BehindReason.LOW_ATTENDANCE, near_norm)
        )
    if quorum_results and not all(quorum_results):
        reasons.append(behind(BehindReason.NO_QUORUM))
    if minutes_missing:
        days = [f"{m.starts_at.astimezone(looking.zone):%d/%m/%Y}" for m in minutes_missing]
        reasons.append(behind(BehindReason.MINUTES_MISSING, dates=", ".join(days)))
    if missing_papers:
        reasons.append(behind(BehindReason.PAPERS_MISSING, count=missing_papers))
    return reasons


def summary_text(digest: DigestFigures) -> Text:
    """The digest's message: organisation figures, the cells to look at first and why, and
    the members absent without reason three times or more this year."""
    return Text(
        "digest.summary",
        {
            "organisation": digest.organisation,
            "period": digest.period,
            "cells": len(digest.cells),
            "month": digest.month,
            "quarter": digest.quarter,
            "on_time": _percent(
                digest.on_time_percent,
                Text("digest.not_due_yet") if digest.on_time_pending else Text("digest.not_owed"),
            ),
            "attendance": _percent(digest.mean_attendance_percent, Text("digest.no_roll_yet")),
            "thematic": _percent(digest.thematic_percent, Text("digest.not_owed")),
            "behind": [
                Text(
                    "digest.behind_item",
                    {
                        "cell": cell.name,
                        "reasons": [
                            Text("digest.reason_line", {"reason": reason.label})
                            for reason in cell.behind
                        ],
                    },
                )
                for cell in digest.behind
            ]
            or [Text("digest.nobody_behind")],
            "at_risk": _section(
                N_("digest.at_risk"),
                [
                    Text(
                        "digest.at_risk_line",
                        {"name": m.name, "cell": m.cell, "count": m.unexcused},
                    )
                    for m in digest.members_at_risk
                ],
            ),
            "observations": _section(
                N_("digest.observations"),
                [
                    Text(
                        "digest.observation_line",
                        {"cell": o.cell, "name": o.observer, "text": o.text},
                    )
                    for o in digest.observations
                ],
            ),
        },
    )


def _section(key: str, lines: list[Text]) -> Text | str:
    """A titled list of lines, or nothing at all when there is none."""
    return Text(key, {"lines": lines}) if lines else ""


def _percent(value: int | None, instead: Text) -> Text | str:
    """A share, or why there is none (no cell had to, none is due yet: not 0%)."""
    return instead if value is None else f"{value}%"


def render_files(digest: DigestFigures, render: Render, stem: str) -> tuple[Attachment, ...]:
    if not digest.cells:
        return ()
    chosen = labels(render)
    return (
        Attachment(f"{stem}.png", attendance_chart(digest, chosen)),
        Attachment(f"{stem}.xlsx", digest_workbook(digest, chosen)),
    )


# --- who sees what ---------------------------------------------------------------------------


# --- /digest on demand -----------------------------------------------------------------------


PERIOD_TEXT = {
    "week": N_("digest.period.week"),
    "month": N_("digest.period.month"),
    "quarter": N_("digest.period.quarter"),
}


async def choose(database: Database, caller: Caller, now: datetime) -> Reply:
    async with database.transaction() as session:
        make_button = actions.ButtonMaker(session, caller.telegram_user_id, now)
        _, actor = await require_person(session, caller)
        if not actor.is_supervisor:
            raise refused("error.not_supervisor")
        buttons = tuple(
            [
                await make_button(Text(label), "digest.period", period=name)
                for name, label in PERIOD_TEXT.items()
            ]
        )
        return Reply(Text("digest.choose"), (buttons,))


def period_of(name: str, now: datetime, zone: ZoneInfo) -> Period:
    if name == "week":
        week = last_week(now, zone)
        return Period(week.end, week.end + timedelta(days=7))
    if name == "month":
        return Period(*Month.of(now, zone).bounds(zone))
    if name == "quarter":
        return Period(*Quarter.of(now, zone).bounds(zone))
    raise refused("error.stale_button")


async def on_demand(
    database: Database,
    caller: Caller,
    period_name: str,
    now: datetime,
    settings: ServiceSettings,
    render: Render,
) -> Reply:
    period = period_of(period_name, now, settings.zone)
    async with database.transaction() as session:
        person, _ = await require_person(session, caller)
        mine = await supervisor_scopes(session, [person.id])
        if not mine:
            raise refused("error.not_supervisor")
        (_, organisation_id), cell_ids = sorted(mine.items(), key=lambda kv: kv[0])[0]
        organisation = await session.get(Organisation, organisation_id)
        assert organisation is not None
        digest = await figures(
            session,
            organisation,
            cell_ids,
            period,
            now,
            settings,
            render,
            _label(period, settings.zone),
        )
    stem = f"chibo-{period.start:%Y%m%d}"
    # Drawn in a worker thread: seconds for a province, during which the event loop stays free
    # (the outbox keeps sending; with CHIBO_CONCURRENT_UPDATES > 1 others are answered too).
    return Reply(
        summary_text(digest),
        attachments=await asyncio.to_thread(render_files, digest, render, stem),
    )


def _label(period: Period, zone: ZoneInfo) -> str:
    last_day = (period.end - timedelta(seconds=1)).astimezone(zone)
    return f"{period.start.astimezone(zone):%d/%m/%Y} – {last_day:%d/%m/%Y}"


# --- the weekly digest ---------------------------------------------------------------------------


async def weekly(
    database: Database,
    now: datetime,
    settings: ServiceSettings,
    render_for: Callable[[str], Render],
    files: FileStore,
) -> int:
    """Queue this week's digest for every supervisor once (Monday 07:00, or on return).

    One supervisor at a time: the figures are read, the chart and workbook drawn in a worker
    thread with no transaction open (seconds for a province: the event loop stays free and
    no lock is held), then the three messages queued together under keys that make a second
    replica's or a retried run's copy a no-op.
    """
    if now < digest_moment(now, settings.zone):
        return 0
    period = last_week(now, settings.zone)
    week = f"{period.start.astimezone(settings.zone):%G-W%V}"
    label = _label(period, settings.zone)
    async with database.transaction() as session:
        due = await _due_digests(session, period, week, settings)
    queued = 0
    for digest_due in due:
        render = render_for(digest_due.lang)
        async with database.transaction() as session:
            digest = await figures(
                session,
                digest_due.organisation,
                digest_due.cell_ids,
                period,
                now,
                settings,
                render,
                label,
            )
        attachments = await asyncio.to_thread(render_files, digest, render, f"chibo-{week}")
        async with database.transaction() as session:
            queued += await _queue_digest(session, digest_due, digest, attachments, files, now)
    return queued


@dataclass(frozen=True)
class DueDigest:
    key: str  # the outbox key: one per supervisor, organisation and week
    chat_id: int
    lang: str
    organisation: Organisation
    cell_ids: set[int] | None  # None: every cell of the organisation


async def _due_digests(
    session: AsyncSession, period: Period, week: str, settings: ServiceSettings
) -> list[DueDigest]:
    """The digests of the week not queued yet."""
    scoped = await supervisor_scopes(session)
    if not scoped:
        return []
    keys = {f"digest:{p}:{o}:{week}" for p, o in scoped}
    done = set(await session.scalars(select(OutboxMessage.key).where(OutboxMessage.key.in_(keys))))
    people = {
        p.id: p
        for p in await session.scalars(select(Person).where(Person.id.in_([p for p, _ in scoped])))
    }
    organisations = {
        o.id: o
        for o in await session.scalars(
            select(Organisation).where(Organisation.id.in_([o for _, o in scoped]))
        )
    }
    due = []
    for (person_id, organisation_id), cell_ids in sorted(scoped.items()):
        key = f"digest:{person_id}:{organisation_id}:{week}"
        organisation = organisations[organisation_id]
        if key in done or organisation.created_at >= period.end:
            continue  # queued already, or a week before the organisation existed
        person = people[person_id]
        lang = person.language or settings.default_language
        due.append(DueDigest(key, person.telegram_user_id, lang, organisation, cell_ids))
    return due


async def _queue_digest(
    session: AsyncSession,
    due: DueDigest,
    digest: DigestFigures,
    attachments: tuple[Attachment, ...],
    files: FileStore,
    now: datetime,
) -> int:
    """The summary and its files, in one transaction; 0 if another run queued them first."""
    key, chat_id, lang = due.key, due.chat_id, due.lang
    if not await outbox.enqueue_message(
        session, key=key, chat_id=chat_id, text=summary_text(digest), lang=lang, now=now
    ):
        return 0
    for attachment in attachments:
        await outbox.enqueue(
            session,
            key=f"{key}:{attachment.file_name.rsplit('.', 1)[1]}",
            chat_id=chat_id,
            method="sendDocument",
            payload={
                "lang": lang,
                "stored": files.put(attachment.content),
                "filename": attachment.file_name,
                "caption": Text("digest.file_caption", {"period": digest.period}).to_json(),
            },
            due_at=now,
            now=now,
        )
    return 1
