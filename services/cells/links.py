"""One-use and member links: a cell's secretary link, a fellow supervisor's, a working-group
observer's (given by supervisors), and the cell's member link (/invite, by its managers)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.invites import deep_link
from domain.messages import N_, Reply, Text
from domain.permissions import can_create_cell, can_manage_cell
from domain.roles import InvitePurpose
from services import actions
from services.cells.common import managed_cell
from services.config import ServiceSettings
from services.errors import refused
from services.onboarding import create_invite
from services.people import Caller, require_person
from storage.db import Database
from storage.models import Cell, Invite, Organisation, Person


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


async def secretary_link(
    database: Database,
    caller: Caller,
    cell_id: int,
    now: datetime,
    settings: ServiceSettings,
    bot_username: str,
) -> Reply:
    async with database.transaction() as session:
        person, cell = await _founded_cell(session, caller, cell_id)
        return await new_secretary_link(
            session, person, cell, now, settings, bot_username, N_("cells.secretary_link")
        )


async def new_secretary_link(
    session: AsyncSession,
    person: Person,
    cell: Cell,
    now: datetime,
    settings: ServiceSettings,
    bot_username: str,
    key: str,
) -> Reply:
    """A new one-time secretary link; earlier unused ones die, so a stray link can't later
    take the cell over."""
    await session.execute(
        update(Invite)
        .where(
            Invite.cell_id == cell.id,
            Invite.purpose == InvitePurpose.CELL_SECRETARY,
            Invite.revoked_at.is_(None),
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    invite = await _cell_invite(session, InvitePurpose.CELL_SECRETARY, cell, person, now, settings)
    return Reply(_link_text(key, bot_username, invite, {"cell": cell.name}))


async def _cell_invite(
    session: AsyncSession,
    purpose: InvitePurpose,
    cell: Cell,
    person: Person,
    now: datetime,
    settings: ServiceSettings,
) -> Invite:
    """A new link into the cell made by ``person``; its purpose sets its uses and lifetime."""
    return await create_invite(
        session,
        purpose=purpose,
        organisation_id=cell.organisation_id,
        cell_id=cell.id,
        created_by=person.id,
        now=now,
        member_invite_days=settings.member_invite_days,
    )


async def supervisor_invite(
    database: Database,
    caller: Caller,
    organisation_id: int,
    now: datetime,
    bot_username: str,
) -> Reply:
    """A one-use link that makes whoever opens it one more supervisor of the organisation."""
    async with database.transaction() as session:
        person, actor = await require_person(session, caller)
        organisation = await session.get(Organisation, organisation_id)
        if organisation is None or not can_create_cell(actor, organisation.id):
            raise refused("error.not_supervisor")
        invite = await _supervision_invite(session, person, organisation.id, None, now)
        about = {"organisation": organisation.name}
        return Reply(_link_text(N_("cells.supervisor_link"), bot_username, invite, about))


async def observer_invite(
    database: Database,
    caller: Caller,
    cell_id: int,
    now: datetime,
    bot_username: str,
) -> Reply:
    """A one-use link that makes whoever opens it a member of the working group following
    the cell: a supervisor of that cell alone, who can be sent to its meetings."""
    async with database.transaction() as session:
        person, cell = await _founded_cell(session, caller, cell_id)
        invite = await _supervision_invite(session, person, cell.organisation_id, cell.id, now)
        return Reply(
            _link_text(N_("cells.observer_link"), bot_username, invite, {"cell": cell.name})
        )


async def _supervision_invite(
    session: AsyncSession,
    person: Person,
    organisation_id: int,
    cell_id: int | None,
    now: datetime,
) -> Invite:
    """A one-use link to supervise the organisation (no cell) or to follow one cell."""
    return await create_invite(
        session,
        purpose=InvitePurpose.ORG_SETUP if cell_id is None else InvitePurpose.CELL_OBSERVER,
        organisation_id=organisation_id,
        cell_id=cell_id,
        created_by=person.id,
        now=now,
        member_invite_days=0,
    )


async def member_invite(
    database: Database,
    caller: Caller,
    now: datetime,
    settings: ServiceSettings,
    bot_username: str,
    cell_id: int | None = None,
    renew: bool = False,
) -> Reply:
    """/invite: the cell's current member link (made when there is none), to revoke or renew."""
    async with database.transaction() as session:
        make_button = actions.ButtonMaker(session, caller.telegram_user_id, now)
        person, actor = await require_person(session, caller)
        cell = await managed_cell(session, caller, actor, cell_id, "invite.cell", now)
        if isinstance(cell, Reply):
            return cell
        invite = await _current_member_invite(session, cell, now)
        if invite is not None and renew:
            invite.revoked_at = now
            invite = None
        if invite is None:
            invite = await _cell_invite(
                session, InvitePurpose.CELL_MEMBER, cell, person, now, settings
            )
        buttons = (
            await make_button(Text("invite.revoke_button"), "invite.revoke", invite_id=invite.id),
            await make_button(Text("invite.renew_button"), "invite.renew", cell_id=cell.id),
        )
        return Reply(
            _link_text(N_("invite.link"), bot_username, invite, {"cell": cell.name}), (buttons,)
        )


async def _current_member_invite(session: AsyncSession, cell: Cell, now: datetime) -> Invite | None:
    return await session.scalar(
        select(Invite)
        .where(
            Invite.cell_id == cell.id,
            Invite.purpose == InvitePurpose.CELL_MEMBER,
            Invite.revoked_at.is_(None),
            Invite.expires_at > now,
        )
        .order_by(Invite.created_at.desc())
        .limit(1)
    )


async def revoke_invite(database: Database, caller: Caller, invite_id: int, now: datetime) -> Reply:
    async with database.transaction() as session:
        _, actor = await require_person(session, caller)
        invite = await session.get(Invite, invite_id)
        if invite is None or invite.cell_id is None or not can_manage_cell(actor, invite.cell_id):
            raise refused("error.not_manager")
        if invite.revoked_at is None:
            invite.revoked_at = now
        return Reply(Text("invite.revoked"), notice=Text("invite.revoked_notice"))
