"""From catalogue terms to Bot API calls: messages in parts, keyboards, command menus."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MenuButtonWebApp,
    WebAppInfo,
)

from chat.i18n import Translator
from chat.menus import commands_for
from domain.messages import Button, Text, telegram_length
from domain.permissions import Menu

TELEGRAM_TEXT_LIMIT = 4096
TELEGRAM_CAPTION_LIMIT = 1024


def keyboard(
    rows: Sequence[Sequence[Button]], lang: str, translator: Translator
) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[_inline_button(b, translator.render(b.text, lang)) for b in row] for row in rows]
    )


def _inline_button(button: Button, label: str) -> InlineKeyboardButton:
    if button.web_app is not None:
        return InlineKeyboardButton(label, web_app=WebAppInfo(button.web_app))
    if button.url is not None:
        return InlineKeyboardButton(label, url=button.url)
    return InlineKeyboardButton(label, callback_data=button.action)


def menu_button(button: Button, lang: str, translator: Translator) -> MenuButtonWebApp:
    """The chat's menu button (beside the message field) that opens the Web App ``button``
    opens, instead of Telegram's default list of commands."""
    if button.web_app is None:
        raise ValueError("a chat's menu button opens a Web App")
    return MenuButtonWebApp(translator.render(button.text, lang), WebAppInfo(button.web_app))


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


class PartlySent(Exception):
    """A message sent in parts stopped after ``parts_sent`` of them were delivered: its retry
    sends the rest, not again what the recipient already has. ``error`` is why it stopped."""

    def __init__(self, parts_sent: int, error: Exception) -> None:
        super().__init__(f"{parts_sent} parts sent")
        self.parts_sent = parts_sent
        self.error = error
