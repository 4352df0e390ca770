"""ORM models. Rows are never deleted where history matters (memberships, invites)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from domain.attendance import RollStatus
from domain.meetings import MeetingKind, MeetingStatus, Response
from domain.resolutions import ResolutionStatus, TaskStatus
from domain.roles import InvitePurpose, MemberStatus, Role
from storage.types import StrEnumType, UTCDateTime

# Explicit constraint names keep migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

DEFAULT_REMINDER_OFFSETS_MINUTES = [3 * 24 * 60, 24 * 60, 120]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
    }


class Organisation(Base):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    cutoff_day: Mapped[int] = mapped_column(SmallInteger, default=10)
    # The day of each month by which next month's regular meeting is to be planned; None: off.
    plan_due_day: Mapped[int | None] = mapped_column(SmallInteger)
    reminder_offsets_minutes: Mapped[list[int]] = mapped_column(
        JSON, default=lambda: list(DEFAULT_REMINDER_OFFSETS_MINUTES)
    )
    created_at: Mapped[datetime]

    cells: Mapped[list[Cell]] = relationship(back_populates="organisation")


class Cell(Base):
    __tablename__ = "cell"
    __table_args__ = (UniqueConstraint("organisation_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    group_chat_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    # The usual regular meeting: day of month, "HH:MM" local time, place; proposed in one tap.
    pattern_day: Mapped[int | None] = mapped_column(SmallInteger)
    pattern_time: Mapped[str | None] = mapped_column(String(5))
    pattern_place: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime]

    organisation: Mapped[Organisation] = relationship(back_populates="cells")


class Person(Base):
    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    language: Mapped[str | None] = mapped_column(String(8))
    # Set once the person confirmed their full name; until then it is only Telegram's.
    name_confirmed_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class Membership(Base):
    """A person's membership of a cell; leaving sets ``left_at``, rejoining adds a row."""

    __tablename__ = "membership"
    __table_args__ = (
        Index("ix_membership_cell_active", "cell_id", "left_at"),
        # The database itself refuses a second active membership of one person in one cell,
        # and a second secretary, whatever race the application loses.
        Index(
            "uq_membership_active_person",
            "person_id",
            "cell_id",
            unique=True,
            sqlite_where=text("left_at IS NULL"),
            postgresql_where=text("left_at IS NULL"),
        ),
        Index(
            "uq_membership_one_secretary",
            "cell_id",
            unique=True,
            sqlite_where=text("role = 'secretary' AND left_at IS NULL"),
            postgresql_where=text("role = 'secretary' AND left_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    cell_id: Mapped[int] = mapped_column(ForeignKey("cell.id"))
    role: Mapped[Role] = mapped_column(StrEnumType(Role))
    status: Mapped[MemberStatus] = mapped_column(StrEnumType(MemberStatus))
    invite_id: Mapped[int | None] = mapped_column(ForeignKey("invite.id"))
    joined_at: Mapped[datetime]
    left_at: Mapped[datetime | None]

    person: Mapped[Person] = relationship()
    cell: Mapped[Cell] = relationship()


class MembershipChange(Base):
    """Audit trail of role and status changes, for the secretary's records and inspections."""

    __tablename__ = "membership_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("membership.id"), index=True)
    field: Mapped[str] = mapped_column(String(20))
    old_value: Mapped[str | None] = mapped_column(String(20))
    new_value: Mapped[str | None] = mapped_column(String(20))
    changed_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    changed_at: Mapped[datetime]


class SupervisorScope(Base):
    """A supervisor's reach: a whole organisation (``cell_id`` null) or one of its cells."""

    __tablename__ = "supervisor_scope"
    __table_args__ = (UniqueConstraint("person_id", "organisation_id", "cell_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    cell_id: Mapped[int | None] = mapped_column(ForeignKey("cell.id"))
    created_at: Mapped[datetime]


class Invite(Base):
    __tablename__ = "invite"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[InvitePurpose] = mapped_column(StrEnumType(InvitePurpose))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    cell_id: Mapped[int | None] = mapped_column(ForeignKey("cell.id"), index=True)
    max_uses: Mapped[int | None] = mapped_column(Integer)
    use_count: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    created_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[datetime]


class Meeting(Base):
    """A scheduled meeting. ``version`` grows with each reschedule, so nothing planned for an
    older time is ever sent."""

    __tablename__ = "meeting"
    __table_args__ = (Index("ix_meeting_cell_start", "cell_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cell_id: Mapped[int] = mapped_column(ForeignKey("cell.id"))
    kind: Mapped[MeetingKind] = mapped_column(StrEnumType(MeetingKind))
    status: Mapped[MeetingStatus] = mapped_column(StrEnumType(MeetingStatus))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    place: Mapped[str] = mapped_column(String(300))
    theme: Mapped[str | None] = mapped_column(String(300))
    late: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[datetime]
    broadcast_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    # Members may check in by typing this code, shown to the secretary in the room.
    checkin_code: Mapped[str | None] = mapped_column(String(8))
    # ...or by scanning the QR code of the link /start checkin-<this token> (unique: the token
    # alone finds the meeting). Kept as given, as the code is, so that the QR code the
    # secretary sends again is the one already printed; it only works in the check-in window.
    checkin_token: Mapped[str | None] = mapped_column(String(32), unique=True)
    roll_opened_at: Mapped[datetime | None]
    roll_closed_at: Mapped[datetime | None]
    chair: Mapped[str | None] = mapped_column(String(200))
    note_taker: Mapped[str | None] = mapped_column(String(200))
    minutes_recorded_at: Mapped[datetime | None]
    # The minutes' number, "Số 03-BB/CB": the cell's next of the meeting's year, given the
    # first time the minutes are finished or exported and never changed after.
    minutes_number: Mapped[int | None] = mapped_column(Integer)

    cell: Mapped[Cell] = relationship()


class AgendaItem(Base):
    """One agenda line: a standard catalogue item (``title_key``) or the secretary's text."""

    __tablename__ = "agenda_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title_key: Mapped[str | None] = mapped_column(String(60))
    title: Mapped[str | None] = mapped_column(String(300))
    # The minutes of this item: what was reported, the opinions, the conclusion.
    report: Mapped[str | None] = mapped_column(Text)
    opinions: Mapped[str | None] = mapped_column(Text)
    conclusion: Mapped[str | None] = mapped_column(Text)


class ItemOpinion(Base):
    """What one person said under an agenda item, recorded by the secretary in chat; the
    speaker is a present member (``person_id``) or a name the secretary typed."""

    __tablename__ = "item_opinion"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("agenda_item.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    speaker: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class Invitation(Base):
    """A member invited to a meeting, and their answer."""

    __tablename__ = "invitation"
    __table_args__ = (
        UniqueConstraint("meeting_id", "person_id"),
        # The digest counts each closed roll's statuses from this index alone (a province's
        # quarter is a million roll lines, out of four million)...
        Index(
            "ix_invitation_roll",
            "meeting_id",
            "roll_status",
            sqlite_where=text("roll_status IS NOT NULL AND exempted IS 0"),
            postgresql_where=text("roll_status IS NOT NULL AND exempted IS false"),
        ),
        # ...and finds the unexcused absences, 2 % of them, in this one.
        Index(
            "ix_invitation_unexcused",
            "meeting_id",
            "person_id",
            sqlite_where=text("roll_status = 'unexcused' AND exempted IS 0"),
            postgresql_where=text("roll_status = 'unexcused' AND exempted IS false"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    invited_at: Mapped[datetime]
    response: Mapped[Response | None] = mapped_column(StrEnumType(Response))
    reason: Mapped[str | None] = mapped_column(String(20))
    reason_note: Mapped[str | None] = mapped_column(String(300))
    responded_at: Mapped[datetime | None]
    checked_in_at: Mapped[datetime | None]
    roll_status: Mapped[RollStatus | None] = mapped_column(StrEnumType(RollStatus))
    # Exempted members are listed on the roll but not expected; frozen with the roll.
    exempted: Mapped[bool] = mapped_column(default=False, server_default=false())


class StoredFile(Base):
    """A file's bytes live in the file store under their SHA-256; this row describes them."""

    __tablename__ = "stored_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime]


class PaperAssignment(Base):
    """A paper (tham luận) the secretary asked of a member for a meeting."""

    __tablename__ = "paper_assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    topic: Mapped[str] = mapped_column(String(300))
    due_at: Mapped[datetime]
    assigned_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[datetime]


class PaperSubmission(Base):
    """One version of a paper; a later one replaces it (``replaced_at``) but both are kept."""

    __tablename__ = "paper_submission"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("paper_assignment.id"), index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id"))
    file_name: Mapped[str] = mapped_column(String(200))
    file_type: Mapped[str] = mapped_column(String(10))
    submitted_at: Mapped[datetime]
    late: Mapped[bool]
    replaced_at: Mapped[datetime | None]


class MeetingMaterial(Base):
    """A document to study before a meeting (a directive, a draft, a report)."""

    __tablename__ = "meeting_material"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id"))
    file_name: Mapped[str] = mapped_column(String(200))
    added_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    added_at: Mapped[datetime]


class Resolution(Base):
    """A meeting's resolution (nghị quyết): its draft, comments, vote and tasks."""

    __tablename__ = "resolution"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), unique=True)
    text: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ResolutionStatus] = mapped_column(StrEnumType(ResolutionStatus))
    comments_until: Mapped[datetime | None]
    votes_for: Mapped[int | None] = mapped_column(Integer)
    votes_against: Mapped[int | None] = mapped_column(Integer)
    votes_abstain: Mapped[int | None] = mapped_column(Integer)
    full_members: Mapped[int | None] = mapped_column(Integer)
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class ResolutionTask(Base):
    """A task of a resolution; open tasks come back at each regular meeting until done."""

    __tablename__ = "resolution_task"

    id: Mapped[int] = mapped_column(primary_key=True)
    resolution_id: Mapped[int] = mapped_column(ForeignKey("resolution.id"), index=True)
    description: Mapped[str] = mapped_column(String(300))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    due_on: Mapped[date | None]
    status: Mapped[TaskStatus] = mapped_column(StrEnumType(TaskStatus))
    progress: Mapped[str | None] = mapped_column(String(500))
    done_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class ResolutionComment(Base):
    __tablename__ = "resolution_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    resolution_id: Mapped[int] = mapped_column(ForeignKey("resolution.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class MeetingObserver(Base):
    """A supervisor of a working group (tổ công tác) assigned to attend a cell's meeting."""

    __tablename__ = "meeting_observer"
    __table_args__ = (UniqueConstraint("meeting_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    assigned_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    assigned_at: Mapped[datetime]
    # Observations and recommendations (kiến nghị) sent back after the meeting.
    observations: Mapped[str | None] = mapped_column(Text)
    observed_at: Mapped[datetime | None]


class ProcessedUpdate(Base):
    """Telegram update ids already handled, so a replayed update changes nothing."""

    __tablename__ = "processed_update"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    processed_at: Mapped[datetime] = mapped_column(index=True)


class OutboxMessage(Base):
    """A message the bot sends on its own, written in the transaction of its cause."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(12), default="pending")
    due_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(300))
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class CallbackAction(Base):
    """What an inline button does; the button carries only this row's opaque token."""

    __tablename__ = "callback_action"

    token: Mapped[str] = mapped_column(String(24), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]]
    # Who the button was shown to; the handler still re-checks that person's rights.
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class PendingInput(Base):
    """A question the bot asked in a chat and awaits typed text for (kept across replicas)."""

    __tablename__ = "pending_input"
    __table_args__ = (UniqueConstraint("telegram_user_id", "chat_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]]
    expires_at: Mapped[datetime]
    created_at: Mapped[datetime]


class ImportedMember(Base):
    """A row of the cell's member list as the secretary imported it from a spreadsheet. It
    stands for a person with no Telegram account known yet (``person_id`` null) until
    someone claims it, by its one-use personal link or from the cell's invite link; a row
    naming a member already in the cell is theirs from the start. Kept apart from ``person``
    so that everything which reaches a member through Telegram stays as it is."""

    __tablename__ = "imported_member"
    __table_args__ = (UniqueConstraint("cell_id", "name_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cell_id: Mapped[int] = mapped_column(ForeignKey("cell.id"))
    full_name: Mapped[str] = mapped_column(String(200))
    # The name folded for matching (case and spacing aside), one row per name in a cell.
    name_key: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(StrEnumType(Role))
    status: Mapped[MemberStatus] = mapped_column(StrEnumType(MemberStatus))
    joined_party_on: Mapped[date | None]
    full_member_on: Mapped[date | None]
    # The personal link's token while unclaimed; cleared by the claim (one use).
    claim_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    claimed_at: Mapped[datetime | None]
    imported_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    imported_at: Mapped[datetime]


class FiguresRevision(Base):
    """A counter per organisation that the database's own triggers bump whenever what the
    whole organisation's figures read changes: its settings, its cells, people's names
    (migration 0013)."""

    __tablename__ = "figures_revision"

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True
    )
    revision: Mapped[int] = mapped_column(BigInteger)


class CellFiguresRevision(Base):
    """A counter per cell that the database's own triggers bump whenever what the cell's
    figures read changes: its meetings, rolls, papers and observations (migration 0013)."""

    __tablename__ = "cell_figures_revision"

    cell_id: Mapped[int] = mapped_column(
        ForeignKey("cell.id", ondelete="CASCADE"), primary_key=True
    )
    revision: Mapped[int] = mapped_column(BigInteger)
