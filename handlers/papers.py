"""Commands and documents for papers and meeting materials; their buttons are routed to their
use cases in services/papers/."""

from __future__ import annotations

from telegram import Update

from domain.messages import Reply
from domain.text import clean_text
from handlers.common import ChiboContext, handler
from services.papers import receiving, submitting
from services.papers.documents import IncomingDocument


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
    return await receiving.receive_document(context.request(update), incoming)
