"""A day or month that cannot exist is called impossible, whether or not a time was typed."""

from __future__ import annotations

from datetime import datetime

import pytest

from domain.dates import DateProblem, parse_local_datetime
from storage.models import Meeting
from tests.conftest import VIETNAM
from tests.harness import RunningBot, cell_with_members

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=VIETNAM)


@pytest.mark.parametrize(
    "typed",
    [
        "32/13",
        "31/02",
        "00/05",
        "15/13",
        "31/11",
        "15/13 19:30",
        "32/12 19:30",
        "00/05 08:00",
        "29/02/2027",
        "ngày 31/04",
    ],
)
def test_a_day_that_does_not_exist_is_impossible_with_or_without_a_time(typed: str) -> None:
    parsed = parse_local_datetime(typed, NOW, VIETNAM)
    assert (parsed.value, parsed.problem) == (None, DateProblem.IMPOSSIBLE)


@pytest.mark.parametrize("typed", ["15/12", "29/02/2028", "31/12", "ngày 05/01"])
def test_a_real_day_without_a_time_still_asks_for_the_time(typed: str) -> None:
    parsed = parse_local_datetime(typed, NOW, VIETNAM)
    assert (parsed.value, parsed.problem) == (None, DateProblem.MISSING_TIME)


@pytest.mark.parametrize("lang", ["vi", "en"])
async def test_the_secretary_is_told_the_date_is_impossible_not_that_the_time_is_missing(
    bot: RunningBot, lang: str
) -> None:
    t = bot.t
    secretary = (await cell_with_members(bot, ["Lê Văn Minh"], lang)).secretary
    kinds = await bot.send(secretary, "/schedule")
    await bot.press(secretary, kinds, t(lang, "meeting.kind.regular"))
    for typed in ("32/13", "31/02", "00/05", "15/13 19:30"):
        assert (await bot.send(secretary, typed)).text == t(lang, "date.impossible")
    # A real day without a time is still asked for its time, and the question stays open.
    assert (await bot.send(secretary, "05/12")).text == t(lang, "date.missing_time")
    assert (await bot.send(secretary, "05/12 19:30")).text == t(lang, "schedule.ask_place")
    assert await bot.rows(Meeting) == []
