"""What papers and meeting materials read, and the two writes that are statements rather than
changes to loaded rows: a stored file kept once by its hash, and a paper replaced."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.meetings import MeetingStatus
from storage.models import (
    Meeting,
    MeetingMaterial,
    PaperAssignment,
    PaperSubmission,
    Person,
    StoredFile,
)
from storage.upsert import insert_if_absent


class CurrentSubmission(NamedTuple):
    """An assignment's paper as it stands, and the file it is."""

    submission: PaperSubmission
    stored: StoredFile


class MaterialToSend(NamedTuple):
    material: MeetingMaterial
    sha256: str
    meeting: Meeting


async def stored_file_id(session: AsyncSession, sha256: str, size: int, now: datetime) -> int:
    """The id of the stored file with this content hash, its row written if it is the first."""
    await insert_if_absent(
        session, StoredFile, {"sha256": sha256, "size": size, "created_at": now}, ["sha256"]
    )
    file_id = await session.scalar(select(StoredFile.id).where(StoredFile.sha256 == sha256))
    assert file_id is not None
    return file_id


async def current_submissions(
    session: AsyncSession, assignment_ids: list[int]
) -> dict[int, CurrentSubmission]:
    """The current (not replaced) paper of each of the assignments that has one, by
    assignment."""
    if not assignment_ids:
        return {}
    rows = await session.execute(
        select(PaperSubmission, StoredFile)
        .join(StoredFile, StoredFile.id == PaperSubmission.file_id)
        .where(
            PaperSubmission.assignment_id.in_(assignment_ids), PaperSubmission.replaced_at.is_(None)
        )
    )
    return {
        submission.assignment_id: CurrentSubmission(submission, stored)
        for submission, stored in rows
    }


async def assignments_of_meeting(
    session: AsyncSession, meeting_id: int
) -> list[tuple[PaperAssignment, Person]]:
    """The meeting's papers with their authors, in the order they were assigned."""
    query = (
        select(PaperAssignment, Person)
        .join(Person, Person.id == PaperAssignment.person_id)
        .where(PaperAssignment.meeting_id == meeting_id)
        .order_by(PaperAssignment.created_at, PaperAssignment.id)
    )
    return [(assignment, person) for assignment, person in await session.execute(query)]


async def assignment_on_topic(
    session: AsyncSession, meeting_id: int, person_id: int, topic: str
) -> PaperAssignment | None:
    """The member's paper on this topic for the meeting, if it was assigned already."""
    return await session.scalar(
        select(PaperAssignment).where(
            PaperAssignment.meeting_id == meeting_id,
            PaperAssignment.person_id == person_id,
            PaperAssignment.topic == topic,
        )
    )


async def open_assignments_of_person(
    session: AsyncSession, person_id: int, meetings_ending_after: datetime
) -> list[tuple[PaperAssignment, Meeting]]:
    """The person's papers for scheduled meetings that end after the moment given, soonest
    due first."""
    query = (
        select(PaperAssignment, Meeting)
        .join(Meeting, Meeting.id == PaperAssignment.meeting_id)
        .where(
            PaperAssignment.person_id == person_id,
            Meeting.status == MeetingStatus.SCHEDULED,
            Meeting.ends_at > meetings_ending_after,
        )
        .order_by(PaperAssignment.due_at)
    )
    return [(assignment, meeting) for assignment, meeting in await session.execute(query)]


async def replace_current_submission(
    session: AsyncSession, assignment_id: int, now: datetime
) -> None:
    """Marks the assignment's current paper, if any, replaced from now."""
    await session.execute(
        update(PaperSubmission)
        .where(
            PaperSubmission.assignment_id == assignment_id,
            PaperSubmission.replaced_at.is_(None),
        )
        .values(replaced_at=now)
        .execution_options(synchronize_session=False)
    )


async def materials_of_coming_meetings(
    session: AsyncSession, cell_id: int, now: datetime, meeting_id: int | None = None
) -> list[MaterialToSend]:
    """The materials of the cell's scheduled meetings not yet over: of that meeting, or of
    every one whose invitation is out."""
    query = (
        select(MeetingMaterial, StoredFile.sha256, Meeting)
        .join(StoredFile, StoredFile.id == MeetingMaterial.file_id)
        .join(Meeting, Meeting.id == MeetingMaterial.meeting_id)
        .where(
            Meeting.cell_id == cell_id,
            Meeting.status == MeetingStatus.SCHEDULED,
            Meeting.ends_at > now,
        )
    )
    if meeting_id is not None:
        query = query.where(Meeting.id == meeting_id)
    else:
        query = query.where(Meeting.broadcast_at.is_not(None))
    return [MaterialToSend(*row) for row in await session.execute(query)]
