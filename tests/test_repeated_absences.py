"""Who is reported for repeated absences without reason, and over which year: the rule alone,
without a database."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from domain.attendance import REPEATED_ABSENCES, absence_year, repeatedly_absent

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def test_the_year_is_the_local_one_a_meeting_starts_in() -> None:
    # 31 December, 18:00 UTC is already 1 January in Hà Nội.
    year = absence_year(datetime(2026, 12, 31, 18, 0, tzinfo=UTC), VIETNAM)
    assert year.year == 2027
    assert year.start == datetime(2027, 1, 1, tzinfo=VIETNAM)
    assert year.end == datetime(2028, 1, 1, tzinfo=VIETNAM)
    assert absence_year(datetime(2026, 12, 31, 16, 0, tzinfo=UTC), VIETNAM).year == 2026


def test_members_are_reported_from_the_third_absence_without_reason() -> None:
    assert REPEATED_ABSENCES == 3
    counts = {1: 2, 2: 3, 3: 5}
    assert repeatedly_absent([3, 1, 2, 4], counts) == [3, 2]
    assert repeatedly_absent([], counts) == []
    assert repeatedly_absent([4], {}) == []
