"""Inline-button actions: the button carries an opaque token; the row says what it does."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, NotRequired, TypedDict, Unpack

from sqlalchemy.ext.asyncio import AsyncSession

from domain.messages import Button, Text
from domain.text import is_token
from services.errors import refused
from storage.db import Database
from storage.models import CallbackAction
from storage.queries.actions import delete_expired_actions

ACTION_LIFETIME = timedelta(days=30)
TOKEN_BYTES = 12  # 16 URL-safe characters: unguessable, and well under Telegram's 64-byte limit
CALLBACK_DATA_LIMIT = 64  # bytes, Telegram's
CHOICE_MARK = ":"  # between a stored button's token and a choice made on it; never in a token


@dataclass(frozen=True)
class PressedData:
    """A pressed button's callback data: the token of its stored action, and the choice made
    on it when the button is one of a menu drawn from that action (``with_choice``)."""

    token: str
    choice: str | None = None

    @classmethod
    def parse(cls, data: str) -> PressedData | None:
        """None for data that is none of ours (a forged text with a NUL byte, say): it is not
        even looked up."""
        token, mark, choice = data.partition(CHOICE_MARK)
        if not is_token(token) or (mark and not is_token(choice)):
            return None
        return cls(token, choice if mark else None)


def with_choice(token: str, choice: str) -> str:
    """The callback data of a button offering ``choice`` on the stored action of ``token``: a
    menu of choices costs no row per button. The pressed button's route takes the choice into
    its payload and validates it as any payload (``services.routes.button(..., choice=...)``);
    the token is checked as any pressed button's."""
    data = f"{token}{CHOICE_MARK}{choice}"
    if len(data.encode()) > CALLBACK_DATA_LIMIT:
        raise ValueError(f"a choice of {len(data.encode())} bytes is over Telegram's limit")
    return data


@dataclass(frozen=True)
class Action:
    kind: str
    payload: dict[str, Any]
    telegram_user_id: int | None
    # The pressed button's token, and the choice made on it (None: the button itself).
    token: str
    choice: str | None = None

    def integer(self, name: str) -> int:
        """A whole number the button was issued with: an id, a page, a step."""
        return int(self.payload[name])


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


async def issue(
    session: AsyncSession,
    kind: str,
    payload: dict[str, Any],
    *,
    telegram_user_id: int | None,
    now: datetime,
    lifetime: timedelta = ACTION_LIFETIME,
    token: str | None = None,
) -> str:
    """Store what a button does; its token (``token``, one of ``new_token``'s, or a new one)."""
    token = token or new_token()
    session.add(
        CallbackAction(
            token=token,
            kind=kind,
            payload=payload,
            telegram_user_id=telegram_user_id,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    return token


class Issue(TypedDict):
    """For whom an action is issued (None: anyone), when, and for how long it works
    (``ACTION_LIFETIME`` when not said)."""

    telegram_user_id: int | None
    now: datetime
    lifetime: NotRequired[timedelta]


async def button(
    session: AsyncSession, label: Text, kind: str, payload: dict[str, Any], **issued: Unpack[Issue]
) -> Button:
    """A button whose press performs ``kind`` with ``payload`` (for that person only)."""
    return Button(label, await issue(session, kind, payload, **issued))


@dataclass(frozen=True)
class ButtonMaker:
    """Makes the buttons of one reply, each for one person to press.

    ``common`` goes into every button's payload: what the whole reply is about, such as the
    meeting whose card it is.
    """

    session: AsyncSession
    telegram_user_id: int | None
    now: datetime
    common: dict[str, Any] = field(default_factory=dict)

    async def __call__(self, label: Text, kind: str, /, **payload: Any) -> Button:
        return await button(
            self.session,
            label,
            kind,
            {**self.common, **payload},
            telegram_user_id=self.telegram_user_id,
            now=self.now,
        )

    def about(self, **common: Any) -> ButtonMaker:
        """The same maker, with more put into every payload."""
        return replace(self, common={**self.common, **common})


def stored(
    pressed: PressedData | None,
    kind: str | None,
    payload: dict[str, Any] | None,
    telegram_user_id: int | None,
    expires_at: datetime | None,
    now: datetime,
) -> Action | None:
    """The action behind a pressed button, from the row stored for its token (kind None: no
    row), or None for data none of ours (``pressed`` None), an unknown or an expired token."""
    if pressed is None or kind is None or expires_at is None or expires_at <= now:
        return None
    return Action(kind, dict(payload or {}), telegram_user_id, pressed.token, pressed.choice)


async def forget_expired(database: Database, now: datetime) -> None:
    async with database.transaction() as session:
        await delete_expired_actions(session, now)


def pressed(action: Action | None, telegram_user_id: int) -> Action:
    """The action behind a pressed button (as ``stored`` found it), refused when forged, stale
    or someone else's."""
    if action is None:
        raise refused("error.stale_button")
    if action.telegram_user_id is not None and action.telegram_user_id != telegram_user_id:
        raise refused("error.not_your_button")
    return action
