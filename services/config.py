"""The deployment settings use cases depend on, handed in by the bot layer."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class ServiceSettings:
    default_language: str
    member_invite_days: int
    zone: ZoneInfo
