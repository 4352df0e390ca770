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
from services import actions, onboarding, people, routes
from services.actions import Action
from services.cells import creation, groups, links, members, overview
from services.errors import refused
from services.people import Caller

Route = Callable[[Action, Caller, ChiboContext], Awaitable[Reply]]


async def _set_language(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await people.set_language(
        context.state.database,
        caller,
        str(action.payload["lang"]),
        context.now(),
        context.state.settings.default_language,
    )


async def _join_with_name(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await onboarding.confirm_name(
        context.state.database,
        caller,
        action.integer("invite_id"),
        str(action.payload["name"]),
        context.now(),
        context.state.settings,
    )


async def _new_cell_in(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await creation.new_cell(
        context.state.database,
        caller,
        "",
        context.now(),
        context.state.settings,
        context.bot_username,
        organisation_id=action.integer("organisation_id"),
    )


async def _supervisor_link(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await links.supervisor_invite(
        context.state.database,
        caller,
        action.integer("organisation_id"),
        context.now(),
        context.bot_username,
    )


async def _observer_link(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await links.observer_invite(
        context.state.database,
        caller,
        action.integer("cell_id"),
        context.now(),
        context.bot_username,
    )


async def _secretary_link(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await links.secretary_link(
        context.state.database,
        caller,
        action.integer("cell_id"),
        context.now(),
        context.state.settings,
        context.bot_username,
    )


async def _invite(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await links.member_invite(
        context.state.database,
        caller,
        context.now(),
        context.state.settings,
        context.bot_username,
        cell_id=action.integer("cell_id"),
        renew=action.kind == "invite.renew",
    )


async def _revoke(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await links.revoke_invite(
        context.state.database, caller, action.integer("invite_id"), context.now()
    )


async def _members(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await members.members_page(
        context.state.database,
        caller,
        context.now(),
        cell_id=action.integer("cell_id"),
        page=int(action.payload.get("page", 0)),
    )


async def _member_card(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await members.member_card(
        context.state.database, caller, action.integer("membership_id"), context.now()
    )


async def _ask_remove(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await members.ask_remove_member(
        context.state.database, caller, action.integer("membership_id"), context.now()
    )


async def _change_member(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    status = action.payload.get("status")
    return await members.change_member(
        context.state.database,
        caller,
        action.integer("membership_id"),
        str(action.payload["change"]),
        context.now(),
        context.state.settings,
        status=None if status is None else str(status),
    )


async def _link_group(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await groups.link_group(
        context.state.database, caller, context.now(), cell_id=action.integer("cell_id")
    )


async def _cells_page(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await overview.cells_overview(
        context.state.database, caller, context.now(), page=int(action.payload.get("page", 0))
    )


async def _cell_menu(action: Action, caller: Caller, context: ChiboContext) -> Reply:
    return await overview.cell_menu(
        context.state.database, caller, action.integer("cell_id"), context.now()
    )


ROUTES: dict[str, Route] = {
    "cells.page": _cells_page,
    "cell.menu": _cell_menu,
    **meeting_routes.ROUTES,
    **attendance_routes.ROUTES,
    **paper_routes.ROUTES,
    **minutes_routes.ROUTES,
    **digest_routes.ROUTES,
    **working_group_routes.ROUTES,
    "lang.set": _set_language,
    "join.name": _join_with_name,
    "newcell.org": _new_cell_in,
    "cell.secretary_link": _secretary_link,
    "org.supervisor_link": _supervisor_link,
    "cell.observer_link": _observer_link,
    "invite.cell": _invite,
    "invite.renew": _invite,
    "invite.revoke": _revoke,
    "members.cell": _members,
    "member.card": _member_card,
    "member.remove.ask": _ask_remove,
    "member.change": _change_member,
    "linkgroup.cell": _link_group,
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
