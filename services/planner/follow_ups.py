"""Secretaries after a meeting: the morning after, what is still open (the roll, the
minutes); three days after, the minutes not yet recorded."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from domain.calendar import FOLLOW_UP_VALIDITY, MINUTES_DUE_AFTER, follow_up_due
from domain.messages import Text
from services.planner.context import Planning
from services.views import summary
from storage.models import Meeting
from storage.queries import planner as queries
from storage.queries.planner import MeetingOfCell


def _missing(meeting: Meeting) -> list[Text]:
    """What the secretary still has to record of a meeting that took place."""
    missing = []
    if meeting.roll_closed_at is None:
        missing.append(Text("followup.roll"))
    if meeting.minutes_recorded_at is None:
        missing.append(Text("followup.minutes"))
    return missing


async def _tell_managers_of(
    plan: Planning, meetings: list[MeetingOfCell], kind: str, text: Callable[[Meeting, str], Text]
) -> None:
    """Each meeting's ``text`` (of the meeting and its cell's name) to its cell's secretary
    and deputies, once per meeting and person under ``kind``."""
    managers = await plan.managers(found.meeting.cell_id for found in meetings)
    for meeting, cell_name in meetings:
        await plan.tell_managers(
            managers, meeting.cell_id, f"{kind}:{meeting.id}", text(meeting, cell_name)
        )


def _follow_up(meeting: Meeting, cell_name: str) -> Text:
    return Text("followup", {"summary": summary(meeting, cell_name), "missing": _missing(meeting)})


def _minutes_overdue(meeting: Meeting, cell_name: str) -> Text:
    return Text("minutes.overdue", {"summary": summary(meeting, cell_name)})


async def follow_ups(plan: Planning) -> None:
    """The morning after a meeting whose roll or minutes are still open."""
    open_meetings = [
        found
        for found in await queries.meetings_left_open(
            plan.session, plan.now - FOLLOW_UP_VALIDITY - timedelta(days=1), plan.now
        )
        if follow_up_due(found.meeting.starts_at, plan.now, plan.settings.zone)
    ]
    await _tell_managers_of(plan, open_meetings, "followup", _follow_up)


async def minutes_overdue(plan: Planning) -> None:
    """Minutes still not recorded three days after the meeting: one reminder."""
    overdue = await queries.meetings_without_minutes(
        plan.session,
        plan.now - MINUTES_DUE_AFTER - FOLLOW_UP_VALIDITY,
        plan.now - MINUTES_DUE_AFTER,
    )
    await _tell_managers_of(plan, overdue, "minutes-overdue", _minutes_overdue)
