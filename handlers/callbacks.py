"""Inline buttons: the token is looked up, the presser re-checked, the use case called."""

from __future__ import annotations

from telegram import Update

from domain.messages import Reply
from handlers.common import ChiboContext, handler
from services import actions, routes
from services.errors import refused


@handler("button")
async def on_button(update: Update, context: ChiboContext) -> Reply:
    """The pressed button's stored action goes to the use case registered for its kind
    (services/routes.py: BUTTONS), with the action's payload and the choice made on it."""
    request = context.request(update)
    action = actions.pressed(context.button, request.caller.telegram_user_id)
    route = routes.BUTTONS.get(action.kind)
    if route is None:
        raise refused("error.stale_button")
    return await route(request, action.payload, action.choice)
