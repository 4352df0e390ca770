"""Where the chat offers the supervisors' dashboard (a Telegram Mini App): /digest and /cells
give a supervisor the overview and each cell's page, /cells a secretary their cell's; a
supervisor's chat menu button opens it; members are offered nothing, and nobody is where
chibo serves no dashboard."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from pydantic import ValidationError
from telegram import MenuButton, MenuButtonDefault, MenuButtonWebApp, WebAppInfo

from bot.settings import Settings
from emulator import EmuUser, SentMessage
from emulator.driver import ChatError
from services.cells import overview
from services.digest import on_demand
from services.people import Caller
from storage.models import Cell as CellRow
from tests.harness import (
    BotWith,
    RunningBot,
    cell_with_members,
    choose_language,
    direct_request,
    join,
    setup_link,
)

PUBLIC_URL = "https://chibo.example.org"
DASHBOARD = PUBLIC_URL + "/app/"


def web_apps(message: SentMessage) -> list[str]:
    """The addresses of the Web App buttons of a message."""
    return [
        button["web_app"]["url"]
        for row in (message.reply_markup or {}).get("inline_keyboard", [])
        for button in row
        if "web_app" in button
    ]


async def menu_button_of(bot: RunningBot, user: EmuUser) -> MenuButton:
    """What Telegram says the user's chat menu button is."""
    return await bot.application.bot.get_chat_menu_button(chat_id=user.id)


async def test_a_supervisor_opens_the_overview_and_each_cell_a_secretary_their_cell(
    bot_with: BotWith, lang: str
) -> None:
    async with bot_with(web_url=PUBLIC_URL) as bot:
        t = bot.t
        cell = await cell_with_members(bot, ["Lê Văn Minh"], lang)
        [row] = await bot.rows(CellRow)
        cell_page = f"{DASHBOARD}cells/{row.id}"
        open_label = t(lang, "dashboard.open")

        digest = await bot.send(cell.supervisor, "/digest")
        assert bot.web_app_of(digest, open_label) == DASHBOARD
        overview = await bot.send(cell.supervisor, "/cells")
        assert web_apps(overview) == [DASHBOARD]
        menu = await bot.press(
            cell.supervisor, overview, t(lang, "common.cell_button", cell=row.name)
        )
        assert web_apps(menu) == [cell_page]
        assert bot.web_app_of(menu, t(lang, "dashboard.open_cell", cell=row.name)) == cell_page

        own = await bot.send(cell.secretary, "/cells")
        assert own.text == t(lang, "cells.own_dashboard")
        assert bot.web_app_of(own, t(lang, "dashboard.open_cell", cell=row.name)) == cell_page

        # Opened from the button, the Mini App gets the supervisor's data, signed now.
        launch = bot.open_web_app(cell.supervisor, bot.web_app_of(digest, open_label))
        assert launch.startswith(DASHBOARD + "#")
        signed = dict(parse_qsl(dict(parse_qsl(urlsplit(launch).fragment))["tgWebAppData"]))
        assert json.loads(signed["user"])["id"] == cell.supervisor.id
        assert int(signed["auth_date"]) == int(bot.clock.now().timestamp())
        with pytest.raises(ChatError, match="is no Web App"):
            bot.web_app_of(digest, t(lang, "digest.period.week"))

        # A member is refused both commands and offered the dashboard nowhere.
        member = cell.members[0]
        assert (await bot.send(member, "/digest")).text == t(lang, "error.not_supervisor")
        assert (await bot.send(member, "/cells")).text == t(lang, "error.not_supervisor")
        assert [url for said in bot.emulator.messages(member.id) for url in web_apps(said)] == []


async def test_a_new_supervisors_menu_button_opens_the_dashboard_in_their_language(
    bot_with: BotWith, lang: str
) -> None:
    async with bot_with(web_url=PUBLIC_URL) as bot:
        cell = await cell_with_members(bot, ["Lê Văn Minh"], lang)
        assert await menu_button_of(bot, cell.supervisor) == MenuButtonWebApp(
            bot.t(lang, "dashboard.menu_button"), WebAppInfo(DASHBOARD)
        )
        for other in (cell.secretary, cell.members[0]):
            assert await menu_button_of(bot, other) == MenuButtonDefault()
        # Another language chosen, the button speaks it.
        other_lang = {"vi": "en", "en": "vi"}[lang]
        menu = await bot.send(cell.supervisor, "/lang")
        await bot.press(cell.supervisor, menu, bot.t(lang, f"lang.name.{other_lang}"))
        assert await menu_button_of(bot, cell.supervisor) == MenuButtonWebApp(
            bot.t(other_lang, "dashboard.menu_button"), WebAppInfo(DASHBOARD)
        )


async def test_a_supervisor_from_before_the_dashboard_gets_its_menu_button_on_start(
    bot_with: BotWith,
) -> None:
    async with bot_with() as bot:
        hung = bot.emulator.user(51_001, "Trần Văn Hùng")
        await join(bot, hung, await setup_link(bot), "en")
        assert await menu_button_of(bot, hung) == MenuButtonDefault()
    async with bot_with(web_url=PUBLIC_URL) as bot:
        stranger = bot.emulator.user(51_002, "Người Lạ")
        await choose_language(bot, stranger, "en")
        for user in (hung, stranger):
            await bot.send(user, "/start")
        assert await menu_button_of(bot, hung) == MenuButtonWebApp(
            "Dashboard", WebAppInfo(DASHBOARD)
        )
        assert await menu_button_of(bot, stranger) == MenuButtonDefault()


async def test_without_a_public_address_no_dashboard_is_offered(bot: RunningBot) -> None:
    t = bot.t
    cell = await cell_with_members(bot, ["Lê Văn Minh"])
    overview = await bot.send(cell.supervisor, "/cells")
    [row] = await bot.rows(CellRow)
    menu = await bot.press(cell.supervisor, overview, t("vi", "common.cell_button", cell=row.name))
    digest = await bot.send(cell.supervisor, "/digest")
    await bot.send(cell.supervisor, "/start")
    assert [web_apps(m) for m in (overview, menu, digest)] == [[], [], []]
    assert await menu_button_of(bot, cell.supervisor) == MenuButtonDefault()
    assert (await bot.send(cell.secretary, "/cells")).text == t("vi", "error.not_supervisor")
    assert bot.emulator.calls("setChatMenuButton") == []


async def test_no_web_app_button_is_made_for_a_group(bot_with: BotWith, tmp_path: Path) -> None:
    """Telegram refuses Web App buttons outside private chats: a screen drawn for a group
    (none is yet, but a use case may be reached from one) leaves them out."""
    async with bot_with(web_url=PUBLIC_URL) as bot:
        cell = await cell_with_members(bot, ["Lê Văn Minh"])
        [row] = await bot.rows(CellRow)
        settings = bot.application.bot_data["chibo"].settings
        in_private = [DASHBOARD, DASHBOARD, f"{DASHBOARD}cells/{row.id}"]
        for private in (True, False):
            chat_id = cell.supervisor.id if private else -100_123
            caller = Caller(cell.supervisor.id, chat_id, "Trần Văn Hùng", private_chat=private)
            request = direct_request(bot.database, caller, bot.clock.now(), settings, tmp_path)
            screens = [
                await on_demand.choose(request),
                await overview.cells_overview(request, overview.Page()),
                await overview.cell_menu(request, overview.AboutCell(row.id)),
            ]
            opened = [b.web_app for s in screens for line in s.buttons for b in line if b.web_app]
            assert opened == (in_private if private else [])


def test_a_dashboard_address_that_is_not_https_is_refused_at_start() -> None:
    """Telegram opens Mini Apps over HTTPS only: an http:// address would make every reply
    with a dashboard button fail, so it is refused when the settings are read."""
    with pytest.raises(ValidationError, match="https://"):
        Settings(_env_file=None, web_url="http://127.0.0.1:8080")  # type: ignore[call-arg]
    # A webhook reached over plain HTTP (a test's proxy) offers no dashboard at all.
    plain = Settings(_env_file=None, webhook_url="http://127.0.0.1:8443")  # type: ignore[call-arg]
    assert plain.dashboard_url is None
    assert Settings(_env_file=None, web_url=PUBLIC_URL).dashboard_url == DASHBOARD  # type: ignore[call-arg]
