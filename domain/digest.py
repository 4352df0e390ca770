"""The supervisors' digest as figures: per cell and for the organisation, for one period.

Computed by services/digest.py from the database; rendered by reports/ (message, chart,
spreadsheet). Everything here is plain data; texts are filled in by the caller's language.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class RegularState(StrEnum):
    """This month's regular meeting, against the cutoff day."""

    ON_TIME = "on_time"  # held (or scheduled) on or before the cutoff day
    LATE = "late"  # held or scheduled after the cutoff day
    SCHEDULED = "scheduled"  # scheduled, the cutoff still ahead
    MISSING = "missing"  # none, and the cutoff has passed


class BehindReason(StrEnum):
    NO_REGULAR_AT_CUTOFF = "no_regular_at_cutoff"
    MISSED_MONTH = "missed_month"
    NO_THEMATIC = "no_thematic"
    LOW_ATTENDANCE = "low_attendance"
    NO_QUORUM = "no_quorum"
    MINUTES_MISSING = "minutes_missing"
    PAPERS_MISSING = "papers_missing"


@dataclass(frozen=True)
class MeetingFigures:
    starts_at: datetime  # local time
    kind: str  # "regular", "thematic", "committee"
    kind_label: str  # translated
    expected: int
    present: int
    rate_percent: int | None  # None while the roll is open
    quorum_met: bool | None
    late: bool
    minutes_recorded: bool


@dataclass(frozen=True)
class MemberAtRisk:
    name: str
    cell: str
    unexcused: int  # absences without reason this calendar year


@dataclass(frozen=True)
class CellFigures:
    cell_id: int
    name: str
    regular: RegularState
    regular_at: datetime | None
    thematic_at: datetime | None  # this quarter's thematic meeting, if any
    attendance_percent: int | None  # mean over the period's closed rolls
    quorum_ok: bool | None  # every closed roll of the period reached quorum
    papers_assigned: int
    papers_submitted: int
    papers_late: int
    minutes_missing: int
    meetings: list[MeetingFigures] = field(default_factory=list)
    at_risk: list[MemberAtRisk] = field(default_factory=list)
    behind: list[BehindReason] = field(default_factory=list)


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
    on_time_percent: int | None  # share of cells whose regular meeting is on time
    mean_attendance_percent: int | None
    thematic_percent: int | None  # share of cells with a thematic meeting this quarter
    observations: list[Observation] = field(default_factory=list)

    @property
    def behind(self) -> list[CellFigures]:
        """Cells to look at first: most reasons first, then by name."""
        return sorted((c for c in self.cells if c.behind), key=lambda c: (-len(c.behind), c.name))


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
    reasons: dict[str, str]  # BehindReason value -> label
    organisation: str  # "Tổ chức"
    period: str  # "Kỳ báo cáo"
    on_time_share: str  # "Chi bộ sinh hoạt đúng hạn"
    mean_attendance: str  # "Tỷ lệ tham dự bình quân"
    thematic_share: str  # "Chi bộ có chuyên đề trong quý"
    # "Chi bộ không hiện ở đây: 950 — xem bảng tính", for the cells the chart leaves out.
    more_cells: Callable[[int], str]
    meetings_sheet: str  # "Các cuộc họp": every cell's meetings, in a large organisation
