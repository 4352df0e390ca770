"""What the dashboard reads beyond the digest's figures: a cell's members' attendance."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.attendance import RollStatus
from domain.meetings import MeetingStatus
from domain.roles import MemberStatus, Role
from storage.models import Invitation, Meeting, Membership, Person


class CurrentMember(NamedTuple):
    person_id: int
    name: str
    role: Role
    status: MemberStatus


async def current_members(session: AsyncSession, cell_id: int) -> list[CurrentMember]:
    """The cell's members today, by name."""
    rows = await session.execute(
        select(Person.id, Person.full_name, Membership.role, Membership.status)
        .join(Membership, Membership.person_id == Person.id)
        .where(Membership.cell_id == cell_id, Membership.left_at.is_(None))
        .order_by(Person.full_name, Person.id)
    )
    return [CurrentMember(*row) for row in rows.all()]


class MemberRoll(NamedTuple):
    person_id: int
    status: RollStatus
    times: int


async def member_rolls_between(
    session: AsyncSession, cell_id: int, start: datetime, end: datetime
) -> list[MemberRoll]:
    """How many times each member was marked each way on the closed rolls of the cell's
    meetings held in [start, end), not cancelled; exempted entries left out, as the digest
    leaves them out."""
    rows = await session.execute(
        select(Invitation.person_id, Invitation.roll_status, func.count())
        .join(Meeting, Meeting.id == Invitation.meeting_id)
        .where(
            Meeting.cell_id == cell_id,
            Meeting.status == MeetingStatus.SCHEDULED,
            Meeting.starts_at >= start,
            Meeting.starts_at < end,
            Meeting.roll_closed_at.is_not(None),
            Invitation.roll_status.is_not(None),
            Invitation.exempted.is_(False),
        )
        .group_by(Invitation.person_id, Invitation.roll_status)
    )
    return [
        MemberRoll(person, status, int(count))
        for person, status, count in rows
        if status is not None
    ]
