"""Property-based tests: no typed input or button data makes the rules raise."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.dates import DateProblem, parse_local_datetime, parse_time_of_day
from domain.names import MAX_NAME_LENGTH, clean_name
from domain.papers import content_family, problem_with_content, safe_file_name
from domain.resolutions import parse_vote
from services import actions, updates
from services.errors import Refused
from storage import migrate
from storage.db import Database
from tests.conftest import VIETNAM

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=VIETNAM)
# Dates, digits and separators are where the parser's edges are; add any text on top.
date_like = st.from_regex(
    r"\A[0-9]{0,3}[/.\-: hg]{0,2}[0-9]{0,3}[/.\-: ]{0,2}[0-9]{0,5}( ?(giờ|h|tối|sáng|T[2-7])?)"
    r"( [0-9]{1,2}[:h][0-9]{0,2})?\Z",
    fullmatch=True,
)


@given(st.one_of(date_like, st.text(max_size=80)))
@settings(max_examples=400, deadline=None)
def test_the_date_parser_always_answers(text: str) -> None:
    parsed = parse_local_datetime(text, NOW, VIETNAM)
    assert (parsed.value is None) != (parsed.problem is None)
    if parsed.value is not None:
        assert parsed.value > NOW and parsed.value - NOW <= timedelta(days=400)
    else:
        assert parsed.problem in DateProblem


@given(st.text(max_size=20))
def test_times_of_day_never_raise(text: str) -> None:
    moment = parse_time_of_day(text)
    assert moment is None or (0 <= moment.hour < 24 and 0 <= moment.minute < 60)


@given(st.text(max_size=300))
def test_names_are_clean_or_refused(text: str) -> None:
    name = clean_name(text)
    assert name is None or (
        0 < len(name) <= MAX_NAME_LENGTH and name == name.strip() and "  " not in name
    )


@given(st.text(max_size=40))
def test_votes_parse_or_refuse(text: str) -> None:
    vote = parse_vote(text)
    assert vote is None or vote.total >= 0


@given(st.text(max_size=200))
def test_file_names_are_made_safe(name: str) -> None:
    safe = safe_file_name(name)
    assert safe and "/" not in safe and "\\" not in safe and len(safe) <= 120


@given(st.binary(max_size=2000), st.sampled_from(["a.pdf", "b.docx", "c.ppt", "d.odt", "e.exe"]))
def test_any_bytes_get_a_verdict(content: bytes, name: str) -> None:
    content_family(content)
    problem_with_content(name, content, max_bytes=1000)


class Buttons:
    """One migrated SQLite file for all examples: the property is about the token alone."""

    def __init__(self, path: str) -> None:
        self.database = Database(f"sqlite+aiosqlite:///{path}")
        self.loop = asyncio.new_event_loop()
        self.loop.run_until_complete(migrate.upgrade(self.database))
        self.known = self.loop.run_until_complete(self._issue())
        self.update_id = 0

    async def _issue(self) -> str:
        async with self.database.transaction() as session:
            return await actions.issue(
                session, "lang.set", {"lang": "vi"}, telegram_user_id=1, now=datetime.now(UTC)
            )

    def press(self, token: str, user: int) -> str:
        """What pressing a button with ``token`` as its callback data leads to."""
        self.update_id += 1

        async def admitted() -> str:
            admission = await updates.admit(
                self.database, self.update_id, user, datetime.now(UTC), button_data=token
            )
            assert admission is not None
            try:
                action = actions.pressed(admission.button, user)
            except Refused as refusal:
                return refusal.text.key
            return action.kind

        return self.loop.run_until_complete(admitted())

    def close(self) -> None:
        self.loop.run_until_complete(self.database.dispose())
        self.loop.close()


def test_forged_callback_data_is_refused(tmp_path: Path) -> None:
    buttons = Buttons(str(tmp_path / "buttons.db"))
    try:

        @given(st.text(max_size=80), st.integers(min_value=1, max_value=10**12))
        @settings(
            max_examples=200,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture],
        )
        def forged(token: str, user: int) -> None:
            outcome = buttons.press(token, user)
            if token == buttons.known:
                assert outcome == ("lang.set" if user == 1 else "error.not_your_button")
            else:
                assert outcome == "error.stale_button"

        forged()
        assert buttons.press(buttons.known, 1) == "lang.set"
        assert buttons.press(buttons.known, 2) == "error.not_your_button"
    finally:
        buttons.close()
