"""From catalogue terms to Bot API calls: replies, keyboards, and outbox rows."""

from __future__ import annotations

import time
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
from domain.messages import Button, Text, telegram_length
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


def message_parts(text: Text, lang: str, translator: Translator) -> list[str]:
    """The text as the messages that carry it: one, or several in order when it is longer
    than Telegram allows; nothing is cut. Buttons belong with the last part, which ends with
    the text's question or prompt."""
    return split_text(translator.render(text, lang), TELEGRAM_TEXT_LIMIT)


# Where a part may end, best first: between paragraphs, lines, words.
_BREAKS = ("\n\n", "\n", " ")


def split_text(text: str, limit: int) -> list[str]:
    """``text`` in parts of at most ``limit`` UTF-16 units (as Telegram counts). A part ends
    at the last paragraph, else line, else word that ends in its second half (so parts stay
    full), else at the last line or word anywhere; only a word longer than a part is cut."""
    parts = []
    rest = text
    while telegram_length(rest) > limit:
        end, resume = _break(rest, _fitting(rest, limit))
        parts.append(rest[:end].rstrip())
        rest = rest[resume:].lstrip("\n")
    parts.append(rest)
    return parts


def _fitting(text: str, limit: int) -> int:
    """How many of the text's first characters fit in ``limit`` UTF-16 units (half of an
    emoji's surrogate pair is dropped)."""
    return len(text.encode("utf-16-le")[: 2 * limit].decode("utf-16-le", errors="ignore"))


def _break(text: str, fits: int) -> tuple[int, int]:
    """Where the part of ``text`` whose first ``fits`` characters fit ends, and where the next
    part starts (after the break)."""
    for separator in _BREAKS:
        # The break may sit just after the characters that fit: it is not part of either.
        at = text.rfind(separator, fits // 2, fits + len(separator))
        if at > 0:
            return at, at + len(separator)
    at = max(text.rfind("\n", 0, fits + 1), text.rfind(" ", 0, fits + 1))
    if at > 0:
        return at, at + 1
    return fits, fits


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
        *leading, last = message_parts(Text.from_json(payload["text"]), lang, translator)
        markup = keyboard(
            [[Button.from_json(b) for b in row] for row in payload.get("buttons", [])],
            lang,
            translator,
        )

        async def send_in_order(bot: Bot, wait: float) -> object:
            # All parts share the row's time to wait. If a later part fails, the row's retry
            # sends the earlier ones again: a repeated part rather than a missing one.
            deadline = time.monotonic() + wait
            for part in leading:
                await bot.send_message(chat_id, part, read_timeout=_left(deadline))
            return await bot.send_message(
                chat_id, last, reply_markup=markup, read_timeout=_left(deadline)
            )

        return send_in_order
    if method == "setMyCommands":
        commands = bot_commands([Menu(m) for m in payload["menus"]], lang, translator)
        return lambda bot, wait: bot.set_my_commands(
            commands, scope=BotCommandScopeChat(chat_id), read_timeout=wait
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
