"""The Bot API call of an outbox row, rendered in its recipient's language when it is sent.

Wired here, in the composition root, because a row's call reads stored files (storage) and
renders calendar files (reports), which the Telegram I/O layer does not import."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from telegram import Bot, BotCommandScopeChat, InputFile

from chat.i18n import Translator
from chat.rendering import PartlySent, bot_commands, keyboard, menu_button, message_parts
from domain.messages import Button, Text
from domain.permissions import Menu
from reports.ical import CalendarEntry, meeting_ics
from storage.files import FileStore

# Called with the bot and how long to wait for Telegram's answer (the read timeout).
OutboxSend = Callable[[Bot, float], Awaitable[object]]


def outbox_call(
    method: str, chat_id: int, payload: dict[str, Any], translator: Translator, files: FileStore
) -> OutboxSend:
    """The Bot API call for an outbox row, rendered in its recipient's language now."""
    lang = payload.get("lang") or translator.default_language
    if method == "sendMessage":
        parts = message_parts(Text.from_json(payload["text"]), lang, translator)
        already = int(payload.get("parts_sent", 0))
        markup = keyboard(
            [[Button.from_json(b) for b in row] for row in payload.get("buttons", [])],
            lang,
            translator,
        )

        async def send_in_order(bot: Bot, wait: float) -> object:
            # All parts share the row's time to wait; the buttons go with the last. A retry
            # starts from the first part not yet delivered.
            deadline = time.monotonic() + wait
            sent: object = None
            for number in range(already, len(parts)):
                last = number == len(parts) - 1
                try:
                    sent = await bot.send_message(
                        chat_id,
                        parts[number],
                        reply_markup=markup if last else None,
                        read_timeout=_left(deadline),
                    )
                except Exception as error:
                    if number == already:
                        raise
                    raise PartlySent(number, error) from error
            return sent

        return send_in_order
    if method == "setMyCommands":
        commands = bot_commands([Menu(m) for m in payload["menus"]], lang, translator)
        return lambda bot, wait: bot.set_my_commands(
            commands, scope=BotCommandScopeChat(chat_id), read_timeout=wait
        )
    if method == "setChatMenuButton":
        button = menu_button(Button.from_json(payload["button"]), lang, translator)
        return lambda bot, wait: bot.set_chat_menu_button(
            chat_id, menu_button=button, read_timeout=wait
        )
    if method == "sendDocument" and "stored" in payload:
        stored = InputFile(files.get(payload["stored"]), filename=payload["filename"])
        caption = translator.render(Text.from_json(payload["caption"]), lang)
        return lambda bot, wait: bot.send_document(
            chat_id, stored, caption=caption, read_timeout=wait
        )
    if method == "sendDocument" and "calendar" in payload:
        document = InputFile(calendar_file(payload, lang, translator), filename=payload["filename"])
        caption = translator.render(Text.from_json(payload["caption"]), lang)
        return lambda bot, wait: bot.send_document(
            chat_id, document, caption=caption, read_timeout=wait
        )
    raise ValueError(f"no renderer for outbox method {method}")


def _left(deadline: float) -> float:
    return max(deadline - time.monotonic(), 0.0)


def calendar_file(payload: dict[str, Any], lang: str, translator: Translator) -> bytes:
    event = payload["calendar"]
    return meeting_ics(
        CalendarEntry(
            uid=event["uid"],
            sequence=event["sequence"],
            starts_at=datetime.fromisoformat(event["starts_at"]),
            ends_at=datetime.fromisoformat(event["ends_at"]),
            summary=translator.render(Text.from_json(payload["summary"]), lang),
            location=event["location"],
            description=translator.render(Text.from_json(payload["description"]), lang),
            stamp=datetime.fromisoformat(event["stamp"]),
            cancelled=event["cancelled"],
        )
    )
