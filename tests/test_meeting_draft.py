"""A meeting's draft travels in buttons and questions as JSON; the payload types that carry it
get back, through pydantic, the draft ``Draft.from_json`` gives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import TypeAdapter

from domain.meetings import MeetingKind
from services.errors import Refused
from services.meetings.common import Draft, Drafted
from services.meetings.scheduling import DraftStep, StepName, TypedTime
from services.routes import Route

HANOI = timezone(timedelta(hours=7))

DRAFTS = [
    Draft(1, MeetingKind.REGULAR),
    Draft(2, MeetingKind.THEMATIC, starts_at=datetime(2027, 2, 5, 19, 30, tzinfo=HANOI)),
    Draft(
        3,
        MeetingKind.REGULAR,
        starts_at=datetime(2027, 2, 28, 23, 30, tzinfo=HANOI),
        late_ok=True,
        place="Hội trường",
        theme="Chủ đề",
        meeting_id=9,
    ),
]


@pytest.mark.parametrize("draft", DRAFTS)
def test_a_payload_gets_the_draft_from_json_gives(draft: Draft) -> None:
    stored = draft.to_json()
    from_json = Draft.from_json(stored)
    validated = TypeAdapter(Drafted).validate_python({"draft": stored}).draft
    assert validated == from_json == draft
    assert validated.starts_at is None or validated.starts_at.tzinfo is UTC


def test_the_moment_is_kept_in_utc_however_it_was_typed() -> None:
    draft = Draft(1, MeetingKind.REGULAR, starts_at=datetime(2027, 2, 5, 19, 30, tzinfo=HANOI))
    assert draft.starts_at == datetime(2027, 2, 5, 12, 30, tzinfo=UTC)
    assert draft.starts_at is not None and draft.starts_at.tzinfo is UTC
    moved = draft.but(starts_at=datetime(2027, 3, 1, 8, 0, tzinfo=HANOI))
    assert moved.starts_at is not None and moved.starts_at.tzinfo is UTC


def test_a_step_and_a_day_are_typed() -> None:
    stored = {"draft": DRAFTS[0].to_json(), "step": "time", "day": "2027-02-05"}
    pressed = TypeAdapter(DraftStep).validate_python(stored)
    assert pressed.step is StepName.TIME and pressed.day is not None
    typed = TypeAdapter(TypedTime).validate_python({**stored, "text": "19:30"})
    assert typed.day.isoformat() == "2027-02-05"


async def test_an_unknown_step_is_a_stale_button() -> None:
    async def use_case(request: object, payload: DraftStep) -> object:
        raise AssertionError("not reached")

    route = Route("schedule.draft", use_case, TypeAdapter(DraftStep))  # type: ignore[arg-type]
    with pytest.raises(Refused) as refusal:
        await route(None, {"draft": DRAFTS[0].to_json(), "step": "nowhere"})  # type: ignore[arg-type]
    assert refusal.value.text.key == "error.stale_button"
