"""Commands, buttons and documents for papers and meeting materials."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from telegram import Bot, Update

from domain.messages import Reply
from domain.text import clean_text
from handlers.common import ChiboContext, caller_of, handler
from services import dialogue, papers
from services.actions import Action
from services.papers import Files, IncomingDocument
from services.people import Caller

Route = Callable[[Action, Caller, ChiboContext], Awaitable[Reply]]


def files_of(context: ChiboContext) -> Files:
    bot: Bot = context.bot

    async def fetch(file_id: str) -> bytes:
        telegram_file = await bot.get_file(file_id)
        return bytes(await telegram_file.download_as_bytearray())

    return Files(fetch, context.state.files, context.state.max_file_bytes)


@handler("submit")
async def submit(update: Update, context: ChiboContext) -> Reply:
    return await papers.my_papers(context.state.database, caller_of(update), context.now())


@handler("document")
async def document(update: Update, context: ChiboContext) -> Reply:
    message = update.effective_message
    assert message is not None and message.document is not None
    incoming = IncomingDocument(
        message.document.file_id,
        clean_text(message.document.file_name or "", multiline=False),
        message.document.file_size,
    )
    return await dialogue.receive_document(
        context.state.database,
        caller_of(update),
        incoming,
        files_of(context),
        context.now(),
        context.state.settings,
    )


async def _view(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await papers.papers_view(
        context.state.database, caller, action.integer("meeting_id"), context.now()
    )


async def _pick_member(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await papers.pick_member(
        context.state.database, caller, action.integer("meeting_id"), context.now()
    )


async def _ask_topic(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await papers.ask_topic(
        context.state.database,
        caller,
        action.integer("meeting_id"),
        action.integer("person_id"),
        context.now(),
    )


async def _create(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await papers.assign(
        context.state.database,
        caller,
        action.integer("meeting_id"),
        action.integer("person_id"),
        str(action.payload["topic"]),
        datetime.fromisoformat(str(action.payload["due_at"])),
        context.now(),
        context.state.settings,
    )


async def _zip(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await papers.papers_zip(
        context.state.database, caller, action.integer("meeting_id"), context.state.files
    )


async def _submit_for(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await papers.submit(
        context.state.database,
        caller,
        action.integer("assignment_id"),
        IncomingDocument.from_json(dict(action.payload["document"])),
        files_of(context),
        context.now(),
        context.state.settings,
    )


async def _materials(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await papers.ask_materials(
        context.state.database, caller, action.integer("meeting_id"), context.now()
    )


ROUTES: dict[str, Route] = {
    "meeting.papers": _view,
    "paper.assign": _pick_member,
    "paper.member": _ask_topic,
    "paper.create": _create,
    "paper.zip": _zip,
    "paper.submit": _submit_for,
    "meeting.materials": _materials,
}
