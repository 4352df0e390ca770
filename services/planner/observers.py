"""A working group's members observing a meeting: reminded the day before, asked for their
observations (with a button) the morning after."""

from __future__ import annotations

from datetime import timedelta

from domain.calendar import FOLLOW_UP_VALIDITY, follow_up_due
from domain.messages import Text
from services.planner.context import Planning
from services.views import summary
from storage.queries import planner as queries


async def observers(plan: Planning) -> None:
    """A working group's member: reminded the day before, asked for observations (with a
    button) the morning after."""
    for person, meeting, cell_name in await queries.observers_yet_to_report(
        plan.session,
        plan.now - FOLLOW_UP_VALIDITY - timedelta(days=1),
        plan.now + timedelta(days=1),
    ):
        about = {"summary": summary(meeting, cell_name)}
        if meeting.starts_at > plan.now:
            await plan.tell(
                f"observer-reminder:{meeting.id}:{meeting.version}:{person.id}",
                person,
                Text("reminder.member", about),
            )
            continue
        if not follow_up_due(meeting.starts_at, plan.now, plan.settings.zone):
            continue
        key = f"observer-ask:{meeting.id}:{person.id}"
        if key not in await plan.fresh([key]):
            continue
        buttons = await plan.one_button(
            person, Text("observer.report_button"), "observer.report", meeting.id
        )
        await plan.tell(key, person, Text("observer.prompt", about), buttons)
