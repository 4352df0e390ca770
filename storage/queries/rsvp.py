"""What answering an invitation reads and writes.

Both statements run on every press of an invitation's buttons, so they are built once, in
SQLAlchemy Core, and run on the transaction's connection: rows, not ORM objects, none of the
ORM's work per statement (a third of a statement's cost), and only the parameters change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Insert, and_, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.meetings import MeetingKind, MeetingStatus, Response
from storage.models import AgendaItem, Cell, Invitation, Meeting, Membership, Person


class AgendaTitle(NamedTuple):
    title_key: str | None
    title: str | None


class MeetingOfPress(NamedTuple):
    """The meeting a press is about, its cell's name and its agenda, in its order."""

    id: int
    kind: MeetingKind
    status: MeetingStatus
    starts_at: datetime
    place: str
    theme: str | None
    late: bool
    cell_name: str
    agenda: tuple[AgendaTitle, ...]


class InvitationOfCaller(NamedTuple):
    """The person pressing, and what their press is about; None where it is missing (no such
    meeting, no current membership in its cell, no invitation or no answer yet)."""

    person_id: int
    meeting: MeetingOfPress | None
    membership_id: int | None
    response: Response | None
    reason: str | None
    reason_note: str | None


# A row per agenda item (one with NULLs for none), each with the rest beside it: the
# invitation's text needs its agenda, read in the same statement.
_INVITATION_OF = (
    select(
        Person.id,
        Meeting.id,
        Meeting.kind,
        Meeting.status,
        Meeting.starts_at,
        Meeting.place,
        Meeting.theme,
        Meeting.late,
        Cell.name,
        Membership.id,
        Invitation.response,
        Invitation.reason,
        Invitation.reason_note,
        AgendaItem.id,
        AgendaItem.title_key,
        AgendaItem.title,
    )
    .select_from(Person)
    .outerjoin(Meeting, Meeting.id == bindparam("meeting_id"))
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
    .outerjoin(AgendaItem, AgendaItem.meeting_id == Meeting.id)
    .where(Person.telegram_user_id == bindparam("telegram_user_id"))
    .order_by(AgendaItem.position, AgendaItem.id)
)


def _record(dialect: Any) -> Insert:
    # The invitation of someone who joined after the invitations went out is made here.
    insert = dialect.insert(Invitation).values(
        meeting_id=bindparam("meeting_id"),
        person_id=bindparam("person_id"),
        invited_at=bindparam("now"),
        response=bindparam("response"),
        reason=bindparam("reason"),
        reason_note=bindparam("reason_note"),
        responded_at=bindparam("now"),
    )
    return insert.on_conflict_do_update(
        index_elements=["meeting_id", "person_id"],
        set_={
            column: insert.excluded[column]
            for column in ("response", "reason", "reason_note", "responded_at")
        },
    )


_RECORDS = {"postgresql": _record(postgresql), "sqlite": _record(sqlite)}


async def invitation_of(
    connection: AsyncConnection, telegram_user_id: int, meeting_id: int
) -> InvitationOfCaller | None:
    """In one query: the person, the meeting, its cell's name, the person's current
    membership there, their invitation and the meeting's agenda. None when the person is not
    registered."""
    rows = (
        await connection.execute(
            _INVITATION_OF, {"telegram_user_id": telegram_user_id, "meeting_id": meeting_id}
        )
    ).all()
    if not rows:
        return None
    agenda = tuple(
        AgendaTitle(title_key, title) for *_, item_id, title_key, title in rows if item_id
    )
    # The row's columns: the person, the meeting's eight, the membership and the answer's
    # three, then the agenda item's.
    first = rows[0]
    meeting = None if first[1] is None else MeetingOfPress._make((*first[1:9], agenda))
    return InvitationOfCaller._make((first[0], meeting, *first[9:13]))


async def record_answer(
    connection: AsyncConnection,
    *,
    meeting_id: int,
    person_id: int,
    response: Response,
    reason: str | None,
    reason_note: str | None,
    now: datetime,
) -> None:
    """The person's answer to the meeting's invitation, which is made if there was none."""
    await connection.execute(
        _RECORDS[connection.dialect.name],
        {
            "meeting_id": meeting_id,
            "person_id": person_id,
            "response": response,
            "reason": reason,
            "reason_note": reason_note,
            "now": now,
        },
    )
