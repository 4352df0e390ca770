"""What the meeting use cases share: the draft of a meeting being scheduled, the cutoff and the
one regular meeting a month, the cell a manager acts on, and typed text cleaned."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.calendar import Month, is_after_cutoff
from domain.meetings import MeetingKind, MeetingStatus
from domain.messages import Text, telegram_length
from domain.permissions import can_manage_cell
from services.errors import Refused, refused
from services.people import Caller, require_person
from storage.models import Cell, Meeting, Organisation, Person


@dataclass(frozen=True)
class Draft:
    """A meeting being scheduled (or a new time for an existing one)."""

    cell_id: int
    kind: MeetingKind
    starts_at: datetime | None = None
    late_ok: bool = False
    place: str | None = None
    theme: str | None = None
    meeting_id: int | None = None

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
            # Stored and compared in UTC, whatever offset the moment was typed in.
            starts_at=datetime.fromisoformat(starts).astimezone(UTC) if starts else None,
            late_ok=bool(data.get("late_ok")),
            place=data.get("place"),
            theme=data.get("theme"),
            meeting_id=data.get("meeting_id"),
        )

    def but(self, **changes: Any) -> Draft:
        starts_at = changes.get("starts_at")
        if starts_at is not None:
            changes["starts_at"] = starts_at.astimezone(UTC)
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
    start, end = month.bounds(zone)
    query = select(Meeting).where(
        Meeting.cell_id == cell_id,
        Meeting.kind == MeetingKind.REGULAR,
        Meeting.status == MeetingStatus.SCHEDULED,
        Meeting.starts_at >= start,
        Meeting.starts_at < end,
    )
    if except_meeting is not None:
        query = query.where(Meeting.id != except_meeting)
    return await session.scalar(query.limit(1))


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
