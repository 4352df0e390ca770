"""Check-in at the meeting: by the button sent as check-in opens, by /checkin, by the code
shown in the room, or by the button under the room's QR code link (checkin_link.py)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from domain.attendance import CheckinProblem, RollStatus, checkin_opens, checkin_problem
from domain.meetings import MeetingStatus
from domain.messages import N_, Reply, Text
from services.errors import refused
from services.people import require_person
from services.request import Request
from services.routes import button
from services.views import summary
from storage.models import Cell, Invitation, Meeting
from storage.queries.attendance import invitation_of_person, scheduled_meetings_of_cells_between

RECENTLY_ENDED = timedelta(hours=12)
LOOKAHEAD = timedelta(hours=24)
CODE_DIGITS = 6

CHECKIN_PROBLEM_TEXT = {
    CheckinProblem.TOO_EARLY: N_("checkin.too_early"),
    CheckinProblem.ENDED: N_("checkin.ended"),
}


@dataclass(frozen=True)
class OfMeeting:
    meeting_id: int


@dataclass(frozen=True)
class CheckinCode:
    """The code shown in the room, as a member typed it."""

    code: str


def new_code() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))


async def check_in_now(request: Request) -> Reply:
    """/checkin: into the meeting under way (or the one the member is early or late for)."""
    return await _check_in(request)


@button("checkin", OfMeeting)
async def check_in(request: Request, of: OfMeeting) -> Reply:
    """The button of the prompt sent as check-in opens."""
    return await _check_in(request, meeting_id=of.meeting_id)


async def check_in_with_code(request: Request, typed: CheckinCode) -> Reply:
    """The room's code, typed when no question is open."""
    return await _check_in(request, code=typed.code)


async def _check_in(
    request: Request, *, meeting_id: int | None = None, code: str | None = None
) -> Reply:
    """A member checks in during the meeting window, by button or by the room's code."""
    now = request.now
    async with request.transaction() as session:
        person, actor = await require_person(session, request.caller)
        cells = [role.cell_id for role in actor.cell_roles]
        if meeting_id is not None:
            meeting = await session.get(Meeting, meeting_id)
        else:
            meeting = await _meeting_by_code_or_now(session, cells, code, now)
        if meeting is None or meeting.cell_id not in cells:
            raise refused(N_("checkin.no_meeting") if code is None else N_("checkin.bad_code"))
        await refuse_unless_checkin_open(session, meeting, now)
        invitation = await invitation_of_person(session, meeting.id, person.id)
        if invitation is None:
            invitation = Invitation(meeting_id=meeting.id, person_id=person.id, invited_at=now)
            session.add(invitation)
        cell = await session.get(Cell, meeting.cell_id)
        assert cell is not None
        if invitation.checked_in_at is not None:
            return already_checked_in(invitation.checked_in_at)
        invitation.checked_in_at = now
        if meeting.roll_opened_at is not None:
            invitation.roll_status = RollStatus.PRESENT
        return Reply(
            Text("checkin.done", {"summary": summary(meeting, cell.name)}),
            notice=Text("checkin.done_notice"),
        )


async def refuse_unless_checkin_open(
    session: AsyncSession, meeting: Meeting, now: datetime
) -> None:
    """Refused unless the meeting takes check-ins now: not cancelled, in its window, its roll
    not closed. Locked as the roll's closing locks it, so that a check-in never lands in a
    closed roll."""
    await session.refresh(meeting, with_for_update=True)
    if meeting.status is MeetingStatus.CANCELLED:
        raise refused("rsvp.cancelled")
    problem = checkin_problem(now, meeting.starts_at, meeting.ends_at)
    if problem is not None:
        raise refused(CHECKIN_PROBLEM_TEXT[problem], opens=checkin_opens(meeting.starts_at))
    if meeting.roll_closed_at is not None:
        raise refused("checkin.roll_closed")


def already_checked_in(checked_in_at: datetime) -> Reply:
    already = Text("checkin.already", {"when": checked_in_at})
    return Reply(already, notice=already)


async def _meeting_by_code_or_now(
    session: AsyncSession, cell_ids: list[int], code: str | None, now: datetime
) -> Meeting | None:
    """The meeting a member means by checking in now: the one under way, else the next one
    today, else one just over (matching the code, when given), so that the member hears why
    check-in is not possible rather than that there is no meeting."""
    if not cell_ids:
        return None
    candidates = await scheduled_meetings_of_cells_between(
        session,
        cell_ids,
        starting_by=now + LOOKAHEAD,
        ending_after=now - RECENTLY_ENDED,
        checkin_code=code,
    )
    under_way = [m for m in candidates if checkin_problem(now, m.starts_at, m.ends_at) is None]
    upcoming = [m for m in candidates if m.starts_at > now]
    return next(iter(under_way or upcoming or candidates[::-1]), None)
