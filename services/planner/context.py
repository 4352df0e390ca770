"""What every step of a planner run shares: the transaction, the time, and the queueing."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from domain.messages import Button, Text
from services import actions, outbox
from services.config import ServiceSettings
from storage.models import Person
from storage.queries import outbox as queued
from storage.queries import planner as queries


@dataclass
class Planning:
    """One run of the planner, in one transaction; ``queued`` counts what it newly queued."""

    session: AsyncSession
    now: datetime
    settings: ServiceSettings
    bot_username: str
    queued: int = 0

    async def fresh(self, keys: Iterable[str]) -> set[str]:
        """Of these outbox keys, those not queued yet: only they are worth building buttons
        for (each button is a stored action)."""
        wanted = set(keys)
        return wanted - await queued.queued_keys(self.session, wanted)

    async def tell(
        self, key: str, person: Person, text: Text, buttons: tuple[tuple[Button, ...], ...] = ()
    ) -> None:
        """Queue ``text`` to the person under ``key``, unless the key is queued already."""
        if await outbox.message_person(
            self.session,
            person,
            key=key,
            text=text,
            default_language=self.settings.default_language,
            now=self.now,
            buttons=buttons,
        ):
            self.queued += 1

    async def tell_managers(
        self, managers: dict[int, list[Person]], cell_id: int, key: str, text: Text
    ) -> None:
        """Queue ``text`` to each of the cell's secretary and deputies (as ``managers`` found
        them), under ``key`` and the person's id."""
        for person in managers.get(cell_id, []):
            await self.tell(f"{key}:{person.id}", person, text)

    async def one_button(
        self, person: Person, label: Text, kind: str, meeting_id: int
    ) -> tuple[tuple[Button, ...], ...]:
        """A keyboard of one button about a meeting, for that person to press."""
        button = await actions.button(
            self.session,
            label,
            kind,
            {"meeting_id": meeting_id},
            telegram_user_id=person.telegram_user_id,
            now=self.now,
        )
        return ((button,),)

    async def managers(self, cell_ids: Iterable[int]) -> dict[int, list[Person]]:
        """Each cell's secretary and deputies."""
        return await queries.managers_of_cells(self.session, cell_ids)
