"""The supervisors' digest on demand: /digest (its period buttons are routed to
services.digest.on_demand)."""

from __future__ import annotations

from telegram import Update

from domain.messages import Reply
from handlers.common import ChiboContext, handler
from services.digest import on_demand


@handler("digest")
async def choose(update: Update, context: ChiboContext) -> Reply:
    return await on_demand.choose(context.request(update))
