"""Organisations and joining by link: setup, secretary and member invites."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.invites import (
    InviteProblem,
    InviteState,
    invite_lifetime,
    invite_max_uses,
    invite_problem,
)
from domain.messages import N_, Button, Reply, Text
from domain.names import clean_name
from domain.organisations import DEFAULT_CUTOFF_DAY, valid_cutoff_day
from domain.roles import InvitePurpose, MemberStatus, Role
from domain.text import is_token
from services import actions, outbox, pending
from services.config import ServiceSettings
from services.errors import Refused, refused
from services.papers.materials import send_materials_to
from services.people import Caller, ensure_person, refresh_menu
from storage.db import Database
from storage.models import (
    Cell,
    Invite,
    Membership,
    MembershipChange,
    Organisation,
    Person,
    SupervisorScope,
)
from storage.repositories import active_membership, cell_managers, person_by_telegram_id

INVITE_PROBLEM_TEXT = {
    InviteProblem.UNKNOWN: N_("invite.problem.unknown"),
    InviteProblem.EXPIRED: N_("invite.problem.expired"),
    InviteProblem.USED_UP: N_("invite.problem.used_up"),
    InviteProblem.REVOKED: N_("invite.problem.revoked"),
}
ASK_NAME = "join.name"


@dataclass(frozen=True)
class NewOrganisation:
    organisation_id: int
    setup_token: str
    expires_at: datetime


def new_token() -> str:
    return secrets.token_urlsafe(16)


async def create_invite(
    session: AsyncSession,
    *,
    purpose: InvitePurpose,
    organisation_id: int,
    cell_id: int | None,
    created_by: int | None,
    now: datetime,
    member_invite_days: int,
) -> Invite:
    invite = Invite(
        token=new_token(),
        purpose=purpose,
        organisation_id=organisation_id,
        cell_id=cell_id,
        max_uses=invite_max_uses(purpose),
        use_count=0,
        expires_at=now + invite_lifetime(purpose, member_invite_days),
        created_by_person_id=created_by,
        created_at=now,
    )
    session.add(invite)
    await session.flush()
    return invite


async def create_organisation(
    database: Database, name: str, now: datetime, cutoff_day: int = DEFAULT_CUTOFF_DAY
) -> NewOrganisation:
    clean = clean_name(name)
    if clean is None:
        raise refused("org.bad_name")
    if not valid_cutoff_day(cutoff_day):
        raise refused("org.bad_cutoff_day", day=cutoff_day)
    async with database.transaction() as session:
        taken = await session.scalar(select(Organisation.id).where(Organisation.name == clean))
        if taken is not None:
            raise refused("org.duplicate", organisation=clean)
        organisation = Organisation(name=clean, cutoff_day=cutoff_day, created_at=now)
        session.add(organisation)
        await session.flush()
        invite = await create_invite(
            session,
            purpose=InvitePurpose.ORG_SETUP,
            organisation_id=organisation.id,
            cell_id=None,
            created_by=None,
            now=now,
            member_invite_days=0,
        )
    return NewOrganisation(organisation.id, invite.token, invite.expires_at)


async def supervisor_link(database: Database, name: str, now: datetime) -> NewOrganisation:
    """A new one-time setup link for an existing organisation: it makes one more supervisor
    (or replaces a setup link that expired unused)."""
    async with database.transaction() as session:
        organisation = await session.scalar(
            select(Organisation).where(Organisation.name == (clean_name(name) or name))
        )
        if organisation is None:
            raise refused("org.unknown", organisation=name)
        invite = await create_invite(
            session,
            purpose=InvitePurpose.ORG_SETUP,
            organisation_id=organisation.id,
            cell_id=None,
            created_by=None,
            now=now,
            member_invite_days=0,
        )
    return NewOrganisation(organisation.id, invite.token, invite.expires_at)


def _state(invite: Invite | None) -> InviteState | None:
    if invite is None:
        return None
    return InviteState(
        invite.purpose, invite.expires_at, invite.max_uses, invite.use_count, invite.revoked_at
    )


async def _usable_invite(session: AsyncSession, invite: Invite | None, now: datetime) -> Invite:
    problem = invite_problem(_state(invite), now)
    if problem is not None or invite is None:
        raise Refused(Text(INVITE_PROBLEM_TEXT[problem or InviteProblem.UNKNOWN]))
    return invite


async def _place_names(session: AsyncSession, invite: Invite) -> dict[str, str]:
    organisation = await session.get(Organisation, invite.organisation_id)
    cell = await session.get(Cell, invite.cell_id) if invite.cell_id is not None else None
    return {
        "organisation": organisation.name if organisation else "",
        "cell": cell.name if cell else "",
    }


async def _refuse_if_pointless(session: AsyncSession, invite: Invite, person: Person) -> None:
    names = await _place_names(session, invite)
    if invite.purpose is InvitePurpose.CELL_OBSERVER:
        already = await session.scalar(
            select(SupervisorScope.id).where(
                SupervisorScope.person_id == person.id,
                SupervisorScope.organisation_id == invite.organisation_id,
                (SupervisorScope.cell_id == invite.cell_id) | SupervisorScope.cell_id.is_(None),
            )
        )
        if already is not None:
            raise refused("invite.already_observer", cell=names["cell"])
        return
    if invite.purpose is InvitePurpose.ORG_SETUP:
        already = await session.scalar(
            select(SupervisorScope.id).where(
                SupervisorScope.person_id == person.id,
                SupervisorScope.organisation_id == invite.organisation_id,
                SupervisorScope.cell_id.is_(None),
            )
        )
        if already is not None:
            raise refused("invite.already_supervisor", organisation=names["organisation"])
        return
    assert invite.cell_id is not None
    membership = await active_membership(session, person.id, invite.cell_id)
    if membership is None:
        if invite.purpose is InvitePurpose.CELL_MEMBER and await _removed_since(
            session, person.id, invite.cell_id, invite.created_at
        ):
            raise refused("invite.removed", cell=names["cell"])
        return
    if invite.purpose is InvitePurpose.CELL_MEMBER or membership.role is Role.SECRETARY:
        raise refused("invite.already_member", cell=names["cell"])


async def _removed_since(
    session: AsyncSession, person_id: int, cell_id: int, since: datetime
) -> bool:
    """A member removed after the link was made can't walk back in with the same link."""
    return (
        await session.scalar(
            select(Membership.id)
            .where(
                Membership.person_id == person_id,
                Membership.cell_id == cell_id,
                Membership.left_at >= since,
            )
            .limit(1)
        )
    ) is not None


async def start_with_token(
    database: Database, caller: Caller, token: str, now: datetime, settings: ServiceSettings
) -> Reply:
    """A deep link was opened: redeem it, or first ask a newcomer to confirm their name."""
    async with database.transaction() as session:
        # A payload that is no token of ours (a NUL byte, too long) is not even looked up.
        found = (
            await session.scalar(select(Invite).where(Invite.token == token))
            if is_token(token)
            else None
        )
        invite = await _usable_invite(session, found, now)
        person = await person_by_telegram_id(session, caller.telegram_user_id)
        if person is not None and person.name_confirmed_at is not None:
            await _refuse_if_pointless(session, invite, person)
            return await _redeem(session, invite, person, now, settings)
        suggested = clean_name(caller.telegram_name)
        await pending.ask(
            session,
            caller=caller,
            kind=ASK_NAME,
            payload={"invite_id": invite.id},
            now=now,
        )
        buttons: tuple[tuple[Button, ...], ...] = ()
        if suggested is not None:
            token_id = await actions.issue(
                session,
                "join.name",
                {"invite_id": invite.id, "name": suggested},
                telegram_user_id=caller.telegram_user_id,
                now=now,
            )
            buttons = ((Button(Text("join.use_name", {"name": suggested}), token_id),),)
        names = await _place_names(session, invite)
        return Reply(Text(_welcome_key(invite.purpose), names), buttons)


def _welcome_key(purpose: InvitePurpose) -> str:
    return {
        InvitePurpose.ORG_SETUP: N_("join.ask_name.setup"),
        InvitePurpose.CELL_SECRETARY: N_("join.ask_name.secretary"),
        InvitePurpose.CELL_MEMBER: N_("join.ask_name.member"),
        InvitePurpose.CELL_OBSERVER: N_("join.ask_name.observer"),
    }[purpose]


async def confirm_name(
    database: Database,
    caller: Caller,
    invite_id: int,
    typed_name: str,
    now: datetime,
    settings: ServiceSettings,
) -> Reply:
    name = clean_name(typed_name)
    if name is None:
        raise refused("join.bad_name")
    async with database.transaction() as session:
        invite = await session.get(Invite, invite_id)
        problem = invite_problem(_state(invite), now)
        if problem is not None:
            # The question is moot once its link is dead: forget it, then say why.
            await pending.forget(session, caller=caller)
    if problem is not None or invite is None:
        raise Refused(Text(INVITE_PROBLEM_TEXT[problem or InviteProblem.UNKNOWN]))
    async with database.transaction() as session:
        invite = await _usable_invite(session, await session.get(Invite, invite_id), now)
        person = await ensure_person(session, caller, now)
        person.full_name = name
        person.name_confirmed_at = now
        await _refuse_if_pointless(session, invite, person)
        await pending.forget(session, caller=caller)
        return await _redeem(session, invite, person, now, settings)


async def _take_one_use(session: AsyncSession, invite: Invite, now: datetime) -> None:
    """Count a use atomically, so two people racing for a one-time link can't both win."""
    result = await session.execute(
        update(Invite)
        .where(
            Invite.id == invite.id,
            Invite.revoked_at.is_(None),
            Invite.expires_at > now,
            (Invite.max_uses.is_(None)) | (Invite.use_count < Invite.max_uses),
        )
        .values(use_count=Invite.use_count + 1)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        raise Refused(Text(INVITE_PROBLEM_TEXT[InviteProblem.USED_UP]))


async def _redeem(
    session: AsyncSession, invite: Invite, person: Person, now: datetime, settings: ServiceSettings
) -> Reply:
    await _take_one_use(session, invite, now)
    names = await _place_names(session, invite)
    if invite.purpose in (InvitePurpose.ORG_SETUP, InvitePurpose.CELL_OBSERVER):
        # A supervisor's reach: the whole organisation, or the one cell a working group's
        # member follows.
        session.add(
            SupervisorScope(
                person_id=person.id,
                organisation_id=invite.organisation_id,
                cell_id=invite.cell_id,
                created_at=now,
            )
        )
        await session.flush()
        await refresh_menu(session, person, now, settings.default_language)
        done = N_("join.done.setup") if invite.cell_id is None else N_("join.done.observer")
        return Reply(Text(done, names))
    assert invite.cell_id is not None
    if invite.purpose is InvitePurpose.CELL_SECRETARY:
        await _appoint_secretary(session, invite, person, now, settings, names)
        return Reply(Text("join.done.secretary", names))
    membership = Membership(
        person_id=person.id,
        cell_id=invite.cell_id,
        role=Role.MEMBER,
        status=MemberStatus.FULL,
        invite_id=invite.id,
        joined_at=now,
    )
    session.add(membership)
    await session.flush()
    await refresh_menu(session, person, now, settings.default_language)
    # Whoever joins late still gets the documents to study for the coming meetings.
    await send_materials_to(session, person, invite.cell_id, now, settings.default_language)
    for manager in await cell_managers(session, invite.cell_id):
        await outbox.enqueue_message(
            session,
            key=f"joined:{membership.id}:{manager.id}",
            chat_id=manager.telegram_user_id,
            text=Text("notice.member_joined", {"name": person.full_name, "cell": names["cell"]}),
            lang=manager.language or settings.default_language,
            now=now,
        )
    return Reply(Text("join.done.member", names))


async def _appoint_secretary(
    session: AsyncSession,
    invite: Invite,
    person: Person,
    now: datetime,
    settings: ServiceSettings,
    names: dict[str, str],
) -> None:
    """The secretary link hands the cell over: a former secretary stays on as a member."""
    assert invite.cell_id is not None
    # Two secretary links redeemed at once must not leave two secretaries (PostgreSQL locks
    # the cell's row; SQLite has a single writer anyway).
    await session.execute(select(Cell.id).where(Cell.id == invite.cell_id).with_for_update())
    for former in await session.scalars(
        select(Membership).where(
            Membership.cell_id == invite.cell_id,
            Membership.left_at.is_(None),
            Membership.role == Role.SECRETARY,
            Membership.person_id != person.id,
        )
    ):
        session.add(
            MembershipChange(
                membership_id=former.id,
                field="role",
                old_value=Role.SECRETARY.value,
                new_value=Role.MEMBER.value,
                changed_by_person_id=person.id,
                changed_at=now,
            )
        )
        former.role = Role.MEMBER
        former_person = await session.get(Person, former.person_id)
        assert former_person is not None
        await session.flush()
        await refresh_menu(session, former_person, now, settings.default_language)
        await outbox.enqueue_message(
            session,
            key=f"secretary-replaced:{invite.id}:{former.id}",
            chat_id=former_person.telegram_user_id,
            text=Text("notice.secretary_replaced", {"name": person.full_name, **names}),
            lang=former_person.language or settings.default_language,
            now=now,
        )
    membership = await active_membership(session, person.id, invite.cell_id)
    if membership is None:
        session.add(
            Membership(
                person_id=person.id,
                cell_id=invite.cell_id,
                role=Role.SECRETARY,
                status=MemberStatus.FULL,
                invite_id=invite.id,
                joined_at=now,
            )
        )
    else:
        session.add(
            MembershipChange(
                membership_id=membership.id,
                field="role",
                old_value=membership.role.value,
                new_value=Role.SECRETARY.value,
                changed_by_person_id=person.id,
                changed_at=now,
            )
        )
        membership.role = Role.SECRETARY
    await session.flush()
    await refresh_menu(session, person, now, settings.default_language)
