"""Figures kept between requests: an organisation's overview costs seconds to work out at a
thousand cells, and most requests ask again what nothing, or a cell or two, has changed.

A kept value is reused while the organisation's revision is the one it was worked out under
and the clock has not reached the first moment a figure turns by time alone; of its parts
(the cells), only those whose own revision moved are worked out again. The database bumps
the revisions on every write the figures read, whoever writes. Each process keeps its own,
so replicas share nothing but the database, and none serves figures older than it."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

Value = TypeVar("Value")

# An overview of a thousand cells' year is some megabytes; a handful of organisations, views
# and languages are what supervisors look at in a day.
KEPT_AT_MOST = 8


@dataclass(frozen=True)
class Currency:
    """What a value is worked out under: the whole's revision and each part's, and the span
    of time the clock leaves it right for."""

    revision: int
    parts: Mapping[int, int]
    worked_out_at: datetime
    valid_until: datetime

    def whole_still(self, now: Currency) -> bool:
        """Whether a value worked out under this is right ``now``, but for parts changed."""
        return (
            now.revision == self.revision
            and self.worked_out_at <= now.worked_out_at < self.valid_until
        )

    def parts_changed(self, now: Currency) -> set[int]:
        return {
            part
            for part in self.parts.keys() | now.parts.keys()
            if self.parts.get(part) != now.parts.get(part)
        }


@dataclass(frozen=True)
class Earlier(Generic[Value]):
    """A value kept, right but for the parts changed since."""

    value: Value
    changed: set[int]


class Kept(Generic[Value]):
    """The latest few values by key, each with the currency it was worked out under."""

    def __init__(self, at_most: int = KEPT_AT_MOST) -> None:
        self._at_most = at_most
        self._values: OrderedDict[Hashable, tuple[Currency, Value]] = OrderedDict()
        # One working out at a time per key: a second request for the same figures waits for
        # the first's instead of doubling the work; other keys' requests do not wait.
        self._working: dict[Hashable, asyncio.Lock] = {}

    async def value(
        self,
        key: Hashable,
        now: Currency,
        work_out: Callable[[Earlier[Value] | None], Awaitable[Value]],
    ) -> Value:
        """The value kept under ``key`` if still right ``now``; else ``work_out``'s, given
        the value kept if only some of its parts changed, and kept under ``now``."""
        earlier = self._earlier(key, now)
        if earlier is not None and not earlier.changed:
            return earlier.value
        async with self._working.setdefault(key, asyncio.Lock()):
            earlier = self._earlier(key, now)
            if earlier is not None and not earlier.changed:
                return earlier.value
            value = await work_out(earlier)
            self._values[key] = (now, value)
            self._values.move_to_end(key)
            while len(self._values) > self._at_most:
                dropped, _ = self._values.popitem(last=False)
                if not self._working[dropped].locked():
                    del self._working[dropped]
            return value

    def _earlier(self, key: Hashable, now: Currency) -> Earlier[Value] | None:
        kept = self._values.get(key)
        if kept is None or not kept[0].whole_still(now):
            return None
        self._values.move_to_end(key)
        currency, value = kept
        return Earlier(value, currency.parts_changed(now))
