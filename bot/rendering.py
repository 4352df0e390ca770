"""From catalogue terms to Bot API calls: replies, keyboards, and outbox rows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
)

from bot.i18n import Translator
from domain.messages import Button, Text
from domain.permissions import Menu
from handlers.menus import commands_for

TELEGRAM_TEXT_LIMIT = 4096


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
    rendered = translator.render(text, lang)
    if len(rendered) > TELEGRAM_TEXT_LIMIT:
        rendered = rendered[: TELEGRAM_TEXT_LIMIT - 1] + "…"
    return rendered


def bot_commands(menus: Sequence[Menu], lang: str, translator: Translator) -> list[BotCommand]:
    return [BotCommand(name, translator.text(lang, key)) for name, key in commands_for(menus)]


OutboxSend = Callable[[Bot], Awaitable[object]]


def outbox_call(
    method: str, chat_id: int, payload: dict[str, Any], translator: Translator
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
        return lambda bot: bot.send_message(chat_id, text, reply_markup=markup)
    if method == "setMyCommands":
        commands = bot_commands([Menu(m) for m in payload["menus"]], lang, translator)
        return lambda bot: bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id))
    raise ValueError(f"no renderer for outbox method {method}")
