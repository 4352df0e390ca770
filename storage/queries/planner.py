"""What the planner reads to find what is due: a few queries per run, whatever the number of
cells."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.meetings import MeetingKind, MeetingStatus
from domain.roles import Role
from storage.models import (
    Cell,
    Invitation,
    Meeting,
    MeetingObserver,
    Membership,
    Organisation,
    PaperAssignment,
    PaperSubmission,
    Person,
)

MANAGERS = (Role.SECRETARY, Role.DEPUTY)


class MeetingOfCell(NamedTuple):
    meeting: Meeting
    cell_name: str


class MeetingToRemind(NamedTuple):
    meeting: Meeting
    cell_name: str
    offsets_minutes: list[int]


class PaperDue(NamedTuple):
    assignment: PaperAssignment
    person: Person
    meeting: Meeting
    cell_name: str


class Observer(NamedTuple):
    person: Person
    meeting: Meeting
    cell_name: str


async def _scheduled_meetings(
    session: AsyncSession, *conditions: ColumnElement[bool]
) -> list[MeetingOfCell]:
    """The scheduled (not cancelled) meetings that meet the conditions, with their cell's
    name."""
    rows = await session.execute(
        select(Meeting, Cell.name)
        .join(Cell, Cell.id == Meeting.cell_id)
        .where(Meeting.status == MeetingStatus.SCHEDULED, *conditions)
    )
    return [MeetingOfCell(*row) for row in rows]


def _scheduled_starting(after: datetime, until: datetime) -> tuple[ColumnElement[bool], ...]:
    """A scheduled (not cancelled) meeting that starts after ``after`` and by ``until``."""
    return (
        Meeting.status == MeetingStatus.SCHEDULED,
        Meeting.starts_at > after,
        Meeting.starts_at <= until,
    )


async def longest_reminder_offset(session: AsyncSession) -> int:
    """Of every organisation's reminder offsets (minutes before a meeting), the longest; 0
    when there are none."""
    offsets = await session.scalars(select(Organisation.reminder_offsets_minutes))
    return max((max(each, default=0) for each in offsets), default=0)


async def broadcast_meetings_starting_between(
    session: AsyncSession, after: datetime, until: datetime
) -> list[MeetingToRemind]:
    """Scheduled meetings already announced that start after ``after`` and by ``until``,
    with their cell's name and their organisation's reminder offsets."""
    rows = await session.execute(
        select(Meeting, Cell.name, Organisation.reminder_offsets_minutes)
        .join(Cell, Cell.id == Meeting.cell_id)
        .join(Organisation, Organisation.id == Cell.organisation_id)
        .where(*_scheduled_starting(after, until), Meeting.broadcast_at.is_not(None))
    )
    return [MeetingToRemind(*row) for row in rows]


async def meetings_open_for_checkin(
    session: AsyncSession, now: datetime, starting_by: datetime
) -> list[MeetingOfCell]:
    """Scheduled meetings already announced, starting by ``starting_by`` and not over at
    ``now``, whose roll is still open."""
    return await _scheduled_meetings(
        session,
        Meeting.broadcast_at.is_not(None),
        Meeting.starts_at <= starting_by,
        Meeting.ends_at > now,
        Meeting.roll_closed_at.is_(None),
    )


async def meetings_left_open(
    session: AsyncSession, since: datetime, before: datetime
) -> list[MeetingOfCell]:
    """Scheduled meetings that started from ``since`` to before ``before`` whose roll or
    minutes are still open."""
    return await _scheduled_meetings(
        session,
        Meeting.starts_at < before,
        Meeting.starts_at >= since,
        (Meeting.roll_closed_at.is_(None)) | (Meeting.minutes_recorded_at.is_(None)),
    )


async def meetings_without_minutes(
    session: AsyncSession, after: datetime, until: datetime
) -> list[MeetingOfCell]:
    """Scheduled meetings that started after ``after`` and by ``until`` whose minutes are not
    recorded."""
    return await _scheduled_meetings(
        session,
        Meeting.minutes_recorded_at.is_(None),
        Meeting.starts_at <= until,
        Meeting.starts_at > after,
    )


async def invitations_of_current_members(
    session: AsyncSession, meeting_ids: list[int]
) -> list[tuple[Invitation, Person]]:
    """The meetings' invitations of those still members of the meeting's cell (not of those
    who left), with the invitee."""
    rows = await session.execute(
        select(Invitation, Person)
        .join(Person, Person.id == Invitation.person_id)
        .join(Meeting, Meeting.id == Invitation.meeting_id)
        .join(
            Membership,
            (Membership.person_id == Invitation.person_id)
            & (Membership.cell_id == Meeting.cell_id)
            & Membership.left_at.is_(None),
        )
        .where(Invitation.meeting_id.in_(meeting_ids))
    )
    return [(invitation, person) for invitation, person in rows]


async def managers_of_cells(
    session: AsyncSession, cell_ids: Iterable[int]
) -> dict[int, list[Person]]:
    """Each cell's current secretary and deputies (a cell with neither is not a key)."""
    ids = list(set(cell_ids))
    if not ids:
        return {}
    rows = await session.execute(
        select(Membership.cell_id, Person)
        .join(Person, Person.id == Membership.person_id)
        .where(
            Membership.cell_id.in_(ids),
            Membership.left_at.is_(None),
            Membership.role.in_(MANAGERS),
        )
    )
    managers: dict[int, list[Person]] = defaultdict(list)
    for cell_id, person in rows:
        managers[cell_id].append(person)
    return managers


async def unsent_papers_due_between(
    session: AsyncSession, after: datetime, until: datetime
) -> list[PaperDue]:
    """Papers of scheduled meetings due after ``after`` and by ``until`` that their author
    has not sent (or whose last version was taken back), with the author and the meeting."""
    rows = await session.execute(
        select(PaperAssignment, Person, Meeting, Cell.name)
        .join(Person, Person.id == PaperAssignment.person_id)
        .join(Meeting, Meeting.id == PaperAssignment.meeting_id)
        .join(Cell, Cell.id == Meeting.cell_id)
        .where(
            Meeting.status == MeetingStatus.SCHEDULED,
            PaperAssignment.due_at > after,
            PaperAssignment.due_at <= until,
            ~exists().where(
                PaperSubmission.assignment_id == PaperAssignment.id,
                PaperSubmission.replaced_at.is_(None),
            ),
        )
    )
    return [PaperDue(*row) for row in rows]


async def observers_yet_to_report(
    session: AsyncSession, after: datetime, until: datetime
) -> list[Observer]:
    """Working groups' members observing a scheduled meeting that starts after ``after`` and
    by ``until``, who have not sent their observations."""
    rows = await session.execute(
        select(Person, Meeting, Cell.name)
        .select_from(MeetingObserver)
        .join(Person, Person.id == MeetingObserver.person_id)
        .join(Meeting, Meeting.id == MeetingObserver.meeting_id)
        .join(Cell, Cell.id == Meeting.cell_id)
        .where(*_scheduled_starting(after, until), MeetingObserver.observed_at.is_(None))
    )
    return [Observer(*row) for row in rows]


async def cutoff_days_of_organisations(session: AsyncSession) -> dict[int, int]:
    """Each organisation's monthly cutoff day, by its id."""
    rows = await session.execute(select(Organisation.id, Organisation.cutoff_day))
    return {organisation_id: cutoff_day for organisation_id, cutoff_day in rows}


async def plan_due_days_of_organisations(session: AsyncSession) -> dict[int, int]:
    """The plan-by day of each organisation that has one, by its id."""
    rows = await session.execute(
        select(Organisation.id, Organisation.plan_due_day).where(
            Organisation.plan_due_day.is_not(None)
        )
    )
    # Typed as nullable; the query has left out the organisations without one.
    return {organisation_id: day for organisation_id, day in rows if day is not None}


async def cells_of_organisations(
    session: AsyncSession, organisation_ids: Iterable[int]
) -> list[Cell]:
    ids = list(organisation_ids)
    if not ids:
        return []
    return list((await session.scalars(select(Cell).where(Cell.organisation_id.in_(ids)))).all())


async def all_cells(session: AsyncSession) -> list[Cell]:
    return list((await session.scalars(select(Cell))).all())


async def meeting_starts_between(
    session: AsyncSession, kind: MeetingKind, start: datetime, end: datetime
) -> list[tuple[int, datetime]]:
    """(cell, start) of the scheduled meetings of this kind from ``start`` to before ``end``."""
    rows = await session.execute(
        select(Meeting.cell_id, Meeting.starts_at).where(
            Meeting.kind == kind,
            Meeting.status == MeetingStatus.SCHEDULED,
            Meeting.starts_at >= start,
            Meeting.starts_at < end,
        )
    )
    return [(cell_id, starts_at) for cell_id, starts_at in rows]


async def cells_with_members(session: AsyncSession) -> set[int]:
    """Cells with at least one current member besides their secretary and deputies."""
    return set(
        await session.scalars(
            select(Membership.cell_id)
            .where(Membership.left_at.is_(None), Membership.role.not_in(MANAGERS))
            .distinct()
        )
    )


async def people_by_id(session: AsyncSession, person_ids: Iterable[int]) -> dict[int, Person]:
    found = await session.scalars(select(Person).where(Person.id.in_(set(person_ids))))
    return {person.id: person for person in found}


async def names_of_people(session: AsyncSession, person_ids: Iterable[int]) -> dict[int, str]:
    rows = await session.execute(
        select(Person.id, Person.full_name).where(Person.id.in_(list(person_ids)))
    )
    return {person_id: name for person_id, name in rows}


async def meetings_by_id(session: AsyncSession, meeting_ids: Iterable[int]) -> dict[int, Meeting]:
    found = await session.scalars(select(Meeting).where(Meeting.id.in_(list(meeting_ids))))
    return {meeting.id: meeting for meeting in found}
