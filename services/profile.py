"""What a person sets and sees about themselves: their language (/lang), and the command
menus /start and /help list for them."""

from __future__ import annotations

from dataclasses import dataclass

from domain.messages import N_, Reply, Text
from domain.permissions import Actor, Menu, menus_for
from domain.roles import Language
from services.people import ensure_person, offer_dashboard_menu, refresh_menu
from services.request import Request
from services.routes import button
from storage.repositories import load_actor, person_by_telegram_id

LANGUAGE_NAMES = ((Language.VI, N_("lang.name.vi")), (Language.EN, N_("lang.name.en")))


@dataclass(frozen=True)
class CurrentLanguage:
    """The language the caller is spoken to in now."""

    lang: str


@dataclass(frozen=True)
class ChosenLanguage:
    lang: Language


@dataclass(frozen=True)
class Menus:
    """Whether the caller belongs anywhere yet (a cell or a supervision), and their menus."""

    registered: bool
    menus: tuple[Menu, ...]


async def language_choice(request: Request, current: CurrentLanguage) -> Reply:
    """/lang: a button each language, the current one ticked."""
    async with request.transaction() as session:
        make_button = request.buttons(session)
        buttons = [
            await make_button(
                Text(
                    "lang.option",
                    {"mark": "✓ " if language.value == current.lang else "", "label": Text(label)},
                ),
                "lang.set",
                lang=language.value,
            )
            for language, label in LANGUAGE_NAMES
        ]
    return Reply(Text("lang.choose"), (tuple(buttons),))


@button("lang.set", ChosenLanguage)
async def set_language(request: Request, chosen: ChosenLanguage) -> Reply:
    async with request.transaction() as session:
        person = await ensure_person(session, request.caller, request.now)
        person.language = chosen.lang.value
        await refresh_menu(session, person, request.now, request.settings)
    return Reply(Text("lang.changed"), lang=chosen.lang.value)


async def help_menus(request: Request) -> Menus:
    async with request.transaction() as session:
        person = await person_by_telegram_id(session, request.caller.telegram_user_id)
        return _menus_of(None if person is None else await load_actor(session, person))


async def welcome(request: Request) -> Menus:
    """/start without a link: the caller's menus, as /help lists them; a supervisor's chat
    menu button is set again, so that it opens the dashboard even where the dashboard came
    after they joined."""
    async with request.transaction() as session:
        person = await person_by_telegram_id(session, request.caller.telegram_user_id)
        if person is None:
            return _menus_of(None)
        actor = await load_actor(session, person)
        await offer_dashboard_menu(session, person, actor, request.now, request.settings)
        return _menus_of(actor)


def _menus_of(actor: Actor | None) -> Menus:
    registered = actor is not None and (actor.is_member or actor.is_supervisor)
    return Menus(registered, menus_for(actor))
