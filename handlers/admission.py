"""Update admission: replay protection, the caller's language, refusals and errors."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, SimpleUpdateProcessor

from chat.log_context import handler_var, update_id_var
from domain.messages import Text
from handlers.common import ChiboContext, send_refusal
from services import routes, updates
from services.updates import ClaimState, HeldClaim

log = logging.getLogger(__name__)


@dataclass
class Delivery:
    """What the pre-handler found out about one update: for its error handler (whose context
    PTB builds afresh) and for the webhook's answer to Telegram."""

    update_id: int
    recorded: bool = False  # committed by the pre-handler, or by an earlier delivery
    claim: HeldClaim | None = None  # a button press's claim, held for its use case
    language: str | None = None
    # Telegram delivers an update again when the webhook refuses it: then an apology for an
    # update not admitted would be followed by its result, and one more per retry.
    comes_again_if_refused: bool = False

    @property
    def admitted(self) -> bool:
        return self.recorded or (self.claim is not None and self.claim.recorded)

    async def end(self, handled: bool) -> None:
        """However its handlers ended: a claim still held is committed if they ran to the
        end (no handler took the update), and rolled back otherwise."""
        if self.claim is None:
            return
        if handled and self.claim.state is ClaimState.HELD:
            try:
                await self.claim.settle()
            except Exception:
                log.error("update not admitted", exc_info=True)
        await self.claim.release()


class DeliveringUpdateProcessor(SimpleUpdateProcessor):
    """Runs each update with its ``Delivery``, and ends what the pre-handler held for it."""

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        delivery = _delivery.get()
        if not isinstance(update, Update) or (
            delivery is not None and delivery.update_id == update.update_id
        ):
            await coroutine
            return
        delivery = Delivery(update.update_id)
        token = _delivery.set(delivery)
        handled = False
        try:
            await coroutine
            handled = True
        finally:
            await delivery.end(handled)
            _delivery.reset(token)


# The pre-handler, the handlers and the error handler of one update run in one task.
_delivery: ContextVar[Delivery | None] = ContextVar("delivery", default=None)


async def handle(application: Application[Any, Any, Any, Any, Any, Any], update: Update) -> bool:
    """Handle the update now, within the application's limit of concurrent updates; whether
    it was admitted. One that was not is to be delivered again: it ran no handler, or its
    handler's work was rolled back with its claim."""
    delivery = Delivery(update.update_id, comes_again_if_refused=True)
    token = _delivery.set(delivery)
    handled = False
    try:
        await application.update_processor.process_update(
            update, application.process_update(update)
        )
        handled = True
    finally:
        await delivery.end(handled)
        _delivery.reset(token)
    return delivery.admitted


async def admit_update(update: Update, context: ChiboContext) -> None:
    """First handler of every update: drop replays, then load who is asking in which language.
    An update the database could not record is not handled either: handled but unrecorded,
    its redelivery (or the user's retry) would do it twice."""
    update_id_var.set(update.update_id)
    handler_var.set(None)
    delivery = _delivery.get()
    # A button press's claim may be held for its use case only when something ends it
    # whatever happens: the update processor, or the webhook.
    will_be_ended = delivery is not None and delivery.update_id == update.update_id
    if delivery is None or not will_be_ended:
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
            button_data=None if query is None else query.data or "",
            hold=routes.holds_claim if will_be_ended and query is not None else None,
        )
    except Exception:
        log.error("update not admitted", exc_info=True)
        if not delivery.comes_again_if_refused:
            await _apologise(update, context)
        raise ApplicationHandlerStop from None
    if admission is None:
        delivery.recorded = True
        log.info("replayed update ignored")
        raise ApplicationHandlerStop
    delivery.recorded = admission.claim is None
    context.claim = delivery.claim = admission.claim
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
        if delivery.claim is not None and not await _claim_settled(delivery):
            return
    await _apologise(update, context)


async def _claim_settled(delivery: Delivery) -> bool:
    """Whether a failed button press may be apologised for: its claim, rolled back with the
    failed work, is claimed again. Not when another delivery has the update; nor, if the
    database cannot take the claim, when Telegram will deliver the press again."""
    assert delivery.claim is not None
    try:
        return await delivery.claim.settle()
    except Exception:
        log.error("update not admitted", exc_info=True)
        return not delivery.comes_again_if_refused


async def _apologise(update: Update, context: ChiboContext) -> None:
    try:
        await send_refusal(update, context, Text("error.generic"))
    except Exception:
        log.warning("could not report the failure to the user")
