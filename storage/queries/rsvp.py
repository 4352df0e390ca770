"""What answering an invitation reads and writes.

These statements run on every press of an invitation's buttons, so they are built once, in
SQLAlchemy Core, and run on the transaction's connection: rows, not ORM objects, none of the
ORM's work per statement (a third of a statement's cost), and only the parameters change.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import JSON, Insert, and_, bindparam, literal_column, select
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


# What a press shows of its meeting, after its id: MeetingOfPress's fields in their order.
_MEETING_COLUMNS = (
    Meeting.kind,
    Meeting.status,
    Meeting.starts_at,
    Meeting.place,
    Meeting.theme,
    Meeting.late,
)

# A row per agenda item (one with NULLs for none), each with the rest beside it: the
# invitation's text needs its agenda, read in the same statement.
_INVITATION_OF = (
    select(
        Person.id,
        Meeting.id,
        *_MEETING_COLUMNS,
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


def _typed(name: str, column: Any) -> Any:
    # Typed, since the values are selected, not inserted: PostgreSQL would take them for text.
    return bindparam(name, type_=column.type)


def _record(dialect: Any) -> Insert:
    """The person's answer, as an upsert: their invitation is made if there was none (someone
    who joined after the invitations went out answers from the group's message). Nothing is
    written for no such person or no such meeting."""
    answered = (
        select(
            Meeting.id,
            Person.id,
            _typed("now", Invitation.invited_at),
            _typed("response", Invitation.response),
            _typed("reason", Invitation.reason),
            _typed("reason_note", Invitation.reason_note),
            _typed("now", Invitation.responded_at),
        )
        .select_from(Person)
        .join(Meeting, Meeting.id == bindparam("meeting_id"))
        .where(Person.telegram_user_id == bindparam("telegram_user_id"))
    )
    insert = dialect.insert(Invitation).from_select(
        [
            "meeting_id",
            "person_id",
            "invited_at",
            "response",
            "reason",
            "reason_note",
            "responded_at",
        ],
        answered,
    )
    return insert.on_conflict_do_update(
        index_elements=["meeting_id", "person_id"],
        set_={
            column: insert.excluded[column]
            for column in ("response", "reason", "reason_note", "responded_at")
        },
    )


# On PostgreSQL the answer is recorded and the invitation read in one statement (a WITH
# clause may hold an INSERT there, not in SQLite). Its SELECT sees the rows as they were
# before the INSERT, whose values the caller has.
_RECORD_READING = _INVITATION_OF.add_cte(_record(postgresql).cte("recorded"))


def _of_invitation(select_sql: str, column: Any) -> Any:
    # Written out, since SQLAlchemy writes RETURNING's columns without their tables, the
    # columns of a subquery there too, and cannot correlate a subquery with the row written.
    return literal_column(f"({select_sql})", type_=column.type)


def _meeting_column(column: Any) -> Any:
    return _of_invitation(
        f"SELECT meeting.{column.key} FROM meeting WHERE meeting.id = invitation.meeting_id",
        column,
    )


# On SQLite, one statement too: the invitation is read in the INSERT's RETURNING clause, the
# columns _INVITATION_OF reads but the answer, which the caller has, and the agenda as one
# JSON list of [position, id, title_key, title].
_RECORD_RETURNING = _record(sqlite).returning(
    Invitation.person_id,
    Invitation.meeting_id,
    *(_meeting_column(column) for column in _MEETING_COLUMNS),
    _of_invitation(
        "SELECT cell.name FROM meeting JOIN cell ON cell.id = meeting.cell_id"
        " WHERE meeting.id = invitation.meeting_id",
        Cell.name,
    ),
    _of_invitation(
        "SELECT membership.id FROM meeting JOIN membership"
        " ON membership.cell_id = meeting.cell_id"
        " AND membership.person_id = invitation.person_id AND membership.left_at IS NULL"
        " WHERE meeting.id = invitation.meeting_id",
        Membership.id,
    ),
    literal_column(
        "(SELECT json_group_array(json_array(agenda_item.position, agenda_item.id,"
        " agenda_item.title_key, agenda_item.title)) FROM agenda_item"
        " WHERE agenda_item.meeting_id = invitation.meeting_id)",
        type_=JSON,
    ),
)


async def invitation_of(
    connection: AsyncConnection, telegram_user_id: int, meeting_id: int
) -> InvitationOfCaller | None:
    """In one query: the person, the meeting, its cell's name, the person's current
    membership there, their invitation and the meeting's agenda. None when the person is not
    registered."""
    parameters = {"telegram_user_id": telegram_user_id, "meeting_id": meeting_id}
    return _invitation_read((await connection.execute(_INVITATION_OF, parameters)).all())


def _invitation_read(rows: Sequence[Sequence[Any]]) -> InvitationOfCaller | None:
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
    telegram_user_id: int,
    meeting_id: int,
    response: Response,
    reason: str | None,
    reason_note: str | None,
    now: datetime,
) -> InvitationOfCaller | None:
    """The answer of the person with ``telegram_user_id`` to the meeting's invitation,
    recorded, and the invitation then read as ``invitation_of`` reads it. Recorded before
    anyone checks whether it may be given (a member, a meeting still ahead), so that the
    read costs no statement of its own: the caller refusing the answer rolls its transaction
    back."""
    parameters = {
        "telegram_user_id": telegram_user_id,
        "meeting_id": meeting_id,
        "response": response,
        "reason": reason,
        "reason_note": reason_note,
        "now": now,
    }
    if connection.dialect.name == "postgresql":
        found = _invitation_read((await connection.execute(_RECORD_READING, parameters)).all())
        if found is None or found.meeting is None:
            return found
        return found._replace(response=response, reason=reason, reason_note=reason_note)
    written = (await connection.execute(_RECORD_RETURNING, parameters)).first()
    if written is None:
        # Nothing was written: no such person, or no such meeting; read which.
        return await invitation_of(connection, telegram_user_id, meeting_id)
    person_id, *columns, cell_name, membership_id, agenda = written
    meeting = MeetingOfPress._make(
        (
            *columns,
            cell_name,
            tuple(
                AgendaTitle(title_key, title)
                for _, _, title_key, title in sorted(agenda, key=lambda item: item[:2])
            ),
        )
    )
    return InvitationOfCaller(person_id, meeting, membership_id, response, reason, reason_note)
