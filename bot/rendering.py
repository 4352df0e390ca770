"""From catalogue terms to Bot API calls: replies, keyboards, and outbox rows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
)

from bot.i18n import Translator
from domain.messages import Button, Text
from domain.permissions import Menu
from handlers.menus import commands_for
from reports.ical import CalendarEntry, meeting_ics
from storage.files import FileStore

TELEGRAM_TEXT_LIMIT = 4096
TELEGRAM_CAPTION_LIMIT = 1024


def keyboard(
    rows: Sequence[Sequence[Button]], lang: str, translator: Translator
) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(translator.render(b.text, lang), callback_data=b.action)
                if b.url is None
                else InlineKeyboardButton(translator.render(b.text, lang), url=b.url)
                for b in row
            ]
            for row in rows
        ]
    )


def message_text(text: Text, lang: str, translator: Translator) -> str:
    return fit(translator.render(text, lang), TELEGRAM_TEXT_LIMIT)


def fit(text: str, limit: int) -> str:
    """The text cut to Telegram's limit, which counts UTF-16 code units (an emoji is two)."""
    if _utf16_length(text) <= limit:
        return text
    kept = text
    while _utf16_length(kept) > limit - 1:
        kept = kept[: len(kept) - max(1, (_utf16_length(kept) - limit) // 2)]
    return kept + "…"


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def bot_commands(menus: Sequence[Menu], lang: str, translator: Translator) -> list[BotCommand]:
    return [BotCommand(name, translator.text(lang, key)) for name, key in commands_for(menus)]


# Called with the bot and how long to wait for Telegram's answer (the read timeout).
OutboxSend = Callable[[Bot, float], Awaitable[object]]


def outbox_call(
    method: str, chat_id: int, payload: dict[str, Any], translator: Translator, files: FileStore
) -> OutboxSend:
    """The Bot API call for an outbox row, rendered in its recipient's language now."""
    lang = payload.get("lang") or translator.default_language
    if method == "sendMessage":
        text = message_text(Text.from_json(payload["text"]), lang, translator)
        markup = keyboard(
            [[Button.from_json(b) for b in row] for row in payload.get("buttons", [])],
            lang,
            translator,
        )
        return lambda bot, wait: bot.send_message(
            chat_id, text, reply_markup=markup, read_timeout=wait
        )
    if method == "setMyCommands":
        commands = bot_commands([Menu(m) for m in payload["menus"]], lang, translator)
        return lambda bot, wait: bot.set_my_commands(
            commands, scope=BotCommandScopeChat(chat_id), read_timeout=wait
        )
    if method == "sendDocument" and "stored" in payload:
        stored = InputFile(files.get(payload["stored"]), filename=payload["filename"])
        caption = fit(
            translator.render(Text.from_json(payload["caption"]), lang), TELEGRAM_CAPTION_LIMIT
        )
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
