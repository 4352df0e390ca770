"""Who is written to, read without a database."""

from __future__ import annotations

import pytest

from domain.calendar import NUDGE_OFFSET_MINUTES
from domain.meetings import Response
from domain.reminding import gets_checkin_prompt, is_nudged, is_reminded

ANSWERS = [Response.ATTEND, Response.ABSENT, None]


@pytest.mark.parametrize("response", ANSWERS)
def test_only_those_who_excused_themselves_are_not_reminded(response: Response | None) -> None:
    assert is_reminded(response) is (response is not Response.ABSENT)


@pytest.mark.parametrize("response", ANSWERS)
def test_the_day_before_only_the_silent_are_asked_again(response: Response | None) -> None:
    assert is_nudged(response, NUDGE_OFFSET_MINUTES) is (response is None)
    assert not is_nudged(response, 3 * NUDGE_OFFSET_MINUTES)
    assert not is_nudged(response, 120)


@pytest.mark.parametrize("response", ANSWERS)
def test_check_in_prompts_go_to_who_may_come_and_has_not_checked_in(
    response: Response | None,
) -> None:
    assert gets_checkin_prompt(response, checked_in=False) is (response is not Response.ABSENT)
    assert not gets_checkin_prompt(response, checked_in=True)
