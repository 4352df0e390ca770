"""The supervisors' digest as figures: per cell and for the organisation, for one period.

Computed by services/digest/ from the database; rendered by reports/ (message, chart,
spreadsheet). Everything here is plain data and the rules that need no database; texts are
filled in by the caller's language.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from fractions import Fraction
from typing import Protocol
from zoneinfo import ZoneInfo

from domain.attendance import REPEATED_ABSENCES
from domain.calendar import Month, Quarter, cutoff_over, is_after_cutoff
from domain.percent import mean, share_of, whole_percent

# The digest goes out on Monday at 07:00 and covers the week that just ended.
DIGEST_TIME = timedelta(hours=7)


class RegularState(StrEnum):
    """This month's regular meeting, against the cutoff day."""

    ON_TIME = "on_time"  # held (or scheduled) on or before the cutoff day
    LATE = "late"  # held or scheduled after the cutoff day
    SCHEDULED = "scheduled"  # scheduled, the cutoff still ahead
    MISSING = "missing"  # none
    NOT_OWED = "not_owed"  # none, and none was due: the cell was created after the cutoff


class Square(StrEnum):
    """A month's regular meeting (or a quarter's thematic one) as the dashboard's grid shows
    it, once the month or quarter is judged."""

    ON_TIME = "on_time"  # held on or before the cutoff day (a thematic meeting: held)
    LATE = "late"  # held or planned after the cutoff day
    MISSED = "missed"  # none, and its cutoff (or the quarter) is over
    NOT_OWED = "not_owed"  # the cell did not exist yet, or not for most of the quarter
    AHEAD = "ahead"  # planned and still ahead, or nothing yet with the cutoff still ahead


class BehindReason(StrEnum):
    NO_REGULAR_AT_CUTOFF = "no_regular_at_cutoff"
    MISSED_MONTH = "missed_month"
    # The regular meeting of the month whose plan-by day is over is not planned (only where
    # the organisation has a plan-by day).
    NOT_PLANNED = "not_planned"
    NO_THEMATIC = "no_thematic"  # this quarter, nearly over
    MISSED_THEMATIC = "missed_thematic"  # a quarter that has closed
    LOW_ATTENDANCE = "low_attendance"
    NO_QUORUM = "no_quorum"
    MINUTES_MISSING = "minutes_missing"
    PAPERS_MISSING = "papers_missing"


@dataclass(frozen=True)
class Behind:
    """Why a cell is to be looked at, with what it concerns (the month, the quarter, the
    meetings) already said in the reader's language: "bỏ sinh hoạt thường kỳ tháng 10/2026"."""

    reason: BehindReason
    label: str


@dataclass(frozen=True)
class MeetingFigures:
    meeting_id: int
    starts_at: datetime  # local time
    kind: str  # "regular", "thematic", "committee"
    kind_label: str  # translated
    expected: int
    present: int
    excused: int  # absent with a reason the secretary accepted
    unexcused: int
    rate_percent: int | None  # None while the roll is open
    quorum_met: bool | None
    late: bool
    minutes_recorded: bool
    held: bool  # begun by the digest's moment (one still ahead has no roll or minutes)


@dataclass(frozen=True)
class MemberAtRisk:
    name: str
    cell: str
    unexcused: int  # absences without reason this calendar year


@dataclass(frozen=True)
class MonthFigures:
    """One cell's month: its regular meeting's square, and the exact mean attendance of
    the month's closed rolls (None: no roll closed that month)."""

    month: Month
    square: Square
    attendance_rate: Fraction | None


@dataclass(frozen=True)
class QuarterFigures:
    """One cell's quarter: its thematic meeting's square."""

    quarter: Quarter
    square: Square


@dataclass(frozen=True)
class CellFigures:
    cell_id: int
    name: str
    regular: RegularState
    regular_at: datetime | None
    thematic_at: datetime | None  # this quarter's thematic meeting, if any
    attendance_rate: Fraction | None  # exact mean over the period's closed rolls
    quorum_ok: bool | None  # every closed roll of the period reached quorum
    papers_assigned: int
    papers_submitted: int
    papers_late: int
    minutes_missing: int
    meetings: list[MeetingFigures] = field(default_factory=list)
    at_risk: list[MemberAtRisk] = field(default_factory=list)
    behind: list[Behind] = field(default_factory=list)
    owes_month: bool = True  # the current month's regular meeting is due from this cell
    owes_quarter: bool = True  # and the current quarter's thematic meeting
    months: list[MonthFigures] = field(default_factory=list)  # those the period touches
    quarters: list[QuarterFigures] = field(default_factory=list)

    @property
    def minutes_recorded(self) -> int:
        return sum(1 for m in self.meetings if m.minutes_recorded)

    @property
    def meetings_held(self) -> int:
        return sum(1 for m in self.meetings if m.held)

    @property
    def attendance_percent(self) -> int | None:
        return None if self.attendance_rate is None else whole_percent(self.attendance_rate)

    @property
    def reasons(self) -> list[BehindReason]:
        return [behind.reason for behind in self.behind]


@dataclass(frozen=True)
class Observation:
    """What a working group's member saw at a cell's meeting, and recommends."""

    cell: str
    observer: str
    text: str


@dataclass(frozen=True)
class DigestFigures:
    organisation: str
    period: str  # e.g. "23/11/2026 – 29/11/2026", already formatted
    cells: list[CellFigures]
    month: str  # the month the on-time share counts, e.g. "12/2026"
    quarter: str  # the quarter the thematic share counts, e.g. "IV/2026"
    on_time_share: Fraction | None  # of the cells owing this month's meeting; None: none owes
    mean_attendance: Fraction | None  # exact mean of the cells' exact rates
    thematic_share: Fraction | None  # of the cells owing this quarter's thematic meeting
    # Cells owe this month's meeting but none is settled yet (all ahead, before the cutoff).
    on_time_pending: bool = False
    observations: list[Observation] = field(default_factory=list)

    @property
    def on_time_percent(self) -> int | None:
        return None if self.on_time_share is None else whole_percent(self.on_time_share)

    @property
    def mean_attendance_percent(self) -> int | None:
        return None if self.mean_attendance is None else whole_percent(self.mean_attendance)

    @property
    def thematic_percent(self) -> int | None:
        return None if self.thematic_share is None else whole_percent(self.thematic_share)

    @property
    def members_at_risk(self) -> list[MemberAtRisk]:
        """Members absent without reason at least three times this year, most first."""
        return sorted(
            (m for c in self.cells for m in c.at_risk if m.unexcused >= REPEATED_ABSENCES),
            key=lambda m: (-m.unexcused, m.cell, m.name),
        )

    @property
    def behind(self) -> list[CellFigures]:
        """Cells to look at first: most reasons first, then by name."""
        return [c for c in looked_at_first(self.cells) if c.behind]


@dataclass(frozen=True)
class MonthTotals:
    """The organisation's month: how many cells are in each square, the share of those
    whose month is settled (on time, late or missed) that met on time, and the exact mean of
    the cells' attendance that month."""

    month: Month
    squares: dict[Square, int]
    on_time_share: Fraction | None
    mean_attendance: Fraction | None

    @property
    def on_time_percent(self) -> int | None:
        return None if self.on_time_share is None else whole_percent(self.on_time_share)

    @property
    def attendance_percent(self) -> int | None:
        return None if self.mean_attendance is None else whole_percent(self.mean_attendance)


def month_totals(cells: list[CellFigures]) -> list[MonthTotals]:
    """Each month the cells' figures cover, totalled over the cells."""
    by_month: dict[Month, list[MonthFigures]] = {}
    for cell in cells:
        for one in cell.months:
            by_month.setdefault(one.month, []).append(one)
    totals = []
    for month, figures in sorted(by_month.items()):
        squares = {square: sum(1 for f in figures if f.square is square) for square in Square}
        settled = squares[Square.ON_TIME] + squares[Square.LATE] + squares[Square.MISSED]
        totals.append(
            MonthTotals(
                month,
                squares,
                share_of(squares[Square.ON_TIME], settled),
                mean([f.attendance_rate for f in figures if f.attendance_rate is not None]),
            )
        )
    return totals


def looked_at_first(cells: list[CellFigures]) -> list[CellFigures]:
    """Every cell, those to look at first on top (most reasons first), then by name."""
    return sorted(cells, key=lambda c: (-len(c.behind), c.name))


@dataclass(frozen=True)
class DigestLabels:
    """Fixed words of the chart and the spreadsheet, in the reader's language."""

    title: str  # "Tỷ lệ tham dự sinh hoạt chi bộ"
    attendance_axis: str  # "Tỷ lệ tham dự (%)"
    norm: str  # "Mức 90%"
    late: str  # "Trễ hạn"
    missing: str  # "Chưa sinh hoạt"
    no_roll: str  # "Chưa điểm danh"
    summary_sheet: str  # "Tổng hợp"
    at_risk_sheet: str  # "Đảng viên cần lưu ý"
    cell: str  # "Chi bộ"
    regular: str  # "Sinh hoạt thường kỳ"
    regular_date: str  # "Ngày họp"
    thematic: str  # "Chuyên đề quý"
    attendance: str  # "Tỷ lệ tham dự"
    quorum: str  # "Đủ số lượng"
    papers_assigned: str  # "Tham luận giao"
    papers_submitted: str  # "Đã nộp"
    papers_late: str  # "Nộp muộn"
    minutes_missing: str  # "Thiếu biên bản"
    behind: str  # "Cần lưu ý"
    meeting_date: str  # "Thời gian"
    meeting_kind: str  # "Loại"
    expected: str  # "Phải dự"
    present: str  # "Có mặt"
    minutes: str  # "Biên bản"
    member: str  # "Đảng viên"
    unexcused: str  # "Vắng không lý do (năm)"
    yes: str  # "Có"
    no: str  # "Không"
    states: dict[str, str]  # RegularState value -> label
    organisation: str  # "Tổ chức"
    period: str  # "Kỳ báo cáo"
    on_time_share: str  # "Chi bộ sinh hoạt đúng hạn"
    mean_attendance: str  # "Tỷ lệ tham dự bình quân"
    thematic_share: str  # "Chi bộ có chuyên đề trong quý"
    # "Chi bộ không hiện ở đây: 950 — xem bảng tính", for the cells the chart leaves out.
    more_cells: Callable[[int], str]
    meetings_sheet: str  # "Các cuộc họp": every cell's meetings, in a large organisation
    month_of: Callable[[str], str]  # "tháng 12/2026": which month a figure counts
    quarter_of: Callable[[str], str]  # "quý 4/2026"
    nobody_owed: str  # "không chi bộ nào phải thực hiện": a share of no cells at all
    not_due_yet: str  # "chưa đến hạn": cells owe the month, none has settled it yet
    meeting_excused: str  # "Vắng có lý do"
    meeting_unexcused: str  # "Vắng không lý do"
    empty: str  # "Không có": a sheet with nothing to list says so


# --- periods ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime  # exclusive


class PeriodName(StrEnum):
    """The periods a supervisor may ask the digest for."""

    WEEK = "week"  # the current week
    MONTH = "month"
    QUARTER = "quarter"


def _this_monday(now: datetime, zone: ZoneInfo) -> datetime:
    """Monday 00:00 local of the week ``now`` is in."""
    local = now.astimezone(zone)
    return datetime.combine(
        local.date() - timedelta(days=local.weekday()), datetime.min.time(), tzinfo=zone
    )


def last_week(now: datetime, zone: ZoneInfo) -> Period:
    """Monday 00:00 to Sunday 24:00 of the week before the one ``now`` is in."""
    monday = _this_monday(now, zone)
    return Period(monday - timedelta(days=7), monday)


def digest_moment(now: datetime, zone: ZoneInfo) -> datetime:
    """This week's sending time: Monday 07:00 local."""
    return _this_monday(now, zone) + DIGEST_TIME


def period_of(name: PeriodName, now: datetime, zone: ZoneInfo) -> Period:
    """The current week, month or quarter."""
    if name == PeriodName.WEEK:
        week = last_week(now, zone)
        return Period(week.end, week.end + timedelta(days=7))
    if name == PeriodName.MONTH:
        return Period(*Month.of(now, zone).bounds(zone))
    return Period(*Quarter.of(now, zone).bounds(zone))


# --- rules -----------------------------------------------------------------------------------


class RegularMeeting(Protocol):
    """A month's regular meeting as the digest judges it."""

    @property
    def starts_at(self) -> datetime: ...
    @property
    def late(self) -> bool: ...  # planned after the cutoff day


def regular_state(
    regular: RegularMeeting | None, owed: bool, cutoff_day: int, zone: ZoneInfo, now: datetime
) -> RegularState:
    """This month's regular meeting against the cutoff day."""
    # A month the cell did not owe is neither on time nor late, whether it met or not.
    if not owed:
        return RegularState.NOT_OWED
    if regular is None:
        return RegularState.MISSING
    if regular.late or is_after_cutoff(regular.starts_at, cutoff_day, zone):
        return RegularState.LATE
    if regular.starts_at > now:
        return RegularState.SCHEDULED
    return RegularState.ON_TIME


def month_square(
    regular: RegularMeeting | None,
    owed: bool,
    month: Month,
    cutoff_day: int,
    zone: ZoneInfo,
    now: datetime,
) -> Square:
    """A month's regular meeting as the grid shows it: as ``regular_state`` judges it, a
    month without one being missed only once its cutoff day is over."""
    state = regular_state(regular, owed, cutoff_day, zone, now)
    if state is RegularState.MISSING:
        return Square.MISSED if cutoff_over(month, cutoff_day, zone, now) else Square.AHEAD
    return {
        RegularState.NOT_OWED: Square.NOT_OWED,
        RegularState.ON_TIME: Square.ON_TIME,
        RegularState.LATE: Square.LATE,
        RegularState.SCHEDULED: Square.AHEAD,
    }[state]


def quarter_square(
    held_at: datetime | None, owed: bool, quarter: Quarter, zone: ZoneInfo, now: datetime
) -> Square:
    """A quarter's thematic meeting: held by now, missed once the quarter closed without,
    or still ahead."""
    if not owed:
        return Square.NOT_OWED
    if held_at is not None and held_at <= now:
        return Square.ON_TIME
    return Square.MISSED if now >= quarter.bounds(zone)[1] else Square.AHEAD


def organisation_figures(
    cells: list[CellFigures],
    observations: list[Observation],
    *,
    organisation: str,
    period: str,
    month: Month,
    quarter: Quarter,
    cutoff_passed: bool,  # this month's cutoff day is over
    now: datetime,
) -> DigestFigures:
    """The organisation's shares and mean, from its cells' figures."""
    owing_month = [c for c in cells if c.owes_month]
    # Of the cells that owe the month, those whose month is settled: met (on time or late),
    # planned late, or past the cutoff without a meeting; one planned on time but still
    # ahead, or not planned before the cutoff, is neither on time nor late yet.
    settled = [
        c
        for c in owing_month
        if c.regular in (RegularState.ON_TIME, RegularState.LATE)
        or (c.regular is RegularState.MISSING and cutoff_passed)
    ]
    owing_quarter = [c for c in cells if c.owes_quarter]
    # Held, not only planned: a thematic meeting still ahead is not one the cell had.
    held_thematic = [c for c in owing_quarter if c.thematic_at is not None and c.thematic_at <= now]
    return DigestFigures(
        observations=observations,
        organisation=organisation,
        period=period,
        cells=cells,
        month=month.label,
        quarter=quarter.label,
        on_time_share=share_of(
            sum(1 for c in settled if c.regular is RegularState.ON_TIME), len(settled)
        ),
        on_time_pending=bool(owing_month) and not settled,
        mean_attendance=mean([c.attendance_rate for c in cells if c.attendance_rate is not None]),
        thematic_share=share_of(len(held_thematic), len(owing_quarter)),
    )
