"""The supervisors' digest on demand: /digest and its period buttons."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update

from domain.messages import Reply, Text
from handlers.common import ChiboContext, caller_of, handler
from services import digest
from services.actions import Action
from services.people import Caller

Route = Callable[[Action, Caller, ChiboContext], Awaitable[Reply]]


@handler("digest")
async def choose(update: Update, context: ChiboContext) -> Reply:
    return await digest.choose(context.state.database, caller_of(update), context.now())


async def _period(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    translator, lang = context.state.translator, context.language

    def render(text: Text) -> str:
        return translator.render(text, lang)

    return await digest.on_demand(
        context.state.database,
        caller,
        str(action.payload["period"]),
        context.now(),
        context.state.settings,
        render,
    )


ROUTES: dict[str, Route] = {"digest.period": _period}
