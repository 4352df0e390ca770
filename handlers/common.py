"""What every handler shares: the typed context, the caller, replies and refusals."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from telegram import InlineKeyboardMarkup, InputFile, Update
from telegram.error import BadRequest, TimedOut
from telegram.ext import Application, CallbackContext, ExtBot

from chat.i18n import Translator
from chat.log_context import handler_var
from chat.rendering import TELEGRAM_CAPTION_LIMIT, keyboard, message_parts
from domain.clock import Clock
from domain.messages import Attachment, Reply, Text, telegram_length
from domain.text import clean_text
from services import outbox
from services.actions import Action
from services.config import ServiceSettings
from services.errors import Refused, refused
from services.people import Caller
from services.request import Files, Request
from services.updates import HeldClaim
from storage.db import Database
from storage.files import FileStore

log = logging.getLogger(__name__)

STATE_KEY = "chibo"


@dataclass
class AppState:
    """Everything handlers need, built once by the application factory."""

    database: Database
    clock: Clock
    translator: Translator
    settings: ServiceSettings
    files: FileStore
    max_file_bytes: int
    # Sends what a handler just queued in the outbox now, rather than at the next poll.
    wake_outbox: Callable[[], None]


class ChiboContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """PTB's context plus the caller's language and the pressed button's action, set once per
    update by the pre-handler."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application, chat_id, user_id)
        self.lang: str | None = None
        self.button: Action | None = None
        self.claim: HeldClaim | None = None

    @property
    def state(self) -> AppState:
        state: AppState = self.application.bot_data[STATE_KEY]
        return state

    @property
    def language(self) -> str:
        return self.state.translator.language(self.lang)

    def now(self) -> datetime:
        return self.state.clock.now()

    @property
    def bot_username(self) -> str:
        return self.bot.username

    def request(self, update: Update) -> Request:
        """What the use case behind this update is handed: its caller, now, the settings."""
        translator, lang = self.state.translator, self.language
        return Request(
            database=self.state.database,
            caller=caller_of(update),
            now=self.now(),
            settings=self.state.settings,
            bot_username=self.bot_username,
            render=lambda text: translator.render(text, lang),
            files=Files(self._download, self.state.files, self.state.max_file_bytes),
            claim=self.claim,
            pressed=None if self.button is None else self.button.token,
        )

    async def _download(self, file_id: str) -> bytes:
        telegram_file = await self.bot.get_file(file_id)
        return bytes(await telegram_file.download_as_bytearray())


def caller_of(update: Update) -> Caller:
    """Who is asking, in which chat; their name and the chat's title cleaned as typed text.

    A button on a message sent through the bot into another chat (an inline message) comes
    without that chat: no screen of ours can be shown there, so the press is refused.
    """
    user = update.effective_user
    chat = update.effective_chat
    assert user is not None
    if chat is None:
        raise refused("error.button_elsewhere")
    return Caller(
        telegram_user_id=user.id,
        chat_id=chat.id,
        telegram_name=_cleaned_name(user.full_name),
        private_chat=chat.type == chat.PRIVATE,
        chat_title=_cleaned_name(chat.title or ""),
    )


@functools.lru_cache(maxsize=4096)
def _cleaned_name(raw: str) -> str:
    """A name or title cleaned as typed text: the same few come with every update."""
    return clean_text(raw, multiline=False)


def typed_text(update: Update) -> str:
    """The text of the message, cleaned (domain.text) before anything reads or stores it."""
    message = update.effective_message
    assert message is not None and message.text is not None
    return clean_text(message.text, multiline=True)


def command_text(context: ChiboContext) -> str:
    """What was typed after the command, on one line and cleaned as any typed text."""
    return clean_text(" ".join(context.args or []), multiline=False)


async def send_reply(update: Update, context: ChiboContext, reply: Reply) -> None:
    """Answer a command with a new message, and a button press by editing its message. A text
    too long for one message goes as several in order, the buttons with the last."""
    translator = context.state.translator
    lang = translator.language(reply.lang or context.lang)
    parts = message_parts(reply.text, lang, translator)
    markup = keyboard(reply.buttons, lang, translator)
    query = update.callback_query
    if query is None:
        message = update.effective_message
        if reply.attachments:
            await _send_files(update, context, parts, markup, reply.attachments)
        elif message is not None:
            await _send_in_order(
                lambda part, buttons: message.reply_text(part, reply_markup=buttons),
                parts,
                markup,
            )
        return
    notice = translator.render(reply.notice, lang) if reply.notice else None
    answer = _even_if_answered_late(query.answer(notice))
    if reply.attachments:
        await answer
        await _send_files(update, context, parts, markup, reply.attachments)
    elif reply.keep_message:
        await answer
    else:
        # At once: the button stops spinning as its message changes, one round trip not two.
        answered, edited = await asyncio.gather(
            answer, _edit(update, context, parts, markup), return_exceptions=True
        )
        if isinstance(edited, BaseException):
            raise edited
        if isinstance(answered, BaseException):
            # The new screen is there: an apology for a spinner that stopped late would only
            # contradict it.
            log.warning("a button press's answer failed", exc_info=answered)


async def _edit(
    update: Update,
    context: ChiboContext,
    parts: list[str],
    markup: InlineKeyboardMarkup | None,
) -> None:
    """The pressed message becomes the new screen; a screen too long for one message starts
    there and goes on in new messages, whose last carries the buttons."""
    query = update.callback_query
    assert query is not None
    first, *rest = parts
    try:
        await _even_if_answered_late(
            query.edit_message_text(first, reply_markup=None if rest else markup)
        )
    except BadRequest as error:
        # Pressing a button that leads to the same screen is no error for the user.
        if "not modified" not in error.message.lower():
            raise
    if rest:
        await _send_in_order(_sender(update, context), rest, markup)


Send = Callable[[str, InlineKeyboardMarkup | None], Awaitable[object]]


def _sender(update: Update, context: ChiboContext) -> Send:
    """Sends a new message to the update's chat."""
    chat = update.effective_chat
    assert chat is not None
    return lambda part, buttons: context.bot.send_message(chat.id, part, reply_markup=buttons)


async def _send_in_order(send: Send, parts: list[str], markup: InlineKeyboardMarkup | None) -> None:
    *leading, last = parts
    for part in leading:
        await _even_if_answered_late(send(part, None))
    await _even_if_answered_late(send(last, markup))


async def _even_if_answered_late(call: Awaitable[object]) -> None:
    """Make a reply's call; one that reached Telegram but whose answer came too late most
    likely worked, so the reply goes on (and no "try again" follows work already done).
    Calls that never left (no connection, pool full) still fail."""
    try:
        await call
    except TimedOut as error:
        if not isinstance(error.__cause__, httpx.ReadTimeout):
            raise
        log.warning("Telegram answered a reply's call too late; carrying on")


async def _send_files(
    update: Update,
    context: ChiboContext,
    parts: list[str],
    markup: InlineKeyboardMarkup | None,
    attachments: tuple[Attachment, ...],
) -> None:
    """Files as new messages: one short text rides as the caption, a longer one goes first."""
    chat = update.effective_chat
    assert chat is not None
    caption = parts[0] if len(parts) == 1 and len(attachments) == 1 else None
    if caption is None or telegram_length(caption) > TELEGRAM_CAPTION_LIMIT:
        await _send_in_order(_sender(update, context), parts, markup)
        caption, markup = None, None
    for attachment in attachments:
        await _even_if_answered_late(
            context.bot.send_document(
                chat.id,
                InputFile(attachment.content, filename=attachment.file_name),
                caption=caption,
                reply_markup=markup,
            )
        )
        caption, markup = None, None


async def send_refusal(update: Update, context: ChiboContext, text: Text) -> None:
    """A refused command gets a message; a refused button gets an alert and stays as it was."""
    rendered = context.state.translator.render(text, context.language)
    if update.callback_query is not None:
        await _even_if_answered_late(update.callback_query.answer(rendered, show_alert=True))
    elif update.effective_message is not None:
        await _even_if_answered_late(update.effective_message.reply_text(rendered))


async def _ours_to_answer(context: ChiboContext) -> bool:
    """Whether the update's claim is committed, before anything is sent: a button press's
    claim still held, or rolled back with a refused transaction, is committed now. False
    when another delivery of the update committed it first: it answered, this one stays
    silent."""
    return context.claim is None or await context.claim.settle()


Handler = Callable[[Update, "ChiboContext"], Coroutine[Any, Any, None]]
UseCase = Callable[[Update, "ChiboContext"], Awaitable[Reply | None]]


def handler(name: str) -> Callable[[UseCase], Handler]:
    """Names the handler in logs, renders its reply or refusal, and sends what it queued."""

    def wrap(function: UseCase) -> Handler:
        @functools.wraps(function)
        async def run(update: Update, context: ChiboContext) -> None:
            handler_var.set(name)
            started = time.perf_counter()
            try:
                with outbox.watching() as watch:
                    reply = await function(update, context)
            except Refused as refusal:
                outcome = refusal.text.key
                if await _ours_to_answer(context):
                    await send_refusal(update, context, refusal.text)
                else:
                    outcome = "replayed"
            else:
                outcome = "ok"
                if await _ours_to_answer(context):
                    if watch.queued:
                        context.state.wake_outbox()
                    if reply is not None:
                        await send_reply(update, context, reply)
                else:
                    outcome = "replayed"
            elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
            log.info("update handled", extra={"outcome": outcome, "ms": elapsed_ms})

        return run

    return wrap
