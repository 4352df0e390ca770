"""A meeting's card: its summary, status and agenda, and a button for each thing that can be
done with it now."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from domain.meetings import MeetingStatus
from domain.messages import Button, Reply, Text
from services import actions, pending
from services.access import managed_meeting
from services.meetings.agenda import agenda_lines
from services.meetings.common import OfMeeting
from services.people import Caller
from services.request import Request
from services.routes import button
from services.views import summary
from storage.models import Cell, Meeting


@button("meeting.card", OfMeeting)
async def meeting_card(request: Request, about: OfMeeting) -> Reply:
    caller = request.caller
    async with request.transaction() as session:
        _, _, meeting, cell = await managed_meeting(session, caller, about.meeting_id)
        await pending.forget(session, caller=caller)
        return await card(session, caller, meeting, cell, request.now, None)


def _status(meeting: Meeting) -> Text:
    if meeting.status is MeetingStatus.CANCELLED:
        return Text("meeting.status.cancelled")
    if meeting.broadcast_at is not None:
        return Text("meeting.status.sent", {"when": meeting.broadcast_at})
    return Text("meeting.status.draft")


async def card(
    session: AsyncSession,
    caller: Caller,
    meeting: Meeting,
    cell: Cell,
    now: datetime,
    notice: Text | None,
) -> Reply:
    make_button = actions.ButtonMaker(session, caller.telegram_user_id, now)
    about_meeting = make_button.about(meeting_id=meeting.id)
    rows: list[tuple[Button, ...]] = []
    scheduled = meeting.status is MeetingStatus.SCHEDULED
    if scheduled and meeting.broadcast_at is None and meeting.starts_at > now:
        rows.append((await about_meeting(Text("meeting.edit_agenda"), "agenda.open"),))
        rows.append((await about_meeting(Text("meeting.broadcast"), "meeting.broadcast"),))
    if scheduled:
        rows.append(
            (
                await about_meeting(Text("meeting.papers"), "meeting.papers"),
                await about_meeting(Text("meeting.materials"), "meeting.materials"),
            )
        )
    if scheduled and (meeting.broadcast_at is not None or meeting.starts_at <= now):
        rows.append((await about_meeting(Text("meeting.attendance"), "attendance.meeting"),))
    if meeting.roll_closed_at is not None:
        rows.append((await about_meeting(Text("meeting.minutes"), "minutes.open"),))
    if scheduled and meeting.starts_at > now:
        rows.append(
            (
                await about_meeting(Text("meeting.reschedule"), "meeting.reschedule"),
                await about_meeting(Text("meeting.cancel"), "meeting.cancel.ask"),
            )
        )
    rows.append((await make_button(Text("meeting.back"), "meetings.cell", cell_id=cell.id),))
    return Reply(
        Text(
            "meeting.card",
            {
                "summary": summary(meeting, cell.name),
                "status": _status(meeting),
                "agenda": await agenda_lines(session, meeting.id),
            },
        ),
        tuple(rows),
        notice=notice,
    )
