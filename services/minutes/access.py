"""What the minutes' use cases look up alike: the meeting whose minutes the caller writes, its
resolution, its roll, and what was said and assigned under it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.attendance import RollFigures, roll_figures
from domain.messages import Reply, Text
from domain.resolutions import ResolutionStatus
from services import pending
from services.access import managed_meeting
from services.config import ServiceSettings
from services.errors import refused
from services.people import Caller
from storage.models import (
    AgendaItem,
    Cell,
    Invitation,
    ItemOpinion,
    Meeting,
    Person,
    Resolution,
    ResolutionTask,
)

MAX_FIELD = 4000
DECIDED = (ResolutionStatus.ADOPTED, ResolutionStatus.REJECTED)


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


async def question(
    session: AsyncSession,
    caller: Caller,
    kind: str,
    payload: dict[str, Any],
    now: datetime,
    asked: Text,
) -> Reply:
    """Ask the caller to type something: their next text answers ``kind`` with ``payload``."""
    await pending.ask(session, caller=caller, kind=kind, payload=payload, now=now)
    return Reply(asked)


async def resolution_of(session: AsyncSession, meeting: Meeting, now: datetime) -> Resolution:
    """The meeting's resolution, begun as an empty draft the first time it is asked for."""
    found = await session.scalar(select(Resolution).where(Resolution.meeting_id == meeting.id))
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


async def roll(session: AsyncSession, meeting_id: int) -> list[tuple[Invitation, Person]]:
    """The closed roll of the expected members (the exempted are not counted), by name."""
    rows = await session.execute(
        select(Invitation, Person)
        .join(Person, Person.id == Invitation.person_id)
        .where(
            Invitation.meeting_id == meeting_id,
            Invitation.roll_status.is_not(None),
            Invitation.exempted.is_(False),
        )
        .order_by(Person.full_name)
    )
    return [(invitation, person) for invitation, person in rows]


def figures(called: list[tuple[Invitation, Person]], settings: ServiceSettings) -> RollFigures:
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


async def opinions_of(session: AsyncSession, item_id: int) -> list[ItemOpinion]:
    """Who said what under an agenda item, in the order it was said."""
    return list(
        await session.scalars(
            select(ItemOpinion)
            .where(ItemOpinion.item_id == item_id)
            .order_by(ItemOpinion.created_at, ItemOpinion.id)
        )
    )


async def tasks_of(session: AsyncSession, resolution_id: int) -> list[tuple[ResolutionTask, str]]:
    """The resolution's tasks with the name of the member responsible for each."""
    rows = await session.execute(
        select(ResolutionTask, Person.full_name)
        .join(Person, Person.id == ResolutionTask.person_id)
        .where(ResolutionTask.resolution_id == resolution_id)
        .order_by(ResolutionTask.id)
    )
    return [(task, name) for task, name in rows]


async def minutes_number(session: AsyncSession, meeting: Meeting, settings: ServiceSettings) -> int:
    """The minutes' number: once given it stays; else the cell's next one of the meeting's
    (local) year, counted with the cell locked so that two exports never share one."""
    if meeting.minutes_number is not None:
        return meeting.minutes_number
    # A write, not SELECT … FOR UPDATE, which SQLite ignores: it makes a second export wait
    # on either database until the first has committed its number.
    await session.execute(
        update(Cell)
        .where(Cell.id == meeting.cell_id)
        .values(id=Cell.id)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(meeting, ["minutes_number"])
    if meeting.minutes_number is not None:  # given by the export we waited for
        return meeting.minutes_number
    year = meeting.starts_at.astimezone(settings.zone).year
    start = datetime(year, 1, 1, tzinfo=settings.zone)
    end = datetime(year + 1, 1, 1, tzinfo=settings.zone)
    last = await session.scalar(
        select(func.max(Meeting.minutes_number)).where(
            Meeting.cell_id == meeting.cell_id,
            Meeting.starts_at >= start,
            Meeting.starts_at < end,
        )
    )
    meeting.minutes_number = (last or 0) + 1
    await session.flush()
    return meeting.minutes_number
