"""What PTB's JobQueue wakes, and how often."""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from telegram.ext import CallbackContext, JobQueue

from chat.log_context import handler_var
from domain.clock import Clock
from domain.messages import Text
from scheduler.dispatcher import OutboxDispatcher
from services import actions, pending, updates
from services.config import ServiceSettings
from services.digest.weekly import queue_weekly
from services.planner import run as planner
from services.record.delivery import queue_year_end
from storage.db import Database
from storage.files import FileStore

DISPATCH_JOB = "outbox-dispatch"
UPDATE_IDS_KEPT = timedelta(days=2)


async def _dispatch(context: CallbackContext[Any, Any, Any, Any]) -> None:
    handler_var.set("outbox")
    dispatcher = cast(OutboxDispatcher, context.job.data)  # type: ignore[union-attr]
    await dispatcher.run_once()


async def _plan(context: CallbackContext[Any, Any, Any, Any]) -> None:
    handler_var.set("planner")
    plans = cast(Planner, context.job.data)  # type: ignore[union-attr]
    if await plans.run(context.bot.username):
        plans.wake()


async def _housekeeping(context: CallbackContext[Any, Any, Any, Any]) -> None:
    handler_var.set("housekeeping")
    database, clock = context.job.data  # type: ignore[union-attr,misc]
    now = clock.now()
    await updates.forget_old_updates(database, now, UPDATE_IDS_KEPT)
    await actions.forget_expired(database, now)
    await pending.forget_expired(database, now)


@dataclass(frozen=True)
class Planner:
    """What the planner job needs: it asks the service what is due and wakes the sender."""

    database: Database
    clock: Clock
    settings: ServiceSettings
    wake: Callable[[], None]
    render_for: Callable[[str], Callable[[Text], str]]
    files: FileStore

    async def run(self, bot_username: str) -> int:
        now = self.clock.now()
        queued = await planner.plan(self.database, now, self.settings, bot_username)
        queued += await queue_weekly(self.database, now, self.settings, self.render_for, self.files)
        return queued + await queue_year_end(
            self.database, now, self.settings, self.render_for, self.files
        )


def install(
    job_queue: JobQueue[Any],
    dispatcher: OutboxDispatcher,
    plans: Planner,
    poll_seconds: float,
    planner_seconds: float,
) -> None:
    job_queue.run_repeating(
        _dispatch,
        interval=poll_seconds,
        first=0,
        data=dispatcher,
        name=DISPATCH_JOB,
        # A run that picked up a broadcast drains it all (minutes); a second instance returns
        # at once (the dispatcher's lock) instead of APScheduler warning at every poll.
        job_kwargs={"max_instances": 2, "coalesce": True},
    )
    job_queue.run_repeating(
        _plan,
        interval=planner_seconds,
        first=1,
        data=plans,
        name="planner",
        job_kwargs={"max_instances": 1, "coalesce": True},
    )
    job_queue.run_repeating(
        _housekeeping,
        interval=timedelta(hours=6),
        first=timedelta(minutes=1),
        data=(plans.database, plans.clock),
        name="housekeeping",
    )


def wake_dispatcher(job_queue: JobQueue[Any], dispatcher: OutboxDispatcher) -> None:
    """Send what a handler just queued now rather than at the next poll.

    Scheduled from an empty context: the scheduler's tasks would otherwise inherit the
    handler's (its update id in their log lines, every job's after that)."""
    contextvars.Context().run(
        job_queue.run_once, _dispatch, when=0, data=dispatcher, name=f"{DISPATCH_JOB}-now"
    )
