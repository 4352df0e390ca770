"""Papers for a meeting: three days and one day before one is due, to whoever has not sent it
yet."""

from __future__ import annotations

from datetime import timedelta

from domain.calendar import due_reminder
from domain.messages import Text
from domain.papers import PAPER_REMINDER_OFFSETS_MINUTES
from services.planner.context import Planning
from services.views import summary
from storage.queries import planner as queries


async def paper_reminders(plan: Planning) -> None:
    """Three days and one day before a paper is due, to whoever has not sent it yet."""
    longest = timedelta(minutes=max(PAPER_REMINDER_OFFSETS_MINUTES))
    for assignment, person, meeting, cell_name in await queries.unsent_papers_due_between(
        plan.session, plan.now, plan.now + longest
    ):
        offset = due_reminder(
            assignment.due_at, assignment.created_at, PAPER_REMINDER_OFFSETS_MINUTES, plan.now
        )
        if offset is None:
            continue
        await plan.tell(
            f"paper-reminder:{assignment.id}:{offset}",
            person,
            Text(
                "paper.reminder",
                {
                    "topic": assignment.topic,
                    "due": assignment.due_at,
                    "summary": summary(meeting, cell_name),
                },
            ),
        )
