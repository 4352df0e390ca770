"""Members answer an invitation: attend, or absent with a reason. They may change their
answer until the meeting starts; the invitation message shows the current answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from domain.meetings import (
    MAX_REASON_NOTE,
    REASON_TEXT,
    AbsenceReason,
    MeetingStatus,
    Response,
)
from domain.messages import Button, Reply, Text, telegram_length
from services import actions, outbox, pending
from services.errors import refused
from services.meetings.agenda import agenda_lines
from services.meetings.invitations import invitation_text, rsvp_buttons
from services.people import Caller
from services.request import Request
from services.routes import answer, button
from services.views import summary
from storage.models import Cell, Invitation, Meeting, Person
from storage.queries.rsvp import invitation_of

ASK_NOTE = "rsvp.other"


async def _invitation(
    session: AsyncSession, caller: Caller, meeting_id: int, now: datetime
) -> tuple[Person, Meeting, Cell, Invitation]:
    """The caller's invitation, checked afresh: member of the cell, meeting still ahead."""
    found = await invitation_of(session, caller.telegram_user_id, meeting_id)
    if found is None:
        raise refused("error.not_registered")
    person, meeting, cell, membership_id, invitation = found
    if meeting is None or cell is None:
        raise refused("error.stale_button")
    if membership_id is None:
        raise refused("rsvp.not_invited")
    if meeting.status is MeetingStatus.CANCELLED:
        raise refused("rsvp.cancelled")
    if now >= meeting.starts_at:
        raise refused("rsvp.closed")
    if invitation is None:
        # Someone who joined after the invitations went out answers from the group's message.
        invitation = Invitation(meeting_id=meeting.id, person_id=person.id, invited_at=now)
        session.add(invitation)
    return person, meeting, cell, invitation


def answer_text(invitation: Invitation) -> Text:
    if invitation.response is Response.ATTEND:
        return Text("rsvp.answer.attend")
    reason = AbsenceReason(invitation.reason or AbsenceReason.OTHER)
    if reason is AbsenceReason.OTHER and invitation.reason_note:
        return Text("rsvp.answer.absent", {"reason": invitation.reason_note})
    return Text("rsvp.answer.absent", {"reason": Text(REASON_TEXT[reason])})


async def _answered(
    session: AsyncSession,
    caller: Caller,
    meeting: Meeting,
    cell: Cell,
    invitation: Invitation,
    now: datetime,
) -> Reply:
    """The invitation as the member sees it now: with their answer, and buttons to change it."""
    text = Text(
        "invitation.answered",
        {
            "invitation": invitation_text(
                meeting, cell.name, await agenda_lines(session, meeting.id)
            ),
            "answer": answer_text(invitation),
        },
    )
    buttons = await rsvp_buttons(session, meeting.id, caller.telegram_user_id, now)
    return Reply(text, buttons, notice=Text("rsvp.recorded"))


@dataclass(frozen=True)
class AboutMeeting:
    meeting_id: int


@dataclass(frozen=True)
class Choice:
    meeting_id: int
    response: Response


@dataclass(frozen=True)
class Reason:
    meeting_id: int
    reason: AbsenceReason


@dataclass(frozen=True)
class Note:
    meeting_id: int
    text: str


async def open_in_private(request: Request, about: AboutMeeting) -> Reply:
    """A member followed the group invitation's link: their own invitation, with their
    answer so far and the buttons to give or change it, checked as a button press is."""
    caller, now, meeting_id = request.caller, request.now, about.meeting_id
    if not caller.private_chat:
        raise refused("error.private_only")
    async with request.transaction() as session:
        _, meeting, cell, invitation = await _invitation(session, caller, meeting_id, now)
        if invitation.response is not None:
            answered = await _answered(session, caller, meeting, cell, invitation, now)
            return Reply(answered.text, answered.buttons)
        agenda = await agenda_lines(session, meeting.id)
        buttons = await rsvp_buttons(session, meeting.id, caller.telegram_user_id, now)
        return Reply(invitation_text(meeting, cell.name, agenda), buttons)


@button("rsvp", Choice)
async def respond(request: Request, chosen: Choice) -> Reply:
    caller, now = request.caller, request.now
    async with request.transaction() as session:
        person, meeting, cell, invitation = await _invitation(
            session, caller, chosen.meeting_id, now
        )
        if chosen.response is Response.ATTEND:
            _record(invitation, Response.ATTEND, None, None, now)
            await session.flush()
            if not caller.private_chat:
                return Reply(
                    Text("rsvp.answer.attend"), notice=Text("rsvp.answer.attend"), keep_message=True
                )
            return await _answered(session, caller, meeting, cell, invitation, now)
        buttons = await _reason_buttons(session, person, meeting, now)
        if not caller.private_chat:
            # Reasons are personal: ask for them in the member's private chat.
            await outbox.message_person(
                session,
                person,
                key=f"rsvp-reason:{meeting.id}:{person.id}:{now.timestamp()}",
                default_language=request.settings.default_language,
                text=Text(
                    "rsvp.ask_reason_private",
                    {
                        "invitation": invitation_text(
                            meeting, cell.name, await agenda_lines(session, meeting.id)
                        )
                    },
                ),
                buttons=buttons,
                now=now,
            )
            return Reply(
                Text("rsvp.see_private"), notice=Text("rsvp.see_private"), keep_message=True
            )
        # The invitation's message becomes the question: which meeting, not its whole agenda,
        # so that the question fits in it however long the agenda (the agenda comes back
        # with the answer).
        return Reply(Text("rsvp.ask_reason", {"summary": summary(meeting, cell.name)}), buttons)


async def _reason_buttons(
    session: AsyncSession, person: Person, meeting: Meeting, now: datetime
) -> tuple[tuple[Button, ...], ...]:
    rows = []
    for reason in AbsenceReason:
        rows.append(
            (
                await actions.button(
                    session,
                    Text(REASON_TEXT[reason]),
                    "rsvp.reason",
                    {"meeting_id": meeting.id, "reason": reason.value},
                    telegram_user_id=person.telegram_user_id,
                    now=now,
                ),
            )
        )
    return tuple(rows)


def _record(
    invitation: Invitation,
    response: Response,
    reason: AbsenceReason | None,
    note: str | None,
    now: datetime,
) -> None:
    invitation.response = response
    invitation.reason = reason.value if reason else None
    invitation.reason_note = note
    invitation.responded_at = now


@button("rsvp.reason", Reason)
async def give_reason(request: Request, given: Reason) -> Reply:
    caller, now, why = request.caller, request.now, given.reason
    async with request.transaction() as session:
        _, meeting, cell, invitation = await _invitation(session, caller, given.meeting_id, now)
        if why is AbsenceReason.OTHER:
            await request.ask(session, ASK_NOTE, {"meeting_id": meeting.id})
            return Reply(Text("rsvp.ask_note"))
        _record(invitation, Response.ABSENT, why, None, now)
        await session.flush()
        return await _answered(session, caller, meeting, cell, invitation, now)


@answer(ASK_NOTE, Note)
async def give_note(request: Request, typed: Note) -> Reply:
    caller, now = request.caller, request.now
    note = " ".join(typed.text.split())
    if not note or telegram_length(note) > MAX_REASON_NOTE:
        raise refused("rsvp.bad_note", max=MAX_REASON_NOTE)
    async with request.transaction() as session:
        _, meeting, cell, invitation = await _invitation(session, caller, typed.meeting_id, now)
        _record(invitation, Response.ABSENT, AbsenceReason.OTHER, note, now)
        await pending.forget(session, caller=caller)
        await session.flush()
        return await _answered(session, caller, meeting, cell, invitation, now)
