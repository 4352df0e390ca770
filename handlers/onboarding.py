"""Commands for joining, cells, members, the group link, language and help."""

from __future__ import annotations

from telegram import Update

from chat.menus import GROUP_COMMANDS, MENU_COMMANDS, MENU_TITLES
from domain.attendance import is_checkin_link
from domain.invites import meeting_of_rsvp_payload
from domain.messages import Reply, Text
from domain.permissions import Menu
from domain.roster import claim_token_of_payload
from handlers.common import ChiboContext, command_text, handler, typed_text
from services import dialogue, onboarding, profile, rsvp
from services.attendance import checkin_link
from services.cells import creation, groups, links, overview, roster, roster_claims
from services.cells import members as cell_members
from services.cells.common import CellPage, ChosenCell


@handler("start")
async def start(update: Update, context: ChiboContext) -> Reply:
    token = context.args[0] if context.args else ""
    request = context.request(update)
    meeting_id = meeting_of_rsvp_payload(token)
    if meeting_id is not None:
        return await rsvp.open_in_private(request, rsvp.AboutMeeting(meeting_id))
    if is_checkin_link(token):
        return await checkin_link.open_checkin_link(request, checkin_link.CheckinLink(token))
    claim_token = claim_token_of_payload(token)
    if claim_token is not None:
        return await roster_claims.open_personal_link(
            request, roster_claims.PersonalLink(claim_token)
        )
    if token:
        return await onboarding.start_with_token(request, onboarding.StartLink(token))
    found = await profile.welcome(request)
    return _help(found.menus) if found.registered else Reply(Text("start.stranger"))


@handler("help")
async def help_command(update: Update, context: ChiboContext) -> Reply:
    request = context.request(update)
    if not request.caller.private_chat:
        return Reply(Text("help.group", {"commands": _command_lines(GROUP_COMMANDS)}))
    return _help((await profile.help_menus(request)).menus)


def _help(menus: tuple[Menu, ...]) -> Reply:
    sections = [
        Text(
            "help.section",
            {"title": Text(MENU_TITLES[m]), "commands": _command_lines(MENU_COMMANDS[m])},
        )
        for m in menus
    ]
    return Reply(Text("help.text", {"sections": sections}))


def _command_lines(commands: tuple[tuple[str, str], ...]) -> list[Text]:
    return [
        Text("help.command", {"command": name, "description": Text(key)}) for name, key in commands
    ]


@handler("lang")
async def lang(update: Update, context: ChiboContext) -> Reply:
    current = profile.CurrentLanguage(context.language)
    return await profile.language_choice(context.request(update), current)


@handler("newcell")
async def new_cell(update: Update, context: ChiboContext) -> Reply:
    named = creation.CellName(command_text(context))
    return await creation.new_cell(context.request(update), named)


@handler("cells")
async def list_cells(update: Update, context: ChiboContext) -> Reply:
    return await overview.cells_overview(context.request(update), overview.Page())


@handler("invite")
async def invite(update: Update, context: ChiboContext) -> Reply:
    return await links.member_invite(context.request(update), ChosenCell())


@handler("members")
async def members(update: Update, context: ChiboContext) -> Reply:
    return await cell_members.members_page(context.request(update), CellPage())


@handler("import")
async def import_members(update: Update, context: ChiboContext) -> Reply:
    return await roster.start_import(context.request(update), ChosenCell())


@handler("linkgroup")
async def link_group(update: Update, context: ChiboContext) -> Reply:
    return await groups.link_group(context.request(update), ChosenCell())


@handler("private_only")
async def private_only(update: Update, context: ChiboContext) -> Reply:
    return Reply(Text("error.private_only"))


@handler("text")
async def text(update: Update, context: ChiboContext) -> Reply:
    return await dialogue.answer(context.request(update), typed_text(update))


@handler("unknown_command")
async def unknown_command(update: Update, context: ChiboContext) -> Reply:
    return Reply(Text("fallback.unknown_command"))


async def group_migrated(update: Update, context: ChiboContext) -> None:
    message = update.effective_message
    if message is not None and message.migrate_to_chat_id:
        await groups.group_migrated(
            context.state.database, message.chat_id, message.migrate_to_chat_id
        )


@handler("linkgroup_private")
async def link_group_in_private(update: Update, context: ChiboContext) -> Reply:
    return Reply(Text("linkgroup.not_in_group"))
