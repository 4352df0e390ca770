"""Update admission: replay protection, the caller's language, refusals and errors."""

from __future__ import annotations

import logging
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop

from chat.log_context import handler_var, update_id_var
from domain.messages import Text
from handlers.common import ChiboContext, send_refusal
from services import updates

log = logging.getLogger(__name__)


@dataclass
class Delivery:
    """What the pre-handler found out about one update: for its error handler (whose context
    PTB builds afresh) and for the webhook's answer to Telegram."""

    update_id: int
    admitted: bool = False  # recorded now, or by an earlier delivery of the same update
    language: str | None = None
    # Telegram delivers an update again when the webhook refuses it: then an apology for an
    # update not admitted would be followed by its result, and one more per retry.
    comes_again_if_refused: bool = False


# The pre-handler, the handlers and the error handler of one update run in one task.
_delivery: ContextVar[Delivery | None] = ContextVar("delivery", default=None)


async def handle(application: Application[Any, Any, Any, Any, Any, Any], update: Update) -> bool:
    """Handle the update now, within the application's limit of concurrent updates; whether
    it was admitted. One that was not ran no handler, and is to be delivered again."""
    token = _delivery.set(Delivery(update.update_id, comes_again_if_refused=True))
    try:
        await application.update_processor.process_update(
            update, application.process_update(update)
        )
        delivery = _delivery.get()
        return delivery is not None and delivery.admitted
    finally:
        _delivery.reset(token)


async def admit_update(update: Update, context: ChiboContext) -> None:
    """First handler of every update: drop replays, then load who is asking in which language.
    An update the database could not record is not handled either: handled but unrecorded,
    its redelivery (or the user's retry) would do it twice."""
    update_id_var.set(update.update_id)
    handler_var.set(None)
    delivery = _delivery.get()
    if delivery is None or delivery.update_id != update.update_id:
        delivery = Delivery(update.update_id)
        _delivery.set(delivery)
    state = context.state
    user = update.effective_user
    query = update.callback_query
    try:
        admission = await updates.admit(
            state.database,
            update.update_id,
            user.id if user else None,
            state.clock.now(),
            button_token=None if query is None else query.data or "",
        )
    except Exception:
        log.error("update not admitted", exc_info=True)
        if not delivery.comes_again_if_refused:
            await _apologise(update, context)
        raise ApplicationHandlerStop from None
    delivery.admitted = True
    if admission is None:
        log.info("replayed update ignored")
        raise ApplicationHandlerStop
    context.lang = delivery.language = admission.language
    context.button = admission.button


async def on_error(update: object, context: ChiboContext) -> None:
    """Log without personal data, and tell the user in their language to try again."""
    log.error("handler failed", exc_info=context.error)
    if not isinstance(update, Update):
        return
    # The language the pre-handler loaded, or the default: not read again from a database
    # that may well be what failed.
    delivery = _delivery.get()
    if delivery is not None and delivery.update_id == update.update_id:
        context.lang = delivery.language
    await _apologise(update, context)


async def _apologise(update: Update, context: ChiboContext) -> None:
    try:
        await send_refusal(update, context, Text("error.generic"))
    except Exception:
        log.warning("could not report the failure to the user")
