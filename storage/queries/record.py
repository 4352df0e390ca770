"""What the year's record reads beyond the digest's figures and the dashboard's rolls: each
member's papers and tasks, and what an organisation's archive holds."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.meetings import MeetingStatus
from domain.resolutions import ResolutionStatus, TaskStatus
from domain.roles import Role
from storage.models import (
    Cell,
    Meeting,
    Membership,
    PaperAssignment,
    PaperSubmission,
    Person,
    Resolution,
    ResolutionTask,
    StoredFile,
)


class MemberCount(NamedTuple):
    person_id: int
    given: int
    done: int


async def member_papers_between(
    session: AsyncSession, cell_id: int, start: datetime, end: datetime
) -> list[MemberCount]:
    """Each member's papers due in [start, end) at the cell's meetings not cancelled (the
    digest's papers, member by member): how many assigned, and how many handed in."""
    current = (
        select(PaperSubmission.assignment_id)
        .where(PaperSubmission.replaced_at.is_(None))
        .subquery()
    )
    rows = await session.execute(
        select(
            PaperAssignment.person_id,
            func.count(PaperAssignment.id),
            func.count(current.c.assignment_id),
        )
        .join(Meeting, Meeting.id == PaperAssignment.meeting_id)
        .outerjoin(current, current.c.assignment_id == PaperAssignment.id)
        .where(
            Meeting.cell_id == cell_id,
            Meeting.status == MeetingStatus.SCHEDULED,
            PaperAssignment.due_at >= start,
            PaperAssignment.due_at < end,
        )
        .group_by(PaperAssignment.person_id)
    )
    return [MemberCount(person, int(given), int(done)) for person, given, done in rows]


async def member_tasks_between(
    session: AsyncSession, cell_id: int, start: datetime, end: datetime
) -> list[MemberCount]:
    """Each member's tasks of the resolutions adopted at the cell's meetings held in
    [start, end), not cancelled: how many given, and how many done."""
    rows = await session.execute(
        select(
            ResolutionTask.person_id,
            func.count(ResolutionTask.id),
            func.count(ResolutionTask.id).filter(ResolutionTask.status == TaskStatus.DONE),
        )
        .join(Resolution, Resolution.id == ResolutionTask.resolution_id)
        .join(Meeting, Meeting.id == Resolution.meeting_id)
        .where(
            Meeting.cell_id == cell_id,
            Meeting.status == MeetingStatus.SCHEDULED,
            Meeting.starts_at >= start,
            Meeting.starts_at < end,
            Resolution.status == ResolutionStatus.ADOPTED,
        )
        .group_by(ResolutionTask.person_id)
    )
    return [MemberCount(person, int(given), int(done)) for person, given, done in rows]


def _held_in_organisation(
    organisation_id: int, cell_ids: set[int] | None, start: datetime, end: datetime
) -> list[ColumnElement[bool]]:
    """Meetings (joined with their cell) of the organisation's cells, only ``cell_ids``
    when given, held in [start, end) and not cancelled."""
    conditions = [
        Cell.organisation_id == organisation_id,
        Meeting.status == MeetingStatus.SCHEDULED,
        Meeting.starts_at >= start,
        Meeting.starts_at < end,
    ]
    if cell_ids is not None:
        conditions.append(Cell.id.in_(cell_ids))
    return conditions


async def recorded_meetings_between(
    session: AsyncSession,
    organisation_id: int,
    cell_ids: set[int] | None,
    start: datetime,
    end: datetime,
) -> list[Meeting]:
    """The meetings held in [start, end) whose minutes are recorded, by cell and date."""
    query = (
        select(Meeting)
        .join(Cell, Cell.id == Meeting.cell_id)
        .where(
            *_held_in_organisation(organisation_id, cell_ids, start, end),
            Meeting.minutes_recorded_at.is_not(None),
        )
        .order_by(Cell.name, Cell.id, Meeting.starts_at, Meeting.id)
    )
    return list(await session.scalars(query))


class SubmittedPaper(NamedTuple):
    cell_id: int
    meeting_id: int
    meeting_starts_at: datetime
    name: str
    file_name: str
    sha256: str


async def submitted_papers_between(
    session: AsyncSession,
    organisation_id: int,
    cell_ids: set[int] | None,
    start: datetime,
    end: datetime,
) -> list[SubmittedPaper]:
    """The papers handed in (their current version) for the meetings held in [start, end),
    not cancelled, by cell, meeting and assignment."""
    query = (
        select(
            Meeting.cell_id,
            Meeting.id,
            Meeting.starts_at,
            Person.full_name,
            PaperSubmission.file_name,
            StoredFile.sha256,
        )
        .select_from(PaperSubmission)
        .join(PaperAssignment, PaperAssignment.id == PaperSubmission.assignment_id)
        .join(Person, Person.id == PaperAssignment.person_id)
        .join(StoredFile, StoredFile.id == PaperSubmission.file_id)
        .join(Meeting, Meeting.id == PaperAssignment.meeting_id)
        .join(Cell, Cell.id == Meeting.cell_id)
        .where(
            *_held_in_organisation(organisation_id, cell_ids, start, end),
            PaperSubmission.replaced_at.is_(None),
        )
        .order_by(Meeting.cell_id, Meeting.starts_at, Meeting.id, PaperAssignment.id)
    )
    return [SubmittedPaper(*row) for row in (await session.execute(query)).all()]


async def secretaries_of_cells_before(
    session: AsyncSession, created_before: datetime
) -> list[tuple[Cell, Person]]:
    """Every cell created before the moment, with its current secretary (a cell without one
    is left out), by cell."""
    rows = await session.execute(
        select(Cell, Person)
        .join(Membership, Membership.cell_id == Cell.id)
        .join(Person, Person.id == Membership.person_id)
        .where(
            Cell.created_at < created_before,
            Membership.left_at.is_(None),
            Membership.role == Role.SECRETARY,
        )
        .order_by(Cell.id, Person.id)
    )
    return [(cell, person) for cell, person in rows.all()]
