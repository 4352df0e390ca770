"""A Telegram Mini App's launch data (initData): who opened it, if Telegram signed it.

The scheme is Telegram's (core.telegram.org/bots/webapps, "Validating data received via the
Mini App"): the fields but ``hash``, as ``key=value`` lines sorted by key, signed with
HMAC-SHA256 under a key that is itself HMAC-SHA256 of the bot token keyed with "WebAppData".
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from urllib.parse import parse_qsl

# Launch data is a URL query of a few hundred bytes; anything far longer is not Telegram's.
MAX_INIT_DATA_LENGTH = 8192
_SECRET_LABEL = b"WebAppData"


class Refusal(StrEnum):
    """Why launch data is not accepted, each said to the person in words of its own."""

    MISSING = "missing"
    MALFORMED = "malformed"
    FORGED = "forged"  # the signature does not match: tampered with, or another bot's
    EXPIRED = "expired"


class InitDataRefused(Exception):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.value)
        self.refusal = refusal


@dataclass(frozen=True)
class WebAppUser:
    """The person Telegram says opened the Mini App."""

    telegram_user_id: int
    name: str
    language_code: str | None


def data_check_string(fields: dict[str, str]) -> str:
    return "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash")


def init_data_hash(fields: dict[str, str], bot_token: str) -> str:
    secret = hmac.new(_SECRET_LABEL, bot_token.encode(), hashlib.sha256).digest()
    return hmac.new(secret, data_check_string(fields).encode(), hashlib.sha256).hexdigest()


def verified_user(
    init_data: str | None, bot_token: str, now: datetime, max_age: timedelta
) -> WebAppUser:
    """The user of launch data Telegram signed for this bot no longer than ``max_age`` ago,
    or InitDataRefused saying why not."""
    if not init_data:
        raise InitDataRefused(Refusal.MISSING)
    fields = _fields(init_data)
    given = fields.get("hash", "")
    if not hmac.compare_digest(given.encode(), init_data_hash(fields, bot_token).encode()):
        raise InitDataRefused(Refusal.FORGED)
    signed_at = _auth_date(fields)
    # A date ahead of the clock by more than a little skew is no fresher than an old one.
    if not now - max_age <= signed_at <= now + timedelta(minutes=5):
        raise InitDataRefused(Refusal.EXPIRED)
    return _user(fields)


def unverified_language(init_data: str | None) -> str | None:
    """The language the launch data names, for saying in it why the data is refused: only
    which language to answer in is read from unverified data, nothing it is allowed."""
    try:
        return _user(_fields(init_data or "")).language_code
    except InitDataRefused:
        return None


def _fields(init_data: str) -> dict[str, str]:
    if len(init_data) > MAX_INIT_DATA_LENGTH:
        raise InitDataRefused(Refusal.MALFORMED)
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError as error:
        raise InitDataRefused(Refusal.MALFORMED) from error
    fields = dict(pairs)
    if len(fields) != len(pairs):  # a field given twice: which one was signed?
        raise InitDataRefused(Refusal.MALFORMED)
    return fields


def _auth_date(fields: dict[str, str]) -> datetime:
    try:
        return datetime.fromtimestamp(int(fields["auth_date"]), UTC)
    except (KeyError, ValueError, OverflowError, OSError) as error:
        raise InitDataRefused(Refusal.MALFORMED) from error


def _user(fields: dict[str, str]) -> WebAppUser:
    try:
        user = json.loads(fields["user"])
        user_id = user["id"]
    except (KeyError, TypeError, ValueError, RecursionError) as error:
        # RecursionError: JSON nested thousands deep, as only a forger writes it.
        raise InitDataRefused(Refusal.MALFORMED) from error
    if not isinstance(user, dict) or not isinstance(user_id, int) or isinstance(user_id, bool):
        raise InitDataRefused(Refusal.MALFORMED)
    name = " ".join(str(part) for part in (user.get("first_name"), user.get("last_name")) if part)
    language = user.get("language_code")
    return WebAppUser(user_id, name, language if isinstance(language, str) else None)
