"""Injected failures and Telegram-like flood limits."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Literal, get_args

FaultKind = Literal["429", "500", "502", "timeout", "drop"]
FAULT_KINDS: tuple[str, ...] = get_args(FaultKind)


@dataclass
class Fault:
    method: str
    kind: FaultKind
    remaining: int
    retry_after: int
    passes: int = 0  # matching calls let through before the first failure


class FaultPlan:
    """Failures queued for the next calls of a method ("*" matches any method)."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(
        self, method: str, kind: FaultKind, count: int, retry_after: int, after: int = 0
    ) -> None:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {FAULT_KINDS}")
        if count < 1:
            raise ValueError("count must be at least 1")
        self._faults.append(Fault(method.lower(), kind, count, retry_after, after))

    def take(self, method: str) -> Fault | None:
        wanted = method.lower()
        for fault in self._faults:
            if fault.method in (wanted, "*"):
                if fault.passes:
                    fault.passes -= 1
                    return None
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def clear(self) -> None:
        self._faults.clear()

    def __len__(self) -> int:
        return sum(f.remaining for f in self._faults)


class _Window:
    def __init__(self, limit: int, period: float) -> None:
        self.limit = limit
        self.period = period
        self.hits: deque[float] = deque()

    def wait_time(self, now: float) -> float:
        while self.hits and self.hits[0] <= now - self.period:
            self.hits.popleft()
        if len(self.hits) < self.limit:
            return 0.0
        return self.hits[0] + self.period - now


class RateLimiter:
    """Sliding-window limits on message-sending calls, like Telegram's flood control.

    Telegram allows about 30 messages per second overall, 1 per second per chat and 20 per
    minute per group; exceeding them yields 429 with a retry_after hint.
    """

    def __init__(
        self,
        global_per_second: int | None = None,
        per_chat_per_second: int | None = None,
        per_group_per_minute: int | None = None,
    ) -> None:
        self.global_per_second = global_per_second
        self.per_chat_per_second = per_chat_per_second
        self.per_group_per_minute = per_group_per_minute
        self._global = _Window(global_per_second or 0, 1.0)
        self._chats: dict[str, _Window] = {}
        self._groups: dict[str, _Window] = {}

    @property
    def enabled(self) -> bool:
        return bool(self.global_per_second or self.per_chat_per_second or self.per_group_per_minute)

    def check(self, chat_key: str | None, is_group: bool, now: float) -> int | None:
        """Record a send at ``now``; return retry_after seconds instead if it is over a limit."""
        windows: list[_Window] = []
        if self.global_per_second:
            windows.append(self._global)
        if chat_key is not None and self.per_chat_per_second:
            windows.append(self._chats.setdefault(chat_key, _Window(self.per_chat_per_second, 1.0)))
        if chat_key is not None and is_group and self.per_group_per_minute:
            windows.append(
                self._groups.setdefault(chat_key, _Window(self.per_group_per_minute, 60.0))
            )
        wait = max((w.wait_time(now) for w in windows), default=0.0)
        if wait > 0:
            return max(1, math.ceil(wait))
        for window in windows:
            window.hits.append(now)
        return None
