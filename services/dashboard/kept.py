"""Figures kept between requests: an organisation's overview costs seconds to work out at a
thousand cells, and most requests ask again what nothing has changed since.

A kept value is reused only while the organisation's revision is the one it was worked out
under (the database bumps it on every write the figures read, whoever writes) and the clock
has not reached the first moment a figure turns by time alone. Each process keeps its own,
so replicas share nothing but the database, and none serves figures older than it."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

Value = TypeVar("Value")

# An overview of a thousand cells' year is some megabytes; a handful of organisations, views
# and languages are what supervisors look at in a day.
KEPT_AT_MOST = 8


@dataclass(frozen=True)
class Currency:
    """What a kept value was worked out under: the organisation's revision, and the span of
    time the clock leaves it right for."""

    revision: int
    worked_out_at: datetime
    valid_until: datetime

    def still(self, now: Currency) -> bool:
        """Whether a value worked out under this is right as things stand ``now``."""
        return (
            now.revision == self.revision
            and self.worked_out_at <= now.worked_out_at < self.valid_until
        )


class Kept(Generic[Value]):
    """The latest few values by key, each with the currency it was worked out under."""

    def __init__(self, at_most: int = KEPT_AT_MOST) -> None:
        self._at_most = at_most
        self._values: OrderedDict[Hashable, tuple[Currency, Value]] = OrderedDict()
        # One working out at a time: a second request for the same figures waits for the
        # first's instead of doubling the work on the one event loop.
        self._working = asyncio.Lock()

    def __len__(self) -> int:
        return len(self._values)

    async def value(
        self, key: Hashable, now: Currency, work_out: Callable[[], Awaitable[Value]]
    ) -> Value:
        """The value kept under ``key`` if still right ``now``, else ``work_out()``'s, kept
        under ``now``."""
        found = self._current(key, now)
        if found is not None:
            return found
        async with self._working:
            found = self._current(key, now)
            if found is not None:
                return found
            value = await work_out()
            self._values[key] = (now, value)
            self._values.move_to_end(key)
            while len(self._values) > self._at_most:
                self._values.popitem(last=False)
            return value

    def _current(self, key: Hashable, now: Currency) -> Value | None:
        kept = self._values.get(key)
        if kept is None or not kept[0].still(now):
            return None
        self._values.move_to_end(key)
        return kept[1]
