"""The digest's rules that need no database: its periods, this month's regular meeting
against the cutoff day, and the organisation's shares from its cells' figures."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

import pytest

from domain.calendar import Month, Quarter
from domain.digest import (
    CellFigures,
    DigestFigures,
    Observation,
    Period,
    PeriodName,
    RegularState,
    digest_moment,
    last_week,
    organisation_figures,
    period_of,
    regular_state,
)
from tests.conftest import VIETNAM
from tests.test_digest_reports import CELLS

WEDNESDAY = datetime(2026, 12, 16, 10, 0, tzinfo=VIETNAM)
CUTOFF = 10


def local(month: int, day: int, hour: int = 0) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=VIETNAM)


def test_last_week_is_monday_to_monday_local_time() -> None:
    assert last_week(WEDNESDAY, VIETNAM) == Period(local(12, 7), local(12, 14))
    # Monday 00:30 local is still Sunday in UTC: the week is the local one.
    assert last_week(local(12, 14, 0) + timedelta(minutes=30), VIETNAM) == Period(
        local(12, 7), local(12, 14)
    )


def test_the_digest_is_due_on_monday_at_seven() -> None:
    assert digest_moment(WEDNESDAY, VIETNAM) == local(12, 14, 7)
    assert digest_moment(local(12, 14, 6), VIETNAM) == local(12, 14, 7)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (PeriodName.WEEK, Period(local(12, 14), local(12, 21))),
        (PeriodName.MONTH, Period(local(12, 1), datetime(2027, 1, 1, tzinfo=VIETNAM))),
        (PeriodName.QUARTER, Period(local(10, 1), datetime(2027, 1, 1, tzinfo=VIETNAM))),
    ],
)
def test_the_periods_on_demand_are_the_current_ones(name: PeriodName, expected: Period) -> None:
    assert period_of(name, WEDNESDAY, VIETNAM) == expected


@dataclass(frozen=True)
class Regular:
    starts_at: datetime
    late: bool = False


@pytest.mark.parametrize(
    ("regular", "owed", "state"),
    [
        (None, False, RegularState.NOT_OWED),
        (Regular(local(12, 5, 19)), False, RegularState.NOT_OWED),
        (None, True, RegularState.MISSING),
        (Regular(local(12, 5, 19)), True, RegularState.ON_TIME),
        (Regular(local(12, 10, 19)), True, RegularState.ON_TIME),  # on the cutoff day
        (Regular(local(12, 11, 19)), True, RegularState.LATE),
        (Regular(local(12, 5, 19), late=True), True, RegularState.LATE),
        (Regular(local(12, 20, 19)), True, RegularState.LATE),  # ahead, but after the cutoff
    ],
)
def test_the_regular_meeting_against_the_cutoff(
    regular: Regular | None, owed: bool, state: RegularState
) -> None:
    assert regular_state(regular, owed, CUTOFF, VIETNAM, WEDNESDAY) is state


def test_a_regular_meeting_planned_on_time_but_ahead_is_scheduled() -> None:
    early = datetime(2026, 12, 2, 10, 0, tzinfo=VIETNAM)
    assert (
        regular_state(Regular(local(12, 8, 19)), True, CUTOFF, VIETNAM, early)
        is RegularState.SCHEDULED
    )


# Of a cell's figures, what the organisation's figures read.
BLANK = {"thematic_at": None, "attendance_rate": None, "owes_month": True, "owes_quarter": True}


def cell(name: str, regular: RegularState, **changes: Any) -> CellFigures:
    return replace(CELLS[0], name=name, regular=regular, **{**BLANK, **changes})


NOT_OWING = {"owes_month": False, "owes_quarter": False}


def figures_of(cells: list[CellFigures], *, cutoff_passed: bool) -> DigestFigures:
    return organisation_figures(
        cells,
        [Observation("A", "Hùng", "tốt")],
        organisation="Đảng bộ",
        period="07/12 – 13/12",
        month=Month(2026, 12),
        quarter=Quarter(2026, 4),
        cutoff_passed=cutoff_passed,
        now=WEDNESDAY,
    )


def test_the_organisation_shares_count_only_settled_and_owing_cells() -> None:
    cells = [
        cell("A", RegularState.ON_TIME, thematic_at=local(11, 5), attendance_rate=Fraction(1)),
        cell("B", RegularState.LATE, thematic_at=local(12, 30), attendance_rate=Fraction(1, 2)),
        cell("C", RegularState.MISSING),
        cell("D", RegularState.SCHEDULED),  # not settled: neither on time nor late yet
        cell("E", RegularState.NOT_OWED, **NOT_OWING),
    ]
    figures = figures_of(cells, cutoff_passed=True)
    # Settled: A, B and C (missing past the cutoff); A alone on time.
    assert figures.on_time_share == Fraction(1, 3)
    assert not figures.on_time_pending
    assert figures.mean_attendance == Fraction(3, 4)
    # Owing the quarter: A to D; B's thematic meeting is still ahead, so only A held one.
    assert figures.thematic_share == Fraction(1, 4)
    assert (figures.organisation, figures.period, figures.month, figures.quarter) == (
        "Đảng bộ",
        "07/12 – 13/12",
        "12/2026",
        "4/2026",
    )
    assert figures.cells == cells and figures.observations == [Observation("A", "Hùng", "tốt")]


def test_before_the_cutoff_a_missing_meeting_is_not_yet_settled() -> None:
    cells = [cell("C", RegularState.MISSING), cell("D", RegularState.SCHEDULED)]
    figures = figures_of(cells, cutoff_passed=False)
    assert figures.on_time_share is None and figures.on_time_pending
    assert figures.mean_attendance is None


def test_no_cell_owing_anything_makes_no_share() -> None:
    figures = figures_of([cell("E", RegularState.NOT_OWED, **NOT_OWING)], cutoff_passed=True)
    assert figures.on_time_share is None and not figures.on_time_pending
    assert figures.thematic_share is None
