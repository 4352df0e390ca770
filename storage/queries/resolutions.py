"""What a meeting's resolution reads: the resolution itself, its tasks and comments, who may
vote on it, and the tasks followed up after it."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.attendance import RollStatus
from domain.resolutions import ResolutionStatus, TaskStatus
from domain.roles import MemberStatus
from storage.models import (
    Invitation,
    Meeting,
    Membership,
    Person,
    Resolution,
    ResolutionComment,
    ResolutionTask,
)


class AssignedTask(NamedTuple):
    """A resolution's task and the name of the member responsible for it."""

    task: ResolutionTask
    name: str


class Comment(NamedTuple):
    """A member's comment on a draft resolution, with their name."""

    name: str
    text: str


async def resolution_of_meeting(session: AsyncSession, meeting_id: int) -> Resolution | None:
    return await session.scalar(select(Resolution).where(Resolution.meeting_id == meeting_id))


async def tasks_of_resolution(session: AsyncSession, resolution_id: int) -> list[AssignedTask]:
    """The resolution's tasks with the name of the member responsible for each."""
    rows = await session.execute(
        select(ResolutionTask, Person.full_name)
        .join(Person, Person.id == ResolutionTask.person_id)
        .where(ResolutionTask.resolution_id == resolution_id)
        .order_by(ResolutionTask.id)
    )
    return [AssignedTask(task, name) for task, name in rows]


async def comments_on_resolution(session: AsyncSession, resolution_id: int) -> list[Comment]:
    """Each member's comment on the draft with their name, in the order they came."""
    rows = await session.execute(
        select(Person.full_name, ResolutionComment.text)
        .join(Person, Person.id == ResolutionComment.person_id)
        .where(ResolutionComment.resolution_id == resolution_id)
        .order_by(ResolutionComment.created_at, ResolutionComment.id)
    )
    return [Comment(name, text) for name, text in rows]


async def full_members_of_cell(session: AsyncSession, cell_id: int) -> set[int]:
    """The person ids of the cell's full (not probationary) members now."""
    return set(
        await session.scalars(
            select(Membership.person_id).where(
                Membership.cell_id == cell_id,
                Membership.left_at.is_(None),
                Membership.status == MemberStatus.FULL,
            )
        )
    )


async def present_count_among(
    session: AsyncSession, meeting_id: int, person_ids: Collection[int]
) -> int:
    """How many of these people the meeting's roll has present."""
    return int(
        await session.scalar(
            select(func.count(Invitation.id)).where(
                Invitation.meeting_id == meeting_id,
                Invitation.roll_status == RollStatus.PRESENT,
                Invitation.person_id.in_(person_ids),
            )
        )
        or 0
    )


async def open_adopted_tasks_of_person(
    session: AsyncSession, person_id: int
) -> list[ResolutionTask]:
    """The person's open tasks of adopted resolutions, soonest due first."""
    return list(
        await session.scalars(
            select(ResolutionTask)
            .join(Resolution, Resolution.id == ResolutionTask.resolution_id)
            .where(
                ResolutionTask.person_id == person_id,
                ResolutionTask.status == TaskStatus.OPEN,
                Resolution.status == ResolutionStatus.ADOPTED,
            )
            .order_by(ResolutionTask.due_on, ResolutionTask.id)
        )
    )


async def tasks_to_review(
    session: AsyncSession, cell_id: int, before: datetime, done_since: datetime
) -> list[AssignedTask]:
    """The tasks of the cell's resolutions adopted at meetings before ``before``: every one
    still open, and those done since ``done_since``; soonest due first."""
    rows = await session.execute(
        select(ResolutionTask, Person.full_name)
        .join(Person, Person.id == ResolutionTask.person_id)
        .join(Resolution, Resolution.id == ResolutionTask.resolution_id)
        .join(Meeting, Meeting.id == Resolution.meeting_id)
        .where(
            Meeting.cell_id == cell_id,
            Meeting.starts_at < before,
            Resolution.status == ResolutionStatus.ADOPTED,
            (ResolutionTask.status == TaskStatus.OPEN) | (ResolutionTask.done_at >= done_since),
        )
        .order_by(ResolutionTask.due_on, ResolutionTask.id)
    )
    return [AssignedTask(task, name) for task, name in rows]
