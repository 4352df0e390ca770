"""Replayed Telegram updates change nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from domain.text import is_token
from services import actions
from services.actions import Action
from storage.db import Database, once_more_if_disconnected
from storage.queries.updates import (
    claim_update,
    claim_update_reading,
    delete_updates_processed_before,
)


class HeldClaim:
    """An update's claim, made in a transaction not yet committed: the use case's first
    transaction commits it with its own work, in one commit; an update handled without a
    transaction has it committed alone (``settle``).

    Held only for button presses, whose use cases open their transaction straight away: on
    SQLite the claim holds the database's write lock until it is committed."""

    def __init__(
        self,
        database: Database,
        update_id: int,
        now: datetime,
        held: AsyncExitStack,
        connection: AsyncConnection,
    ) -> None:
        self._database = database
        self._update_id = update_id
        self._now = now
        self._held: AsyncExitStack | None = held
        self.connection = connection
        self.committed = False

    @classmethod
    async def open(cls, database: Database, update_id: int, now: datetime) -> HeldClaim:
        """A transaction for the claim, on a connection of its own."""
        held = AsyncExitStack()
        connection = await held.enter_async_context(database.connection())
        return cls(database, update_id, now, held, connection)

    @property
    def held(self) -> bool:
        """Whether the claim's transaction is still open: no transaction or settling ended it."""
        return self._held is not None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """The claim's transaction, if it is still held; later ones are transactions of their
        own. The claim is rolled back with the work if the work fails."""
        held, self._held = self._held, None
        if held is None:
            async with self._database.transaction() as session:
                yield session
            return
        try:
            # The session's work is flushed into the claim's transaction, whose commit is
            # then the work's too (the session's own commit would cost as much again).
            async with self._database.sessions(
                bind=self.connection, join_transaction_mode="rollback_only"
            ) as session:
                yield session
                await session.flush()
        except BaseException as error:
            await held.__aexit__(type(error), error, error.__traceback__)
            raise
        await held.aclose()
        self.committed = True

    async def settle(self) -> bool:
        """Whether this delivery has the update, with its claim committed: now, if it is still
        held; anew, if it was rolled back with failed work. False: another delivery of the
        same update committed its claim first."""
        held, self._held = self._held, None
        if held is not None:
            await held.aclose()
        elif not self.committed:
            async with self._database.connection() as connection:
                if not await claim_update(connection, self._update_id, self._now):
                    return False
        self.committed = True
        return True

    async def release(self) -> None:
        """Roll back a claim still held (its update ended with an error before settling), so
        that the update is not taken as handled."""
        held, self._held = self._held, None
        if held is not None:
            ended = RuntimeError("the update ended with its claim unsettled")
            await held.__aexit__(RuntimeError, ended, None)


@dataclass(frozen=True)
class Admission:
    language: str | None  # the caller's chosen language, None for the default
    button: Action | None  # what the pressed button's token stands for, None if nothing
    claim: HeldClaim | None = None  # a button press's claim, held for its use case


async def admit(
    database: Database,
    update_id: int,
    telegram_user_id: int | None,
    now: datetime,
    button_token: str | None = None,
    *,
    hold: bool = False,
) -> Admission | None:
    """Record the update as handled, read the caller's language and look up the pressed
    button, in one statement (it runs for every update); None when some replica already
    took the update. With ``hold``, the transaction is not committed but held
    (``Admission.claim``) for the update's use case to go on with, and its caller is to end
    it: ``HeldClaim.settle``, then ``HeldClaim.release``.

    Being every update's first transaction, it is where a connection that died in the pool
    (the database restarted) shows: it is retried once on a fresh one, and the pool's other
    connections of that age are replaced too."""
    # A forged token (a NUL byte, say) is not even looked up.
    token = button_token if button_token is not None and is_token(button_token) else None

    async def admitted() -> Admission | None:
        claim = await HeldClaim.open(database, update_id, now)
        try:
            found = await claim_update_reading(
                claim.connection, update_id, now, telegram_user_id, token
            )
        except BaseException:
            await claim.release()
            raise
        if found is None:
            await claim.release()
            return None
        button = actions.stored(
            found.kind, found.payload, found.telegram_user_id, found.expires_at, now
        )
        if hold:
            return Admission(found.language, button, claim)
        await claim.settle()
        return Admission(found.language, button)

    return await once_more_if_disconnected(admitted)


async def forget_old_updates(database: Database, now: datetime, keep: timedelta) -> int:
    """Telegram never redelivers an update after a day, so older ids needn't be kept."""
    async with database.transaction() as session:
        return await delete_updates_processed_before(session, now - keep)
