"""Members answer an invitation: attend, or absent with a reason. They may change their
answer until the meeting starts; the invitation message shows the current answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

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
from services.meetings.agenda import agenda_lines_of
from services.meetings.invitations import invitation_text, rsvp_buttons, rsvp_keyboard
from services.people import Caller
from services.request import Request
from services.routes import answer, button
from services.views import summary
from storage.db import Work
from storage.models import Person
from storage.queries.rsvp import (
    InvitationOfCaller,
    MeetingOfPress,
    invitation_of,
    record_answer,
)

ASK_NOTE = "rsvp.other"


async def _invitation(
    work: Work, caller: Caller, meeting_id: int, now: datetime
) -> tuple[InvitationOfCaller, MeetingOfPress]:
    """The caller's invitation and its meeting, checked afresh: member of the cell, meeting
    still ahead."""
    return _checked(await invitation_of(work.connection, caller.telegram_user_id, meeting_id), now)


async def _answering(
    work: Work,
    caller: Caller,
    meeting_id: int,
    response: Response,
    reason: AbsenceReason | None,
    note: str | None,
    now: datetime,
) -> tuple[InvitationOfCaller, MeetingOfPress]:
    """The caller's answer recorded, and their invitation as it now stands, checked as
    ``_invitation`` checks it: one that may not be given is refused, and its transaction
    rolled back with it."""
    found = await record_answer(
        work.connection,
        telegram_user_id=caller.telegram_user_id,
        meeting_id=meeting_id,
        response=response,
        reason=reason.value if reason else None,
        reason_note=note,
        now=now,
    )
    return _checked(found, now)


def _checked(
    found: InvitationOfCaller | None, now: datetime
) -> tuple[InvitationOfCaller, MeetingOfPress]:
    if found is None:
        raise refused("error.not_registered")
    meeting = found.meeting
    if meeting is None:
        raise refused("error.stale_button")
    if found.membership_id is None:
        raise refused("rsvp.not_invited")
    if meeting.status is MeetingStatus.CANCELLED:
        raise refused("rsvp.cancelled")
    if now >= meeting.starts_at:
        raise refused("rsvp.closed")
    return found, meeting


async def _agenda(work: Work, meeting: MeetingOfPress) -> list[Text]:
    return await agenda_lines_of(work.session, meeting.id, meeting.agenda)


def answer_text(response: Response, reason: str | None, reason_note: str | None) -> Text:
    if response is Response.ATTEND:
        return Text("rsvp.answer.attend")
    why = AbsenceReason(reason or AbsenceReason.OTHER)
    if why is AbsenceReason.OTHER and reason_note:
        return Text("rsvp.answer.absent", {"reason": reason_note})
    return Text("rsvp.answer.absent", {"reason": Text(REASON_TEXT[why])})


async def _answered(
    work: Work,
    caller: Caller,
    invited: InvitationOfCaller,
    meeting: MeetingOfPress,
    now: datetime,
    screen: tuple[str, str] | None = None,
) -> Reply:
    """The invitation as the member sees it now: with their answer, and buttons to change it:
    those of ``screen`` (the pressed message's attend and absent tokens), or new ones."""
    assert invited.response is not None
    text = Text(
        "invitation.answered",
        {
            "invitation": invitation_text(meeting, meeting.cell_name, await _agenda(work, meeting)),
            "answer": answer_text(invited.response, invited.reason, invited.reason_note),
        },
    )
    buttons = (
        rsvp_keyboard(*screen)
        if screen is not None
        else await rsvp_buttons(work.session(), meeting.id, caller.telegram_user_id, now)
    )
    return Reply(text, buttons, notice=Text("rsvp.recorded"))


@dataclass(frozen=True)
class AboutMeeting:
    meeting_id: int


@dataclass(frozen=True)
class Choice:
    meeting_id: int
    response: Response
    # The attend and absent tokens of the message the button is on (None on buttons stored
    # before they carried them).
    screen: tuple[str, str] | None = None
    # The reason chosen on the absent button's menu of reasons; None: the button itself.
    reason: AbsenceReason | None = None


@dataclass(frozen=True)
class Reason:
    """A reason button stored as a row of its own, as they were before reasons were choices
    on the absent button: those already sent still work until they expire."""

    meeting_id: int
    reason: AbsenceReason
    # The invitation's attend and absent tokens, for the answered invitation to show again.
    screen: tuple[str, str] | None = None


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
    async with request.work() as work:
        invited, meeting = await _invitation(work, caller, meeting_id, now)
        if invited.response is not None:
            answered = await _answered(work, caller, invited, meeting, now)
            return Reply(answered.text, answered.buttons)
        agenda = await _agenda(work, meeting)
        buttons = await rsvp_buttons(work.session(), meeting.id, caller.telegram_user_id, now)
        return Reply(invitation_text(meeting, meeting.cell_name, agenda), buttons)


@button("rsvp", Choice, with_claim=True, choice="reason")
async def respond(request: Request, chosen: Choice) -> Reply:
    caller, now = request.caller, request.now
    if chosen.reason is not None:
        if chosen.response is not Response.ABSENT:
            raise refused("error.stale_button")
        _reasons_in_private(caller)
    async with request.work() as work:
        if chosen.response is Response.ATTEND:
            invited, meeting = await _answering(
                work, caller, chosen.meeting_id, Response.ATTEND, None, None, now
            )
            if not caller.private_chat:
                return Reply(
                    Text("rsvp.answer.attend"), notice=Text("rsvp.answer.attend"), keep_message=True
                )
            return await _answered(work, caller, invited, meeting, now, chosen.screen)
        if chosen.reason is not None:
            return await _give_reason(
                request, work, chosen.meeting_id, chosen.reason, chosen.screen
            )
        invited, meeting = await _invitation(work, caller, chosen.meeting_id, now)
        if caller.private_chat:
            assert request.pressed is not None
            buttons = _reason_buttons(request.pressed)
        else:
            # Reasons are personal: ask for them in the member's private chat, as choices on
            # an absent button of their own.
            [(_, absent)] = await rsvp_buttons(
                work.session(), meeting.id, caller.telegram_user_id, now
            )
            assert absent.action is not None
            buttons = _reason_buttons(absent.action)
            person = await work.session().get_one(Person, invited.person_id)
            await outbox.message_person(
                work.session(),
                person,
                key=f"rsvp-reason:{meeting.id}:{person.id}:{now.timestamp()}",
                default_language=request.settings.default_language,
                text=Text(
                    "rsvp.ask_reason_private",
                    {
                        "invitation": invitation_text(
                            meeting, meeting.cell_name, await _agenda(work, meeting)
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
        return Reply(
            Text("rsvp.ask_reason", {"summary": summary(meeting, meeting.cell_name)}), buttons
        )


_REASON_LABELS = tuple((reason.value, Text(REASON_TEXT[reason])) for reason in AbsenceReason)


def _reason_buttons(absent_token: str) -> tuple[tuple[Button, ...], ...]:
    """The reasons, as choices on an absent button: nothing stored for them."""
    return tuple(
        (Button(label, actions.with_choice(absent_token, reason)),)
        for reason, label in _REASON_LABELS
    )


def _reasons_in_private(caller: Caller) -> None:
    """A reason is given in the member's private chat only: pressed on a group's message, it
    would show their answer there, in place of the group's invitation."""
    if not caller.private_chat:
        raise refused("error.private_only")


async def _give_reason(
    request: Request,
    work: Work,
    meeting_id: int,
    why: AbsenceReason,
    screen: tuple[str, str] | None,
) -> Reply:
    caller, now = request.caller, request.now
    if why is AbsenceReason.OTHER:
        _, meeting = await _invitation(work, caller, meeting_id, now)
        await request.ask(work.session(), ASK_NOTE, {"meeting_id": meeting.id})
        return Reply(Text("rsvp.ask_note"))
    invited, meeting = await _answering(work, caller, meeting_id, Response.ABSENT, why, None, now)
    return await _answered(work, caller, invited, meeting, now, screen)


@button("rsvp.reason", Reason, with_claim=True)
async def give_reason(request: Request, given: Reason) -> Reply:
    _reasons_in_private(request.caller)
    async with request.work() as work:
        return await _give_reason(request, work, given.meeting_id, given.reason, given.screen)


@answer(ASK_NOTE, Note)
async def give_note(request: Request, typed: Note) -> Reply:
    caller, now = request.caller, request.now
    note = " ".join(typed.text.split())
    if not note or telegram_length(note) > MAX_REASON_NOTE:
        raise refused("rsvp.bad_note", max=MAX_REASON_NOTE)
    async with request.work() as work:
        invited, meeting = await _answering(
            work, caller, typed.meeting_id, Response.ABSENT, AbsenceReason.OTHER, note, now
        )
        await pending.forget(work.session(), caller=caller)
        return await _answered(work, caller, invited, meeting, now)
