"""Check-in by QR code: the secretary shows or prints the QR code of a link to the bot; a
member who scans it sees the meeting and checks in with one tap (checkin.py's button), in
the check-in window and as a member of the meeting's cell, whoever forwarded the link."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from domain.attendance import checkin_link_payload, checkin_opens, token_of_checkin_link
from domain.invites import deep_link
from domain.meetings import MeetingStatus
from domain.messages import Attachment, Reply, Text
from reports.qr import qr_png
from services.access import managed_meeting
from services.attendance.checkin import OfMeeting, already_checked_in, refuse_unless_checkin_open
from services.errors import refused
from services.people import require_person
from services.request import Request
from services.routes import button
from services.views import summary
from storage.models import Cell
from storage.queries.attendance import invitation_of_person, meeting_with_checkin_token

QR_FILE_NAME = "checkin-qr.png"


@dataclass(frozen=True)
class CheckinLink:
    """The payload of /start from a scanned QR code: ``checkin-<the meeting's token>``."""

    payload: str


@button("checkin.qr", OfMeeting)
async def checkin_qr_code(request: Request, of: OfMeeting) -> Reply:
    """The QR code of the meeting's check-in link, as a PNG with the link in its caption: to
    print beforehand or show on the screen in the room, so it is given until the meeting
    ends, and works only in the check-in window."""
    async with request.transaction() as session:
        _, _, meeting, cell = await managed_meeting(
            session, request.caller, of.meeting_id, for_update=True
        )
        if meeting.status is MeetingStatus.CANCELLED:
            raise refused("rsvp.cancelled")
        if request.now >= meeting.ends_at:
            raise refused("checkin.ended")
        if meeting.roll_closed_at is not None:
            raise refused("checkin.roll_closed")
        if meeting.checkin_token is None:
            meeting.checkin_token = secrets.token_urlsafe(16)
        link = deep_link(request.bot_username, checkin_link_payload(meeting.checkin_token))
        caption = Text(
            "checkin_link.qr_caption",
            {
                "summary": summary(meeting, cell.name),
                "opens": checkin_opens(meeting.starts_at),
                "until": meeting.ends_at,
                "link": link,
            },
        )
        return Reply(caption, attachments=(Attachment(QR_FILE_NAME, qr_png(link)),))


async def open_checkin_link(request: Request, link: CheckinLink) -> Reply:
    """/start checkin-<token>: the meeting and the button to check in, for a member of its
    cell in its window; anyone else hears why not. The button's press (checkin.check_in)
    checks all of it again."""
    async with request.transaction() as session:
        token = token_of_checkin_link(link.payload)
        meeting = await meeting_with_checkin_token(session, token) if token else None
        if meeting is None:
            raise refused("checkin_link.unknown")
        person, actor = await require_person(session, request.caller)
        if actor.role_in(meeting.cell_id) is None:
            raise refused("checkin_link.not_member")
        await refuse_unless_checkin_open(session, meeting, request.now)
        invitation = await invitation_of_person(session, meeting.id, person.id)
        if invitation is not None and invitation.checked_in_at is not None:
            return already_checked_in(invitation.checked_in_at)
        cell = await session.get(Cell, meeting.cell_id)
        assert cell is not None
        make_button = request.buttons(session)
        check_in = await make_button(Text("checkin.button"), "checkin", meeting_id=meeting.id)
        return Reply(
            Text("checkin_link.open", {"summary": summary(meeting, cell.name)}), ((check_in,),)
        )
