"""Secretaries after a meeting: the morning after, what is still open (the roll, the
minutes); three days after, the minutes not yet recorded."""

from __future__ import annotations

from datetime import timedelta

from domain.calendar import FOLLOW_UP_VALIDITY, MINUTES_DUE_AFTER, follow_up_due
from domain.messages import Text
from services.planner.context import Planning
from services.views import summary
from storage.models import Meeting
from storage.queries import planner as queries


def _missing(meeting: Meeting) -> list[Text]:
    """What the secretary still has to record of a meeting that took place."""
    missing = []
    if meeting.roll_closed_at is None:
        missing.append(Text("followup.roll"))
    if meeting.minutes_recorded_at is None:
        missing.append(Text("followup.minutes"))
    return missing


async def follow_ups(plan: Planning) -> None:
    """The morning after a meeting whose roll or minutes are still open."""
    open_meetings = [
        found
        for found in await queries.meetings_left_open(
            plan.session, plan.now - FOLLOW_UP_VALIDITY - timedelta(days=1), plan.now
        )
        if follow_up_due(found.meeting.starts_at, plan.now, plan.settings.zone)
    ]
    managers = await plan.managers(found.meeting.cell_id for found in open_meetings)
    for meeting, cell_name in open_meetings:
        for person in managers.get(meeting.cell_id, []):
            await plan.tell(
                f"followup:{meeting.id}:{person.id}",
                person,
                Text(
                    "followup",
                    {"summary": summary(meeting, cell_name), "missing": _missing(meeting)},
                ),
            )


async def minutes_overdue(plan: Planning) -> None:
    """Minutes still not recorded three days after the meeting: one reminder."""
    overdue = await queries.meetings_without_minutes(
        plan.session,
        plan.now - MINUTES_DUE_AFTER - FOLLOW_UP_VALIDITY,
        plan.now - MINUTES_DUE_AFTER,
    )
    managers = await plan.managers(found.meeting.cell_id for found in overdue)
    for meeting, cell_name in overdue:
        for person in managers.get(meeting.cell_id, []):
            await plan.tell(
                f"minutes-overdue:{meeting.id}:{person.id}",
                person,
                Text("minutes.overdue", {"summary": summary(meeting, cell_name)}),
            )
