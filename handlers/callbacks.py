"""Inline buttons: the token is looked up, the presser re-checked, the service called."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update

from domain.messages import Reply
from handlers import attendance as attendance_routes
from handlers import digest as digest_routes
from handlers import meetings as meeting_routes
from handlers import minutes as minutes_routes
from handlers import papers as paper_routes
from handlers import working_groups as working_group_routes
from handlers.common import ChiboContext, handler
from services import actions, routes
from services.actions import Action
from services.errors import refused
from services.people import Caller

Route = Callable[[Action, Caller, ChiboContext], Awaitable[Reply]]


ROUTES: dict[str, Route] = {
    **meeting_routes.ROUTES,
    **attendance_routes.ROUTES,
    **paper_routes.ROUTES,
    **minutes_routes.ROUTES,
    **digest_routes.ROUTES,
    **working_group_routes.ROUTES,
}


@handler("button")
async def on_button(update: Update, context: ChiboContext) -> Reply:
    request = context.request(update)
    action = actions.pressed(context.button, request.caller.telegram_user_id)
    registered = routes.BUTTONS.get(action.kind)
    if registered is not None:
        return await registered(request, action.payload)
    route = ROUTES.get(action.kind)
    if route is None:
        raise refused("error.stale_button")
    return await route(action, request.caller, context)
