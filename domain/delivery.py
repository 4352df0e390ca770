"""Retry policy for messages the Bot API could not take right now."""

from __future__ import annotations

from datetime import timedelta

FIRST_RETRY = timedelta(seconds=5)
LONGEST_RETRY = timedelta(minutes=30)
MAX_ATTEMPTS = 10


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff: 5 s, 10 s, 20 s ... capped at 30 minutes."""
    doubled: timedelta = FIRST_RETRY * 2 ** max(attempts - 1, 0)
    return min(doubled, LONGEST_RETRY)


def gives_up(attempts: int) -> bool:
    return attempts >= MAX_ATTEMPTS
