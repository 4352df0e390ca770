"""What the meeting use cases share: the draft of a meeting being scheduled, the cutoff and the
one regular meeting a month, the cell a manager acts on, and typed text cleaned."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from domain.calendar import Month, is_after_cutoff
from domain.meetings import MeetingKind
from domain.messages import Text, telegram_length
from domain.permissions import can_manage_cell
from services.errors import Refused, refused
from services.people import Caller, require_person
from storage.models import Cell, Meeting, Organisation, Person
from storage.queries.meetings import scheduled_meeting_between


@dataclass(frozen=True)
class Draft:
    """A meeting being scheduled (or a new time for an existing one). It travels in buttons
    and questions as ``to_json()``; a payload type holding a ``Draft`` gets it back as
    ``from_json`` does, the moment in UTC whatever offset it was typed in."""

    cell_id: int
    kind: MeetingKind
    starts_at: datetime | None = None
    late_ok: bool = False
    place: str | None = None
    theme: str | None = None
    meeting_id: int | None = None

    def __post_init__(self) -> None:
        # Stored and compared in UTC, whatever offset the moment was typed in.
        if self.starts_at is not None:
            object.__setattr__(self, "starts_at", self.starts_at.astimezone(UTC))

    def to_json(self) -> dict[str, Any]:
        return {
            "cell_id": self.cell_id,
            "kind": self.kind.value,
            "starts_at": self.starts_at.isoformat() if self.starts_at else None,
            "late_ok": self.late_ok,
            "place": self.place,
            "theme": self.theme,
            "meeting_id": self.meeting_id,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Draft:
        starts = data.get("starts_at")
        return cls(
            cell_id=int(data["cell_id"]),
            kind=MeetingKind(data["kind"]),
            starts_at=datetime.fromisoformat(starts) if starts else None,
            late_ok=bool(data.get("late_ok")),
            place=data.get("place"),
            theme=data.get("theme"),
            meeting_id=data.get("meeting_id"),
        )

    def but(self, **changes: Any) -> Draft:
        return replace(self, **changes)


async def cell_managed_by(
    session: AsyncSession, caller: Caller, cell_id: int
) -> tuple[Person, Cell]:
    """The caller and the cell, refused unless the caller manages it."""
    person, actor = await require_person(session, caller)
    cell = await session.get(Cell, cell_id)
    if cell is None or not can_manage_cell(actor, cell.id):
        raise refused("error.not_manager")
    return person, cell


async def cutoff_day(session: AsyncSession, cell: Cell) -> int:
    organisation = await session.get(Organisation, cell.organisation_id)
    assert organisation is not None
    return organisation.cutoff_day


async def plan_due_day(session: AsyncSession, cell: Cell) -> int | None:
    """The organisation's plan-by day, None where it has none."""
    organisation = await session.get(Organisation, cell.organisation_id)
    assert organisation is not None
    return organisation.plan_due_day


async def is_late(
    session: AsyncSession, cell: Cell, kind: MeetingKind, starts_at: datetime, zone: ZoneInfo
) -> bool:
    """A regular meeting after the organisation's cutoff day (other kinds are never late)."""
    return kind is MeetingKind.REGULAR and is_after_cutoff(
        starts_at, await cutoff_day(session, cell), zone
    )


async def existing_regular(
    session: AsyncSession,
    cell_id: int,
    month: Month,
    zone: ZoneInfo,
    except_meeting: int | None,
) -> Meeting | None:
    """The month's scheduled regular meeting, leaving out ``except_meeting``."""
    start, end = month.bounds(zone)
    return await scheduled_meeting_between(
        session, cell_id, MeetingKind.REGULAR, start, end, except_meeting=except_meeting
    )


async def refuse_second_regular(
    session: AsyncSession,
    cell_id: int,
    starts_at: datetime,
    zone: ZoneInfo,
    except_meeting: int | None,
) -> None:
    """One regular meeting a month: the secretary is told when the month already has one."""
    month = Month.of(starts_at, zone)
    existing = await existing_regular(session, cell_id, month, zone, except_meeting)
    if existing is not None:
        raise Refused(
            Text("schedule.duplicate_regular", {"month": month.label, "when": existing.starts_at})
        )


def typed_line(text: str, limit: int) -> str | None:
    """A typed one-line answer (a place, a theme, an agenda item) with its spaces folded, or
    None when it is empty, longer than ``limit`` as Telegram counts, or a command."""
    cleaned = " ".join(text.split())
    if not cleaned or telegram_length(cleaned) > limit or cleaned.startswith("/"):
        return None
    return cleaned


@dataclass(frozen=True)
class OfMeeting:
    """A button about one meeting (its card, its agenda, a change to it); the manager's
    right to it is checked afresh."""

    meeting_id: int


@dataclass(frozen=True)
class OfCell:
    """A button about one cell (its usual pattern); the manager's right to it is checked
    afresh."""

    cell_id: int


@dataclass(frozen=True)
class ForCell:
    """A command for the cell the caller manages (None: their only one, or a question
    which), or the button of that question that picked one."""

    cell_id: int | None = None


@dataclass(frozen=True)
class Drafted:
    """A confirmation that carries the whole draft: the meeting it creates, or the new time
    it gives a meeting (``draft.meeting_id``)."""

    draft: Draft
