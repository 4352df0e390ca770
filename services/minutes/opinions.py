"""Opinions under an agenda item: who spoke, picked among those present or typed, and what
they said."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from domain.attendance import RollStatus
from domain.messages import Reply, Text
from services import actions, pending
from services.errors import refused
from services.minutes.access import managed_item, question, roll, typed_text
from services.minutes.record import item_screen
from services.people import Caller
from services.views import item_title
from storage.db import Database
from storage.models import ItemOpinion, Person

ASK_OPINION = "minutes.opinion"
MAX_SPEAKER = 200


async def ask_opinion(database: Database, caller: Caller, item_id: int, now: datetime) -> Reply:
    """Ask who spoke: a present member's button, or the name typed before the opinion."""
    async with database.transaction() as session:
        make_button = actions.ButtonMaker(session, caller.telegram_user_id, now)
        meeting, item = await managed_item(session, caller, item_id)
        await pending.ask(
            session, caller=caller, kind=ASK_OPINION, payload={"item_id": item.id}, now=now
        )
        present = [
            person
            for invitation, person in await roll(session, meeting.id)
            if invitation.roll_status is RollStatus.PRESENT
        ]
        buttons = [
            await make_button(
                Text("common.person_button", {"name": person.full_name}),
                "minutes.opinion_of",
                item_id=item.id,
                person_id=person.id,
            )
            for person in present
        ]
        rows = [tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]
        rows.append((await make_button(Text("common.back"), "minutes.item", item_id=item.id),))
        return Reply(Text("minutes.ask.opinions", {"title": item_title(item)}), tuple(rows))


async def ask_opinion_of(
    database: Database, caller: Caller, item_id: int, person_id: int, now: datetime
) -> Reply:
    async with database.transaction() as session:
        _, item = await managed_item(session, caller, item_id)
        speaker = await session.get(Person, person_id)
        if speaker is None:
            raise refused("error.stale_button")
        payload = {"item_id": item.id, "person_id": speaker.id}
        asked = Text("minutes.ask.opinion_of", {"name": speaker.full_name})
        return await question(session, caller, ASK_OPINION, payload, now, asked)


async def record_opinion(
    database: Database,
    caller: Caller,
    item_id: int,
    person_id: int | None,
    typed: str,
    now: datetime,
) -> Reply:
    """An opinion under the item: of the member picked, or ``Tên người phát biểu: nội dung``."""
    async with database.transaction() as session:
        meeting, item = await managed_item(session, caller, item_id)
        speaker, text = await _speaker_and_text(session, person_id, typed)
        session.add(
            ItemOpinion(
                item_id=item.id, person_id=person_id, speaker=speaker, text=text, created_at=now
            )
        )
        await pending.forget(session, caller=caller)
        await session.flush()
        return await item_screen(
            session, caller, meeting, item, now, Text("minutes.opinion_saved", {"name": speaker})
        )


async def _speaker_and_text(
    session: AsyncSession, person_id: int | None, typed: str
) -> tuple[str, str]:
    """The name of the member picked and all that was typed, else the name typed before the
    colon and what follows it."""
    if person_id is not None:
        person = await session.get(Person, person_id)
        if person is None:
            raise refused("error.stale_button")
        return person.full_name, typed_text(typed)
    typed_speaker, colon, text = typed.partition(":")
    speaker = " ".join(typed_speaker.split())
    if not colon or not speaker or len(speaker) > MAX_SPEAKER:
        raise refused("minutes.opinion_format", max=MAX_SPEAKER)
    return speaker, typed_text(text)
