"""The plan-by day's rules, read without a database: by when next month is to be planned,
when secretaries are warned, and which month a digest calls unplanned."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from domain.calendar import (
    Month,
    month_overdue_for_plan,
    owes_plan,
    plan_due_date,
    plan_due_over,
    plan_due_warning,
)
from domain.organisations import valid_plan_due_day
from tests.conftest import VIETNAM


def at(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=VIETNAM)


def test_a_month_is_to_be_planned_by_the_plan_by_day_of_the_month_before() -> None:
    assert plan_due_date(Month(2027, 1), 20) == date(2026, 12, 20)
    assert plan_due_date(Month(2026, 3), 28) == date(2026, 2, 28)


def test_the_plan_by_day_lasts_to_its_end_in_hanoi() -> None:
    january = Month(2027, 1)
    assert not plan_due_over(january, 20, VIETNAM, at(12, 20, 23, 59))
    assert plan_due_over(january, 20, VIETNAM, at(12, 21, 0, 0))
    # 17:00 UTC on the 20th is already midnight of the 21st in Hanoi.
    assert plan_due_over(january, 20, VIETNAM, datetime.fromisoformat("2026-12-20T17:00+00:00"))


@pytest.mark.parametrize("day", [1, 20, 28])
def test_any_day_every_month_has_may_be_the_plan_by_day(day: int) -> None:
    assert valid_plan_due_day(day)


@pytest.mark.parametrize("day", [0, 29, 31, -1])
def test_a_day_some_month_lacks_may_not(day: int) -> None:
    assert not valid_plan_due_day(day)


def test_warnings_fall_three_days_and_one_day_before_at_eight() -> None:
    assert plan_due_warning(at(12, 17, 7, 59), 20, VIETNAM) is None
    month, warning = plan_due_warning(at(12, 17, 8, 0), 20, VIETNAM) or (None, None)
    assert (month, warning and warning.days_before) == (Month(2027, 1), 3)
    # Still the three-day warning the next day: a bot down at eight sends it on return.
    _, warning = plan_due_warning(at(12, 18, 23, 0), 20, VIETNAM) or (None, None)
    assert warning is not None and warning.days_before == 3
    _, warning = plan_due_warning(at(12, 19, 8, 0), 20, VIETNAM) or (None, None)
    assert warning is not None and warning.days_before == 1
    _, warning = plan_due_warning(at(12, 20, 23, 59), 20, VIETNAM) or (None, None)
    assert warning is not None and warning.days_before == 1
    assert plan_due_warning(at(12, 21, 8, 0), 20, VIETNAM) is None


def test_an_early_plan_by_day_is_warned_of_in_the_month_before() -> None:
    # By 2 January, February is to be planned: warned on 30 December and 1 January.
    month, warning = plan_due_warning(at(12, 30, 8, 0), 2, VIETNAM) or (None, None)
    assert (month, warning and warning.days_before) == (Month(2027, 2), 3)
    month, warning = plan_due_warning(at(1, 1, 8, 0, year=2027), 2, VIETNAM) or (None, None)
    assert (month, warning and warning.days_before) == (Month(2027, 2), 1)


def test_a_digest_calls_unplanned_the_month_past_its_plan_by_day_until_its_cutoff() -> None:
    # Plan-by day the 20th, cutoff the 10th.
    assert month_overdue_for_plan(at(12, 20, 23, 59), 20, 10, VIETNAM) is None
    assert month_overdue_for_plan(at(12, 21, 0, 0), 20, 10, VIETNAM) == Month(2027, 1)
    assert month_overdue_for_plan(at(12, 31, 23, 0), 20, 10, VIETNAM) == Month(2027, 1)
    # Into January, until its cutoff: then whether it met by the cutoff is what counts.
    assert month_overdue_for_plan(at(1, 10, 23, 59, year=2027), 20, 10, VIETNAM) == Month(2027, 1)
    assert month_overdue_for_plan(at(1, 11, 0, 0, year=2027), 20, 10, VIETNAM) is None


def test_a_cell_owes_the_plan_if_it_existed_on_the_plan_by_day() -> None:
    january = Month(2027, 1)
    assert owes_plan(at(12, 20, 22, 0), january, 20, VIETNAM)
    assert not owes_plan(at(12, 21, 9, 0), january, 20, VIETNAM)
