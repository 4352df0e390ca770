"""Date parsing and calendar rules: cutoff, quarters, reminders, warnings (pure, no I/O)."""

from __future__ import annotations

from datetime import datetime

import pytest

from domain.calendar import (
    Month,
    Quarter,
    cutoff_warning,
    due_reminder,
    follow_up_due,
    is_after_cutoff,
    quarter_warning,
)
from domain.dates import DateProblem, parse_local_datetime, parse_time_of_day
from domain.meetings import moved
from tests.conftest import VIETNAM

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=VIETNAM)


def at(day: int, hour: int = 0, minute: int = 0, month: int = 12, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=VIETNAM)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("15/12 19:30", at(15, 19, 30)),
        ("15/12/2026 19:30", at(15, 19, 30)),
        ("19h30 15/12", at(15, 19, 30)),
        ("19h 15/12", at(15, 19)),
        ("15-12-2026 7g30", at(15, 7, 30)),
        ("ngày 15/12 lúc 19:30", at(15, 19, 30)),
        ("Thứ Ba, 15/12/26 19h30", at(15, 19, 30)),
        ("15/12 7h tối", at(15, 19)),
        ("15/12 19 giờ 30", at(15, 19, 30)),
        ("19 giờ 30 phút ngày 15/12", at(15, 19, 30)),
        ("chủ nhật 13/12 8h sáng", at(13, 8)),
        ("T7 19/12 19:30", at(19, 19, 30)),
        ("thứ 2 14/12 19h", at(14, 19)),
        ("Thứ Năm 17/12 14h chiều", at(17, 14)),
        ("CN 20/12 08:00", at(20, 8)),
        ("thu bay 19/12 7h toi", at(19, 19)),
        ("chu nhat 20/12 8h sang", at(20, 8)),
        ("Sat 19/12 19:30", at(19, 19, 30)),
        ("Thursday, 17/12 19:00", at(17, 19)),
        # No year: the next such date, so early January typed in December is next year.
        ("05/01 08:00", at(5, 8, month=1, year=2027)),
        ("01/12 09:30", at(1, 9, 30)),
    ],
)
def test_dates_as_vietnamese_users_type_them(typed: str, expected: datetime) -> None:
    parsed = parse_local_datetime(typed, NOW, VIETNAM)
    assert (parsed.value, parsed.problem) == (expected, None)


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("abc", DateProblem.MALFORMED),
        ("15/12 19:30 and more", DateProblem.MALFORMED),
        ("thứ 8 15/12 19:30", DateProblem.MALFORMED),
        ("x" * 200, DateProblem.MALFORMED),
        ("15/12", DateProblem.MISSING_TIME),
        ("31/11 19:30", DateProblem.IMPOSSIBLE),
        ("30/02/2027 08:00", DateProblem.IMPOSSIBLE),
        ("15/12 25:00", DateProblem.IMPOSSIBLE),
        ("15/13 19:00", DateProblem.IMPOSSIBLE),
        # Yesterday without a year is a slip, not next year's date.
        ("30/11 19:30", DateProblem.PAST),
        ("01/12 08:30", DateProblem.PAST),
        ("15/12/2028 19:30", DateProblem.TOO_FAR),
    ],
)
def test_bad_dates_say_why(typed: str, problem: DateProblem) -> None:
    parsed = parse_local_datetime(typed, NOW, VIETNAM)
    assert (parsed.value, parsed.problem) == (None, problem)


@pytest.mark.parametrize(
    ("typed", "read_as"),
    [
        ("T7 15/12 19:30", at(15, 19, 30)),
        ("thứ bảy, 15/12 19:30", at(15, 19, 30)),
        ("Chủ nhật 14/12 8h", at(14, 8)),
        ("thứ hai 05/01 08:00", at(5, 8, month=1, year=2027)),
        ("thu nam 15/12 19:30", at(15, 19, 30)),
        ("Thursday 15/12 19:30", at(15, 19, 30)),
    ],
)
def test_a_weekday_that_is_not_the_date_s_is_questioned(typed: str, read_as: datetime) -> None:
    # 15/12/2026 is a Tuesday: which of the two did the secretary mean?
    parsed = parse_local_datetime(typed, NOW, VIETNAM)
    assert (parsed.value, parsed.problem) == (None, DateProblem.WRONG_WEEKDAY)
    assert parsed.read_as == read_as


def test_times_of_day() -> None:
    assert parse_time_of_day("19:30") == at(1, 19, 30).time()
    assert parse_time_of_day("7g") == at(1, 7).time()
    assert parse_time_of_day("24:00") is None
    assert parse_time_of_day("sáng") is None


def test_months_and_quarters_are_local() -> None:
    # 23:30 UTC on 30 November is already December in Hanoi.
    moment = datetime.fromisoformat("2026-11-30T23:30:00+00:00")
    assert Month.of(moment, VIETNAM) == Month(2026, 12)
    assert Month(2026, 12).next() == Month(2027, 1)
    assert Quarter.of(moment, VIETNAM) == Quarter(2026, 4)
    assert Quarter(2026, 4).next() == Quarter(2027, 1)
    start, end = Quarter(2026, 4).bounds(VIETNAM)
    assert (start, end) == (at(1, month=10), at(1, month=1, year=2027))


def test_cutoff_is_inclusive() -> None:
    assert not is_after_cutoff(at(10, 23, 59), 10, VIETNAM)
    assert is_after_cutoff(at(11, 0, 0), 10, VIETNAM)


def test_cutoff_warnings_fall_five_days_and_one_day_before() -> None:
    assert cutoff_warning(at(5, 7, 59), 10, VIETNAM) is None
    month, warning = cutoff_warning(at(5, 8, 0), 10, VIETNAM) or (None, None)
    assert (month, warning and warning.days_before) == (Month(2026, 12), 5)
    _, warning = cutoff_warning(at(9, 8, 0), 10, VIETNAM) or (None, None)
    assert warning is not None and warning.days_before == 1
    assert cutoff_warning(at(11, 8, 0), 10, VIETNAM) is None
    # A cutoff early in the month is warned about in the month before.
    month, warning = cutoff_warning(at(29, 8, 0, month=11), 3, VIETNAM) or (None, None)
    assert (month, warning and warning.days_before) == (Month(2026, 12), 5)


def test_quarter_warnings_with_30_and_14_days_left() -> None:
    assert quarter_warning(at(1, 7, 59), VIETNAM) is None
    found = quarter_warning(at(2, 8, 0), VIETNAM)
    assert found is not None and found[1].days_before == 30 and found[0] == Quarter(2026, 4)
    found = quarter_warning(at(18, 8, 0), VIETNAM)
    assert found is not None and found[1].days_before == 14


def test_reminders_latest_due_only_and_not_before_the_invitation() -> None:
    start = at(15, 19, 30)
    offsets = [4320, 1440, 120]
    sent = at(1, 9)
    assert due_reminder(start, sent, offsets, at(12, 19, 29)) is None
    assert due_reminder(start, sent, offsets, at(12, 19, 30)) == 4320
    assert due_reminder(start, sent, offsets, at(14, 20, 0)) == 1440
    assert due_reminder(start, sent, offsets, at(15, 17, 30)) == 120
    assert due_reminder(start, sent, offsets, at(15, 19, 30)) is None
    # Invited only two days before: the three-day reminder is never sent, the others are.
    assert due_reminder(start, at(13, 12), offsets, at(13, 12, 30)) is None
    assert due_reminder(start, at(13, 12), offsets, at(14, 20)) == 1440


def test_follow_up_the_morning_after() -> None:
    start = at(15, 19, 30)
    assert not follow_up_due(start, at(16, 7, 59), VIETNAM)
    assert follow_up_due(start, at(16, 8, 0), VIETNAM)
    assert not follow_up_due(start, at(23, 8, 0), VIETNAM)


def test_moving_agenda_items() -> None:
    assert moved([1, 2, 3], 2, -1) == [1, 3, 2]
    assert moved([1, 2, 3], 0, -1) == [1, 2, 3]
    assert moved([1, 2, 3], 0, 1) == [2, 1, 3]
