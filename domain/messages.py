"""Translatable text as data: a catalogue key and its arguments, rendered at the edge.

Services decide *what* to say (also for messages that wait in the outbox); the bot layer
decides *how*, in the recipient's language, when it renders.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Union

# A datetime renders as date and time, a date as a short day ("Th 3 15/12").
ArgValue = Union[str, int, datetime, date, "Text", list["Text"]]


@dataclass(frozen=True)
class Text:
    key: str
    args: Mapping[str, ArgValue] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "args": {k: _arg_to_json(v) for k, v in self.args.items()}}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Text:
        return cls(data["key"], {k: _arg_from_json(v) for k, v in data.get("args", {}).items()})


def _arg_to_json(value: ArgValue) -> Any:
    if isinstance(value, datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    if isinstance(value, Text):
        return {"text": value.to_json()}
    if isinstance(value, list):
        return {"lines": [line.to_json() for line in value]}
    return value


def _arg_from_json(value: Any) -> ArgValue:
    if isinstance(value, dict) and "datetime" in value:
        return datetime.fromisoformat(value["datetime"])
    if isinstance(value, dict) and "date" in value:
        return date.fromisoformat(value["date"])
    if isinstance(value, dict) and "text" in value:
        return Text.from_json(value["text"])
    if isinstance(value, dict) and "lines" in value:
        return [Text.from_json(line) for line in value["lines"]]
    result: ArgValue = value
    return result


@dataclass(frozen=True)
class Button:
    """An inline button: a label and one of an action token, a URL to open, or the URL of a
    Web App (a Telegram Mini App, opened inside Telegram and handed the user's signed data)."""

    text: Text
    action: str | None = None
    url: str | None = None
    web_app: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text.to_json(),
            "action": self.action,
            "url": self.url,
            "web_app": self.web_app,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Button:
        return cls(
            Text.from_json(data["text"]), data.get("action"), data.get("url"), data.get("web_app")
        )


@dataclass(frozen=True)
class Attachment:
    """A file sent with a reply (a ZIP of papers, a minutes document)."""

    file_name: str
    content: bytes


@dataclass(frozen=True)
class Reply:
    """What the bot answers: text, buttons, and for a button press an optional short notice."""

    text: Text
    buttons: tuple[tuple[Button, ...], ...] = ()
    notice: Text | None = None
    # Set when the answer must be in a language other than the asker's stored one (e.g. /lang).
    lang: str | None = None
    # A button pressed in a group answers the presser alone and leaves the group's message.
    keep_message: bool = False
    # Files sent with the text (a single short reply becomes the file's caption).
    attachments: tuple[Attachment, ...] = ()


def N_(key: str) -> str:
    """Marks a catalogue key for extraction where it is chosen from data, not written inline."""
    return key


def telegram_length(text: str) -> int:
    """A text's length as Telegram counts it against its limits: UTF-16 code units, so an
    emoji outside the Basic Multilingual Plane counts two."""
    return len(text.encode("utf-16-le")) // 2
