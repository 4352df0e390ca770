"""Replayed Telegram updates change nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services import actions
from services.actions import Action, PressedData
from storage.db import Database, Work, once_more_if_disconnected
from storage.queries.updates import (
    claim_update,
    claim_update_reading,
    delete_updates_processed_before,
)


class ClaimState(Enum):
    HELD = "held"  # made, not committed
    IN_USE = "in use"  # the use case's first transaction is going on in it
    COMMITTED = "committed"  # with the work, or alone
    ROLLED_BACK = "rolled back"  # with failed work, or at the end of a failed update
    TAKEN_ELSEWHERE = "taken elsewhere"  # another delivery of the update committed its claim


class _Unsettled(Exception):
    """Ends the transaction of a claim left held by a failed update: rolled back, as any
    error leaving its block does."""


class HeldClaim:
    """An update's claim, made in a transaction not yet committed: the use case's first
    transaction commits it with its own work, in one commit; an update handled without a
    transaction has it committed alone (``settle``).

    Held only for the button presses whose use cases say their first transaction is short
    (``services.routes.button(..., with_claim=True)``): on SQLite the claim holds the
    database's write lock until it is committed."""

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
        self._held = held  # the claim's transaction, entered: closing it commits
        self.connection = connection
        self.state = ClaimState.HELD

    @classmethod
    async def open(cls, database: Database, update_id: int, now: datetime) -> HeldClaim:
        """A transaction for the claim, on a connection of its own."""
        held = AsyncExitStack()
        connection = await held.enter_async_context(database.connection())
        return cls(database, update_id, now, held, connection)

    @property
    def recorded(self) -> bool:
        """Whether the update is recorded as handled, by this delivery or another."""
        return self.state in (ClaimState.COMMITTED, ClaimState.TAKEN_ELSEWHERE)

    @asynccontextmanager
    async def work(self) -> AsyncIterator[Work]:
        """The claim's transaction, if it is still held; later ones are transactions of their
        own. The claim is rolled back with the work if the work fails."""
        if self.state is not ClaimState.HELD:
            async with self._database.work() as work:
                yield work
            return
        self.state = ClaimState.IN_USE
        try:
            async with self._database.work_on(self.connection) as work:
                yield work
        except BaseException as error:
            self.state = ClaimState.ROLLED_BACK
            await self._held.__aexit__(type(error), error, error.__traceback__)
            raise
        await self._commit()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """``work``, through an ORM session."""
        async with self.work() as work:
            yield work.session()

    async def settle(self) -> bool:
        """Whether this delivery has the update, with its claim committed: now, if it is still
        held; anew, if it was rolled back with failed work. False: another delivery of the
        same update committed its claim first."""
        if self.state is ClaimState.IN_USE:
            raise RuntimeError("a claim is settled after its transaction, not inside it")
        if self.state is ClaimState.HELD:
            await self._commit()
        elif self.state is ClaimState.ROLLED_BACK:
            async with self._database.connection() as connection:
                claimed = await claim_update(connection, self._update_id, self._now)
            self.state = ClaimState.COMMITTED if claimed else ClaimState.TAKEN_ELSEWHERE
        return self.state is ClaimState.COMMITTED

    async def release(self) -> None:
        """Roll back a claim still held (its update ended with an error before settling), so
        that the update is not taken as handled."""
        if self.state is ClaimState.HELD:
            self.state = ClaimState.ROLLED_BACK
            ended = _Unsettled()
            await self._held.__aexit__(_Unsettled, ended, None)

    async def _commit(self) -> None:
        # Marked first: if the commit itself fails, the server may or may not have taken it,
        # and settling claims the update again (finding it taken, if it was).
        self.state = ClaimState.ROLLED_BACK
        await self._held.aclose()
        self.state = ClaimState.COMMITTED


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
    button_data: str | None = None,
    *,
    hold: Callable[[Action | None], bool] | None = None,
) -> Admission | None:
    """Record the update as handled, read the caller's language and look up the pressed
    button (``button_data``: its callback data), in one statement (it runs for every
    update); None when some replica already took the update. When ``hold`` says so of the
    pressed button's action, the transaction is not committed but held (``Admission.claim``)
    for the update's use case to go on with, and its caller is to end it:
    ``HeldClaim.settle``, then ``HeldClaim.release``.

    Being every update's first transaction, it is where a connection that died in the pool
    (the database restarted) shows: it is retried once on a fresh one, and the pool's other
    connections of that age are replaced too."""
    pressed = None if button_data is None else PressedData.parse(button_data)

    async def admitted() -> Admission | None:
        claim = await HeldClaim.open(database, update_id, now)
        try:
            found = await claim_update_reading(
                claim.connection,
                update_id,
                now,
                telegram_user_id,
                None if pressed is None else pressed.token,
            )
        except BaseException:
            await claim.release()
            raise
        if found is None:
            await claim.release()
            return None
        button = actions.stored(
            pressed, found.kind, found.payload, found.telegram_user_id, found.expires_at, now
        )
        if hold is not None and hold(button):
            return Admission(found.language, button, claim)
        await claim.settle()
        return Admission(found.language, button)

    return await once_more_if_disconnected(admitted)


async def forget_old_updates(database: Database, now: datetime, keep: timedelta) -> int:
    """Telegram never redelivers an update after a day, so older ids needn't be kept."""
    async with database.transaction() as session:
        return await delete_updates_processed_before(session, now - keep)
