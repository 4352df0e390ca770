"""Opinions under an agenda item: who spoke, picked among those present or typed, and what
they said."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from domain.attendance import RollStatus
from domain.messages import Reply, Text
from services import pending
from services.errors import refused
from services.minutes.access import AboutItem, managed_item, question, typed_text
from services.minutes.screens import item_screen
from services.request import Request
from services.routes import answer, button
from services.views import item_title, person_buttons
from storage.models import ItemOpinion, Person
from storage.queries.minutes import closed_roll

ASK_OPINION = "minutes.opinion"
MAX_SPEAKER = 200


@button("minutes.opinion", AboutItem)
async def ask_opinion(request: Request, about: AboutItem) -> Reply:
    """Ask who spoke: a present member's button, or the name typed before the opinion."""
    async with request.transaction() as session:
        make_button = request.buttons(session)
        meeting, item = await managed_item(session, request.caller, about.item_id)
        await request.ask(session, ASK_OPINION, {"item_id": item.id})
        present = [
            person
            for invitation, person in await closed_roll(session, meeting.id)
            if invitation.roll_status is RollStatus.PRESENT
        ]
        rows = await person_buttons(make_button, present, "minutes.opinion_of", item_id=item.id)
        back = await make_button(Text("common.back"), "minutes.item", item_id=item.id)
        return Reply(Text("minutes.ask.opinions", {"title": item_title(item)}), (*rows, (back,)))


@dataclass(frozen=True)
class Speaker:
    """A present member picked as the one who spoke under the item."""

    item_id: int
    person_id: int


@button("minutes.opinion_of", Speaker)
async def ask_opinion_of(request: Request, picked: Speaker) -> Reply:
    async with request.transaction() as session:
        await managed_item(session, request.caller, picked.item_id)
        speaker = await session.get(Person, picked.person_id)
        if speaker is None:
            raise refused("error.stale_button")
        asked = Text("minutes.ask.opinion_of", {"name": speaker.full_name})
        return await question(request, session, ASK_OPINION, picked, asked)


@dataclass(frozen=True)
class TypedOpinion(AboutItem):
    """What was said: of the member picked, or (none picked) with the speaker's name typed."""

    person_id: int | None = None
    text: str = field(kw_only=True)


@answer(ASK_OPINION, TypedOpinion)
async def record_opinion(request: Request, typed: TypedOpinion) -> Reply:
    """An opinion under the item: of the member picked, or ``Tên người phát biểu: nội dung``."""
    async with request.transaction() as session:
        meeting, item = await managed_item(session, request.caller, typed.item_id)
        speaker, text = await _speaker_and_text(session, typed.person_id, typed.text)
        session.add(
            ItemOpinion(
                item_id=item.id,
                person_id=typed.person_id,
                speaker=speaker,
                text=text,
                created_at=request.now,
            )
        )
        await pending.forget(session, caller=request.caller)
        await session.flush()
        saved = Text("minutes.opinion_saved", {"name": speaker})
        return await item_screen(request, session, meeting, item, saved)


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
