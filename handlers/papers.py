"""Commands and documents for papers and meeting materials, and the two buttons that need the
files beside the request: the ZIP of papers (the file store) and a paper's assignment chosen
after it was sent (the Bot API's download). The other buttons are routed to their use cases
in services/papers/."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Bot, Update

from domain.messages import Reply
from domain.text import clean_text
from handlers.common import ChiboContext, handler
from services.actions import Action
from services.papers import following, receiving, submitting
from services.papers.documents import Files, IncomingDocument
from services.people import Caller
from services.request import Request

Route = Callable[[Action, Caller, ChiboContext], Awaitable[Reply]]


def files_of(context: ChiboContext) -> Files:
    bot: Bot = context.bot

    async def fetch(file_id: str) -> bytes:
        telegram_file = await bot.get_file(file_id)
        return bytes(await telegram_file.download_as_bytearray())

    return Files(fetch, context.state.files, context.state.max_file_bytes)


@handler("submit")
async def submit(update: Update, context: ChiboContext) -> Reply:
    return await submitting.my_papers(context.request(update))


@handler("document")
async def document(update: Update, context: ChiboContext) -> Reply:
    message = update.effective_message
    assert message is not None and message.document is not None
    incoming = IncomingDocument(
        message.document.file_id,
        clean_text(message.document.file_name or "", multiline=False),
        message.document.file_size,
    )
    return await receiving.receive_document(context.request(update), incoming, files_of(context))


def _request(context: ChiboContext, caller: Caller) -> Request:
    """The request of a button routed here, handed its caller rather than its update."""
    translator, lang = context.state.translator, context.language
    return Request(
        context.state.database,
        caller,
        context.now(),
        context.state.settings,
        context.bot_username,
        lambda text: translator.render(text, lang),
    )


async def _zip(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    about = following.OfMeeting(action.integer("meeting_id"))
    return await following.papers_zip(_request(context, caller), about, context.state.files)


async def _submit_for(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    chosen = submitting.ChosenAssignment(
        action.integer("assignment_id"),
        IncomingDocument.from_json(dict(action.payload["document"])),
    )
    return await submitting.submit(_request(context, caller), chosen, files_of(context))


ROUTES: dict[str, Route] = {
    "paper.zip": _zip,
    "paper.submit": _submit_for,
}
