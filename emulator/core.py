"""BotApiEmulator: the public facade tests, benchmarks and demos drive."""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Callable, Iterable
from typing import Any

from .faults import FaultKind, FaultPlan, RateLimiter
from .formatting import command_entity
from .methods import BotApi, member_api
from .models import (
    CHANNEL,
    GROUP,
    PRIVATE,
    SUPERGROUP,
    ApiCall,
    EmuChat,
    EmuUser,
    JSONDict,
    SentMessage,
)
from .server import EmulatorServer
from .state import CallbackRecord, Notifier, World, update_type
from .webhook import WebhookAttempt, WebhookDeliverer

ChatRef = int | EmuChat | EmuUser

_MESSAGE_UPDATES = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_message",
    "edited_business_message",
)


def _chat_id(chat: ChatRef) -> int:
    return chat if isinstance(chat, int) else chat.id


class BotApiEmulator:
    """A local, in-process Telegram Bot API server for one bot.

    Run it in the same event loop as the bot under test and point PTB at ``base_url`` and
    ``base_file_url``. The emulator is not thread-safe: drive it from that loop.

    Timestamps in ``ApiCall.at`` come from ``clock`` (``time.monotonic`` by default), which
    is also the clock of the rate limiter; message ``date`` fields use wall-clock time.
    """

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        bot_username: str = "chibo_test_bot",
        bot_first_name: str = "Chibo",
        *,
        strict_private_chats: bool = False,
        privacy_mode: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        bot_id, sep, _ = token.partition(":")
        if not sep or not bot_id.isdigit():
            raise ValueError("token must look like '<bot id>:<secret>'")
        self.token = token
        self.clock = clock
        self.bot = EmuUser(int(bot_id), bot_first_name, username=bot_username, is_bot=True)
        self.world = World(
            self.bot, strict_private_chats=strict_private_chats, privacy_mode=privacy_mode
        )
        self.api = BotApi(self.world)
        self.faults = FaultPlan()
        self.limiter = RateLimiter()
        #: Seconds added before every API call and file download is handled.
        self.latency = 0.0
        #: How late a call injected with fail_next(kind="timeout") is answered.
        self.timeout_delay = 10.0
        self.webhook_max_attempts = 3
        self.webhook_retry_delay = 0.05
        #: Number of 429 answers sent, injected or caused by rate_limit().
        self.http_429_count = 0
        self._calls: list[ApiCall] = []
        self._calls_changed = Notifier()
        self._last_activity: float | None = None
        self._server = EmulatorServer(self)
        self._webhook = WebhookDeliverer(
            self.world,
            max_attempts=lambda: self.webhook_max_attempts,
            retry_delay=lambda: self.webhook_retry_delay,
            clock=self.clock,
        )
        self._started = False

    # -- lifecycle ---------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Start serving; ``port=0`` picks a free port."""
        if self._started:
            raise RuntimeError("emulator already started")
        self.api.closing = False
        await self._server.start(host, port)
        self._webhook.start()
        self._started = True

    async def stop(self) -> None:
        """Stop serving. Stop the bot's polling first, or it will log connection errors."""
        if not self._started:
            return
        self.api.shutdown()
        await self._webhook.stop()
        await self._server.stop()
        self._started = False

    async def __aenter__(self) -> BotApiEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """Root URL of the server, e.g. ``http://127.0.0.1:8081``."""
        if not self._started:
            raise RuntimeError("emulator not started")
        return f"http://{self._server.host}:{self._server.port}"

    @property
    def port(self) -> int:
        return self._server.port

    @property
    def base_url(self) -> str:
        """Value for ``ApplicationBuilder().base_url(...)``; PTB appends the token."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """Value for ``ApplicationBuilder().base_file_url(...)``."""
        return f"{self.url}/file/bot"

    @property
    def bot_id(self) -> int:
        return self.bot.id

    # -- the world ---------------------------------------------------------------------

    def user(
        self,
        user_id: int,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> EmuUser:
        """Register a user (idempotent: the same id returns the same, updated object)."""
        return self.world.add_user(
            EmuUser(
                user_id,
                first_name,
                last_name=last_name,
                username=username,
                language_code=language_code,
            )
        )

    def group(
        self,
        chat_id: int,
        title: str,
        *,
        type: str = SUPERGROUP,
        username: str | None = None,
        bot_status: str = "member",
        members: Iterable[EmuUser] = (),
        admins: Iterable[EmuUser] = (),
        creator: EmuUser | None = None,
    ) -> EmuChat:
        """Register a group the bot is in (as ``bot_status``; "administrator" to pin etc.)."""
        if chat_id >= 0:
            raise ValueError("group and channel ids are negative in the Bot API")
        if type not in (GROUP, SUPERGROUP, CHANNEL):
            raise ValueError(f"unsupported chat type {type!r}")
        chat = self.world.add_chat(
            EmuChat(chat_id, type, title=title, username=username), bot_status=bot_status
        )
        for user, status in (
            *((m, "member") for m in members),
            *((a, "administrator") for a in admins),
            *(((creator, "creator"),) if creator else ()),
        ):
            self.world.add_user(user)
            self.world.set_member(chat.id, user.id, status)
        return chat

    def private_chat(self, user: EmuUser) -> EmuChat:
        return self.world.private_chat(user)

    def chat(self, chat_id: int) -> EmuChat | None:
        return self.world.chats.get(chat_id)

    def set_member(self, chat: ChatRef, user: EmuUser, status: str) -> None:
        """Set a user's (or ``emu.bot``'s) status in a group: creator, administrator, ..."""
        if user.id != self.bot.id:
            self.world.add_user(user)
        self.world.set_member(_chat_id(chat), user.id, status)

    def open_private_chat(self, user: EmuUser) -> None:
        """Let the bot write to ``user`` as if they had pressed Start, without an update."""
        self.world.add_user(user)
        self.world.opened.add(user.id)

    def block(self, user: EmuUser, *, notify: bool = False) -> int | None:
        """Make sends to ``user`` fail with 403 "bot was blocked by the user".

        With ``notify`` the bot also receives the my_chat_member update Telegram sends.
        """
        self.world.add_user(user)
        self.world.blocked.add(user.id)
        if notify:
            return self._push_my_chat_member(self.private_chat(user), user, "member", "kicked")
        return None

    def unblock(self, user: EmuUser, *, notify: bool = False) -> int | None:
        self.world.blocked.discard(user.id)
        if notify:
            self.world.opened.add(user.id)
            return self._push_my_chat_member(self.private_chat(user), user, "kicked", "member")
        return None

    def add_bot(self, chat: EmuChat, by: EmuUser, status: str = "member") -> int:
        """``by`` adds the bot to ``chat``: sets its status and sends my_chat_member."""
        self.world.add_chat(chat)
        old = self.world.bot_status.get(chat.id, "left")
        self.world.bot_status[chat.id] = status
        return self._push_my_chat_member(chat, by, old, status)

    def remove_bot(self, chat: EmuChat, by: EmuUser, *, kicked: bool = True) -> int:
        """``by`` removes the bot; later sends to the chat answer 403."""
        old = self.world.bot_status.get(chat.id, "member")
        new = "kicked" if kicked else "left"
        self.world.bot_status[chat.id] = new
        return self._push_my_chat_member(chat, by, old, new)

    def _push_my_chat_member(self, chat: EmuChat, by: EmuUser, old: str, new: str) -> int:
        bot = self.bot.to_api()
        return self.world.updates.push(
            {
                "my_chat_member": {
                    "chat": chat.to_api(),
                    "from": by.to_api(),
                    "date": self.world.now(),
                    "old_chat_member": member_api(bot, old),
                    "new_chat_member": member_api(bot, new),
                }
            }
        )

    # -- user actions (each returns the update_id) -------------------------------------

    def _chat_for(self, user: EmuUser, chat: EmuChat | None) -> EmuChat:
        self.world.add_user(user)
        if chat is None:
            return self.world.private_chat(user)
        return self.world.add_chat(chat)

    def _user_message(self, user: EmuUser, chat: EmuChat, fields: JSONDict) -> JSONDict:
        raw: JSONDict = {
            "message_id": self.world.allocate_message_id(chat.id),
            "date": self.world.now(),
            "chat": chat.to_api(),
            "from": user.to_api(),
            **fields,
        }
        self.world.note_user_activity(user, chat)
        self.world.record_user_message(chat, raw)
        return raw

    def send_text(
        self,
        user: EmuUser,
        text: str,
        *,
        chat: EmuChat | None = None,
        reply_to: SentMessage | int | None = None,
        entities: list[JSONDict] | None = None,
    ) -> int:
        """``user`` writes ``text`` (to the bot's private chat unless ``chat`` is given).

        A leading "/command" gets its bot_command entity as Telegram clients add it.
        """
        target = self._chat_for(user, chat)
        fields: JSONDict = {"text": text}
        found_entities = command_entity(text) if entities is None else entities
        if found_entities:
            fields["entities"] = found_entities
        replied: SentMessage | None = None
        if reply_to is not None:
            replied = (
                reply_to
                if isinstance(reply_to, SentMessage)
                else self.world.find_message(target.id, reply_to)
            )
            if replied is None:
                raise LookupError(f"no message {reply_to} in chat {target.id}")
            fields["reply_to_message"] = {
                k: v for k, v in replied.raw.items() if k != "reply_to_message"
            }
        raw = self._user_message(user, target, fields)
        # Privacy mode: in groups a bot only hears commands, replies to it and mentions.
        unheard = (
            self.world.privacy_mode
            and target.is_group
            and not text.startswith("/")
            and not (replied is not None and replied.from_bot)
            and f"@{self.bot.username}".lower() not in text.lower()
        )
        return self.world.updates.push(
            {"message": raw}, withheld=unheard or not self._bot_present(target)
        )

    def _bot_present(self, chat: EmuChat) -> bool:
        """Telegram sends a bot nothing from groups it has left or was removed from."""
        return chat.is_private or self.world.bot_status.get(chat.id) not in ("left", "kicked")

    def send_document(
        self,
        user: EmuUser,
        file_name: str,
        content: bytes,
        mime_type: str = "application/octet-stream",
        caption: str | None = None,
        chat: EmuChat | None = None,
    ) -> int:
        """``user`` sends a file; the bot can getFile and download it."""
        return self._send_file(
            user, chat, "document", content, caption, file_name=file_name, mime_type=mime_type
        )

    def send_photo(
        self,
        user: EmuUser,
        content: bytes,
        *,
        caption: str | None = None,
        chat: EmuChat | None = None,
    ) -> int:
        return self._send_file(user, chat, "photo", content, caption, mime_type="image/jpeg")

    def _send_file(
        self,
        user: EmuUser,
        chat: EmuChat | None,
        kind: str,
        content: bytes,
        caption: str | None,
        **stored_as: Any,
    ) -> int:
        target = self._chat_for(user, chat)
        stored = self.world.store_file(content, kind=kind, **stored_as)
        fields: JSONDict = {kind: self.world.file_api(stored, kind)}
        if caption:
            fields["caption"] = caption
        raw = self._user_message(user, target, fields)
        return self.world.updates.push({"message": raw}, withheld=not self._bot_present(target))

    def press_button(
        self,
        user: EmuUser,
        message: SentMessage,
        text: str | None = None,
        *,
        callback_data: str | None = None,
    ) -> int:
        """``user`` presses an inline button (by its text or callback_data) on ``message``.

        Raises LookupError when the message is gone or has no such callback button.
        """
        callback_id, chat_id, callback_query = self._callback_query(
            user, message, text, callback_data
        )
        update_id = self.world.updates.push({"callback_query": callback_query})
        self._remember_callback(callback_id, update_id, chat_id, message.message_id)
        return update_id

    def webhook_press(
        self,
        user: EmuUser,
        message: SentMessage,
        update_id: int,
        text: str | None = None,
        *,
        callback_data: str | None = None,
    ) -> JSONDict:
        """The update Telegram would post to a webhook, with ``update_id``, for ``user``
        pressing the button on ``message``: not queued for getUpdates, but answerable."""
        callback_id, chat_id, callback_query = self._callback_query(
            user, message, text, callback_data
        )
        self._remember_callback(callback_id, update_id, chat_id, message.message_id)
        return {"update_id": update_id, "callback_query": callback_query}

    def _callback_query(
        self, user: EmuUser, message: SentMessage, text: str | None, callback_data: str | None
    ) -> tuple[str, int, JSONDict]:
        """A press's callback query, its id and the chat it is in."""
        if text is None and callback_data is None:
            raise ValueError("give the button text or callback_data")
        if message.deleted:
            raise LookupError(f"message {message.message_id} was deleted")
        button = message.find_button(text, callback_data)
        data = button.get("callback_data")
        if not isinstance(data, str):
            raise LookupError(f"button {button.get('text')!r} is not a callback button")
        chat = self._chat_for(user, self.world.chats.get(message.chat_id))
        self.world.note_user_activity(user, chat)
        callback_id = self.world.new_callback_id()
        return (
            callback_id,
            chat.id,
            {
                "id": callback_id,
                "from": user.to_api(),
                # A snapshot: the bot sees the message as it was when pressed.
                "message": copy.deepcopy(message.raw),
                "chat_instance": self.world.chat_instance(chat.id),
                "data": data,
            },
        )

    def _remember_callback(
        self, callback_id: str, update_id: int, chat_id: int | None, message_id: int | None
    ) -> None:
        self.world.callbacks[callback_id] = CallbackRecord(
            callback_id, update_id, chat_id, message_id
        )
        self.world.callback_by_update[update_id] = callback_id

    def vote(self, user: EmuUser, message: SentMessage, option_ids: list[int]) -> int:
        """``user`` votes in a poll the bot sent.

        Non-anonymous polls yield a poll_answer update, anonymous ones a poll update.
        """
        poll = message.poll
        if poll is None:
            raise LookupError(f"message {message.message_id} has no poll")
        if poll["is_closed"]:
            raise ValueError("the poll is closed")
        record = self.world.polls[poll["id"]]
        record.votes[user.id] = list(option_ids)
        for index, option in enumerate(poll["options"]):
            option["voter_count"] = sum(index in v for v in record.votes.values())
        poll["total_voter_count"] = sum(1 for v in record.votes.values() if v)
        self.world.touch(message)
        if poll["is_anonymous"]:
            return self.world.updates.push({"poll": copy.deepcopy(poll)})
        return self.world.updates.push(
            {
                "poll_answer": {
                    "poll_id": poll["id"],
                    "user": user.to_api(),
                    "option_ids": list(option_ids),
                    "option_persistent_ids": [str(i) for i in option_ids],
                }
            }
        )

    def inject_update(self, update: JSONDict) -> int:
        """Queue a raw update; update_id, message_id and date are filled in when missing.

        Users and chats found in it are registered, and messages join the chat history.
        """
        payload = copy.deepcopy(update)
        kind = update_type(payload)
        body = payload.get(kind)
        if not isinstance(body, dict):
            return self.world.updates.push(payload)
        sender_data = body.get("from") or body.get("user")
        user = (
            self.world.add_user(EmuUser.from_api(sender_data))
            if isinstance(sender_data, dict) and "id" in sender_data
            else None
        )
        if kind in _MESSAGE_UPDATES:
            self._absorb_message(kind, body, user)
        elif kind == "callback_query":
            message = body.get("message")
            chat = self._absorb_chat(message.get("chat")) if isinstance(message, dict) else None
            if user is not None:
                self.world.note_user_activity(user, chat or self.world.private_chat(user))
            body.setdefault("id", self.world.new_callback_id())
            body.setdefault("chat_instance", self.world.chat_instance(chat.id if chat else 0))
            update_id = self.world.updates.push(payload)
            self._remember_callback(
                str(body["id"]),
                update_id,
                chat.id if chat else None,
                message.get("message_id") if isinstance(message, dict) else None,
            )
            return update_id
        elif kind in ("my_chat_member", "chat_member"):
            self._absorb_member_update(kind, body, user)
        return self.world.updates.push(payload)

    def _absorb_chat(self, data: Any) -> EmuChat | None:
        if not isinstance(data, dict) or "id" not in data:
            return None
        chat_id = int(data["id"])
        existing = self.world.chats.get(chat_id)
        if existing is not None:
            return existing
        chat_type = str(data.get("type") or (PRIVATE if chat_id > 0 else SUPERGROUP))
        return self.world.add_chat(
            EmuChat(
                chat_id,
                chat_type,
                title=data.get("title"),
                username=data.get("username"),
                first_name=data.get("first_name"),
                last_name=data.get("last_name"),
            )
        )

    def _absorb_message(self, kind: str, body: JSONDict, user: EmuUser | None) -> None:
        chat = self._absorb_chat(body.get("chat"))
        if chat is None:
            if user is None:
                return
            chat = self.world.private_chat(user)
            body["chat"] = chat.to_api()
        body.setdefault("date", self.world.now())
        if user is not None:
            self.world.note_user_activity(user, chat)
        if kind.startswith("edited_"):
            existing = self.world.find_message(chat.id, int(body.get("message_id", 0)))
            if existing is not None:
                text = body.get("text", body.get("caption"))
                self.world.set_text(
                    existing, text if isinstance(text, str) else None, body.get("entities") or []
                )
                self.world.mark_edited(existing)
            return
        if "message_id" not in body:
            body["message_id"] = self.world.allocate_message_id(chat.id)
        if self.world.find_message(chat.id, int(body["message_id"])) is None:
            self.world.record_user_message(chat, body)

    def _absorb_member_update(self, kind: str, body: JSONDict, user: EmuUser | None) -> None:
        chat = self._absorb_chat(body.get("chat"))
        new = body.get("new_chat_member")
        if chat is None or not isinstance(new, dict):
            return
        status = str(new.get("status", ""))
        member = new.get("user") or {}
        member_id = member.get("id") if isinstance(member, dict) else None
        if kind == "my_chat_member":
            if chat.is_private:
                if status == "kicked":
                    self.world.blocked.add(chat.id)
                elif status == "member":
                    self.world.blocked.discard(chat.id)
                    self.world.opened.add(chat.id)
            elif status:
                self.world.bot_status[chat.id] = status
        elif isinstance(member_id, int) and status:
            if isinstance(member, dict):
                self.world.add_user(EmuUser.from_api(member))
            self.world.set_member(chat.id, member_id, status)

    def replay(self, update_id: int) -> int:
        """Deliver an already-queued update again, with the same update_id."""
        self.world.updates.replay(update_id)
        return update_id

    # -- inspection --------------------------------------------------------------------

    def _record(self, call: ApiCall) -> None:
        self._calls.append(call)
        if call.method != "getUpdates":
            self._last_activity = self.clock()
        self._calls_changed.notify()

    def calls(self, method: str | None = None) -> list[ApiCall]:
        """Recorded API calls, oldest first; ``method`` filters case-insensitively."""
        if method is None:
            return list(self._calls)
        wanted = method.lower()
        return [c for c in self._calls if c.method.lower() == wanted]

    def clear_calls(self) -> None:
        self._calls.clear()

    def messages(self, chat: ChatRef, *, include_deleted: bool = True) -> list[SentMessage]:
        """The bot's messages in a chat, in sending order (live objects, updated on edits).

        Deleted messages stay in the list flagged ``deleted`` so indices remain stable.
        """
        found = self.world.bot_messages(_chat_id(chat))
        return found if include_deleted else [m for m in found if not m.deleted]

    def history(self, chat: ChatRef) -> list[SentMessage]:
        """Every message in the chat, the users' included."""
        return list(self.world.histories.get(_chat_id(chat), []))

    def last_message(self, chat: ChatRef) -> SentMessage | None:
        """The bot's most recent message in the chat that is still visible."""
        for message in reversed(self.world.bot_messages(_chat_id(chat))):
            if not message.deleted:
                return message
        return None

    def message(self, chat: ChatRef, message_id: int) -> SentMessage | None:
        return self.world.find_message(_chat_id(chat), message_id)

    def message_count(self, chat: ChatRef) -> int:
        """Number of bot messages ever sent to the chat; pass it as ``after`` later."""
        return len(self.world.bot_messages(_chat_id(chat)))

    def mark(self) -> int:
        """A change counter; ``wait_for_message(since=mark)`` sees only later changes."""
        return self.world.seq

    def callback_answer(self, update_id_or_callback_id: int | str) -> JSONDict | None:
        """How the bot answered a callback query (text, show_alert, url, cache_time)."""
        key = update_id_or_callback_id
        callback_id = self.world.callback_by_update.get(key) if isinstance(key, int) else key
        record = self.world.callbacks.get(str(callback_id)) if callback_id is not None else None
        return dict(record.answer) if record and record.answer is not None else None

    def commands(self, scope: JSONDict | None = None, language_code: str = "") -> list[JSONDict]:
        """The command list set for exactly this scope and language (no fallback)."""
        key = (self.world.scope_key(scope), language_code)
        return [dict(c) for c in self.world.commands.get(key, [])]

    def delivered(self, update_id: int) -> bool:
        """Whether the bot confirmed the update (next getUpdates offset, or webhook 2xx)."""
        return update_id in self.world.updates.delivered

    def update(self, update_id: int) -> JSONDict:
        return copy.deepcopy(self.world.updates.log[update_id])

    def pending_updates(self) -> list[JSONDict]:
        return [copy.deepcopy(e.payload) for e in self.world.updates.pending]

    def file_content(self, file_id: str) -> bytes | None:
        stored = self.world.files.get(file_id)
        return stored.content if stored else None

    @property
    def polls_waiting(self) -> int:
        """How many getUpdates long polls are parked waiting for updates right now."""
        return self.api.polls_waiting

    @property
    def webhook_url(self) -> str | None:
        return self.world.webhook.url if self.world.webhook else None

    @property
    def webhook_attempts(self) -> list[WebhookAttempt]:
        return list(self._webhook.attempts)

    # -- faults ------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        kind: FaultKind,
        count: int = 1,
        retry_after: int = 1,
        after: int = 0,
    ) -> None:
        """Make the next ``count`` calls of ``method`` ("*" = any) fail, once ``after`` calls
        of it have gone through.

        429/500/502 answer that error without executing the call; "timeout" executes it
        but answers only after ``timeout_delay``; "drop" closes the connection unexecuted.
        """
        self.faults.add(method, kind, count, retry_after, after)

    def clear_faults(self) -> None:
        self.faults.clear()

    def rate_limit(
        self,
        global_per_second: int | None = 30,
        per_chat_per_second: int | None = None,
        per_group_per_minute: int | None = None,
    ) -> None:
        """Enforce flood limits on message-sending methods; all None disables them."""
        self.limiter = RateLimiter(global_per_second, per_chat_per_second, per_group_per_minute)

    # -- waiting -----------------------------------------------------------------------

    async def wait_for_message(
        self,
        chat: ChatRef,
        predicate: Callable[[SentMessage], bool] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - part of the documented test-facing API
        after: int | None = None,
        since: int | None = None,
    ) -> SentMessage:
        """Wait for a bot message in ``chat`` that is new or edited, and matches ``predicate``.

        "New" means changed after this call started (or after ``since=emu.mark()``); with
        ``after=emu.message_count(chat)`` taken earlier, messages sent since that count
        qualify too even if they arrived before this call. Deleted messages never match.
        Returns the earliest qualifying message in chat order.
        """
        chat_id = _chat_id(chat)
        start = self.world.seq if since is None else since

        def find() -> SentMessage | None:
            for index, message in enumerate(self.world.bot_messages(chat_id)):
                if message.deleted:
                    continue
                fresh = message.version > start or (after is not None and index >= after)
                if fresh and (predicate is None or predicate(message)):
                    return message
            return None

        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            found = find()
            if found is not None:
                return found
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError(self._describe_timeout(chat_id, timeout))
            await self.world.messages_changed.wait(remaining)

    async def wait_for_call(
        self,
        method: str,
        predicate: Callable[[ApiCall], bool] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - part of the documented test-facing API
        after: int | None = None,
    ) -> ApiCall:
        """Wait for an API call of ``method`` made after this call started.

        ``after`` = a previous ``len(emu.calls())`` also accepts calls made since then.
        """
        start = len(self._calls) if after is None else after
        wanted = method.lower()
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            for call in self._calls[start:]:
                if call.method.lower() == wanted and (predicate is None or predicate(call)):
                    return call
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                seen = [f"{c.method}:{c.status}" for c in self._calls[start:]][-10:]
                raise TimeoutError(f"no {method} call within {timeout}s; calls meanwhile: {seen}")
            await self._calls_changed.wait(remaining)

    async def wait_delivered(
        self,
        update_id: int,
        timeout: float = 5.0,  # noqa: ASYNC109 - part of the documented test-facing API
    ) -> None:
        """Wait until the bot has confirmed ``update_id`` (see ``delivered``)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not self.delivered(update_id):
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError(f"update {update_id} not delivered within {timeout}s")
            await self.world.updates.settled.wait(min(remaining, 0.05))

    async def wait_for_poll(
        self,
        timeout: float = 5.0,  # noqa: ASYNC109 - part of the documented test-facing API
    ) -> None:
        """Wait until a getUpdates long poll is parked, i.e. the bot is ready for updates."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not self.api.polls_waiting:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError(f"no getUpdates long poll within {timeout}s")
            await self.api.poll_parked.wait(remaining)

    async def wait_idle(
        self,
        quiet: float = 0.05,
        timeout: float = 5.0,  # noqa: ASYNC109 - part of the documented test-facing API
    ) -> None:
        """Wait until every update was confirmed and no API call happened for ``quiet`` s.

        A heuristic for "the bot has finished reacting"; handlers that stay silent for
        longer than ``quiet`` before calling the API will fool it.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            last = self._last_activity
            idle_for = quiet if last is None else self.clock() - last
            busy = bool(self.world.updates.pending) or self._server.in_flight > 0
            if not busy and idle_for >= quiet:
                return
            if loop.time() >= deadline:
                raise TimeoutError(
                    f"bot not idle after {timeout}s: {len(self.world.updates.pending)} pending "
                    f"updates, {self._server.in_flight} calls in flight"
                )
            await asyncio.sleep(min(quiet / 2, 0.01) if busy else max(quiet - idle_for, 0.001))

    def _describe_timeout(self, chat_id: int, timeout: float) -> str:
        recent = [m.describe() for m in self.world.bot_messages(chat_id)[-5:]]
        failures = [
            f"{c.method} -> {c.status} {(c.response or {}).get('description', '')}".rstrip()
            for c in self._calls
            if c.status != 200 and c.method != "getUpdates"
        ][-5:]
        lines = [
            f"no matching new bot message in chat {chat_id} within {timeout}s",
            f"recent bot messages: {recent or 'none'}",
            f"pending updates: {len(self.world.updates.pending)}",
        ]
        if failures:
            lines.append(f"recent failed calls: {failures}")
        return "; ".join(lines)
