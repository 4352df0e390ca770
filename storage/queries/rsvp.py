"""What answering an invitation reads."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Cell, Invitation, Meeting, Membership, Person


class InvitationOfCaller(NamedTuple):
    """The person pressing, and what their press is about; None where it is missing."""

    person: Person
    meeting: Meeting | None
    cell: Cell | None
    membership_id: int | None
    invitation: Invitation | None


async def invitation_of(
    session: AsyncSession, telegram_user_id: int, meeting_id: int
) -> InvitationOfCaller | None:
    """In one query, as it runs on every press of an invitation's buttons: the person, the
    meeting, its cell, the person's current membership there and their invitation. None when
    the person is not registered."""
    found = (
        await session.execute(
            select(Person, Meeting, Cell, Membership.id, Invitation)
            .select_from(Person)
            .outerjoin(Meeting, Meeting.id == meeting_id)
            .outerjoin(Cell, Cell.id == Meeting.cell_id)
            .outerjoin(
                Membership,
                and_(
                    Membership.person_id == Person.id,
                    Membership.cell_id == Meeting.cell_id,
                    Membership.left_at.is_(None),
                ),
            )
            .outerjoin(
                Invitation,
                and_(Invitation.meeting_id == Meeting.id, Invitation.person_id == Person.id),
            )
            .where(Person.telegram_user_id == telegram_user_id)
        )
    ).first()
    return None if found is None else InvitationOfCaller(*found)
