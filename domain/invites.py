"""Whether an invite token may still be redeemed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from domain.roles import InvitePurpose


class InviteProblem(StrEnum):
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED_UP = "used_up"
    REVOKED = "revoked"


@dataclass(frozen=True)
class InviteState:
    purpose: InvitePurpose
    expires_at: datetime
    max_uses: int | None
    use_count: int
    revoked_at: datetime | None


def invite_problem(invite: InviteState | None, now: datetime) -> InviteProblem | None:
    """The reason an invite can't be used now, or None when it can."""
    if invite is None:
        return InviteProblem.UNKNOWN
    if invite.revoked_at is not None:
        return InviteProblem.REVOKED
    if invite.max_uses is not None and invite.use_count >= invite.max_uses:
        return InviteProblem.USED_UP
    if now >= invite.expires_at:
        return InviteProblem.EXPIRED
    return None


def invite_lifetime(purpose: InvitePurpose, member_invite_days: int) -> timedelta:
    """Setup and secretary links hand over power, so they live shorter than member links."""
    if purpose is InvitePurpose.CELL_MEMBER:
        return timedelta(days=member_invite_days)
    return timedelta(days=3)


def invite_max_uses(purpose: InvitePurpose) -> int | None:
    """A member link is shared in a group of many; setup and secretary links are one-time."""
    return None if purpose is InvitePurpose.CELL_MEMBER else 1


def bot_link(bot_username: str) -> str:
    """Opens the private chat with the bot, where the person presses Start."""
    return f"https://t.me/{bot_username}"


def deep_link(bot_username: str, token: str) -> str:
    return f"https://t.me/{bot_username}?start={token}"


# A group's invitation opens the private chat with this payload, so members answer there and
# not in front of the group. It names only the meeting: the bot checks who opens it.
# Nine ASCII digits at most: a meeting's id is a 32-bit integer in the database.
_RSVP_PAYLOAD = re.compile(r"rsvp-([0-9]{1,9})", re.ASCII)


def rsvp_payload(meeting_id: int) -> str:
    return f"rsvp-{meeting_id}"


def meeting_of_rsvp_payload(payload: str) -> int | None:
    matched = _RSVP_PAYLOAD.fullmatch(payload)
    return int(matched.group(1)) if matched else None
