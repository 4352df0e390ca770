"""What the supervisors' digest reads: each query covers every cell in scope at once, so that
their number does not grow with the number of cells."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import NamedTuple, TypeVarTuple

from sqlalchemy import ColumnElement, Select, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from domain.attendance import RollStatus
from domain.meetings import MeetingKind, MeetingStatus
from storage.models import (
    Cell,
    Invitation,
    Meeting,
    MeetingObserver,
    Organisation,
    OutboxMessage,
    PaperAssignment,
    PaperSubmission,
    Person,
)

Columns = TypeVarTuple("Columns")
ROLL_STATUS = Invitation.__table__.c.roll_status.type


class CellScope(NamedTuple):
    """The cells a digest covers: an organisation's, or only those named (None: all)."""

    organisation_id: int
    cell_ids: set[int] | None


def _cell_ids(scope: CellScope) -> Select[int]:
    """The cells in scope as a subquery, not a list of ids: a province's thousands of cells,
    and their meetings, would exceed a driver's bound-parameter limit (asyncpg's is 32,767).
    Only a supervisor scoped to particular cells names them, a handful."""
    query = select(Cell.id).where(Cell.organisation_id == scope.organisation_id)
    if scope.cell_ids is not None:
        query = query.where(Cell.id.in_(scope.cell_ids))
    return query


class DigestCell(NamedTuple):
    """A cell as the digest counts it."""

    id: int
    name: str
    created_at: datetime


async def cells_in_scope(session: AsyncSession, scope: CellScope) -> list[DigestCell]:
    """The cells in scope, by name."""
    rows = await session.execute(
        select(Cell.id, Cell.name, Cell.created_at)
        .where(Cell.id.in_(_cell_ids(scope)))
        .order_by(Cell.name)
    )
    return [DigestCell(*row) for row in rows.all()]


def _scheduled_between(
    scope: CellScope, start: datetime, end: datetime
) -> tuple[ColumnElement[bool], ...]:
    return (
        Meeting.cell_id.in_(_cell_ids(scope)),
        Meeting.status == MeetingStatus.SCHEDULED,
        Meeting.starts_at >= start,
        Meeting.starts_at < end,
    )


class ScheduledMeeting(NamedTuple):
    """A meeting as the digest counts it: the columns its figures read, not an ORM object
    (a province's year is some 15,000 meetings)."""

    id: int
    cell_id: int
    kind: MeetingKind
    starts_at: datetime
    late: bool
    roll_closed_at: datetime | None
    minutes_recorded_at: datetime | None


async def scheduled_meetings_between(
    session: AsyncSession, scope: CellScope, start: datetime, end: datetime
) -> list[ScheduledMeeting]:
    """The meetings in scope not cancelled, starting in [start, end), earliest first."""
    rows = await session.execute(
        select(
            Meeting.id,
            Meeting.cell_id,
            Meeting.kind,
            Meeting.starts_at,
            Meeting.late,
            Meeting.roll_closed_at,
            Meeting.minutes_recorded_at,
        )
        .where(*_scheduled_between(scope, start, end))
        .order_by(Meeting.starts_at)
    )
    return [ScheduledMeeting(*row) for row in rows.all()]


async def closed_rolls_between(
    session: AsyncSession, scope: CellScope, start: datetime, end: datetime
) -> dict[int, dict[RollStatus, int]]:
    """The closed rolls of those same meetings, exempted members left out: by meeting, how
    many entries of each status (one row a meeting, not one per member or per status)."""
    statuses = list(RollStatus)
    rows = await session.execute(
        select(
            Invitation.meeting_id,
            *(func.count().filter(Invitation.roll_status == status) for status in statuses),
        )
        .join(Meeting, Meeting.id == Invitation.meeting_id)
        .where(
            *_scheduled_between(scope, start, end),
            Meeting.roll_closed_at.is_not(None),
            Invitation.roll_status.is_not(None),
            Invitation.exempted.is_(False),
        )
        .group_by(Invitation.meeting_id)
    )
    return {
        meeting_id: dict(zip(statuses, map(int, counts), strict=True))
        for meeting_id, *counts in rows
    }


class PaperDue(NamedTuple):
    cell_id: int
    due_at: datetime
    late: bool | None  # None: no current submission


async def papers_due_between(
    session: AsyncSession, scope: CellScope, start: datetime, end: datetime
) -> list[PaperDue]:
    """The papers due in [start, end) at the cells' meetings not cancelled (a cancelled
    meeting's papers are moot), with whether their current submission came late."""
    current = (
        select(PaperSubmission.assignment_id, PaperSubmission.late)
        .where(PaperSubmission.replaced_at.is_(None))
        .subquery()
    )
    rows = await session.execute(
        select(Meeting.cell_id, PaperAssignment.due_at, current.c.late)
        .join(Meeting, Meeting.id == PaperAssignment.meeting_id)
        .outerjoin(current, current.c.assignment_id == PaperAssignment.id)
        .where(
            Meeting.cell_id.in_(_cell_ids(scope)),
            Meeting.status == MeetingStatus.SCHEDULED,
            PaperAssignment.due_at >= start,
            PaperAssignment.due_at < end,
        )
    )
    return [PaperDue(*row) for row in rows.all()]


def _with_cell_and_person(
    query: Select[*Columns],
    meeting_id: QueryableAttribute[int],
    person_id: QueryableAttribute[int],
) -> Select[*Columns]:
    """The query joined to the meeting, its cell and the person its rows are about."""
    return (
        query.join(Meeting, Meeting.id == meeting_id)
        .join(Cell, Cell.id == Meeting.cell_id)
        .join(Person, Person.id == person_id)
    )


class Absences(NamedTuple):
    cell_id: int
    cell: str
    name: str
    unexcused: int


async def unexcused_absences_between(
    session: AsyncSession, scope: CellScope, start: datetime, end: datetime, at_least: int
) -> list[Absences]:
    """Per cell and member, the unexcused absences from the closed rolls of meetings held in
    [start, end), for those with ``at_least`` of them; the exempted are never absent.

    Counted before the names are joined (a province's year has some 85,000 unexcused
    absences and 10,000 members with two or more), from the partial index of unexcused
    absences: its condition is written as a literal, which a bound parameter could not be
    proved to match."""
    absences = func.count().label("absences")
    counted = (
        select(Meeting.cell_id, Invitation.person_id, absences)
        .join(Meeting, Meeting.id == Invitation.meeting_id)
        .where(
            Meeting.cell_id.in_(_cell_ids(scope)),
            Meeting.starts_at >= start,
            Meeting.starts_at < end,
            Meeting.status == MeetingStatus.SCHEDULED,
            Meeting.roll_closed_at.is_not(None),
            Invitation.roll_status
            == literal(RollStatus.UNEXCUSED, ROLL_STATUS, literal_execute=True),
            Invitation.exempted.is_(False),
        )
        .group_by(Meeting.cell_id, Invitation.person_id)
        .having(absences >= at_least)
        .subquery()
    )
    rows = await session.execute(
        select(counted.c.cell_id, Cell.name, Person.full_name, counted.c.absences)
        .join(Cell, Cell.id == counted.c.cell_id)
        .join(Person, Person.id == counted.c.person_id)
    )
    return [Absences(*row) for row in rows.all()]


class ObservationRow(NamedTuple):
    cell_id: int
    cell: str
    observer: str
    text: str | None


async def observations_between(
    session: AsyncSession, scope: CellScope, start: datetime, end: datetime
) -> list[ObservationRow]:
    """What the working groups' members reported in [start, end) from the cells' meetings,
    by cell then as reported."""
    rows = await session.execute(
        _with_cell_and_person(
            select(Meeting.cell_id, Cell.name, Person.full_name, MeetingObserver.observations),
            MeetingObserver.meeting_id,
            MeetingObserver.person_id,
        )
        .where(
            Meeting.cell_id.in_(_cell_ids(scope)),
            MeetingObserver.observed_at >= start,
            MeetingObserver.observed_at < end,
        )
        .order_by(Cell.name, MeetingObserver.observed_at)
    )
    return [ObservationRow(*row) for row in rows.all()]


async def queued_keys(session: AsyncSession, keys: Collection[str]) -> set[str]:
    """Those of ``keys`` already in the outbox."""
    return set(await session.scalars(select(OutboxMessage.key).where(OutboxMessage.key.in_(keys))))


async def people_by_id(session: AsyncSession, ids: Collection[int]) -> dict[int, Person]:
    return {p.id: p for p in await session.scalars(select(Person).where(Person.id.in_(ids)))}


async def organisations_by_id(
    session: AsyncSession, ids: Collection[int]
) -> dict[int, Organisation]:
    return {
        o.id: o for o in await session.scalars(select(Organisation).where(Organisation.id.in_(ids)))
    }
