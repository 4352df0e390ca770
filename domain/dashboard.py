"""The dashboard's rules that need no database: which months a view covers, its pages, and
a member's attendance over them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from domain.attendance import REPEATED_ABSENCES, RollStatus
from domain.calendar import Month, Quarter
from domain.digest import Period
from domain.percent import share_of, whole_percent

# Cells shown on one page of the grid: a screenful or two on a phone, and a page of a
# province's thousand cells stays light.
CELLS_PER_PAGE = 50
# The years a supervisor may look back on.
YEARS_BACK = 5


class NoSuchView(ValueError):
    """A year or quarter the dashboard does not show (in the future, too far back)."""


@dataclass(frozen=True)
class Lens:
    """What the overview looks at: a year so far, or one of its quarters."""

    year: int
    quarter: int | None = None

    @classmethod
    def chosen(cls, year: int | None, quarter: int | None, now: datetime, zone: ZoneInfo) -> Lens:
        """The year and quarter asked for, the current year by default; NoSuchView for one
        not yet begun or beyond the years looked back on."""
        current = Month.of(now, zone)
        lens = cls(current.year if year is None else year, quarter)
        if not current.year - YEARS_BACK < lens.year <= current.year:
            raise NoSuchView(f"year {lens.year}")
        if quarter is not None and not (
            1 <= quarter <= 4 and Quarter(lens.year, quarter).bounds(zone)[0] <= now
        ):
            raise NoSuchView(f"quarter {quarter}")
        return lens

    def period(self, now: datetime, zone: ZoneInfo) -> Period:
        """A quarter whole (its months still ahead shown as such); a year up to the end of
        the current month: the months to come are nothing to look at yet."""
        if self.quarter is not None:
            return Period(*Quarter(self.year, self.quarter).bounds(zone))
        start = Month(self.year, 1).bounds(zone)[0]
        year_end = Month(self.year + 1, 1).bounds(zone)[0]
        return Period(start, min(year_end, Month.of(now, zone).bounds(zone)[1]))

    def moment(self, now: datetime, zone: ZoneInfo) -> datetime:
        """The moment whose month and quarter the view speaks of: now, or for a year or
        quarter already over, its last instant, so that its flags and shares are of its own
        last month and quarter, not of today's."""
        return min(now, self.period(now, zone).end - timedelta(microseconds=1))

    def quarters(self, now: datetime, zone: ZoneInfo) -> list[int]:
        """The quarters of the year begun by now."""
        return [q for q in range(1, 5) if Quarter(self.year, q).bounds(zone)[0] <= now]


def years_to_choose(now: datetime, zone: ZoneInfo) -> list[int]:
    """The years a supervisor may look at, latest first."""
    current = Month.of(now, zone).year
    return list(range(current, current - YEARS_BACK, -1))


@dataclass(frozen=True)
class Page:
    """One page of a list: its number (from 1) and how many there are."""

    number: int
    count: int

    @classmethod
    def of(cls, asked: int | None, items: int, per_page: int = CELLS_PER_PAGE) -> Page:
        """The page asked for, held within the pages there are."""
        count = max(1, -(-items // per_page))
        return cls(min(max(asked or 1, 1), count), count)

    def slice(self, per_page: int = CELLS_PER_PAGE) -> slice:
        return slice((self.number - 1) * per_page, self.number * per_page)


@dataclass(frozen=True)
class MemberAttendance:
    """A member's marks on the closed rolls of the cell's meetings over a period."""

    name: str
    present: int = 0
    excused: int = 0
    unexcused: int = 0
    left: bool = False  # no longer a member of the cell

    @property
    def expected(self) -> int:
        return self.present + self.excused + self.unexcused

    @property
    def rate_percent(self) -> int | None:
        rate: Fraction | None = share_of(self.present, self.expected)
        return None if rate is None else whole_percent(rate)

    @property
    def at_risk(self) -> bool:
        """Absent without reason as often as the digest reports a member for."""
        return self.unexcused >= REPEATED_ABSENCES


def member_attendance(
    name: str, marks: dict[RollStatus, int], *, left: bool = False
) -> MemberAttendance:
    """A member's attendance from how often they were marked each way; a roll still open
    (undecided) is not counted, as the digest counts only closed rolls."""
    return MemberAttendance(
        name,
        present=marks.get(RollStatus.PRESENT, 0),
        excused=marks.get(RollStatus.EXCUSED, 0),
        unexcused=marks.get(RollStatus.UNEXCUSED, 0),
        left=left,
    )
