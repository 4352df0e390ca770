"""Members before a meeting: reminders at their organisation's offsets (the one a day before
asks whoever has not answered), and the check-in button when check-in opens."""

from __future__ import annotations

from datetime import timedelta
from typing import NamedTuple

from domain.attendance import CHECKIN_OPENS_BEFORE
from domain.calendar import due_reminder
from domain.messages import ArgValue, Text
from domain.reminding import gets_checkin_prompt, is_nudged, is_reminded
from services.meetings.invitations import rsvp_buttons
from services.planner.context import Planning
from services.views import summary
from storage.models import Meeting, Person
from storage.queries import planner as queries
from storage.queries.planner import MeetingOfCell


class _Reminder(NamedTuple):
    """A meeting's reminder due now: at which offset (minutes before it starts)."""

    meeting: Meeting
    cell_name: str
    offset: int


async def _due_reminders(plan: Planning) -> dict[int, _Reminder]:
    """The meetings whose reminder at one of their offsets is due now, by id."""
    longest = await queries.longest_reminder_offset(plan.session)
    if longest <= 0:
        return {}
    meetings = await queries.broadcast_meetings_starting_between(
        plan.session, plan.now, plan.now + timedelta(minutes=longest)
    )
    due: dict[int, _Reminder] = {}
    for meeting, cell_name, offsets in meetings:
        assert meeting.broadcast_at is not None
        offset = due_reminder(meeting.starts_at, meeting.broadcast_at, offsets, plan.now)
        if offset is not None:
            due[meeting.id] = _Reminder(meeting, cell_name, offset)
    return due


def _reminder_key(reminder: _Reminder, person: Person) -> str:
    meeting = reminder.meeting
    return f"reminder:{meeting.id}:{meeting.version}:{person.id}:{reminder.offset}"


async def member_reminders(plan: Planning) -> None:
    """Before each meeting at the organisation's offsets; not to those who said they will
    be absent. The one a day before asks whoever has not answered (the nudge)."""
    due = await _due_reminders(plan)
    if not due:
        return
    invitees = [
        (invitation, person, _reminder_key(due[invitation.meeting_id], person))
        for invitation, person in await queries.invitations_of_current_members(
            plan.session, list(due)
        )
        if is_reminded(invitation.response)
    ]
    fresh = await plan.fresh(key for _, _, key in invitees)
    for invitation, person, key in invitees:
        if key not in fresh:
            continue
        meeting, cell_name, offset = due[invitation.meeting_id]
        about: dict[str, ArgValue] = {"summary": summary(meeting, cell_name)}
        if is_nudged(invitation.response, offset):
            buttons = await rsvp_buttons(
                plan.session, meeting.id, person.telegram_user_id, plan.now
            )
            await plan.tell(key, person, Text("reminder.unanswered", about), buttons)
        else:
            await plan.tell(key, person, Text("reminder.member", about))


async def checkin_prompts(plan: Planning) -> None:
    """When check-in opens, each member coming gets a button to check in with."""
    meetings = {
        found.meeting.id: found
        for found in await queries.meetings_open_for_checkin(
            plan.session, plan.now, plan.now + CHECKIN_OPENS_BEFORE
        )
    }
    if not meetings:
        return
    invitees = [
        (meetings[invitation.meeting_id], person)
        for invitation, person in await queries.invitations_of_current_members(
            plan.session, list(meetings)
        )
        if gets_checkin_prompt(invitation.response, invitation.checked_in_at is not None)
    ]
    fresh = await plan.fresh(_checkin_key(found, person) for found, person in invitees)
    for found, person in invitees:
        key = _checkin_key(found, person)
        if key not in fresh:
            continue
        meeting, cell_name = found
        buttons = await plan.one_button(person, Text("checkin.button"), "checkin", meeting.id)
        await plan.tell(
            key, person, Text("checkin.prompt", {"summary": summary(meeting, cell_name)}), buttons
        )


def _checkin_key(found: MeetingOfCell, person: Person) -> str:
    return f"checkin:{found.meeting.id}:{found.meeting.version}:{person.id}"
