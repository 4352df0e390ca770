"""The deployment settings use cases depend on, handed in by the bot layer."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from zoneinfo import ZoneInfo

from domain.attendance import DEFAULT_QUORUM


@dataclass(frozen=True)
class ServiceSettings:
    default_language: str
    member_invite_days: int
    zone: ZoneInfo
    quorum: Fraction = field(default=DEFAULT_QUORUM)
    # An organisation's own Word template of the minutes; None: the one shipped.
    minutes_template: Path | None = None
    # The supervisors' dashboard's public HTTPS address (a Telegram Mini App); None: chibo
    # serves none, and no button offers it.
    dashboard_url: str | None = None
