"""Texts about a meeting, and rows of buttons, that several use cases show the same way."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from domain.dates import DateProblem, ParsedDateTime
from domain.meetings import MeetingKind
from domain.messages import N_, Button, Text
from services.actions import ButtonMaker
from storage.models import AgendaItem, Person
from storage.repositories import agenda_items_of_meeting

KIND_TEXT = {
    MeetingKind.REGULAR: N_("meeting.kind.regular"),
    MeetingKind.THEMATIC: N_("meeting.kind.thematic"),
    MeetingKind.COMMITTEE: N_("meeting.kind.committee"),
}
DATE_PROBLEM_TEXT = {
    DateProblem.MALFORMED: N_("date.malformed"),
    DateProblem.IMPOSSIBLE: N_("date.impossible"),
    DateProblem.MISSING_TIME: N_("date.missing_time"),
    DateProblem.PAST: N_("date.past"),
    DateProblem.TOO_FAR: N_("date.too_far"),
    DateProblem.WRONG_WEEKDAY: N_("date.wrong_weekday"),
}


def date_problem(parsed: ParsedDateTime, unreadable: str = N_("date.malformed")) -> Text:
    """Why typed text is not a usable date and time, for the person who typed it;
    ``unreadable`` says how to type it, where the general way does not fit."""
    problem = parsed.problem or DateProblem.MALFORMED
    if problem is DateProblem.MALFORMED:
        return Text(unreadable)
    if parsed.read_as is not None:
        return Text(DATE_PROBLEM_TEXT[problem], {"moment": parsed.read_as})
    return Text(DATE_PROBLEM_TEXT[problem])


class MeetingHead(Protocol):
    """What a meeting's summary shows of it: a ``Meeting``, or a row read for a summary."""

    @property
    def kind(self) -> MeetingKind: ...
    @property
    def starts_at(self) -> datetime: ...
    @property
    def place(self) -> str: ...
    @property
    def theme(self) -> str | None: ...
    @property
    def late(self) -> bool: ...


def summary(meeting: MeetingHead, cell_name: str) -> Text:
    """What a meeting is, when and where: the head of every message about it."""
    return Text(
        "meeting.summary",
        {
            "kind": Text(KIND_TEXT[meeting.kind]),
            "cell": cell_name,
            "when": meeting.starts_at,
            "place": meeting.place,
            "theme": Text("meeting.theme_line", {"theme": meeting.theme}) if meeting.theme else "",
            "late": Text("meeting.late_line") if meeting.late else "",
        },
    )


class Titled(Protocol):
    """An agenda item's title: an ``AgendaItem``, or a row of its two title columns."""

    @property
    def title_key(self) -> str | None: ...
    @property
    def title(self) -> str | None: ...


def item_title(item: Titled) -> Text | str:
    """A standard item in the reader's language, or the secretary's own words."""
    return Text(item.title_key) if item.title_key else item.title or ""


async def agenda_items(session: AsyncSession, meeting_id: int) -> list[AgendaItem]:
    return await agenda_items_of_meeting(session, meeting_id)


def two_a_row(buttons: Sequence[Button]) -> tuple[tuple[Button, ...], ...]:
    """The buttons laid out two to a row."""
    return tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))


async def person_buttons(
    make_button: ButtonMaker, people: Iterable[Person], kind: str, **payload: Any
) -> tuple[tuple[Button, ...], ...]:
    """A button with each person's name, two to a row, for the action ``kind`` with the
    payload and the person's id."""
    return two_a_row(
        [
            await make_button(
                Text("common.person_button", {"name": person.full_name}),
                kind,
                **payload,
                person_id=person.id,
            )
            for person in people
        ]
    )
