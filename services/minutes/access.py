"""What the minutes' use cases look up alike: the meeting whose minutes the caller writes, its
resolution, its roll, and the minutes' number; and the payloads of the buttons they share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import AsyncSession

from domain.attendance import RollFigures, roll_figures
from domain.messages import Reply, Text
from domain.resolutions import ResolutionStatus
from services.access import managed_meeting
from services.config import ServiceSettings
from services.errors import refused
from services.people import Caller
from services.request import Request
from storage.models import AgendaItem, Cell, Meeting, Person, Resolution
from storage.queries.minutes import Called, last_minutes_number, lock_cell
from storage.queries.resolutions import resolution_of_meeting

MAX_FIELD = 4000
DECIDED = (ResolutionStatus.ADOPTED, ResolutionStatus.REJECTED)


@dataclass(frozen=True)
class AboutMeeting:
    """A button about the minutes (or the resolution) of one meeting."""

    meeting_id: int


@dataclass(frozen=True)
class AboutItem:
    """A button about one agenda item's part of the minutes."""

    item_id: int


async def managed_minutes(
    session: AsyncSession, caller: Caller, meeting_id: int
) -> tuple[Person, Meeting, Cell]:
    """A meeting whose minutes the caller may write: their cell's, with the roll closed."""
    person, _, meeting, cell = await managed_meeting(session, caller, meeting_id, for_update=True)
    if meeting.roll_closed_at is None:
        raise refused("minutes.roll_first")
    return person, meeting, cell


async def managed_item(
    session: AsyncSession, caller: Caller, item_id: int
) -> tuple[Meeting, AgendaItem]:
    item = await session.get(AgendaItem, item_id)
    if item is None:
        raise refused("error.stale_button")
    _, meeting, _ = await managed_minutes(session, caller, item.meeting_id)
    return meeting, item


def typed_text(typed: str) -> str:
    """A part of the minutes as typed, refused when empty or too long."""
    text = typed.strip()
    if not text or len(text) > MAX_FIELD:
        raise refused("minutes.bad_text", max=MAX_FIELD)
    return text


_ADAPTERS: dict[type[Any], TypeAdapter[Any]] = {}


def _stored(about: object) -> dict[str, Any]:
    """A payload as stored with a question: as JSON would hold it (an Enum by its value)."""
    payload_type = type(about)
    if payload_type not in _ADAPTERS:
        _ADAPTERS[payload_type] = TypeAdapter(payload_type)
    stored: dict[str, Any] = _ADAPTERS[payload_type].dump_python(about, mode="json")
    return stored


async def question(
    request: Request, session: AsyncSession, kind: str, about: object, asked: Text
) -> Reply:
    """Ask the caller to type something: their next text answers ``kind``, stored with what
    it is about (a payload dataclass, which the answer's payload type extends with the text)."""
    payload = _stored(about)
    await request.ask(session, kind, payload)
    return Reply(asked)


async def resolution_of(session: AsyncSession, meeting: Meeting, now: datetime) -> Resolution:
    """The meeting's resolution, begun as an empty draft the first time it is asked for."""
    found = await resolution_of_meeting(session, meeting.id)
    if found is None:
        found = Resolution(
            meeting_id=meeting.id, text="", status=ResolutionStatus.DRAFT, created_at=now
        )
        session.add(found)
        await session.flush()
    return found


async def undecided_resolution(
    session: AsyncSession, meeting: Meeting, now: datetime
) -> Resolution:
    """The meeting's resolution, refused once a vote has decided it."""
    resolution = await resolution_of(session, meeting, now)
    if resolution.status in DECIDED:
        raise refused("resolution.decided")
    return resolution


def figures(called: list[Called], settings: ServiceSettings) -> RollFigures:
    return roll_figures(
        [i.roll_status for i, _ in called if i.roll_status is not None], settings.quorum
    )


def no_quorum(counted: RollFigures, key: str) -> Text:
    """Why the meeting could adopt nothing: who was there against how many were needed."""
    return Text(
        key,
        {
            "present": counted.present,
            "expected": counted.expected,
            "needed": counted.quorum_needed,
        },
    )


async def minutes_number(session: AsyncSession, meeting: Meeting, settings: ServiceSettings) -> int:
    """The minutes' number: once given it stays; else the cell's next one of the meeting's
    (local) year, counted with the cell locked so that two exports never share one."""
    if meeting.minutes_number is not None:
        return meeting.minutes_number
    await lock_cell(session, meeting.cell_id)
    await session.refresh(meeting, ["minutes_number"])
    if meeting.minutes_number is not None:  # given by the export we waited for
        return meeting.minutes_number
    year = meeting.starts_at.astimezone(settings.zone).year
    start = datetime(year, 1, 1, tzinfo=settings.zone)
    end = datetime(year + 1, 1, 1, tzinfo=settings.zone)
    last = await last_minutes_number(session, meeting.cell_id, start, end)
    meeting.minutes_number = (last or 0) + 1
    await session.flush()
    return meeting.minutes_number
