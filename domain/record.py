"""The year's record of a cell or an organisation: the figures a year-end review reads,
each member's and each cell's. chibo supplies the figures; the rating is the reviewers'."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from domain.calendar import Month
from domain.dashboard import MemberAttendance
from domain.digest import CellFigures, Square


@dataclass(frozen=True)
class MemberYear:
    """A member's year: their marks on the closed rolls, their papers and their tasks."""

    attendance: MemberAttendance
    papers_assigned: int = 0
    papers_submitted: int = 0
    tasks_given: int = 0
    tasks_done: int = 0

    @property
    def name(self) -> str:
        return self.attendance.name


@dataclass(frozen=True)
class CellYear:
    """A cell's year: the digest's figures over it, and its members'."""

    figures: CellFigures
    members: list[MemberYear] = field(default_factory=list)

    def months(self, square: Square) -> list[Month]:
        """The months whose regular meeting the digest judges as ``square``."""
        return [m.month for m in self.figures.months if m.square is square]

    @property
    def minutes_recorded(self) -> int:
        return sum(1 for meeting in self.figures.meetings if meeting.minutes_recorded)


@dataclass(frozen=True)
class YearRecord:
    """An organisation's year (or a cell's: one cell), as the workbook lays it out."""

    organisation: str
    year: int
    period: str  # e.g. "01/01/2026 – 31/12/2026", already formatted
    cells: list[CellYear]


@dataclass(frozen=True)
class YearLabels:
    """The workbook's words, in the reader's language."""

    cells_sheet: str  # "Chi bộ"
    members_sheet: str  # "Đảng viên"
    organisation: str
    year: str
    period: str
    figures_note: str  # chibo gives the figures; the rating is the reviewers'
    cell: str
    member: str
    on_time: str  # months met on time
    late: str
    missed: str
    meetings: str  # meetings held
    minutes_recorded: str
    expected: str
    present: str
    excused: str
    unexcused: str
    attendance: str
    papers_assigned: str
    papers_submitted: str
    tasks_given: str
    tasks_done: str
    empty: str
    quarter_of: Callable[[int], str]  # a column's heading: "Chuyên đề quý 1"
    squares: dict[Square, str]  # a month's regular meeting as the dashboard says it
    thematic: dict[Square, str]  # a quarter's thematic meeting
