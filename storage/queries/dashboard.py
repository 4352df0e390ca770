"""What the dashboard reads beyond the digest's figures: a cell's members' attendance, and
whether figures kept since are current."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import ScalarSelect, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.attendance import RollStatus
from domain.calendar import MINUTES_DUE_AFTER
from domain.freshness import ComingMoments
from domain.meetings import MeetingStatus
from domain.roles import MemberStatus, Role
from storage.models import (
    Cell,
    CellFiguresRevision,
    FiguresRevision,
    Invitation,
    Meeting,
    Membership,
    PaperAssignment,
    Person,
)


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


class FiguresStamp(NamedTuple):
    """What tells whether an organisation's figures kept since are still current: its revision
    and its cells' (bumped by the database on every write the figures read), and the moments
    coming that the figures turn at."""

    revision: int | None  # None: the organisation has no counter (its triggers were off)
    cells: dict[int, int]  # each cell's revision, by cell, of those with a counter
    cells_in_organisation: int
    coming: ComingMoments

    @property
    def counted(self) -> bool:
        """Whether the organisation and every cell of it has its counter."""
        return self.revision is not None and len(self.cells) == self.cells_in_organisation


async def figures_stamp(session: AsyncSession, organisation_id: int, now: datetime) -> FiguresStamp:
    """The organisation's revisions and the next moments its figures turn at: read before the
    figures, so that figures kept under it are never older than it says."""
    cells = select(Cell.id).where(Cell.organisation_id == organisation_id)

    def first_start(after: datetime) -> ScalarSelect[datetime]:
        return (
            select(func.min(Meeting.starts_at))
            .where(Meeting.cell_id.in_(cells), Meeting.starts_at > after)
            .scalar_subquery()
        )

    revision, cells_in_organisation, *coming = (
        await session.execute(
            select(
                select(FiguresRevision.revision)
                .where(FiguresRevision.organisation_id == organisation_id)
                .scalar_subquery(),
                select(func.count()).select_from(cells.subquery()).scalar_subquery(),
                first_start(now),
                first_start(now - MINUTES_DUE_AFTER),
                select(func.min(PaperAssignment.due_at))
                .join(Meeting, Meeting.id == PaperAssignment.meeting_id)
                .where(Meeting.cell_id.in_(cells), PaperAssignment.due_at >= now)
                .scalar_subquery(),
            )
        )
    ).one()
    cell_revisions = await session.execute(
        select(CellFiguresRevision.cell_id, CellFiguresRevision.revision).where(
            CellFiguresRevision.cell_id.in_(cells)
        )
    )
    by_cell = {cell_id: cell_revision for cell_id, cell_revision in cell_revisions}
    return FiguresStamp(revision, by_cell, cells_in_organisation, ComingMoments(*coming))
