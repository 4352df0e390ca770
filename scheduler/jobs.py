"""What PTB's JobQueue wakes, and how often."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any, cast

from telegram.ext import CallbackContext, JobQueue

from scheduler.dispatcher import Clock, OutboxDispatcher
from services import actions, updates

log = logging.getLogger(__name__)

DISPATCH_JOB = "outbox-dispatch"
UPDATE_IDS_KEPT = timedelta(days=2)


async def _dispatch(context: CallbackContext[Any, Any, Any, Any]) -> None:
    dispatcher = cast(OutboxDispatcher, context.job.data)  # type: ignore[union-attr]
    await dispatcher.run_once()


async def _housekeeping(context: CallbackContext[Any, Any, Any, Any]) -> None:
    database, clock = context.job.data  # type: ignore[union-attr,misc]
    now = clock.now()
    await updates.forget_old_updates(database, now, UPDATE_IDS_KEPT)
    await actions.forget_expired(database, now)


def install(
    job_queue: JobQueue[Any],
    dispatcher: OutboxDispatcher,
    database: Any,
    clock: Clock,
    poll_seconds: float,
) -> None:
    job_queue.run_repeating(
        _dispatch,
        interval=poll_seconds,
        first=0,
        data=dispatcher,
        name=DISPATCH_JOB,
        job_kwargs={"max_instances": 1, "coalesce": True},
    )
    job_queue.run_repeating(
        _housekeeping,
        interval=timedelta(hours=6),
        first=timedelta(minutes=1),
        data=(database, clock),
        name="housekeeping",
    )


def wake_dispatcher(job_queue: JobQueue[Any], dispatcher: OutboxDispatcher) -> None:
    """Send what a handler just queued now rather than at the next poll."""
    job_queue.run_once(_dispatch, when=0, data=dispatcher, name=f"{DISPATCH_JOB}-now")
