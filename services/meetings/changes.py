"""A meeting still ahead moved to a new time, or cancelled: the invited are told, reminders for
the old time withdrawn, and a new time asks everyone again."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from domain.calendar import Month
from domain.meetings import DEFAULT_DURATION, MeetingKind, MeetingStatus
from domain.messages import Reply, Text
from services import outbox
from services.access import managed_meeting
from services.errors import refused
from services.meetings.card import card
from services.meetings.common import Draft, Drafted, OfMeeting, existing_regular, is_late
from services.meetings.invitations import notify_invitees, withdraw_reminders
from services.meetings.scheduling import Step, ask_when
from services.request import Request
from services.routes import button
from services.views import KIND_TEXT, summary
from storage.models import Cell, Meeting
from storage.queries.meetings import clear_answers


@button("meeting.reschedule", OfMeeting)
async def ask_new_time(request: Request, about: OfMeeting) -> Reply:
    async with request.transaction() as session:
        _, _, meeting, cell = await managed_meeting(session, request.caller, about.meeting_id)
        _require_ahead(meeting, request.now)
        draft = Draft(cell.id, meeting.kind, meeting_id=meeting.id, place=meeting.place)
        return await ask_when(Step(request, session, cell), draft, None)


def _require_ahead(meeting: Meeting, now: datetime) -> None:
    """Only a meeting still ahead can be moved or cancelled (an old card's buttons included)."""
    if meeting.status is MeetingStatus.CANCELLED:
        raise refused("rsvp.cancelled")
    if meeting.starts_at <= now:
        raise refused("meeting.past")


@button("meeting.move", Drafted)
async def reschedule(request: Request, confirmed: Drafted) -> Reply:
    draft, caller, now, zone = confirmed.draft, request.caller, request.now, request.settings.zone
    if draft.meeting_id is None or draft.starts_at is None:
        raise refused("error.stale_button")
    async with request.transaction() as session:
        _, _, meeting, cell = await managed_meeting(
            session, caller, draft.meeting_id, for_update=True
        )
        _require_ahead(meeting, now)
        if draft.starts_at <= now:
            raise refused("date.past")
        late = await is_late(session, cell, meeting.kind, draft.starts_at, zone)
        if meeting.kind is MeetingKind.REGULAR:
            # The dialogue checked both; a change since makes the confirmation stale.
            month = Month.of(draft.starts_at, zone)
            if await existing_regular(session, cell.id, month, zone, meeting.id):
                raise refused("error.stale_button")
            if late and not draft.late_ok:
                raise refused("error.stale_button")
        if meeting.starts_at == draft.starts_at:
            return await card(session, caller, meeting, cell, now, None)
        await _move(request, session, meeting, cell, draft.starts_at, late)
        return await card(session, caller, meeting, cell, now, Text("reschedule.done"))


async def _move(
    request: Request,
    session: AsyncSession,
    meeting: Meeting,
    cell: Cell,
    starts_at: datetime,
    late: bool,
) -> None:
    """The meeting at its new time: reminders for the old one withdrawn, every answer asked
    again, and the invited told."""
    old_start = meeting.starts_at
    meeting.starts_at = starts_at
    meeting.ends_at = starts_at + DEFAULT_DURATION
    meeting.late = late
    meeting.version += 1
    await withdraw_reminders(session, meeting.id)
    # A new time is a new question: whoever could not come then may come now.
    await clear_answers(session, meeting.id)
    await session.flush()
    await notify_invitees(
        session,
        meeting,
        cell,
        f"moved:{meeting.id}:{meeting.version}",
        _moved_notice(meeting, cell, old_start),
        request.now,
        request.settings.default_language,
        ask_again=True,
    )


def _moved_notice(meeting: Meeting, cell: Cell, old_start: datetime) -> Text:
    return Text(
        "meeting.moved",
        {
            "kind": Text(KIND_TEXT[meeting.kind]),
            "cell": cell.name,
            "old": old_start,
            "new": meeting.starts_at,
            "place": meeting.place,
        },
    )


@button("meeting.cancel.ask", OfMeeting)
async def ask_cancel(request: Request, about: OfMeeting) -> Reply:
    async with request.transaction() as session:
        make_button = request.buttons(session)
        _, _, meeting, cell = await managed_meeting(session, request.caller, about.meeting_id)
        _require_ahead(meeting, request.now)
        yes = await make_button(
            Text("meeting.cancel_confirm_button"), "meeting.cancel", meeting_id=meeting.id
        )
        no = await make_button(Text("common.back"), "meeting.card", meeting_id=meeting.id)
        return Reply(
            Text("meeting.cancel_confirm", {"summary": summary(meeting, cell.name)}), ((yes, no),)
        )


@button("meeting.cancel", OfMeeting)
async def cancel(request: Request, about: OfMeeting) -> Reply:
    caller, now, default_language = request.caller, request.now, request.settings.default_language
    async with request.transaction() as session:
        _, _, meeting, cell = await managed_meeting(
            session, caller, about.meeting_id, for_update=True
        )
        if meeting.status is MeetingStatus.CANCELLED:
            return await card(session, caller, meeting, cell, now, None)
        _require_ahead(meeting, now)
        meeting.status = MeetingStatus.CANCELLED
        meeting.cancelled_at = now
        await withdraw_reminders(session, meeting.id)
        # Invitations still waiting (a flood wait, a retry) would arrive after the cancellation.
        await outbox.withdraw(session, prefix=f"invite:{meeting.id}:")
        await outbox.withdraw(session, prefix=f"invite-ics:{meeting.id}:")
        await session.flush()
        notice = Text(
            "meeting.cancelled_notice",
            {"kind": Text(KIND_TEXT[meeting.kind]), "cell": cell.name, "when": meeting.starts_at},
        )
        await notify_invitees(
            session, meeting, cell, f"cancelled:{meeting.id}", notice, now, default_language
        )
        return await card(session, caller, meeting, cell, now, Text("meeting.cancelled_done"))
