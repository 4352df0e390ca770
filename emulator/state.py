"""The emulated Telegram world: users, chats, message histories, files and the update queue.

Everything here is synchronous and single-threaded; it is mutated from the event loop that
runs the server, so the HTTP handlers and the test's own calls never interleave mid-change.
"""

from __future__ import annotations

import asyncio
import json
import mimetypes
import secrets
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .errors import BLOCKED, CANT_INITIATE, CHAT_NOT_FOUND, bad_request, forbidden
from .models import (
    FILE_KINDS,
    PRIVATE,
    SUPERGROUP,
    EmuChat,
    EmuUser,
    JSONDict,
    SentMessage,
    StoredFile,
)

# Update types Telegram withholds unless a bot asks for them in allowed_updates.
OPT_IN_UPDATE_TYPES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

MEMBER_STATUSES = frozenset({"creator", "administrator", "member", "restricted", "left", "kicked"})
PRESENT_STATUSES = frozenset({"creator", "administrator", "member", "restricted"})


class Notifier:
    """Wakes every coroutine waiting for "something changed".

    Waiters re-check their own condition after waking, so spurious wake-ups are harmless and
    no state needs to travel with the notification.
    """

    def __init__(self) -> None:
        self._waiters: set[asyncio.Future[None]] = set()

    def notify(self) -> None:
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._waiters.clear()

    async def wait(self, max_wait: float | None) -> bool:
        """Wait for the next notify(); False when ``max_wait`` seconds elapsed first."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.add(waiter)
        try:
            await asyncio.wait_for(waiter, max_wait)
            return True
        except TimeoutError:
            return False
        finally:
            self._waiters.discard(waiter)


def update_type(payload: JSONDict) -> str:
    for key in payload:
        if key != "update_id":
            return key
    return ""


@dataclass
class QueuedUpdate:
    update_id: int
    payload: JSONDict
    replay: bool = False
    handed_out: bool = False


class UpdateQueue:
    """Pending updates with Telegram's confirmation semantics.

    An update stays pending until a getUpdates call with a higher ``offset`` confirms it (or a
    webhook POST succeeds). Replayed updates keep their old update_id, which a polling client
    has already confirmed past, so they are served regardless of offset and count as
    confirmed by the next getUpdates call.
    """

    def __init__(self) -> None:
        self.next_id = 1
        self.pending: list[QueuedUpdate] = []
        self.log: dict[int, JSONDict] = {}
        self.delivered: set[int] = set()
        self.dropped: set[int] = set()
        self.allowed: list[str] | None = None
        # "changed" wakes consumers (pollers, the webhook); "settled" wakes delivery waiters.
        self.changed = Notifier()
        self.settled = Notifier()

    def push(self, payload: JSONDict, *, withheld: bool = False) -> int:
        given = payload.get("update_id")
        if isinstance(given, int) and not isinstance(given, bool):
            update_id = given
            self.next_id = max(self.next_id, given + 1)
        else:
            update_id = self.next_id
            self.next_id += 1
        full = {"update_id": update_id, **{k: v for k, v in payload.items() if k != "update_id"}}
        self.log[update_id] = full
        if withheld:
            self.dropped.add(update_id)
        else:
            self.pending.append(QueuedUpdate(update_id, full))
            self.changed.notify()
        return update_id

    def replay(self, update_id: int) -> None:
        if update_id not in self.log:
            raise KeyError(f"unknown update_id {update_id}")
        self.pending.append(QueuedUpdate(update_id, self.log[update_id], replay=True))
        self.changed.notify()

    def is_allowed(self, payload: JSONDict) -> bool:
        kind = update_type(payload)
        if self.allowed:
            return kind in self.allowed
        return kind not in OPT_IN_UPDATE_TYPES

    def _finish(self, entry: QueuedUpdate, delivered: bool) -> None:
        if delivered:
            self.delivered.add(entry.update_id)
            self.dropped.discard(entry.update_id)
        elif entry.update_id not in self.delivered:
            self.dropped.add(entry.update_id)
        self.settled.notify()

    def confirm(self, offset: int) -> None:
        keep: list[QueuedUpdate] = []
        survivors: set[int] = set()
        if offset < 0:
            # Negative offsets keep only the last -offset updates, forgetting the rest.
            normal = [e for e in self.pending if not e.replay]
            survivors = {id(e) for e in normal[offset:]}
        for entry in self.pending:
            if entry.replay:
                if entry.handed_out:
                    self._finish(entry, True)
                else:
                    keep.append(entry)
            elif (offset < 0 and id(entry) not in survivors) or (
                offset > 0 and entry.update_id < offset
            ):
                self._finish(entry, entry.handed_out)
            else:
                keep.append(entry)
        self.pending = keep

    def take(self, limit: int) -> list[QueuedUpdate]:
        self._drop_disallowed()
        # Replays go first: PTB sets its next offset from the last update of a batch, and a
        # replayed (old) id at the end would move it backwards.
        ordered = [e for e in self.pending if e.replay] + [e for e in self.pending if not e.replay]
        batch = ordered[:limit]
        for entry in batch:
            entry.handed_out = True
        return batch

    def peek(self) -> QueuedUpdate | None:
        self._drop_disallowed()
        return self.pending[0] if self.pending else None

    def ack(self, entry: QueuedUpdate, delivered: bool = True) -> None:
        if entry in self.pending:
            self.pending.remove(entry)
        self._finish(entry, delivered)

    def drop_all(self) -> None:
        for entry in self.pending:
            self._finish(entry, False)
        self.pending = []

    def _drop_disallowed(self) -> None:
        keep = []
        for entry in self.pending:
            if self.is_allowed(entry.payload):
                keep.append(entry)
            else:
                self._finish(entry, False)
        self.pending = keep


@dataclass
class WebhookConfig:
    url: str
    secret_token: str | None = None
    max_connections: int = 40
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class CallbackRecord:
    callback_id: str
    update_id: int
    chat_id: int | None
    message_id: int | None
    answer: JSONDict | None = None


@dataclass
class PollRecord:
    chat_id: int
    message_id: int
    votes: dict[int, list[int]] = field(default_factory=dict)


_FILE_FOLDERS = {
    "document": "documents",
    "photo": "photos",
    "audio": "music",
    "video": "videos",
    "animation": "animations",
    "voice": "voice",
    "video_note": "video_notes",
    "sticker": "stickers",
}


def image_size(content: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG, GIF or JPEG image, read from its header."""
    if content.startswith(b"\x89PNG\r\n\x1a\n") and len(content) >= 24:
        width, height = struct.unpack(">II", content[16:24])
        return int(width), int(height)
    if content[:6] in (b"GIF87a", b"GIF89a") and len(content) >= 10:
        width, height = struct.unpack("<HH", content[6:10])
        return int(width), int(height)
    if content.startswith(b"\xff\xd8"):
        i = 2
        while i + 9 < len(content):
            if content[i] != 0xFF:
                i += 1
                continue
            marker = content[i + 1]
            if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD):
                height, width = struct.unpack(">HH", content[i + 5 : i + 9])
                return int(width), int(height)
            (length,) = struct.unpack(">H", content[i + 2 : i + 4])
            i += 2 + int(length)
    return None


class World:
    def __init__(
        self,
        bot: EmuUser,
        *,
        strict_private_chats: bool = False,
        privacy_mode: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.bot = bot
        self.strict_private_chats = strict_private_chats
        self.privacy_mode = privacy_mode
        self.clock = clock
        self.users: dict[int, EmuUser] = {}
        self.chats: dict[int, EmuChat] = {}
        self.opened: set[int] = set()
        self.blocked: set[int] = set()
        self.members: dict[int, dict[int, str]] = {}
        self.bot_status: dict[int, str] = {}
        self.histories: dict[int, list[SentMessage]] = {}
        self._next_message_id: dict[int, int] = {}
        self.files: dict[str, StoredFile] = {}
        self.files_by_path: dict[str, StoredFile] = {}
        self.commands: dict[tuple[str, str], list[JSONDict]] = {}
        self.callbacks: dict[str, CallbackRecord] = {}
        self.callback_by_update: dict[int, str] = {}
        self.polls: dict[str, PollRecord] = {}
        self.settings: dict[str, Any] = {}
        self.webhook: WebhookConfig | None = None
        self.updates = UpdateQueue()
        self.messages_changed = Notifier()
        self.seq = 0
        self._counter = 0

    # -- identifiers -------------------------------------------------------------------

    def next_counter(self) -> int:
        self._counter += 1
        return self._counter

    def now(self) -> int:
        return int(self.clock())

    # -- users and chats ---------------------------------------------------------------

    def add_user(self, user: EmuUser) -> EmuUser:
        existing = self.users.get(user.id)
        if existing is not None:
            for name in ("first_name", "last_name", "username", "language_code"):
                value = getattr(user, name)
                if value is not None:
                    setattr(existing, name, value)
            return existing
        self.users[user.id] = user
        self.chats.setdefault(
            user.id,
            EmuChat(
                id=user.id,
                type=PRIVATE,
                username=user.username,
                first_name=user.first_name,
                last_name=user.last_name,
            ),
        )
        return user

    def add_chat(self, chat: EmuChat, bot_status: str = "member") -> EmuChat:
        existing = self.chats.get(chat.id)
        if existing is not None:
            if chat.title is not None:
                existing.title = chat.title
            return existing
        self.chats[chat.id] = chat
        if not chat.is_private:
            self.bot_status.setdefault(chat.id, bot_status)
        return chat

    def private_chat(self, user: EmuUser) -> EmuChat:
        self.add_user(user)
        return self.chats[user.id]

    def set_member(self, chat_id: int, user_id: int, status: str) -> None:
        if status not in MEMBER_STATUSES:
            raise ValueError(f"unknown member status {status!r}")
        if user_id == self.bot.id:
            self.bot_status[chat_id] = status
        else:
            self.members.setdefault(chat_id, {})[user_id] = status

    def member_status(self, chat_id: int, user_id: int) -> str | None:
        chat = self.chats.get(chat_id)
        if user_id == self.bot.id:
            return "member" if chat and chat.is_private else self.bot_status.get(chat_id, "left")
        if chat is not None and chat.is_private:
            return "member" if user_id == chat.id else None
        status = self.members.get(chat_id, {}).get(user_id)
        if status is None and user_id in self.users:
            return "left"
        return status

    def resolve_chat(self, ref: int | str) -> EmuChat:
        if isinstance(ref, int):
            chat = self.chats.get(ref)
        else:
            wanted = ref.lstrip("@").lower()
            chat = next(
                (
                    c
                    for c in self.chats.values()
                    if not c.is_private and c.username and c.username.lower() == wanted
                ),
                None,
            )
        if chat is None:
            raise bad_request(CHAT_NOT_FOUND)
        return chat

    def check_can_send(self, chat: EmuChat) -> None:
        """Raise the 403 Telegram answers when the bot may not write into ``chat``."""
        if chat.is_private:
            if chat.id in self.blocked:
                raise forbidden(BLOCKED)
            if chat.id not in self.opened:
                raise forbidden(CANT_INITIATE)
            return
        status = self.bot_status.get(chat.id, "member")
        kind = chat.type if chat.type != SUPERGROUP else "supergroup"
        if status == "kicked":
            raise forbidden(f"bot was kicked from the {kind} chat")
        if status == "left":
            raise forbidden(f"bot is not a member of the {kind} chat")

    def bot_is_admin(self, chat: EmuChat) -> bool:
        return chat.is_private or self.bot_status.get(chat.id) in ("administrator", "creator")

    def note_user_activity(self, user: EmuUser, chat: EmuChat) -> None:
        """Record what sending an update tells the server about a user."""
        if chat.is_private or not self.strict_private_chats:
            self.opened.add(user.id)
        if chat.is_private:
            self.blocked.discard(user.id)
        elif self.members.get(chat.id, {}).get(user.id) in (None, "left"):
            self.members.setdefault(chat.id, {})[user.id] = "member"

    # -- messages ----------------------------------------------------------------------

    def allocate_message_id(self, chat_id: int) -> int:
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        return message_id

    def reserve_message_id(self, chat_id: int, message_id: int) -> None:
        self._next_message_id[chat_id] = max(self._next_message_id.get(chat_id, 1), message_id + 1)

    def touch(self, message: SentMessage) -> None:
        self.seq += 1
        message.version = self.seq
        self.messages_changed.notify()

    def new_message(
        self,
        chat: EmuChat,
        *,
        sender: EmuUser,
        kind: str = "text",
        text: str | None = None,
        entities: list[JSONDict] | None = None,
        reply_markup: JSONDict | None = None,
        extra: JSONDict | None = None,
        reply_to: SentMessage | None = None,
        stored: StoredFile | None = None,
        poll: JSONDict | None = None,
        media_group_id: str | None = None,
    ) -> SentMessage:
        from_bot = sender.id == self.bot.id
        message = SentMessage(
            chat_id=chat.id,
            message_id=self.allocate_message_id(chat.id),
            text=text,
            from_bot=from_bot,
            sender_id=sender.id,
            kind=kind,
            entities=list(entities or []),
            date=self.now(),
            reply_to_message_id=reply_to.message_id if reply_to else None,
            poll=poll,
            media_group_id=media_group_id,
        )
        if stored is not None:
            message.file_id = stored.file_id
            message.content = stored.content
            message.photo = kind == "photo"
            if kind != "photo":
                message.document = {
                    "file_name": stored.file_name,
                    "mime_type": stored.mime_type,
                    "file_size": stored.file_size,
                    "file_id": stored.file_id,
                }
        raw: JSONDict = {
            "message_id": message.message_id,
            "date": message.date,
            "chat": chat.to_api(),
            "from": sender.to_api(),
        }
        if reply_to is not None:
            raw["reply_to_message"] = {
                k: v for k, v in reply_to.raw.items() if k != "reply_to_message"
            }
        if media_group_id:
            raw["media_group_id"] = media_group_id
        raw.update(extra or {})
        message.raw = raw
        self._sync_text(message)
        self.set_markup(message, reply_markup)
        self.histories.setdefault(chat.id, []).append(message)
        self.touch(message)
        return message

    def record_user_message(self, chat: EmuChat, raw: JSONDict) -> SentMessage:
        """Put a message that arrives in an update into the chat history."""
        sender = raw.get("from") or {}
        text = raw.get("text", raw.get("caption"))
        document = raw.get("document")
        message = SentMessage(
            chat_id=chat.id,
            message_id=int(raw["message_id"]),
            text=text if isinstance(text, str) else None,
            from_bot=False,
            sender_id=sender.get("id") if isinstance(sender, dict) else None,
            kind=_message_kind(raw),
            entities=list(raw.get("entities") or raw.get("caption_entities") or []),
            date=int(raw.get("date") or self.now()),
            document=dict(document) if isinstance(document, dict) else None,
            photo="photo" in raw,
            raw=raw,
        )
        reply = raw.get("reply_to_message")
        if isinstance(reply, dict) and isinstance(reply.get("message_id"), int):
            message.reply_to_message_id = reply["message_id"]
        file_obj = document or (raw["photo"][-1] if raw.get("photo") else None)
        if isinstance(file_obj, dict) and file_obj.get("file_id") in self.files:
            stored = self.files[file_obj["file_id"]]
            message.file_id = stored.file_id
            message.content = stored.content
        self.reserve_message_id(chat.id, message.message_id)
        self.histories.setdefault(chat.id, []).append(message)
        self.touch(message)
        return message

    def _sync_text(self, message: SentMessage) -> None:
        raw = message.raw
        key, entities_key = (
            ("text", "entities")
            if message.kind == "text"
            else (
                "caption",
                "caption_entities",
            )
        )
        if message.kind == "poll":
            return
        if message.text is None:
            raw.pop(key, None)
        else:
            raw[key] = message.text
        if message.entities:
            raw[entities_key] = message.entities
        else:
            raw.pop(entities_key, None)

    def set_text(self, message: SentMessage, text: str | None, entities: list[JSONDict]) -> None:
        message.text = text
        message.entities = list(entities)
        self._sync_text(message)

    def set_markup(self, message: SentMessage, markup: JSONDict | None) -> None:
        message.reply_markup = markup
        # Only inline keyboards belong to a message; reply keyboards are chat state that the
        # Bot API never echoes back.
        if markup and "inline_keyboard" in markup:
            message.raw["reply_markup"] = markup
        else:
            message.raw.pop("reply_markup", None)

    def mark_edited(self, message: SentMessage) -> None:
        message.edits += 1
        message.raw["edit_date"] = self.now()
        self.touch(message)

    def find_message(self, chat_id: int, message_id: int) -> SentMessage | None:
        for message in reversed(self.histories.get(chat_id, [])):
            if message.message_id == message_id:
                return message
        return None

    def bot_messages(self, chat_id: int) -> list[SentMessage]:
        return [m for m in self.histories.get(chat_id, []) if m.from_bot]

    # -- files -------------------------------------------------------------------------

    def store_file(
        self,
        content: bytes | None,
        *,
        kind: str,
        file_name: str | None = None,
        mime_type: str | None = None,
        url: str | None = None,
    ) -> StoredFile:
        n = self.next_counter()
        if mime_type is None and file_name:
            mime_type = mimetypes.guess_type(file_name)[0]
        if kind == "photo":
            extension = ".jpg"
        else:
            extension = ""
            if file_name and "." in file_name:
                extension = "." + file_name.rsplit(".", 1)[1]
            elif mime_type:
                extension = mimetypes.guess_extension(mime_type) or ""
        folder = _FILE_FOLDERS.get(kind, "documents")
        stored = StoredFile(
            file_id=f"EMU{kind[:3].upper()}{n:06d}{secrets.token_hex(6)}",
            file_unique_id=f"EMUU{n:06d}",
            file_path=f"{folder}/file_{n}{extension}",
            content=content,
            file_name=file_name,
            mime_type=mime_type,
            kind=kind,
            url=url,
        )
        if kind == "photo":
            size = image_size(content or b"")
            stored.width, stored.height = size if size else (320, 320)
        self.files[stored.file_id] = stored
        self.files_by_path[stored.file_path] = stored
        return stored

    def file_api(self, stored: StoredFile, kind: str | None = None) -> Any:
        """The Bot API object (Document, PhotoSize list, Audio, ...) describing a file."""
        kind = kind or stored.kind
        base: JSONDict = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id}
        if stored.file_size is not None:
            base["file_size"] = stored.file_size
        if kind == "photo":
            return [{**base, "width": stored.width or 320, "height": stored.height or 320}]
        described = dict(base)
        if stored.file_name:
            described["file_name"] = stored.file_name
        if stored.mime_type:
            described["mime_type"] = stored.mime_type
        if kind in ("audio", "voice"):
            described["duration"] = 0
        if kind in ("video", "animation", "video_note"):
            described.update({"duration": 0, "width": 0, "height": 0})
        if kind == "video_note":
            described = {**base, "duration": 0, "length": 0}
        return described

    # -- commands ----------------------------------------------------------------------

    @staticmethod
    def scope_key(scope: Any) -> str:
        if not isinstance(scope, dict) or not scope:
            scope = {"type": "default"}
        normalized = dict(scope)
        for key in ("chat_id", "user_id"):
            value = normalized.get(key)
            if isinstance(value, str) and value.lstrip("-").isdigit():
                normalized[key] = int(value)
        return json.dumps(normalized, sort_keys=True, separators=(",", ":"))

    # -- callbacks and polls -----------------------------------------------------------

    def new_callback_id(self) -> str:
        return str(4_000_000_000_000_000_000 + self.next_counter())

    def chat_instance(self, chat_id: int) -> str:
        # Stable per chat, like Telegram's, so handlers can use it as a cache key.
        return str(7_000_000_000_000_000 + abs(chat_id))


def _message_kind(raw: JSONDict) -> str:
    for kind in ("text", *FILE_KINDS, "poll", "location", "contact"):
        if kind in raw:
            return "animation" if kind == "document" and "animation" in raw else kind
    return "other"
