"""The digest's figures, per cell and for the organisation, for one period.

The figures come from a fixed number of queries, whatever the number of cells or members:
each query covers every cell in scope at once.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from fractions import Fraction
from functools import cached_property
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from domain.attendance import (
    ATTENDANCE_NORM,
    RollFigures,
    RollStatus,
    roll_figures_from_counts,
)
from domain.calendar import (
    MINUTES_DUE_AFTER,
    Month,
    Quarter,
    cutoff_over,
    month_overdue_for_plan,
    months_between,
    months_to_check,
    owes_month,
    owes_plan,
    owes_quarter,
    plan_due_date,
    quarters_of,
    quarters_to_check,
)
from domain.digest import (
    Behind,
    BehindReason,
    CellFigures,
    DigestFigures,
    MeetingFigures,
    MemberAtRisk,
    MonthFigures,
    Observation,
    Period,
    QuarterFigures,
    RegularState,
    month_square,
    organisation_figures,
    quarter_square,
    regular_state,
)
from domain.meetings import MeetingKind
from domain.messages import N_, ArgValue, Text
from domain.papers import is_overdue
from domain.percent import mean, whole_percent
from services.config import ServiceSettings
from services.digest.observations import members_at_risk, observations
from services.views import KIND_TEXT
from storage.models import Organisation
from storage.queries.digest import (
    CellScope,
    DigestCell,
    PaperDue,
    ScheduledMeeting,
    cells_in_scope,
    closed_rolls_between,
    papers_due_between,
    scheduled_meetings_between,
)

Render = Callable[[Text], str]

# A quarter is "nearly over" for the thematic-meeting check with this many days left.
QUARTER_NEARLY_OVER = timedelta(days=30)
# A closed roll without an expected member on it (the query counts no entries for it).
EMPTY_ROLL = roll_figures_from_counts({})

REASON_TEXT = {
    BehindReason.NO_REGULAR_AT_CUTOFF: N_("digest.reason.no_regular_at_cutoff"),
    BehindReason.MISSED_MONTH: N_("digest.reason.missed_month"),
    BehindReason.NOT_PLANNED: N_("digest.reason.not_planned"),
    BehindReason.NO_THEMATIC: N_("digest.reason.no_thematic"),
    BehindReason.MISSED_THEMATIC: N_("digest.reason.missed_thematic"),
    BehindReason.LOW_ATTENDANCE: N_("digest.reason.low_attendance"),
    BehindReason.NO_QUORUM: N_("digest.reason.no_quorum"),
    BehindReason.MINUTES_MISSING: N_("digest.reason.minutes_missing"),
    BehindReason.PAPERS_MISSING: N_("digest.reason.papers_missing"),
}


@dataclass(frozen=True)
class _Looking:
    """What one digest looks at: its period, the current month and quarter, and the closed
    months and quarters it looks back on."""

    period: Period
    now: datetime
    cutoff_day: int
    plan_due_day: int | None  # None: the organisation has no plan-by day
    settings: ServiceSettings
    render: Render
    month: Month
    quarter: Quarter
    months: list[Month]  # checked for a missed regular meeting
    quarters: list[Quarter]  # closed, checked for a missed thematic meeting
    kind_labels: dict[MeetingKind, str]  # rendered once, not for each meeting

    @classmethod
    def at(
        cls,
        organisation: Organisation,
        period: Period,
        now: datetime,
        settings: ServiceSettings,
        render: Render,
        speaking_of: datetime,
    ) -> _Looking:
        zone = settings.zone
        return cls(
            period=period,
            now=now,
            cutoff_day=organisation.cutoff_day,
            plan_due_day=organisation.plan_due_day,
            settings=settings,
            render=render,
            month=Month.of(speaking_of, zone),
            quarter=Quarter.of(speaking_of, zone),
            months=months_to_check(period.start, speaking_of, zone),
            quarters=quarters_to_check(speaking_of, zone),
            kind_labels={kind: render(Text(KIND_TEXT[kind])) for kind in MeetingKind},
        )

    @property
    def zone(self) -> ZoneInfo:
        return self.settings.zone

    # Cached: each is read for every cell (a frozen dataclass's cached_property is kept in
    # its __dict__).
    @cached_property
    def cutoff_passed(self) -> bool:
        """Whether this month's cutoff day is over, so that its regular meeting is settled."""
        return cutoff_over(self.month, self.cutoff_day, self.zone, self.now)

    @cached_property
    def quarter_nearly_over(self) -> datetime:
        """When this quarter's thematic meeting is due soon: the local midnight that many days
        before the quarter ends (by the calendar, whatever a daylight-saving change does)."""
        last_day = self.quarter.next().first_day() - QUARTER_NEARLY_OVER
        return datetime.combine(last_day, time(0), tzinfo=self.zone)

    @cached_property
    def period_months(self) -> list[Month]:
        """The months the period touches, each a column of the dashboard's grid."""
        return months_between(self.period.start, self.period.end, self.zone)

    @cached_property
    def since(self) -> datetime:
        """The earliest moment anything it looks at starts."""
        return min(
            self.months[0].bounds(self.zone)[0],
            *(q.bounds(self.zone)[0] for q in self.quarters),
            self.period.start,
        )

    @property
    def window(self) -> tuple[datetime, datetime]:
        """When the meetings it reads start: from the earliest it looks back on to the end of
        the next month (whose plan may be due), the current quarter or the period's last
        month, whichever is last (a week running into the next month judges that month
        whole)."""
        zone = self.zone
        return (
            min(self.since, self.quarter.bounds(zone)[0]),
            max(
                self.month.next().bounds(zone)[1],
                self.quarter.bounds(zone)[1],
                self.period_months[-1].bounds(zone)[1],
            ),
        )


class _Papers(NamedTuple):
    """A cell's papers due in the period."""

    assigned: int = 0
    submitted: int = 0
    late: int = 0
    missing: int = 0  # due by now and not handed in: a paper not yet due is not missing


async def digest_figures(
    session: AsyncSession,
    organisation: Organisation,
    cell_ids: set[int] | None,
    period: Period,
    now: datetime,
    settings: ServiceSettings,
    render: Render,
    period_label: str,
    speaking_of: datetime | None = None,
) -> DigestFigures:
    """The figures of the organisation's cells (only ``cell_ids`` when given) for ``period``,
    labels said by ``render``, as they stand ``now``. The month and quarter they speak of
    (this month's meeting, the shares, what was missed) are those of ``speaking_of``: now's,
    unless a past period is looked back on."""
    counted = await cells_figures(
        session, organisation, cell_ids, period, now, settings, render, period_label, speaking_of
    )
    return counted.digest()


@dataclass(frozen=True)
class CellsFigures:
    """Each cell's figures, counted once, and what the working groups reported from them:
    the digest of any of these cells is put together from them, not counted again."""

    cells: list[CellFigures]  # by name
    observations: list[tuple[int, Observation]]  # (cell id, what was reported), by cell
    organisation: str
    period_label: str
    looking: _Looking

    def digest(self, cell_ids: set[int] | None = None) -> DigestFigures:
        """The digest of the cells named (None: all of them), as if counted alone: a cell's
        figures are its own, and the organisation's come from its cells'."""
        cells, reported = self.cells, self.observations
        if cell_ids is not None:
            cells = [cell for cell in cells if cell.cell_id in cell_ids]
            reported = [(cell_id, seen) for cell_id, seen in reported if cell_id in cell_ids]
        looking = self.looking
        return organisation_figures(
            cells,
            [seen for _, seen in reported],
            organisation=self.organisation,
            period=self.period_label,
            month=looking.month,
            quarter=looking.quarter,
            cutoff_passed=looking.cutoff_passed,
            now=looking.now,
        )

    def with_again(self, again: CellsFigures) -> CellsFigures:
        """These cells' figures with those of the cells counted ``again`` in their place, and
        what was reported from those: as things stand at ``again``'s moment, for cells whose
        figures did not change since these were counted."""
        fresh = {cell.cell_id: cell for cell in again.cells}
        order = {cell.cell_id: place for place, cell in enumerate(self.cells)}
        reported = [(cell_id, seen) for cell_id, seen in self.observations if cell_id not in fresh]
        reported += [(cell_id, seen) for cell_id, seen in again.observations if cell_id in order]
        return CellsFigures(
            [fresh.get(cell.cell_id, cell) for cell in self.cells],
            # By cell, and as reported within a cell (the sort keeps that order).
            sorted(reported, key=lambda item: order[item[0]]),
            self.organisation,
            self.period_label,
            again.looking,
        )


async def cells_figures(
    session: AsyncSession,
    organisation: Organisation,
    cell_ids: set[int] | None,
    period: Period,
    now: datetime,
    settings: ServiceSettings,
    render: Render,
    period_label: str,
    speaking_of: datetime | None = None,
) -> CellsFigures:
    """Each cell's figures, as ``digest_figures`` counts them, from the same fixed number of
    queries."""
    with _collector.held():
        scope = CellScope(organisation.id, cell_ids)
        cells = await cells_in_scope(session, scope)
        looking = _Looking.at(
            organisation, period, now, settings, render, speaking_of=speaking_of or now
        )
        start, end = looking.window
        meetings = await scheduled_meetings_between(session, scope, start, end)
        rolls = _rolls(await closed_rolls_between(session, scope, start, end), settings.quorum)
        papers = _papers(await papers_due_between(session, scope, period.start, period.end), now)
        at_risk = await members_at_risk(session, scope, period.start, settings.zone)
        reported = await observations(session, scope, period)
        # Times turned to the zone once: every rule reads them there, and converting a time
        # to the zone it is already in is free (the figures convert each a dozen times).
        zone = settings.zone
        by_cell: dict[int, list[ScheduledMeeting]] = defaultdict(list)
        for meeting in meetings:
            by_cell[meeting.cell_id].append(
                meeting._replace(starts_at=meeting.starts_at.astimezone(zone))
            )
        results = [
            _cell_figures(
                cell,
                by_cell[cell.id],
                rolls,
                papers.get(cell.id, _Papers()),
                at_risk.get(cell.id, []),
                looking,
            )
            for cell in (c._replace(created_at=c.created_at.astimezone(zone)) for c in cells)
        ]
    return CellsFigures(results, reported, organisation.name, period_label, looking)


class _CollectorPause:
    """The cyclic garbage collector off while cells' figures are read and built.

    A province's quarter is some 300,000 rows read and half a million objects built, nearly
    all of which survive until the digest is done: the collector scanned the whole heap for
    garbage a dozen times meanwhile, for none, which was 1.5 of the 3.5 s of CPU at 10,000
    cells. The pause spans the queries, so other tasks run without it for those seconds
    too: their memory is still freed as it is let go (reference counting), only cycles wait
    for the collections, which resume when the last computation ends. Computations
    overlapping on the event loop share one pause, and a collector that was off stays off.
    """

    def __init__(self) -> None:
        self.computing = 0
        self.resume = False

    @contextmanager
    def held(self) -> Iterator[None]:
        if not self.computing:
            self.resume = gc.isenabled()
            gc.disable()
        self.computing += 1
        try:
            yield
        finally:
            self.computing -= 1
            if not self.computing and self.resume:
                gc.enable()


_collector = _CollectorPause()


def _rolls(counts: dict[int, dict[RollStatus, int]], quorum: Fraction) -> dict[int, RollFigures]:
    """The closed rolls' figures, by meeting, from their entries counted per status."""
    return {
        meeting_id: roll_figures_from_counts(statuses, quorum)
        for meeting_id, statuses in counts.items()
    }


def _papers(due: list[PaperDue], now: datetime) -> dict[int, _Papers]:
    """Per cell: assigned, submitted, late, and missing."""
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for cell_id, due_at, late in due:
        counts[cell_id][0] += 1
        if late is not None:
            counts[cell_id][1] += 1
            counts[cell_id][2] += int(bool(late))
        elif is_overdue(due_at, now):
            counts[cell_id][3] += 1
    return {cell_id: _Papers(*count) for cell_id, count in counts.items()}


@dataclass(frozen=True)
class _Held:
    """A cell's regular meeting of each month and thematic meeting of each quarter: of two
    in a month (or quarter), the first."""

    regular: dict[Month, ScheduledMeeting]
    thematic: dict[Quarter, ScheduledMeeting]

    @classmethod
    def of(cls, meetings: list[ScheduledMeeting], zone: ZoneInfo) -> _Held:
        # Reversed, so that of two meetings in a month (or quarter) the first is the one kept.
        earliest_first = list(reversed(meetings))
        return cls(
            {
                Month.of(m.starts_at, zone): m
                for m in earliest_first
                if m.kind is MeetingKind.REGULAR
            },
            {
                Quarter.of(m.starts_at, zone): m
                for m in earliest_first
                if m.kind is MeetingKind.THEMATIC
            },
        )


def _cell_figures(
    cell: DigestCell,
    meetings: list[ScheduledMeeting],
    rolls: dict[int, RollFigures],
    papers: _Papers,
    at_risk: list[MemberAtRisk],
    looking: _Looking,
) -> CellFigures:
    zone, period = looking.zone, looking.period
    held = _Held.of(meetings, zone)
    regular = held.regular.get(looking.month)
    thematic = held.thematic.get(looking.quarter)
    owes_month_now = owes_month(cell.created_at, looking.month, looking.cutoff_day, zone)
    owes_quarter_now = owes_quarter(cell.created_at, looking.quarter, zone)
    in_period = [m for m in meetings if period.start <= m.starts_at < period.end]
    closed = {m.id: rolls.get(m.id, EMPTY_ROLL) for m in in_period if m.roll_closed_at}
    meeting_figures, quorum_results, rates = _meetings_in_period(in_period, closed, looking)
    minutes_missing = _minutes_missing(meetings, looking)
    state = regular_state(regular, owes_month_now, looking.cutoff_day, zone, looking.now)
    attendance = mean(rates)
    reasons = _reasons(
        looking,
        state=state,
        missed=_missed(cell, held, looking),
        unplanned=_unplanned(cell, held, looking),
        thematic_due=thematic is None and owes_quarter_now,
        attendance=attendance,
        quorum_results=quorum_results,
        minutes_missing=minutes_missing,
        missing_papers=papers.missing,
    )
    return CellFigures(
        cell_id=cell.id,
        name=cell.name,
        regular=state,
        regular_at=regular.starts_at.astimezone(zone) if regular else None,
        thematic_at=thematic.starts_at.astimezone(zone) if thematic else None,
        attendance_rate=attendance,
        quorum_ok=all(quorum_results) if quorum_results else None,
        papers_assigned=papers.assigned,
        papers_submitted=papers.submitted,
        papers_late=papers.late,
        minutes_missing=len(minutes_missing),
        meetings=meeting_figures,
        at_risk=sorted(at_risk, key=lambda m: (-m.unexcused, m.name)),
        behind=reasons,
        owes_month=owes_month_now,
        owes_quarter=owes_quarter_now,
        months=_months(cell, held, meetings, rolls, looking),
        quarters=[
            QuarterFigures(
                q,
                quarter_square(
                    held.thematic[q].starts_at if q in held.thematic else None,
                    owes_quarter(cell.created_at, q, zone),
                    q,
                    zone,
                    looking.now,
                ),
            )
            for q in quarters_of(looking.period_months)
        ],
    )


def _months(
    cell: DigestCell,
    held: _Held,
    meetings: list[ScheduledMeeting],
    rolls: dict[int, RollFigures],
    looking: _Looking,
) -> list[MonthFigures]:
    """Each month of the period: its regular meeting's square, and the mean rate of the
    rolls closed at the month's meetings (of every kind, as the period's rate counts), the
    whole month's even where the period (a week) covers only part of it."""
    zone = looking.zone
    rates: dict[Month, list[Fraction]] = defaultdict(list)
    for meeting in meetings:
        if meeting.roll_closed_at is None:
            continue
        rate = rolls.get(meeting.id, EMPTY_ROLL).rate
        if rate is not None:
            rates[Month.of(meeting.starts_at, zone)].append(rate)
    return [
        MonthFigures(
            month,
            month_square(
                held.regular.get(month),
                owes_month(cell.created_at, month, looking.cutoff_day, zone),
                month,
                looking.cutoff_day,
                zone,
                looking.now,
            ),
            mean(rates[month]),
        )
        for month in looking.period_months
    ]


def _minutes_missing(meetings: list[ScheduledMeeting], looking: _Looking) -> list[ScheduledMeeting]:
    """Minutes still missing from any meeting it looks at, the closed months' included: a
    month's unfinished record is reported after the month, not forgotten with it."""
    since, end, due_by = looking.since, looking.period.end, looking.now - MINUTES_DUE_AFTER
    return [
        m
        for m in meetings
        if since <= m.starts_at < end and m.minutes_recorded_at is None and m.starts_at <= due_by
    ]


def _missed(cell: DigestCell, held: _Held, looking: _Looking) -> tuple[list[Month], list[Quarter]]:
    """The closed months without a regular meeting and the closed quarters without a
    thematic one, of those the cell owed."""
    zone = looking.zone
    return (
        [
            m
            for m in looking.months
            if m not in held.regular and owes_month(cell.created_at, m, looking.cutoff_day, zone)
        ],
        [
            q
            for q in looking.quarters
            if q not in held.thematic and owes_quarter(cell.created_at, q, zone)
        ],
    )


def _unplanned(cell: DigestCell, held: _Held, looking: _Looking) -> tuple[Month, date] | None:
    """The month whose plan-by day (given with it) is over and whose cutoff is not, if the
    cell owed its plan and has no regular meeting planned in it."""
    day, zone = looking.plan_due_day, looking.zone
    if day is None:
        return None
    month = month_overdue_for_plan(looking.now, day, looking.cutoff_day, zone)
    if month is None or month in held.regular or not owes_plan(cell.created_at, month, day, zone):
        return None
    return month, plan_due_date(month, day)


def _meetings_in_period(
    in_period: list[ScheduledMeeting], closed: dict[int, RollFigures], looking: _Looking
) -> tuple[list[MeetingFigures], list[bool], list[Fraction]]:
    """Each meeting's figures, and of the closed rolls: whether they had quorum, their rate."""
    figures, quorum_results, rates = [], [], []
    for meeting in in_period:
        roll = closed.get(meeting.id)
        if roll is not None:
            quorum_results.append(roll.quorum_met)
            if roll.rate is not None:
                rates.append(roll.rate)
        figures.append(
            MeetingFigures(
                meeting_id=meeting.id,
                starts_at=meeting.starts_at.astimezone(looking.zone),
                kind=meeting.kind.value,
                kind_label=looking.kind_labels[meeting.kind],
                expected=roll.expected if roll else 0,
                present=roll.present if roll else 0,
                excused=roll.excused if roll else 0,
                unexcused=roll.unexcused if roll else 0,
                rate_percent=roll.percent if roll else None,
                quorum_met=roll.quorum_met if roll else None,
                late=meeting.late,
                minutes_recorded=meeting.minutes_recorded_at is not None,
                held=meeting.starts_at <= looking.now,
            )
        )
    return figures, quorum_results, rates


def _reasons(
    looking: _Looking,
    *,
    state: RegularState,
    missed: tuple[list[Month], list[Quarter]],
    unplanned: tuple[Month, date] | None,
    thematic_due: bool,
    attendance: Fraction | None,
    quorum_results: list[bool],
    minutes_missing: list[ScheduledMeeting],
    missing_papers: int,
) -> list[Behind]:
    """Why the cell is to be looked at, each said with the month, quarter or meetings it
    concerns, in the order a supervisor reads them."""

    def behind(reason: BehindReason, **arguments: ArgValue) -> Behind:
        return Behind(reason, looking.render(Text(REASON_TEXT[reason], arguments)))

    missed_months, missed_quarters = missed
    reasons = []
    if looking.cutoff_passed and state in (RegularState.MISSING, RegularState.LATE):
        reasons.append(behind(BehindReason.NO_REGULAR_AT_CUTOFF, month=looking.month.label))
    reasons += [behind(BehindReason.MISSED_MONTH, month=m.label) for m in missed_months]
    if unplanned is not None:
        month, deadline = unplanned
        reasons.append(behind(BehindReason.NOT_PLANNED, month=month.label, deadline=deadline))
    if thematic_due and looking.now >= looking.quarter_nearly_over:
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
