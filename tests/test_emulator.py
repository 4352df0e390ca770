"""The Bot API emulator, exercised through the real PTB Bot and Application over HTTP."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import aiohttp
import pytest
from aiohttp import web
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MenuButtonDefault,
    MenuButtonWebApp,
    Update,
    WebAppInfo,
)
from telegram.error import BadRequest, Conflict, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import HTTPXRequest

from emulator import SECRET_HEADER, BotApiEmulator, EmuUser
from emulator.driver import running, running_emulator
from emulator.webapp import launch_url

TOKEN = "123456:TEST-TOKEN"

# PTB 22 warns about RetryAfter.retry_after's future type from inside its own constructor.
ptb_retry_after_warning = pytest.mark.filterwarnings(
    "ignore::telegram.warnings.PTBDeprecationWarning"
)


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    async with running_emulator(TOKEN, "chibo_test_bot") as emulator:
        yield emulator


@pytest.fixture
def alice(emu: BotApiEmulator) -> EmuUser:
    return emu.user(1001, "Alice", last_name="Nguyen", username="alice", language_code="vi")


@pytest.fixture
async def bot(emu: BotApiEmulator) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=emu.base_url, base_file_url=emu.base_file_url) as client:
        yield client


@asynccontextmanager
async def running_app(
    emu: BotApiEmulator, *handlers: BaseHandler[Any, Any, Any]
) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    """A real PTB Application polling the emulator, stopped cleanly on exit."""
    app = (
        ApplicationBuilder()
        .token(emu.token)
        .base_url(emu.base_url)
        .base_file_url(emu.base_file_url)
        .build()
    )
    for handler in handlers:
        app.add_handler(handler)
    async with running(app, poll_timeout=10):
        yield app


ATTEND = InlineKeyboardMarkup(
    [
        [
            InlineKeyboardButton("Attend", callback_data="rsvp:yes"),
            InlineKeyboardButton("Skip", callback_data="rsvp:no"),
        ],
        [InlineKeyboardButton("Agenda", url="https://example.org/agenda")],
    ]
)


async def start_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None and update.effective_user is not None
    args = " ".join(context.args or [])
    await update.effective_message.reply_html(
        f"Hello <b>{update.effective_user.first_name}</b>! Meeting {args}", reply_markup=ATTEND
    )


async def rsvp_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    answer = "yes" if query.data == "rsvp:yes" else "no"
    await query.answer(f"Recorded: {answer}")
    await query.edit_message_text(f"You answered {answer}")


# -- basics ------------------------------------------------------------------------------


async def test_get_me_identifies_the_bot(emu: BotApiEmulator, bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.first_name, me.is_bot) == (
        123456,
        "chibo_test_bot",
        "Chibo",
        True,
    )
    assert emu.calls("getMe")[-1].status == 200


async def test_unknown_method_wrong_token_and_case_insensitive_names(emu: BotApiEmulator) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{emu.base_url}{TOKEN}/noSuchMethod") as resp:
            assert resp.status == 404
            assert (await resp.json())["description"] == "Not Found: method not found"
        async with http.post(f"{emu.base_url}999:WRONG/getMe") as resp:
            assert resp.status == 401
            assert (await resp.json())["ok"] is False
        async with http.get(f"{emu.base_url}{TOKEN}/GETME") as resp:
            assert resp.status == 200
            assert (await resp.json())["result"]["username"] == "chibo_test_bot"
    assert [(c.method, c.status) for c in emu.calls("getme")] == [("getMe", 401), ("getMe", 200)]


# -- the Application end to end ------------------------------------------------------------


async def test_command_reply_button_press_edits_and_answers(
    emu: BotApiEmulator, alice: EmuUser
) -> None:
    async with running_app(
        emu, CommandHandler("start", start_command), CallbackQueryHandler(rsvp_pressed)
    ):
        emu.send_text(alice, "/start june")
        msg = await emu.wait_for_message(alice.id)
        assert msg.text == "Hello Alice! Meeting june"
        assert msg.entities == [{"type": "bold", "offset": 6, "length": 5}]
        assert msg.buttons() == [
            [("Attend", "rsvp:yes"), ("Skip", "rsvp:no")],
            [("Agenda", None)],
        ]
        assert msg.url_buttons() == [("Agenda", "https://example.org/agenda")]

        press = emu.press_button(alice, msg, "Attend")
        edited = await emu.wait_for_message(alice.id, lambda m: m.edits > 0)

    assert edited is msg
    assert msg.text == "You answered yes"
    # Editing without reply_markup removes the keyboard, as on Telegram.
    assert msg.reply_markup is None and msg.button_texts() == []
    assert emu.callback_answer(press) == {
        "text": "Recorded: yes",
        "show_alert": False,
        "url": None,
        "cache_time": 0,
    }
    assert emu.delivered(press)
    assert emu.messages(alice.id) == [msg]
    with pytest.raises(LookupError):
        emu.press_button(alice, msg, "Attend")


async def test_group_command_addressed_with_bot_username(
    emu: BotApiEmulator, alice: EmuUser
) -> None:
    grp = emu.group(-100123, "Chi bo 1 group")
    seen: list[tuple[int, str]] = []

    async def link_group(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat is not None and update.effective_message is not None
        seen.append((update.effective_chat.id, update.effective_chat.type))
        await update.effective_message.reply_text("Group linked")

    async with running_app(emu, CommandHandler("linkgroup", link_group)):
        uid = emu.send_text(alice, "/linkgroup@chibo_test_bot now", chat=grp)
        reply = await emu.wait_for_message(grp.id)

    assert emu.update(uid)["message"]["entities"] == [
        {"type": "bot_command", "offset": 0, "length": len("/linkgroup@chibo_test_bot")}
    ]
    assert seen == [(-100123, "supergroup")]
    assert reply.text == "Group linked"
    assert reply.reply_to_message_id is not None


async def test_replayed_update_reaches_the_bot_twice_with_same_id(
    emu: BotApiEmulator, alice: EmuUser
) -> None:
    received: list[int] = []

    async def record(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        received.append(update.update_id)

    async with running_app(emu, TypeHandler(Update, record)):
        uid = emu.send_text(alice, "hello")
        await emu.wait_delivered(uid)
        emu.replay(uid)
        later = emu.send_text(alice, "after the replay")
        await emu.wait_delivered(later)
        await emu.wait_idle()

    assert received == [uid, uid, later]


async def test_document_from_user_downloads_and_bot_upload_is_stored(
    emu: BotApiEmulator, alice: EmuUser
) -> None:
    content = b"%PDF-1.4 minutes of the June meeting"

    async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None and message.document is not None
        file = await message.document.get_file()
        data = bytes(await file.download_as_bytearray())
        digest = hashlib.sha256(data).hexdigest()[:12]
        await message.reply_document(
            document=data[::-1], filename="reversed.bin", caption=f"{len(data)} bytes {digest}"
        )

    async with running_app(emu, MessageHandler(filters.Document.ALL, on_document)):
        emu.send_document(
            alice, file_name="paper.pdf", content=content, mime_type="application/pdf"
        )
        reply = await emu.wait_for_message(alice.id)

    assert reply.text == f"{len(content)} bytes {hashlib.sha256(content).hexdigest()[:12]}"
    assert reply.kind == "document"
    assert reply.content == content[::-1]
    assert reply.document is not None and reply.document["file_name"] == "reversed.bin"
    assert reply.document["file_size"] == len(content)
    assert emu.file_content(reply.document["file_id"]) == content[::-1]
    upload = emu.calls("sendDocument")[-1]
    assert upload.files["document"] == ("reversed.bin", content[::-1])


async def test_send_document_by_existing_file_id(
    emu: BotApiEmulator, bot: Bot, alice: EmuUser
) -> None:
    emu.open_private_chat(alice)
    first = await bot.send_document(alice.id, document=b"agenda", filename="agenda.txt")
    assert first.document is not None
    again = await bot.send_document(alice.id, document=first.document.file_id)
    assert again.document is not None and again.document.file_id == first.document.file_id
    assert [m.content for m in emu.messages(alice.id)] == [b"agenda", b"agenda"]


# -- Telegram's refusals ---------------------------------------------------------------------


async def test_bot_cannot_write_first_and_blocked_users_refuse(
    emu: BotApiEmulator, bot: Bot, alice: EmuUser
) -> None:
    with pytest.raises(Forbidden, match="bot can't initiate conversation with a user"):
        await bot.send_message(alice.id, "Reminder")
    with pytest.raises(BadRequest, match=r"[Cc]hat not found"):
        await bot.send_message(424242, "Reminder")

    emu.send_text(alice, "/start")
    await bot.send_message(alice.id, "Reminder")
    emu.block(alice)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_document(alice.id, document=b"x", filename="x.txt")
    assert [c.status for c in emu.calls("sendMessage")] == [403, 400, 200]
    assert [m.text for m in emu.messages(alice.id)] == ["Reminder"]


async def test_server_side_formatting_errors_and_not_modified(
    emu: BotApiEmulator, bot: Bot, alice: EmuUser
) -> None:
    emu.open_private_chat(alice)
    with pytest.raises(BadRequest, match=r'(?i)unsupported start tag "bob" at byte offset 3'):
        await bot.send_message(alice.id, "Hi <Bob>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)character '.' is reserved"):
        await bot.send_message(alice.id, "Meeting at 7.30", parse_mode="MarkdownV2")
    sent = await bot.send_message(alice.id, r"*Agenda* for 7\.30", parse_mode="MarkdownV2")
    assert sent.text == "Agenda for 7.30"
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text(
            "Agenda for 7.30", alice.id, sent.message_id, entities=sent.entities
        )
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(
            alice.id,
            "x",
            reply_markup=InlineKeyboardMarkup.from_button(
                InlineKeyboardButton("long", callback_data="x" * 65)
            ),
        )


async def test_web_app_buttons_open_over_https_in_private_chats_only(
    emu: BotApiEmulator, bot: Bot, alice: EmuUser
) -> None:
    emu.open_private_chat(alice)
    group = emu.group(-100777, "Chi bộ", members=[alice])

    def opening(url: str) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup.from_button(
            InlineKeyboardButton("📊 Dashboard", web_app=WebAppInfo(url))
        )

    sent = await bot.send_message(alice.id, "x", reply_markup=opening("https://chibo.example/app"))
    [stored] = emu.messages(alice.id)
    assert stored.find_button(text="📊 Dashboard")["web_app"] == {
        "url": "https://chibo.example/app"
    }
    assert sent.reply_markup == opening("https://chibo.example/app")
    with pytest.raises(BadRequest, match=r"(?i)only https links are allowed"):
        await bot.send_message(alice.id, "x", reply_markup=opening("http://chibo.example/app"))
    with pytest.raises(BadRequest, match=r"(?i)button_type_invalid"):
        await bot.send_message(group.id, "x", reply_markup=opening("https://chibo.example/app"))
    with pytest.raises(BadRequest, match=r"(?i)only https links are allowed"):
        await bot.edit_message_text(
            "y", alice.id, sent.message_id, reply_markup=opening("http://chibo.example/app")
        )
    assert [m.text for m in emu.messages(alice.id)] == ["x"]
    assert emu.messages(group.id) == []


async def test_a_chat_menu_button_is_kept_per_chat(
    emu: BotApiEmulator, bot: Bot, alice: EmuUser
) -> None:
    dashboard = MenuButtonWebApp("Dashboard", WebAppInfo("https://chibo.example/app"))
    await bot.set_chat_menu_button(alice.id, dashboard)
    assert await bot.get_chat_menu_button(alice.id) == dashboard
    assert await bot.get_chat_menu_button(1002) == MenuButtonDefault()
    with pytest.raises(BadRequest, match=r"(?i)only https links are allowed"):
        insecure = MenuButtonWebApp("Dashboard", WebAppInfo("http://chibo.example/app"))
        await bot.set_chat_menu_button(1002, insecure)
    assert await bot.get_chat_menu_button(1002) == MenuButtonDefault()


def _signed_fields(launch: str, token: str) -> dict[str, str]:
    """The launch data in a launch URL's fragment, once its hash is checked by the recipe of
    Telegram's documentation, written out here step by step."""
    fragment = dict(parse_qsl(urlsplit(launch).fragment, strict_parsing=True))
    fields = dict(parse_qsl(fragment["tgWebAppData"], strict_parsing=True))
    data_check_string = "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash")
    secret_key = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    expected = hmac.new(secret_key, data_check_string.encode(), hashlib.sha256).hexdigest()
    assert hmac.compare_digest(fields["hash"], expected), "not signed with this token"
    return fields


def test_a_mini_app_launch_carries_data_signed_as_telegram_signs_it() -> None:
    user = EmuUser(4242, "Nguyễn Văn", last_name="An", username="an_nguyen", language_code="vi")
    now = datetime(2026, 12, 1, 2, 0, 30, tzinfo=UTC)
    launch = launch_url(
        "https://chibo.example/app/cells/7", user, TOKEN, now, theme={"bg_color": "#17212b"}
    )
    assert launch.startswith("https://chibo.example/app/cells/7#")
    fields = _signed_fields(launch, TOKEN)
    assert set(fields) == {"query_id", "user", "auth_date", "signature", "hash"}
    assert fields["auth_date"] == str(int(now.timestamp())) == "1796090430"
    assert json.loads(fields["user"]) == {
        "id": 4242,
        "first_name": "Nguyễn Văn",
        "last_name": "An",
        "username": "an_nguyen",
        "language_code": "vi",
        "allows_write_to_pm": True,
    }
    assert re.fullmatch(r"[A-Za-z0-9_-]+", fields["signature"])
    fragment = dict(parse_qsl(urlsplit(launch).fragment))
    assert fragment["tgWebAppVersion"] == "8.0"
    assert fragment["tgWebAppPlatform"] == "tdesktop"
    assert json.loads(fragment["tgWebAppThemeParams"]) == {"bg_color": "#17212b"}
    # Signed with another bot's token, the same launch does not pass.
    with pytest.raises(AssertionError, match="not signed with this token"):
        _signed_fields(launch, "654321:ANOTHER-BOT")
    # The language the client announces, when told; Telegram's light theme by default.
    english = launch_url("https://chibo.example/app", user, TOKEN, now, language_code="en")
    assert json.loads(_signed_fields(english, TOKEN)["user"])["language_code"] == "en"
    default_theme = dict(parse_qsl(urlsplit(english).fragment))["tgWebAppThemeParams"]
    assert json.loads(default_theme)["bg_color"] == "#ffffff"


# -- faults and limits -----------------------------------------------------------------------


@ptb_retry_after_warning
async def test_injected_429_raises_retry_after(
    emu: BotApiEmulator, bot: Bot, alice: EmuUser
) -> None:
    emu.open_private_chat(alice)
    emu.fail_next("sendMessage", "429", retry_after=7)
    with pytest.raises(RetryAfter, match="Retry in 7"):
        await bot.send_message(alice.id, "first try")
    assert emu.messages(alice.id) == []
    await bot.send_message(alice.id, "second try")
    assert [m.text for m in emu.messages(alice.id)] == ["second try"]
    assert emu.http_429_count == 1


@ptb_retry_after_warning
async def test_rate_limit_per_chat(emu: BotApiEmulator, bot: Bot, alice: EmuUser) -> None:
    emu.open_private_chat(alice)
    emu.rate_limit(global_per_second=30, per_chat_per_second=1)
    await bot.send_message(alice.id, "one")
    with pytest.raises(RetryAfter):
        await bot.send_message(alice.id, "two")
    assert emu.http_429_count == 1
    assert emu.calls("sendMessage")[-1].response == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1},
    }


async def test_server_errors_timeouts_and_dropped_connections(
    emu: BotApiEmulator, alice: EmuUser
) -> None:
    emu.open_private_chat(alice)
    request = HTTPXRequest(read_timeout=0.2)
    async with Bot(TOKEN, base_url=emu.base_url, request=request) as bot:
        emu.fail_next("sendMessage", "500")
        with pytest.raises(NetworkError):
            await bot.send_message(alice.id, "a")
        emu.fail_next("sendMessage", "502")
        with pytest.raises(NetworkError):
            await bot.send_message(alice.id, "b")
        emu.fail_next("sendMessage", "drop")
        with pytest.raises(NetworkError):
            await bot.send_message(alice.id, "c")
        emu.timeout_delay = 0.5
        emu.fail_next("sendMessage", "timeout")
        with pytest.raises(TimedOut):
            await bot.send_message(alice.id, "d")
    # A timed-out call still took effect: the classic source of duplicate messages.
    assert [m.text for m in emu.messages(alice.id)] == ["d"]
    assert [c.status for c in emu.calls("sendMessage")] == [500, 502, 0, 200]


# -- commands ------------------------------------------------------------------------------


async def test_set_my_commands_by_scope_and_language(emu: BotApiEmulator, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand("start", "Start"), BotCommand("help", "Help")])
    await bot.set_my_commands([BotCommand("start", "Bắt đầu")], language_code="vi")
    admin_scope = BotCommandScopeChat(-100123)
    await bot.set_my_commands([BotCommand("linkgroup", "Link group")], scope=admin_scope)

    assert [c["command"] for c in emu.commands()] == ["start", "help"]
    assert emu.commands(language_code="vi") == [{"command": "start", "description": "Bắt đầu"}]
    assert emu.commands({"type": "chat", "chat_id": -100123}) == [
        {"command": "linkgroup", "description": "Link group"}
    ]
    fetched = await bot.get_my_commands(scope=admin_scope)
    assert [c.command for c in fetched] == ["linkgroup"]
    await bot.delete_my_commands(scope=admin_scope)
    assert emu.commands({"type": "chat", "chat_id": -100123}) == []
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Start", "capitalised")])


# -- update delivery ---------------------------------------------------------------------


async def test_long_poll_wakes_on_injection_and_offset_confirms(
    emu: BotApiEmulator, bot: Bot, alice: EmuUser
) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await emu.wait_for_poll()
    started = time.monotonic()
    uid = emu.send_text(alice, "ping")
    updates = await asyncio.wait_for(poll, 1)
    assert time.monotonic() - started < 0.5
    assert [u.update_id for u in updates] == [uid]
    assert not emu.delivered(uid)
    assert await bot.get_updates(offset=uid + 1, timeout=0) == ()
    assert emu.delivered(uid)


async def test_webhook_delivery_with_secret_and_retry(
    emu: BotApiEmulator, bot: Bot, alice: EmuUser
) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []
    statuses = [500, 200, 200]

    async def hook(request: web.Request) -> web.Response:
        received.append((request.headers.get(SECRET_HEADER), await request.json()))
        return web.Response(status=statuses[len(received) - 1])

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="s3cret")
        info = await bot.get_webhook_info()
        assert info.url.endswith("/hook")
        with pytest.raises(Conflict):
            await bot.get_updates()

        uid = emu.send_text(alice, "/start")
        await emu.wait_delivered(uid, timeout=2)
        assert [r[0] for r in received] == ["s3cret", "s3cret"]
        assert received[-1][1]["update_id"] == uid
        assert received[-1][1]["message"]["text"] == "/start"
        assert [a.status for a in emu.webhook_attempts] == [500, 200]

        emu.replay(uid)
        await emu.wait_idle()
        assert [r[1]["update_id"] for r in received] == [uid, uid, uid]

        await bot.delete_webhook()
        assert await bot.get_updates(timeout=0) == ()
    finally:
        await runner.cleanup()


# -- out-of-process control ------------------------------------------------------------------


async def test_control_endpoints(emu: BotApiEmulator, bot: Bot) -> None:
    async with aiohttp.ClientSession() as http:
        user = {"id": 2002, "first_name": "Binh", "username": "binh"}
        async with http.post(
            f"{emu.url}/_emulator/updates", json={"text": "/start", "user": user}
        ) as resp:
            uid = (await resp.json())["result"]["update_id"]
        updates = await bot.get_updates(timeout=0)
        assert [u.update_id for u in updates] == [uid]
        assert updates[0].effective_user is not None
        assert updates[0].effective_user.username == "binh"

        await bot.send_message(2002, "Welcome", reply_markup=ATTEND)
        async with http.get(f"{emu.url}/_emulator/messages", params={"chat_id": "2002"}) as resp:
            [message] = (await resp.json())["result"]
        assert message["text"] == "Welcome"
        assert message["buttons"][0] == [["Attend", "rsvp:yes"], ["Skip", "rsvp:no"]]

        press = {"chat_id": 2002, "message_id": message["message_id"], "text": "Skip"}
        async with http.post(
            f"{emu.url}/_emulator/updates", json={"user": user, "press": press}
        ) as resp:
            press_uid = (await resp.json())["result"]["update_id"]
        document = {"file_name": "a.txt", "content_base64": base64.b64encode(b"hi").decode()}
        async with http.post(
            f"{emu.url}/_emulator/updates", json={"user": user, "document": document}
        ) as resp:
            assert resp.status == 200
        updates = await bot.get_updates(offset=uid + 1, timeout=0)
        assert updates[0].update_id == press_uid
        assert updates[0].callback_query is not None
        assert updates[0].callback_query.data == "rsvp:no"
        assert updates[1].message is not None and updates[1].message.document is not None

        async with http.get(f"{emu.url}/_emulator/calls", params={"method": "sendMessage"}) as resp:
            calls = (await resp.json())["result"]
        assert [c["params"]["text"] for c in calls] == ["Welcome"]


async def test_wait_for_message_timeout_explains(
    emu: BotApiEmulator, bot: Bot, alice: EmuUser
) -> None:
    emu.open_private_chat(alice)
    await bot.send_message(alice.id, "Only this")
    count = emu.message_count(alice.id)
    with pytest.raises(TimeoutError, match="Only this"):
        await emu.wait_for_message(alice.id, lambda m: "never" in (m.text or ""), timeout=0.05)
    await bot.send_message(alice.id, "Then this")
    # `after` finds messages that arrived before the wait started.
    later = await emu.wait_for_message(alice.id, after=count, timeout=0.05)
    assert later.text == "Then this"


async def test_rendering_of_html_and_markdown(
    emu: BotApiEmulator, bot: Bot, alice: EmuUser
) -> None:
    emu.open_private_chat(alice)
    await bot.send_message(
        alice.id,
        '<b>Chi bộ <i>1</i></b> &lt;họp&gt; <a href="https://t.me/x?a=1&amp;b=2">link</a>'
        '\n<pre><code class="language-python">x = 1</code></pre> 👍<u>u</u>',
        parse_mode="HTML",
    )
    html = emu.last_message(alice.id)
    assert html is not None
    assert html.text == "Chi bộ 1 <họp> link\nx = 1 👍u"
    assert html.entities == [
        {"type": "bold", "offset": 0, "length": 8},
        {"type": "italic", "offset": 7, "length": 1},
        {"type": "text_link", "offset": 15, "length": 4, "url": "https://t.me/x?a=1&b=2"},
        {"type": "pre", "offset": 20, "length": 5, "language": "python"},
        # The emoji is two UTF-16 code units, so "u" starts at 28, not 27.
        {"type": "underline", "offset": 28, "length": 1},
    ]
    await bot.send_message(alice.id, "*Họp* _tháng_ `6`", parse_mode="Markdown")
    legacy = emu.last_message(alice.id)
    assert legacy is not None and legacy.text == "Họp tháng 6"
    assert [e["type"] for e in legacy.entities] == ["bold", "italic", "code"]


async def test_group_rights_polls_and_deletion(
    emu: BotApiEmulator, bot: Bot, alice: EmuUser
) -> None:
    bob = emu.user(1002, "Bob")
    grp = emu.group(-100123, "Chi bo 1 group", admins=[alice], members=[bob])
    assert (await bot.get_chat_member(grp.id, alice.id)).status == "administrator"
    assert (await bot.get_chat_member(grp.id, bob.id)).status == "member"

    agenda = await bot.send_message(grp.id, "Agenda")
    with pytest.raises(BadRequest, match=r"(?i)not enough rights"):
        await bot.pin_chat_message(grp.id, agenda.message_id)
    emu.set_member(grp, emu.bot, "administrator")
    assert await bot.pin_chat_message(grp.id, agenda.message_id)

    await bot.send_poll(grp.id, "Meeting day?", ["Mon", "Tue"], is_anonymous=False)
    poll_message = emu.last_message(grp.id)
    assert poll_message is not None and poll_message.kind == "poll"
    vote = emu.vote(bob, poll_message, [1])
    [update] = await bot.get_updates(timeout=0)
    assert update.update_id == vote
    assert update.poll_answer is not None and update.poll_answer.option_ids == (1,)

    await bot.delete_message(grp.id, agenda.message_id)
    assert emu.messages(grp.id)[0].deleted
    assert emu.last_message(grp.id) is poll_message
    assert [m.text for m in emu.messages(grp.id, include_deleted=False)] == ["Meeting day?"]
