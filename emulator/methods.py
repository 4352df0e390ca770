"""Implementations of the Bot API methods, operating on the emulated world.

Each handler receives decoded parameters and uploaded files and returns the ``result`` of
the Bot API response, or raises ApiError with Telegram's status and wording.
"""

from __future__ import annotations

import asyncio
import inspect
import re
from collections.abc import Callable
from typing import Any

from .errors import NOT_MODIFIED, QUERY_INVALID, ApiError, bad_request
from .formatting import parse_formatted, utf16_len
from .models import EmuChat, JSONDict, SentMessage, StoredFile, Upload
from .params import Params
from .state import PRESENT_STATUSES, Notifier, PollRecord, WebhookConfig, World

Handler = Callable[[Params, dict[str, Upload]], Any]

# Methods that post a message into a chat; Telegram's flood limits apply to these.
SENDING_METHODS = frozenset(
    name.lower()
    for name in (
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendAudio",
        "sendVideo",
        "sendAnimation",
        "sendVoice",
        "sendVideoNote",
        "sendMediaGroup",
        "sendPoll",
        "sendLocation",
        "sendVenue",
        "sendContact",
        "sendDice",
        "sendSticker",
        "forwardMessage",
        "forwardMessages",
        "copyMessage",
        "copyMessages",
    )
)

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_DOWNLOAD = 20 * 1024 * 1024
_MEDIA_KINDS = ("document", "photo", "audio", "video", "animation", "voice", "video_note")
_CONTENT_KEYS = ("text", "entities", "caption", "caption_entities", "poll", *_MEDIA_KINDS)
_BUTTON_ACTIONS = (
    "callback_data",
    "url",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "callback_game",
    "pay",
    "web_app",
    "copy_text",
)
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")
_WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
_POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)


def _check_web_app(web_app: Any, what: str) -> None:
    """A WebAppInfo as Telegram takes it: an HTTPS address (no other opens a Mini App)."""
    url = web_app.get("url") if isinstance(web_app, dict) else None
    if not isinstance(url, str) or not url.startswith("https://") or " " in url:
        raise bad_request(f"{what} '{url}' is invalid: Only HTTPS links are allowed")


def _admin_rights(value: bool) -> JSONDict:
    return {
        "can_be_edited": False,
        "is_anonymous": False,
        "can_manage_chat": value,
        "can_delete_messages": value,
        "can_manage_video_chats": value,
        "can_restrict_members": value,
        "can_promote_members": False,
        "can_change_info": value,
        "can_invite_users": value,
        "can_post_stories": False,
        "can_edit_stories": False,
        "can_delete_stories": False,
        "can_pin_messages": value,
        "can_manage_topics": False,
    }


def member_api(user: JSONDict, status: str) -> JSONDict:
    """A ChatMember object of the given status."""
    member: JSONDict = {"status": status, "user": user}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member.update(_admin_rights(True))
    elif status == "kicked":
        member["until_date"] = 0
    elif status == "restricted":
        member.update(
            {
                "is_member": True,
                "until_date": 0,
                "can_edit_tag": False,
                "can_react_to_messages": False,
                **{
                    f"can_{right}": False
                    for right in (
                        "change_info",
                        "invite_users",
                        "pin_messages",
                        "send_messages",
                        "send_polls",
                        "send_other_messages",
                        "add_web_page_previews",
                        "manage_topics",
                        "send_audios",
                        "send_documents",
                        "send_photos",
                        "send_videos",
                        "send_video_notes",
                        "send_voice_notes",
                    )
                },
            }
        )
    return member


class BotApi:
    def __init__(self, world: World) -> None:
        self.world = world
        self.closing = False
        self.polls_waiting = 0
        self.poll_parked = Notifier()
        self._poll_generation = 0
        self._handlers: dict[str, tuple[str, Handler]] = {}
        for name, handler in self._table().items():
            self._handlers[name.lower()] = (name, handler)

    def _table(self) -> dict[str, Handler]:
        media = {
            f"send{kind.title().replace('_', '')}": self._media_sender(kind)
            for kind in _MEDIA_KINDS
        }
        return {
            "getMe": self.get_me,
            "logOut": self.ok,
            "close": self.ok,
            "getUpdates": self.get_updates,
            "setWebhook": self.set_webhook,
            "deleteWebhook": self.delete_webhook,
            "getWebhookInfo": self.get_webhook_info,
            "sendMessage": self.send_message,
            **media,
            "sendMediaGroup": self.send_media_group,
            "sendPoll": self.send_poll,
            "stopPoll": self.stop_poll,
            "forwardMessage": self.forward_message,
            "copyMessage": self.copy_message,
            "sendChatAction": self.send_chat_action,
            "editMessageText": self.edit_message_text,
            "editMessageCaption": self.edit_message_caption,
            "editMessageReplyMarkup": self.edit_message_reply_markup,
            "deleteMessage": self.delete_message,
            "deleteMessages": self.delete_messages,
            "answerCallbackQuery": self.answer_callback_query,
            "getFile": self.get_file,
            "setMyCommands": self.set_my_commands,
            "getMyCommands": self.get_my_commands,
            "deleteMyCommands": self.delete_my_commands,
            "getChat": self.get_chat,
            "getChatMember": self.get_chat_member,
            "getChatAdministrators": self.get_chat_administrators,
            "getChatMemberCount": self.get_chat_member_count,
            "leaveChat": self.leave_chat,
            "banChatMember": self.ban_chat_member,
            "unbanChatMember": self.unban_chat_member,
            "pinChatMessage": self.pin_chat_message,
            "unpinChatMessage": self.unpin_chat_message,
            "unpinAllChatMessages": self.unpin_all_chat_messages,
            "exportChatInviteLink": self.export_chat_invite_link,
            "createChatInviteLink": self.create_chat_invite_link,
            "setMyDescription": self._setting_setter("description"),
            "getMyDescription": self._setting_getter("description"),
            "setMyShortDescription": self._setting_setter("short_description"),
            "getMyShortDescription": self._setting_getter("short_description"),
            "setMyName": self._setting_setter("name"),
            "getMyName": self._setting_getter("name"),
            "setChatMenuButton": self.set_chat_menu_button,
            "getChatMenuButton": self.get_chat_menu_button,
            "setMyDefaultAdministratorRights": self.ok,
        }

    # -- dispatch ----------------------------------------------------------------------

    def canonical(self, method: str) -> str:
        entry = self._handlers.get(method.lower())
        return entry[0] if entry else method

    async def dispatch(self, method: str, params: dict[str, Any], files: dict[str, Upload]) -> Any:
        entry = self._handlers.get(method.lower())
        if entry is None:
            raise ApiError(404, "Not Found: method not found")
        result = entry[1](Params(params), files)
        if inspect.isawaitable(result):
            result = await result
        return result

    def shutdown(self) -> None:
        self.closing = True
        self.world.updates.changed.notify()

    # -- shared helpers ----------------------------------------------------------------

    @property
    def bot(self) -> JSONDict:
        return self.world.bot.to_api()

    def ok(self, p: Params, files: dict[str, Upload]) -> bool:
        return True

    def _sendable_chat(self, p: Params, name: str = "chat_id") -> EmuChat:
        chat = self.world.resolve_chat(p.chat_ref(name))
        self.world.check_can_send(chat)
        return chat

    def _text(self, p: Params, key: str, limit: int) -> tuple[str | None, list[JSONDict]]:
        raw = p.opt_str(key)
        if raw is None:
            return None, []
        entities_key = "entities" if key == "text" else f"{key}_entities"
        text, entities = parse_formatted(raw, p.opt_str("parse_mode"), p.json_value(entities_key))
        if utf16_len(text) > limit:
            too_long = "message is too long" if key == "text" else "message caption is too long"
            raise bad_request(too_long)
        return text, entities

    def _message_text(self, p: Params) -> tuple[str, list[JSONDict]]:
        text, entities = self._text(p, "text", MAX_TEXT)
        if text is None or not text.strip():
            raise bad_request("message text is empty")
        return text, entities

    def _markup(self, p: Params, chat: EmuChat, *, inline_only: bool = False) -> JSONDict | None:
        markup = p.json_value("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            self._validate_inline_keyboard(markup["inline_keyboard"], chat)
        elif inline_only:
            raise bad_request("inline keyboard expected")
        return markup

    @staticmethod
    def _validate_inline_keyboard(rows: Any, chat: EmuChat) -> None:
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request("can't parse inline keyboard markup JSON object")
        for row in rows:
            for button in row:
                if not isinstance(button, dict) or not button.get("text"):
                    raise bad_request("can't parse inline keyboard button: Text is empty")
                actions = [a for a in _BUTTON_ACTIONS if a in button]
                if not actions:
                    raise bad_request(
                        "can't parse inline keyboard button: "
                        "Text buttons are unallowed in the inline keyboard"
                    )
                data = button.get("callback_data")
                if "callback_data" in button and (
                    not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64
                ):
                    raise bad_request("BUTTON_DATA_INVALID")
                url = button.get("url")
                if "url" in button and (not isinstance(url, str) or not url or " " in url):
                    raise bad_request(f"inline keyboard button URL '{url}' is invalid")
                if "web_app" in button:
                    # Mini Apps open from inline buttons of private chats only.
                    if not chat.is_private:
                        raise bad_request("BUTTON_TYPE_INVALID")
                    _check_web_app(button["web_app"], "inline keyboard button Web App URL")

    def _reply_to(self, chat: EmuChat, p: Params) -> SentMessage | None:
        params = p.json_value("reply_parameters")
        allow_missing = p.flag("allow_sending_without_reply")
        message_id: Any = p.opt_int("reply_to_message_id")
        if isinstance(params, dict):
            message_id = params.get("message_id")
            allow_missing = bool(params.get("allow_sending_without_reply", allow_missing))
        if message_id is None:
            return None
        target = self.world.find_message(chat.id, int(message_id))
        if target is None or target.deleted:
            if allow_missing:
                return None
            raise bad_request("message to be replied not found")
        return target

    def _input_file(
        self, value: Any, direct: Upload | None, files: dict[str, Upload], field: str, kind: str
    ) -> StoredFile:
        upload = direct
        if upload is None and isinstance(value, str) and value.startswith("attach://"):
            upload = files.get(value[len("attach://") :])
            if upload is None:
                raise bad_request("wrong file identifier/HTTP URL specified")
        if upload is not None:
            if not upload.content:
                raise bad_request("file must be non-empty")
            mime = upload.content_type
            if mime in (None, "", "application/octet-stream"):
                mime = None
            return self.world.store_file(
                upload.content, kind=kind, file_name=upload.filename, mime_type=mime
            )
        if isinstance(value, str) and value:
            existing = self.world.files.get(value)
            if existing is not None:
                if (existing.kind == "photo") != (kind == "photo"):
                    raise bad_request(
                        f"can't use file of type {existing.kind.title()} as {kind.title()}"
                    )
                return existing
            if value.startswith(("http://", "https://")):
                name = value.rsplit("/", 1)[-1] or None
                return self.world.store_file(None, kind=kind, file_name=name, url=value)
            raise bad_request("wrong file identifier/HTTP URL specified")
        raise bad_request(f"there is no {field} in the request")

    def _find(self, chat: EmuChat, message_id: int, missing: str) -> SentMessage:
        message = self.world.find_message(chat.id, message_id)
        if message is None or message.deleted:
            raise bad_request(missing)
        return message

    def _chat_of(self, message: SentMessage) -> EmuChat:
        return self.world.resolve_chat(message.chat_id)

    def _bot_message(self, p: Params, missing: str) -> SentMessage:
        if "inline_message_id" in p:
            raise bad_request("MESSAGE_ID_INVALID")
        chat = self._sendable_chat(p)
        message = self._find(chat, p.req_int("message_id"), missing)
        if not message.from_bot:
            raise bad_request("message can't be edited")
        return message

    # -- bot and updates ---------------------------------------------------------------

    def get_me(self, p: Params, files: dict[str, Upload]) -> JSONDict:
        return {
            **self.bot,
            "can_join_groups": True,
            "can_read_all_group_messages": not self.world.privacy_mode,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def get_updates(self, p: Params, files: dict[str, Upload]) -> list[JSONDict]:
        world = self.world
        queue = world.updates
        if world.webhook is not None:
            raise ApiError(409, _WEBHOOK_CONFLICT)
        # A newer getUpdates supersedes a pending one, as on Telegram.
        self._poll_generation += 1
        generation = self._poll_generation
        queue.changed.notify()
        offset = p.opt_int("offset") or 0
        limit = min(max(p.opt_int("limit") or 100, 1), 100)
        timeout = max(p.number("timeout", 0.0) or 0.0, 0.0)
        allowed = p.json_value("allowed_updates")
        if isinstance(allowed, list):
            queue.allowed = [str(a) for a in allowed] or None
        queue.confirm(offset)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            batch = queue.take(limit)
            if batch:
                return [entry.payload for entry in batch]
            remaining = deadline - loop.time()
            if remaining <= 0 or self.closing:
                return []
            self.polls_waiting += 1
            self.poll_parked.notify()
            try:
                await queue.changed.wait(remaining)
            finally:
                self.polls_waiting -= 1
            if generation != self._poll_generation:
                raise ApiError(409, _POLL_CONFLICT)
            if world.webhook is not None:
                raise ApiError(409, _WEBHOOK_CONFLICT)

    def set_webhook(self, p: Params, files: dict[str, Upload]) -> bool:
        url = p.opt_str("url") or ""
        secret = p.opt_str("secret_token")
        if secret is not None and not _SECRET_RE.fullmatch(secret):
            raise bad_request("secret token contains unallowed characters")
        queue = self.world.updates
        if p.flag("drop_pending_updates"):
            queue.drop_all()
        allowed = p.json_value("allowed_updates")
        if isinstance(allowed, list):
            queue.allowed = [str(a) for a in allowed] or None
        if not url:
            self.world.webhook = None
        else:
            self.world.webhook = WebhookConfig(
                url=url, secret_token=secret, max_connections=p.opt_int("max_connections") or 40
            )
        queue.changed.notify()
        return True

    def delete_webhook(self, p: Params, files: dict[str, Upload]) -> bool:
        if p.flag("drop_pending_updates"):
            self.world.updates.drop_all()
        self.world.webhook = None
        self.world.updates.changed.notify()
        return True

    def get_webhook_info(self, p: Params, files: dict[str, Upload]) -> JSONDict:
        hook = self.world.webhook
        queue = self.world.updates
        info: JSONDict = {
            "url": hook.url if hook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(queue.pending),
        }
        if hook is not None:
            info["max_connections"] = hook.max_connections
            if hook.last_error_date is not None:
                info["last_error_date"] = hook.last_error_date
                info["last_error_message"] = hook.last_error_message or ""
        if queue.allowed:
            info["allowed_updates"] = list(queue.allowed)
        return info

    # -- sending -----------------------------------------------------------------------

    def send_message(self, p: Params, files: dict[str, Upload]) -> JSONDict:
        chat = self._sendable_chat(p)
        text, entities = self._message_text(p)
        markup = self._markup(p, chat)
        reply_to = self._reply_to(chat, p)
        message = self.world.new_message(
            chat,
            sender=self.world.bot,
            text=text,
            entities=entities,
            reply_markup=markup,
            reply_to=reply_to,
        )
        return message.raw

    def _media_sender(self, kind: str) -> Handler:
        def send(p: Params, files: dict[str, Upload]) -> JSONDict:
            return self._send_media(kind, p, files)

        return send

    def _send_media(self, kind: str, p: Params, files: dict[str, Upload]) -> JSONDict:
        chat = self._sendable_chat(p)
        stored = self._input_file(p.get(kind), files.get(kind), files, kind, kind)
        caption, entities = self._text(p, "caption", MAX_CAPTION)
        markup = self._markup(p, chat)
        reply_to = self._reply_to(chat, p)
        message = self._media_message(
            chat, kind, stored, caption, entities, reply_to, reply_markup=markup
        )
        return message.raw

    def _media_message(
        self,
        chat: EmuChat,
        kind: str,
        stored: StoredFile,
        caption: str | None,
        entities: list[JSONDict],
        reply_to: SentMessage | None,
        **options: Any,
    ) -> SentMessage:
        """The bot's message carrying ``stored`` as a ``kind`` (photo, document…)."""
        fields: JSONDict = {kind: self.world.file_api(stored, kind)}
        if kind == "animation":
            # Telegram reports animations as documents too, for older clients.
            fields["document"] = self.world.file_api(stored, "document")
        return self.world.new_message(
            chat,
            sender=self.world.bot,
            kind=kind,
            text=caption,
            entities=entities,
            extra=fields,
            reply_to=reply_to,
            stored=stored,
            **options,
        )

    def send_media_group(self, p: Params, files: dict[str, Upload]) -> list[JSONDict]:
        chat = self._sendable_chat(p)
        media = p.json_value("media")
        if not isinstance(media, list) or not 1 <= len(media) <= 10:
            raise bad_request("wrong number of messages to send")
        reply_to = self._reply_to(chat, p)
        group_id = str(13_000_000_000_000 + self.world.next_counter())
        prepared: list[tuple[str, StoredFile, str | None, list[JSONDict]]] = []
        for item in media:
            if not isinstance(item, dict) or item.get("type") not in (
                "photo",
                "video",
                "document",
                "audio",
            ):
                raise bad_request("unsupported media type in the media group")
            kind = str(item["type"])
            stored = self._input_file(item.get("media"), None, files, "media", kind)
            caption, entities = self._text(Params(item), "caption", MAX_CAPTION)
            prepared.append((kind, stored, caption, entities))
        results: list[JSONDict] = []
        for kind, stored, caption, entities in prepared:
            message = self._media_message(
                chat, kind, stored, caption, entities, reply_to, media_group_id=group_id
            )
            results.append(message.raw)
        return results

    def send_poll(self, p: Params, files: dict[str, Upload]) -> JSONDict:
        chat = self._sendable_chat(p)
        question = p.opt_str("question")
        if not question:
            raise bad_request("poll question must be non-empty")
        raw_options = p.json_value("options")
        if not isinstance(raw_options, list) or not 2 <= len(raw_options) <= 12:
            raise bad_request("poll must have 2-12 options")
        options = []
        for index, option in enumerate(raw_options):
            text = option.get("text") if isinstance(option, dict) else option
            if not isinstance(text, str) or not text:
                raise bad_request("poll options must be non-empty")
            options.append({"text": text, "voter_count": 0, "persistent_id": str(index)})
        poll_id = str(5_000_000_000_000_000_000 + self.world.next_counter())
        poll: JSONDict = {
            "id": poll_id,
            "question": question,
            "options": options,
            "total_voter_count": 0,
            "is_closed": False,
            "is_anonymous": p.flag("is_anonymous", True),
            "type": p.opt_str("type") or "regular",
            "allows_multiple_answers": p.flag("allows_multiple_answers"),
            "allows_revoting": False,
            "members_only": False,
        }
        message = self.world.new_message(
            chat,
            sender=self.world.bot,
            kind="poll",
            text=question,
            reply_markup=self._markup(p, chat),
            extra={"poll": poll},
            reply_to=self._reply_to(chat, p),
            poll=poll,
        )
        self.world.polls[poll_id] = PollRecord(chat.id, message.message_id)
        return message.raw

    def stop_poll(self, p: Params, files: dict[str, Upload]) -> JSONDict:
        message = self._bot_message(p, "message with poll to stop not found")
        if message.poll is None:
            raise bad_request("message with poll to stop not found")
        if message.poll["is_closed"]:
            raise bad_request("poll has already been closed")
        message.poll["is_closed"] = True
        self.world.mark_edited(message)
        return message.poll

    def _clone(self, p: Params, *, forward: bool) -> SentMessage:
        chat = self._sendable_chat(p)
        source_chat = self.world.resolve_chat(p.chat_ref("from_chat_id"))
        verb = "forward" if forward else "copy"
        source = self._find(source_chat, p.req_int("message_id"), f"message to {verb} not found")
        extra = {k: v for k, v in source.raw.items() if k in _CONTENT_KEYS}
        text, entities = source.text, source.entities
        markup = None
        if forward:
            sender = source.raw.get("from") or self.bot
            extra["forward_origin"] = {"type": "user", "date": source.date, "sender_user": sender}
        else:
            if "caption" in p and source.kind != "text":
                text, entities = self._text(p, "caption", MAX_CAPTION)
            markup = self._markup(p, chat)
        for key in ("text", "entities", "caption", "caption_entities"):
            extra.pop(key, None)
        stored = self.world.files.get(source.file_id) if source.file_id else None
        return self.world.new_message(
            chat,
            sender=self.world.bot,
            kind=source.kind,
            text=text,
            entities=entities,
            reply_markup=markup,
            extra=extra,
            stored=stored,
            poll=source.poll,
        )

    def forward_message(self, p: Params, files: dict[str, Upload]) -> JSONDict:
        return self._clone(p, forward=True).raw

    def copy_message(self, p: Params, files: dict[str, Upload]) -> JSONDict:
        return {"message_id": self._clone(p, forward=False).message_id}

    def send_chat_action(self, p: Params, files: dict[str, Upload]) -> bool:
        self._sendable_chat(p)
        if p.opt_str("action") not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    # -- editing -----------------------------------------------------------------------

    def edit_message_text(self, p: Params, files: dict[str, Upload]) -> JSONDict:
        message = self._bot_message(p, "message to edit not found")
        if message.kind != "text":
            raise bad_request("there is no text in the message to edit")
        text, entities = self._message_text(p)
        markup = self._markup(p, self._chat_of(message), inline_only=True)
        return self._apply_edit(message, text, entities, markup)

    def edit_message_caption(self, p: Params, files: dict[str, Upload]) -> JSONDict:
        message = self._bot_message(p, "message to edit not found")
        if message.kind in ("text", "poll"):
            raise bad_request("there is no caption in the message to edit")
        caption, entities = self._text(p, "caption", MAX_CAPTION)
        markup = self._markup(p, self._chat_of(message), inline_only=True)
        return self._apply_edit(message, caption, entities, markup)

    def edit_message_reply_markup(self, p: Params, files: dict[str, Upload]) -> JSONDict:
        message = self._bot_message(p, "message to edit not found")
        markup = self._markup(p, self._chat_of(message), inline_only=True)
        return self._apply_edit(message, message.text, message.entities, markup)

    def _apply_edit(
        self,
        message: SentMessage,
        text: str | None,
        entities: list[JSONDict],
        markup: JSONDict | None,
    ) -> JSONDict:
        # An edit without reply_markup removes the inline keyboard, exactly like Telegram.
        current = message.reply_markup if message.is_inline_keyboard else None
        if text == message.text and entities == message.entities and markup == current:
            raise bad_request(NOT_MODIFIED)
        self.world.set_text(message, text, entities)
        if markup is not None or message.is_inline_keyboard:
            self.world.set_markup(message, markup)
        self.world.mark_edited(message)
        return message.raw

    def delete_message(self, p: Params, files: dict[str, Upload]) -> bool:
        chat = self.world.resolve_chat(p.chat_ref())
        message = self._find(chat, p.req_int("message_id"), "message to delete not found")
        self._delete(chat, message)
        return True

    def delete_messages(self, p: Params, files: dict[str, Upload]) -> bool:
        chat = self.world.resolve_chat(p.chat_ref())
        ids = p.json_value("message_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise bad_request("message_ids must contain 1-100 identifiers")
        for message_id in ids:
            message = self.world.find_message(chat.id, int(message_id))
            if message is not None and not message.deleted:
                self._delete(chat, message)
        return True

    def _delete(self, chat: EmuChat, message: SentMessage) -> None:
        if not message.from_bot and not self.world.bot_is_admin(chat):
            raise bad_request("message can't be deleted")
        message.deleted = True
        self.world.touch(message)

    # -- callbacks and files -----------------------------------------------------------

    def answer_callback_query(self, p: Params, files: dict[str, Upload]) -> bool:
        record = self.world.callbacks.get(p.opt_str("callback_query_id") or "")
        # A query can be answered once; late or repeated answers fail on Telegram too.
        if record is None or record.answer is not None:
            raise bad_request(QUERY_INVALID)
        text = p.opt_str("text")
        if text is not None and len(text) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        record.answer = {
            "text": text,
            "show_alert": p.flag("show_alert"),
            "url": p.opt_str("url"),
            "cache_time": p.opt_int("cache_time") or 0,
        }
        return True

    def get_file(self, p: Params, files: dict[str, Upload]) -> JSONDict:
        stored = self.world.files.get(p.opt_str("file_id") or "")
        if stored is None:
            raise bad_request("invalid file_id")
        if (stored.file_size or 0) > MAX_DOWNLOAD:
            raise bad_request("file is too big")
        result: JSONDict = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_path": stored.file_path,
        }
        if stored.file_size is not None:
            result["file_size"] = stored.file_size
        return result

    # -- commands ----------------------------------------------------------------------

    def _commands_key(self, p: Params) -> tuple[str, str]:
        return self.world.scope_key(p.json_value("scope")), p.opt_str("language_code") or ""

    def set_my_commands(self, p: Params, files: dict[str, Upload]) -> bool:
        commands = p.json_value("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("commands must be a list of at most 100 commands")
        cleaned: list[JSONDict] = []
        for command in commands:
            if not isinstance(command, dict):
                raise bad_request("BOT_COMMAND_INVALID")
            name = command.get("command")
            description = command.get("description")
            if not isinstance(name, str) or not _COMMAND_RE.fullmatch(name):
                raise bad_request("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            cleaned.append({"command": name, "description": description})
        key = self._commands_key(p)
        if cleaned:
            self.world.commands[key] = cleaned
        else:
            self.world.commands.pop(key, None)
        return True

    def get_my_commands(self, p: Params, files: dict[str, Upload]) -> list[JSONDict]:
        return [dict(c) for c in self.world.commands.get(self._commands_key(p), [])]

    def delete_my_commands(self, p: Params, files: dict[str, Upload]) -> bool:
        self.world.commands.pop(self._commands_key(p), None)
        return True

    # -- chats and members -------------------------------------------------------------

    def get_chat(self, p: Params, files: dict[str, Upload]) -> JSONDict:
        chat = self.world.resolve_chat(p.chat_ref())
        return {
            **chat.to_api(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    def _user_api(self, user_id: int) -> JSONDict:
        if user_id == self.world.bot.id:
            return self.bot
        user = self.world.users.get(user_id)
        if user is None:
            raise bad_request("user not found")
        return user.to_api()

    def get_chat_member(self, p: Params, files: dict[str, Upload]) -> JSONDict:
        chat = self.world.resolve_chat(p.chat_ref())
        user_id = p.req_int("user_id")
        status = self.world.member_status(chat.id, user_id)
        if status is None:
            raise bad_request("user not found")
        return member_api(self._user_api(user_id), status)

    def get_chat_administrators(self, p: Params, files: dict[str, Upload]) -> list[JSONDict]:
        chat = self.world.resolve_chat(p.chat_ref())
        if chat.is_private:
            raise bad_request("there are no administrators in the private chat")
        admins = [
            member_api(self._user_api(uid), status)
            for uid, status in self.world.members.get(chat.id, {}).items()
            if status in ("creator", "administrator")
        ]
        if self.world.bot_is_admin(chat):
            admins.append(member_api(self.bot, "administrator"))
        return admins

    def get_chat_member_count(self, p: Params, files: dict[str, Upload]) -> int:
        chat = self.world.resolve_chat(p.chat_ref())
        if chat.is_private:
            return 2
        members = self.world.members.get(chat.id, {}).values()
        count = sum(1 for status in members if status in PRESENT_STATUSES)
        return count + (1 if self.world.bot_status.get(chat.id) in PRESENT_STATUSES else 0)

    def leave_chat(self, p: Params, files: dict[str, Upload]) -> bool:
        chat = self.world.resolve_chat(p.chat_ref())
        if chat.is_private:
            raise bad_request("chat member status can't be changed in private chats")
        self.world.bot_status[chat.id] = "left"
        return True

    def _require_admin(self, chat: EmuChat, detail: str) -> None:
        if not self.world.bot_is_admin(chat):
            raise bad_request(detail)

    def ban_chat_member(self, p: Params, files: dict[str, Upload]) -> bool:
        chat = self.world.resolve_chat(p.chat_ref())
        self._require_admin(chat, "not enough rights to restrict/unrestrict chat member")
        self.world.set_member(chat.id, p.req_int("user_id"), "kicked")
        return True

    def unban_chat_member(self, p: Params, files: dict[str, Upload]) -> bool:
        chat = self.world.resolve_chat(p.chat_ref())
        self._require_admin(chat, "not enough rights to restrict/unrestrict chat member")
        user_id = p.req_int("user_id")
        if self.world.members.get(chat.id, {}).get(user_id) == "kicked":
            self.world.set_member(chat.id, user_id, "left")
        return True

    def pin_chat_message(self, p: Params, files: dict[str, Upload]) -> bool:
        chat = self._sendable_chat(p)
        message = self._find(chat, p.req_int("message_id"), "message to pin not found")
        self._require_admin(chat, "not enough rights to manage pinned messages in the chat")
        message.pinned = True
        return True

    def unpin_chat_message(self, p: Params, files: dict[str, Upload]) -> bool:
        chat = self._sendable_chat(p)
        self._require_admin(chat, "not enough rights to manage pinned messages in the chat")
        message_id = p.opt_int("message_id")
        pinned = [m for m in self.world.histories.get(chat.id, []) if m.pinned]
        if message_id is not None:
            pinned = [m for m in pinned if m.message_id == message_id]
        if pinned:
            pinned[-1].pinned = False
        return True

    def unpin_all_chat_messages(self, p: Params, files: dict[str, Upload]) -> bool:
        chat = self._sendable_chat(p)
        self._require_admin(chat, "not enough rights to manage pinned messages in the chat")
        for message in self.world.histories.get(chat.id, []):
            message.pinned = False
        return True

    def export_chat_invite_link(self, p: Params, files: dict[str, Upload]) -> str:
        chat = self.world.resolve_chat(p.chat_ref())
        self._require_admin(chat, "not enough rights to manage chat invite link")
        return f"https://t.me/+EMU{abs(chat.id)}x{self.world.next_counter()}"

    def create_chat_invite_link(self, p: Params, files: dict[str, Upload]) -> JSONDict:
        link = self.export_chat_invite_link(p, files)
        result: JSONDict = {
            "invite_link": link,
            "creator": self.bot,
            "creates_join_request": p.flag("creates_join_request"),
            "is_primary": False,
            "is_revoked": False,
        }
        if p.opt_str("name"):
            result["name"] = p.opt_str("name")
        return result

    # -- bot profile -------------------------------------------------------------------

    def _setting_setter(self, field: str) -> Handler:
        def setter(p: Params, files: dict[str, Upload]) -> bool:
            self.world.settings[f"{field}:{p.opt_str('language_code') or ''}"] = (
                p.opt_str(field) or ""
            )
            return True

        return setter

    def _setting_getter(self, field: str) -> Handler:
        def getter(p: Params, files: dict[str, Upload]) -> JSONDict:
            key = f"{field}:{p.opt_str('language_code') or ''}"
            return {field: self.world.settings.get(key, "")}

        return getter

    def set_chat_menu_button(self, p: Params, files: dict[str, Upload]) -> bool:
        button = p.json_value("menu_button")
        if isinstance(button, dict) and button.get("type") == "web_app":
            if not button.get("text"):
                raise bad_request("menu button text is empty")
            _check_web_app(button.get("web_app"), "menu button Web App URL")
        key = f"menu_button:{p.opt_int('chat_id') or ''}"
        self.world.settings[key] = button if isinstance(button, dict) else {"type": "default"}
        return True

    def get_chat_menu_button(self, p: Params, files: dict[str, Upload]) -> JSONDict:
        key = f"menu_button:{p.opt_int('chat_id') or ''}"
        button = self.world.settings.get(key)
        return button if isinstance(button, dict) else {"type": "default"}
