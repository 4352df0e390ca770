"""Plain data objects shared by the emulator's state, server and public facade."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

JSONDict = dict[str, Any]

PRIVATE = "private"
GROUP = "group"
SUPERGROUP = "supergroup"
CHANNEL = "channel"
# What a message can carry as a file, in the order a message's kind is told by.
FILE_KINDS = ("photo", "document", "audio", "video", "animation", "voice", "video_note", "sticker")


# eq=False: a registered user/chat is a unique identity (the registry hands out the same
# instance), and identity hashing lets tests put them in sets and dict keys.
@dataclass(eq=False)
class EmuUser:
    """A Telegram user living in the emulated world."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False

    @classmethod
    def from_api(cls, data: JSONDict) -> EmuUser:
        return cls(
            id=int(data["id"]),
            first_name=str(data.get("first_name") or ""),
            last_name=data.get("last_name"),
            username=data.get("username"),
            language_code=data.get("language_code"),
            is_bot=bool(data.get("is_bot", False)),
        )

    def to_api(self) -> JSONDict:
        data: JSONDict = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}" if self.last_name else self.first_name


@dataclass(eq=False)
class EmuChat:
    """A chat: a user's private chat with the bot, a group, a supergroup or a channel."""

    id: int
    type: str
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    is_forum: bool = False

    def to_api(self) -> JSONDict:
        data: JSONDict = {"id": self.id, "type": self.type}
        for key in ("title", "username", "first_name", "last_name"):
            value = getattr(self, key)
            if value:
                data[key] = value
        if self.is_forum:
            data["is_forum"] = True
        return data

    @property
    def is_private(self) -> bool:
        return self.type == PRIVATE

    @property
    def is_group(self) -> bool:
        return self.type in (GROUP, SUPERGROUP)


@dataclass
class ApiCall:
    """One HTTP call the bot made to the emulated Bot API.

    ``status`` is the HTTP status that was answered (0 when the connection was dropped) and
    ``response`` the JSON body that was (or would have been) sent back.
    """

    method: str
    params: dict[str, Any]
    files: dict[str, tuple[str, bytes]]
    at: float
    status: int
    response: JSONDict | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@dataclass(eq=False)
class SentMessage:
    """A message as the user sees it in a chat, kept up to date with edits and deletions.

    ``text`` holds the message text or the media caption, already stripped of HTML/Markdown
    markup the way a Telegram client renders it; ``entities`` carries the formatting.
    """

    chat_id: int
    message_id: int
    text: str | None = None
    reply_markup: JSONDict | None = None
    document: JSONDict | None = None
    photo: bool = False
    content: bytes | None = None
    edits: int = 0
    deleted: bool = False
    from_bot: bool = True
    sender_id: int | None = None
    kind: str = "text"
    entities: list[JSONDict] = field(default_factory=list)
    date: int = 0
    reply_to_message_id: int | None = None
    file_id: str | None = None
    poll: JSONDict | None = None
    media_group_id: str | None = None
    pinned: bool = False
    # The Bot API Message object, kept in sync so it can be echoed in callback queries.
    raw: JSONDict = field(default_factory=dict, repr=False)
    # Global change counter at the last change; lets waiters tell fresh messages from old.
    version: int = field(default=0, repr=False)

    def buttons(self) -> list[list[tuple[str, str | None]]]:
        """Rows of ``(text, callback_data)``; callback_data is None for URL/keyboard buttons."""
        rows: list[list[tuple[str, str | None]]] = []
        for row in _keyboard_rows(self.reply_markup):
            out: list[tuple[str, str | None]] = []
            for button in row:
                if isinstance(button, str):
                    out.append((button, None))
                elif isinstance(button, dict):
                    data = button.get("callback_data")
                    text = str(button.get("text", ""))
                    out.append((text, data if isinstance(data, str) else None))
            rows.append(out)
        return rows

    def button_texts(self) -> list[str]:
        return [text for row in self.buttons() for text, _ in row]

    def url_buttons(self) -> list[tuple[str, str]]:
        """``(text, url)`` of every inline URL button, in reading order."""
        found: list[tuple[str, str]] = []
        for row in _keyboard_rows(self.reply_markup):
            for button in row:
                if isinstance(button, dict) and isinstance(button.get("url"), str):
                    found.append((str(button.get("text", "")), button["url"]))
        return found

    def find_button(self, text: str | None = None, callback_data: str | None = None) -> JSONDict:
        """The inline button matching ``text`` and/or ``callback_data``.

        Raises LookupError listing the available buttons, which makes failing tests readable.
        """
        markup = self.reply_markup or {}
        for row in markup.get("inline_keyboard", []) or []:
            for button in row:
                if not isinstance(button, dict):
                    continue
                if text is not None and button.get("text") != text:
                    continue
                if callback_data is not None and button.get("callback_data") != callback_data:
                    continue
                return button
        wanted = f"text={text!r}" if text is not None else f"callback_data={callback_data!r}"
        raise LookupError(
            f"no inline button with {wanted} on message {self.message_id} in chat "
            f"{self.chat_id}; buttons: {self.buttons()!r}"
        )

    @property
    def is_inline_keyboard(self) -> bool:
        return bool(self.reply_markup and "inline_keyboard" in self.reply_markup)

    def describe(self) -> str:
        """One-line summary used in timeout errors."""
        parts = [f"#{self.message_id}", self.kind]
        if self.text is not None:
            text = self.text if len(self.text) <= 80 else self.text[:77] + "..."
            parts.append(repr(text))
        if self.document:
            parts.append(f"file={self.document.get('file_name')!r}")
        texts = self.button_texts()
        if texts:
            parts.append(f"buttons={texts!r}")
        if self.edits:
            parts.append(f"edits={self.edits}")
        if self.deleted:
            parts.append("DELETED")
        return " ".join(parts)


def _keyboard_rows(markup: JSONDict | None) -> list[list[Any]]:
    if not markup:
        return []
    rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
    return [row for row in rows if isinstance(row, list)]


@dataclass
class StoredFile:
    """A file known to the emulated server: uploaded by the bot or sent by a user."""

    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes | None
    file_name: str | None = None
    mime_type: str | None = None
    kind: str = "document"
    width: int = 0
    height: int = 0
    url: str | None = None

    @property
    def file_size(self) -> int | None:
        return len(self.content) if self.content is not None else None


@dataclass
class Upload:
    """A file part of a multipart request."""

    filename: str
    content: bytes
    content_type: str | None = None
