"""One-use and member links: a cell's secretary link, a fellow supervisor's, a working-group
observer's (given by supervisors), and the cell's member link (/invite, by its managers)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from domain.invites import deep_link
from domain.messages import N_, Reply, Text
from domain.permissions import can_create_cell, can_manage_cell
from domain.roles import InvitePurpose
from services.cells.common import (
    AboutCell,
    ChosenCell,
    asks_which_cell,
    cell_of_manager,
    which_cell,
)
from services.errors import refused
from services.onboarding import create_invite
from services.people import Caller, require_person
from services.request import Request
from services.routes import button
from storage.models import Cell, Invite, Organisation, Person
from storage.queries.cells import current_member_invite, revoke_open_secretary_links


@dataclass(frozen=True)
class AboutOrganisation:
    organisation_id: int


@dataclass(frozen=True)
class AboutInvite:
    invite_id: int


def _link_text(key: str, bot_username: str, invite: Invite, about: dict[str, str]) -> Text:
    """What a link is for, the link itself, and until when it works."""
    return Text(
        key, {**about, "link": deep_link(bot_username, invite.token), "expires": invite.expires_at}
    )


async def _founded_cell(session: AsyncSession, caller: Caller, cell_id: int) -> tuple[Person, Cell]:
    """A cell of an organisation the caller supervises whole (who could have created it)."""
    person, actor = await require_person(session, caller)
    cell = await session.get(Cell, cell_id)
    if cell is None or not can_create_cell(actor, cell.organisation_id):
        raise refused("error.not_supervisor")
    return person, cell


@button("cell.secretary_link", AboutCell)
async def secretary_link(request: Request, about: AboutCell) -> Reply:
    async with request.transaction() as session:
        person, cell = await _founded_cell(session, request.caller, about.cell_id)
        return await new_secretary_link(request, session, person, cell, N_("cells.secretary_link"))


async def new_secretary_link(
    request: Request, session: AsyncSession, person: Person, cell: Cell, key: str
) -> Reply:
    """A new one-time secretary link; earlier unused ones die, so a stray link can't later
    take the cell over."""
    await revoke_open_secretary_links(session, cell.id, request.now)
    invite = await _cell_invite(request, session, InvitePurpose.CELL_SECRETARY, cell, person)
    return Reply(_link_text(key, request.bot_username, invite, {"cell": cell.name}))


async def _cell_invite(
    request: Request, session: AsyncSession, purpose: InvitePurpose, cell: Cell, person: Person
) -> Invite:
    """A new link into the cell made by ``person``; its purpose sets its uses and lifetime."""
    return await create_invite(
        session,
        purpose=purpose,
        organisation_id=cell.organisation_id,
        cell_id=cell.id,
        created_by=person.id,
        now=request.now,
        member_invite_days=request.settings.member_invite_days,
    )


@button("org.supervisor_link", AboutOrganisation)
async def supervisor_invite(request: Request, about: AboutOrganisation) -> Reply:
    """A one-use link that makes whoever opens it one more supervisor of the organisation."""
    async with request.transaction() as session:
        person, actor = await require_person(session, request.caller)
        organisation = await session.get(Organisation, about.organisation_id)
        if organisation is None or not can_create_cell(actor, organisation.id):
            raise refused("error.not_supervisor")
        invite = await _supervision_invite(request, session, person, organisation.id, None)
        named = {"organisation": organisation.name}
        return Reply(_link_text(N_("cells.supervisor_link"), request.bot_username, invite, named))


@button("cell.observer_link", AboutCell)
async def observer_invite(request: Request, about: AboutCell) -> Reply:
    """A one-use link that makes whoever opens it a member of the working group following
    the cell: a supervisor of that cell alone, who can be sent to its meetings."""
    async with request.transaction() as session:
        person, cell = await _founded_cell(session, request.caller, about.cell_id)
        invite = await _supervision_invite(request, session, person, cell.organisation_id, cell.id)
        named = {"cell": cell.name}
        return Reply(_link_text(N_("cells.observer_link"), request.bot_username, invite, named))


async def _supervision_invite(
    request: Request,
    session: AsyncSession,
    person: Person,
    organisation_id: int,
    cell_id: int | None,
) -> Invite:
    """A one-use link to supervise the organisation (no cell) or to follow one cell."""
    return await create_invite(
        session,
        purpose=InvitePurpose.ORG_SETUP if cell_id is None else InvitePurpose.CELL_OBSERVER,
        organisation_id=organisation_id,
        cell_id=cell_id,
        created_by=person.id,
        now=request.now,
        member_invite_days=0,
    )


@button("invite.cell", ChosenCell)
async def member_invite(request: Request, chosen: ChosenCell) -> Reply:
    """/invite: the cell's current member link (made when there is none), to revoke or renew."""
    return await _member_link(request, chosen.cell_id, renew=False)


@button("invite.renew", ChosenCell)
async def renew_member_invite(request: Request, chosen: ChosenCell) -> Reply:
    """The cell's member link replaced by a new one: the old one stops working."""
    return await _member_link(request, chosen.cell_id, renew=True)


async def _member_link(request: Request, cell_id: int | None, renew: bool) -> Reply:
    now = request.now
    async with request.transaction() as session:
        make_button = request.buttons(session)
        person, actor = await require_person(session, request.caller)
        if asks_which_cell(actor, cell_id):
            return await which_cell(make_button, session, actor, "invite.cell")
        cell = await cell_of_manager(session, actor, cell_id)
        invite = await current_member_invite(session, cell.id, now)
        if invite is not None and renew:
            invite.revoked_at = now
            invite = None
        if invite is None:
            invite = await _cell_invite(request, session, InvitePurpose.CELL_MEMBER, cell, person)
        buttons = (
            await make_button(Text("invite.revoke_button"), "invite.revoke", invite_id=invite.id),
            await make_button(Text("invite.renew_button"), "invite.renew", cell_id=cell.id),
        )
        text = _link_text(N_("invite.link"), request.bot_username, invite, {"cell": cell.name})
        return Reply(text, (buttons,))


@button("invite.revoke", AboutInvite)
async def revoke_invite(request: Request, about: AboutInvite) -> Reply:
    async with request.transaction() as session:
        _, actor = await require_person(session, request.caller)
        invite = await session.get(Invite, about.invite_id)
        if invite is None or invite.cell_id is None or not can_manage_cell(actor, invite.cell_id):
            raise refused("error.not_manager")
        if invite.revoked_at is None:
            invite.revoked_at = request.now
        return Reply(Text("invite.revoked"), notice=Text("invite.revoked_notice"))
