"""One run of the planner: every step, in one transaction."""

from __future__ import annotations

from datetime import datetime

from services.config import ServiceSettings
from services.planner.cell_warnings import cutoff_warnings, plan_due_warnings, quarter_warnings
from services.planner.context import Planning
from services.planner.delivery import delivery_reports
from services.planner.follow_ups import follow_ups, minutes_overdue
from services.planner.members import checkin_prompts, member_reminders
from services.planner.observers import observers
from services.planner.papers import paper_reminders
from storage.db import Database

STEPS = (
    member_reminders,
    checkin_prompts,
    paper_reminders,
    observers,
    cutoff_warnings,
    plan_due_warnings,
    quarter_warnings,
    follow_ups,
    minutes_overdue,
    delivery_reports,
)


async def plan(
    database: Database, now: datetime, settings: ServiceSettings, bot_username: str
) -> int:
    """Queue everything due at ``now``; returns how many messages were newly queued."""
    async with database.transaction() as session:
        planning = Planning(session, now, settings, bot_username)
        for step in STEPS:
            await step(planning)
        return planning.queued
