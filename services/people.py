"""People: who is asking, in which language, with which command menus (the use cases a
person has about themselves are in ``services.profile``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from domain.messages import Text
from domain.permissions import Actor, menus_for
from services import outbox
from services.config import ServiceSettings
from services.dashboard_links import menu_button
from services.errors import Refused
from storage.models import Person
from storage.repositories import language_of_telegram_user, load_actor, person_by_telegram_id


@dataclass(frozen=True)
class Caller:
    """Who sent an update, as Telegram says; nothing here is trusted for permissions."""

    telegram_user_id: int
    chat_id: int
    telegram_name: str
    private_chat: bool
    chat_title: str = ""


async def chosen_language(session: AsyncSession, telegram_user_id: int) -> str | None:
    return await language_of_telegram_user(session, telegram_user_id)


async def require_person(session: AsyncSession, caller: Caller) -> tuple[Person, Actor]:
    person = await person_by_telegram_id(session, caller.telegram_user_id)
    if person is None:
        raise Refused(Text("error.not_registered"))
    return person, await load_actor(session, person)


async def ensure_person(session: AsyncSession, caller: Caller, now: datetime) -> Person:
    """The caller's person row, created from their Telegram name on first contact."""
    person = await person_by_telegram_id(session, caller.telegram_user_id)
    if person is None:
        person = Person(
            telegram_user_id=caller.telegram_user_id,
            full_name=caller.telegram_name[:200] or str(caller.telegram_user_id),
            created_at=now,
        )
        session.add(person)
        await session.flush()
    return person


async def refresh_menu(
    session: AsyncSession, person: Person, now: datetime, settings: ServiceSettings
) -> None:
    """Queue the person's command menu for their private chat, matching their roles now, and
    a supervisor's menu button to the dashboard."""
    actor = await load_actor(session, person)
    # One row per person, replaced by the newest menu: an older menu retried after a newer
    # one was sent would otherwise bring back commands of a role already lost.
    await outbox.enqueue_latest(
        session,
        key=f"menu:{person.telegram_user_id}",
        chat_id=person.telegram_user_id,
        method="setMyCommands",
        payload={
            "menus": [m.value for m in menus_for(actor)],
            "lang": person.language or settings.default_language,
        },
        due_at=now,
        now=now,
    )
    await offer_dashboard_menu(session, person, actor, now, settings)


async def offer_dashboard_menu(
    session: AsyncSession, person: Person, actor: Actor, now: datetime, settings: ServiceSettings
) -> None:
    """Queue a supervisor's chat menu button, opening the dashboard, in their language. A
    member's chat keeps Telegram's default (nobody stops being a supervisor)."""
    button = menu_button(settings)
    if button is None or not actor.is_supervisor:
        return
    await outbox.enqueue_latest(
        session,
        key=f"menu-button:{person.telegram_user_id}",
        chat_id=person.telegram_user_id,
        method="setChatMenuButton",
        payload={
            "button": button.to_json(),
            "lang": person.language or settings.default_language,
        },
        due_at=now,
        now=now,
    )
