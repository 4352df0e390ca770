"""What every use case is handed for one update: who asks, when, and with what."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.messages import Text
from services import pending
from services.actions import ButtonMaker
from services.config import ServiceSettings
from services.people import Caller
from services.updates import HeldClaim
from storage.db import Database, Work
from storage.files import FileStore

Fetch = Callable[[str], Awaitable[bytes]]


@dataclass(frozen=True)
class Files:
    """Where documents come from (Telegram, by file id) and go to (the content-addressed
    store), and how big they may be."""

    fetch: Fetch
    store: FileStore
    max_bytes: int


@dataclass(frozen=True)
class Request:
    """One update's context, built once by the handler layer: the database to work in, the
    caller (as Telegram says, not yet trusted), the moment, the deployment's settings, the
    bot's username for links, a renderer in the caller's language for what must be drawn as
    text (a chart's labels, a workbook's headings), and the files documents come from and go
    to; for a button press, the claim of its update that its first transaction commits, and
    the pressed button's token."""

    database: Database
    caller: Caller
    now: datetime
    settings: ServiceSettings
    bot_username: str
    render: Callable[[Text], str]
    files: Files
    claim: HeldClaim | None = None
    # The pressed button's token: a menu drawn from it offers choices on it
    # (services.actions: with_choice).
    pressed: str | None = None

    def transaction(self) -> AbstractAsyncContextManager[AsyncSession]:
        if self.claim is not None:
            return self.claim.transaction()
        return self.database.transaction()

    def work(self) -> AbstractAsyncContextManager[Work]:
        """A transaction as ``transaction``, for Core statements first: an ORM session is made
        in it only when the work asks for one."""
        if self.claim is not None:
            return self.claim.work()
        return self.database.work()

    def buttons(self, session: AsyncSession) -> ButtonMaker:
        """The maker of this reply's buttons, each for the caller alone to press."""
        return ButtonMaker(session, self.caller.telegram_user_id, self.now)

    async def ask(self, session: AsyncSession, kind: str, payload: dict[str, Any]) -> None:
        """Await the caller's next text in this chat: it answers ``kind``, with the payload."""
        await pending.ask(session, caller=self.caller, kind=kind, payload=payload, now=self.now)
