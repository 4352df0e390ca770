"""Organisations and joining by link: setup, secretary and member invites."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

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
from domain.organisations import DEFAULT_CUTOFF_DAY, valid_cutoff_day, valid_plan_due_day
from domain.roles import InvitePurpose, MemberStatus, Role
from domain.text import is_token
from services import actions, outbox, pending
from services.cells.common import change_role, tell_managers
from services.errors import Refused, refused
from services.papers.materials import send_materials_to
from services.people import ensure_person, refresh_menu
from services.request import Request
from services.routes import answer, button
from storage.db import Database
from storage.models import Cell, Invite, Membership, Organisation, Person, SupervisorScope
from storage.queries.onboarding import (
    invite_with_token,
    left_cell_since,
    lock_cell,
    organisation_named,
    other_secretaries_of_cell,
    supervises_already,
    took_one_use,
)
from storage.repositories import active_membership, person_by_telegram_id

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


async def _setup_invite(session: AsyncSession, organisation_id: int, now: datetime) -> Invite:
    """A one-time link that makes a supervisor of the whole organisation, made by the
    operator (no person)."""
    return await create_invite(
        session,
        purpose=InvitePurpose.ORG_SETUP,
        organisation_id=organisation_id,
        cell_id=None,
        created_by=None,
        now=now,
        member_invite_days=0,
    )


async def create_organisation(
    database: Database,
    name: str,
    now: datetime,
    cutoff_day: int = DEFAULT_CUTOFF_DAY,
    plan_due_day: int | None = None,
) -> NewOrganisation:
    """A new organisation and its setup link; ``plan_due_day`` None: no plan-by day."""
    clean = clean_name(name)
    if clean is None:
        raise refused("org.bad_name")
    if not valid_cutoff_day(cutoff_day):
        raise refused("org.bad_cutoff_day", day=cutoff_day)
    if plan_due_day is not None and not valid_plan_due_day(plan_due_day):
        raise refused("org.bad_plan_due_day", day=plan_due_day)
    async with database.transaction() as session:
        if await organisation_named(session, clean) is not None:
            raise refused("org.duplicate", organisation=clean)
        organisation = Organisation(
            name=clean, cutoff_day=cutoff_day, plan_due_day=plan_due_day, created_at=now
        )
        session.add(organisation)
        await session.flush()
        invite = await _setup_invite(session, organisation.id, now)
    return NewOrganisation(organisation.id, invite.token, invite.expires_at)


async def supervisor_link(database: Database, name: str, now: datetime) -> NewOrganisation:
    """A new one-time setup link for an existing organisation: it makes one more supervisor
    (or replaces a setup link that expired unused)."""
    async with database.transaction() as session:
        organisation = await organisation_named(session, clean_name(name) or name)
        if organisation is None:
            raise refused("org.unknown", organisation=name)
        invite = await _setup_invite(session, organisation.id, now)
    return NewOrganisation(organisation.id, invite.token, invite.expires_at)


def _state(invite: Invite | None) -> InviteState | None:
    if invite is None:
        return None
    return InviteState(
        invite.purpose, invite.expires_at, invite.max_uses, invite.use_count, invite.revoked_at
    )


def usable_invite(invite: Invite | None, now: datetime) -> Invite:
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
    """A link the person has no use for (they already have what it gives) is refused."""
    names = await _place_names(session, invite)
    if invite.purpose in (InvitePurpose.CELL_OBSERVER, InvitePurpose.ORG_SETUP):
        observer = invite.purpose is InvitePurpose.CELL_OBSERVER
        cell_id = invite.cell_id if observer else None
        if not await supervises_already(session, person.id, invite.organisation_id, cell_id):
            return
        if observer:
            raise refused("invite.already_observer", cell=names["cell"])
        raise refused("invite.already_supervisor", organisation=names["organisation"])
    assert invite.cell_id is not None
    membership = await active_membership(session, person.id, invite.cell_id)
    if membership is None:
        # A member removed after the link was made can't walk back in with the same link.
        if invite.purpose is InvitePurpose.CELL_MEMBER and await left_cell_since(
            session, person.id, invite.cell_id, invite.created_at
        ):
            raise refused("invite.removed", cell=names["cell"])
        return
    if invite.purpose is InvitePurpose.CELL_MEMBER or membership.role is Role.SECRETARY:
        raise refused("invite.already_member", cell=names["cell"])


@dataclass(frozen=True)
class StartLink:
    """What a deep link carried after /start."""

    token: str


@dataclass(frozen=True)
class NameChosen:
    """The newcomer took the name Telegram knows them by."""

    invite_id: int
    name: str


@dataclass(frozen=True)
class NameTyped:
    """The newcomer typed their name."""

    invite_id: int
    text: str


async def start_with_token(request: Request, link: StartLink) -> Reply:
    """A deep link was opened: redeem it, or first ask a newcomer to confirm their name."""
    caller, now = request.caller, request.now
    async with request.transaction() as session:
        # A payload that is no token of ours (a NUL byte, too long) is not even looked up.
        found = await invite_with_token(session, link.token) if is_token(link.token) else None
        invite = usable_invite(found, now)
        person = await person_by_telegram_id(session, caller.telegram_user_id)
        if person is not None and person.name_confirmed_at is not None:
            await _refuse_if_pointless(session, invite, person)
            return await _redeem(request, session, invite, person)
        await request.ask(session, ASK_NAME, {"invite_id": invite.id})
        return await _ask_name(
            request.buttons(session), session, invite, clean_name(caller.telegram_name)
        )


async def _ask_name(
    make_button: actions.ButtonMaker, session: AsyncSession, invite: Invite, suggested: str | None
) -> Reply:
    """Welcome to what the link is for, and a question for the newcomer's name: a button
    takes the name Telegram knows them by, if it is one."""
    buttons: tuple[tuple[Button, ...], ...] = ()
    if suggested is not None:
        use_name = await make_button(
            Text("join.use_name", {"name": suggested}),
            "join.name",
            invite_id=invite.id,
            name=suggested,
        )
        buttons = ((use_name,),)
    names = await _place_names(session, invite)
    return Reply(Text(_welcome_key(invite.purpose), names), buttons)


def _welcome_key(purpose: InvitePurpose) -> str:
    return {
        InvitePurpose.ORG_SETUP: N_("join.ask_name.setup"),
        InvitePurpose.CELL_SECRETARY: N_("join.ask_name.secretary"),
        InvitePurpose.CELL_MEMBER: N_("join.ask_name.member"),
        InvitePurpose.CELL_OBSERVER: N_("join.ask_name.observer"),
    }[purpose]


@button("join.name", NameChosen)
async def join_with_name(request: Request, chosen: NameChosen) -> Reply:
    return await _join_as(request, chosen.invite_id, chosen.name)


@answer(ASK_NAME, NameTyped)
async def confirm_name(request: Request, typed: NameTyped) -> Reply:
    return await _join_as(request, typed.invite_id, typed.text)


async def _join_as(request: Request, invite_id: int, typed_name: str) -> Reply:
    """The newcomer's name confirmed, the link they opened is redeemed."""
    caller, now = request.caller, request.now
    name = clean_name(typed_name)
    if name is None:
        raise refused("join.bad_name")
    async with request.transaction() as session:
        invite = await session.get(Invite, invite_id)
        problem = invite_problem(_state(invite), now)
        if problem is not None:
            # The question is moot once its link is dead: forget it, then say why.
            await pending.forget(session, caller=caller)
    if problem is not None or invite is None:
        raise Refused(Text(INVITE_PROBLEM_TEXT[problem or InviteProblem.UNKNOWN]))
    async with request.transaction() as session:
        invite = usable_invite(await session.get(Invite, invite_id), now)
        person = await ensure_person(session, caller, now)
        person.full_name = name
        person.name_confirmed_at = now
        await _refuse_if_pointless(session, invite, person)
        await pending.forget(session, caller=caller)
        return await _redeem(request, session, invite, person)


@dataclass(frozen=True)
class NotListed:
    """Someone who opened the member link is not among the imported names offered."""

    invite_id: int


@button("join.not_listed", NotListed)
async def join_not_listed(request: Request, not_listed: NotListed) -> Reply:
    async with request.transaction() as session:
        invite = usable_invite(await session.get(Invite, not_listed.invite_id), request.now)
        person = await ensure_person(session, request.caller, request.now)
        await _refuse_if_pointless(session, invite, person)
        return await _redeem(request, session, invite, person, offer_imported=False)


async def _redeem(
    request: Request,
    session: AsyncSession,
    invite: Invite,
    person: Person,
    *,
    offer_imported: bool = True,
) -> Reply:
    if invite.purpose is InvitePurpose.CELL_MEMBER and offer_imported:
        # Imported here: the claims build on this module's links.
        from services.cells.roster_claims import offer_unclaimed

        # Someone on the imported list picks their own name, so nobody is entered twice.
        offer = await offer_unclaimed(request, session, invite)
        if offer is not None:
            return offer
    # Counted atomically, so two people racing for a one-time link can't both win.
    if not await took_one_use(session, invite.id, request.now):
        raise Refused(Text(INVITE_PROBLEM_TEXT[InviteProblem.USED_UP]))
    names = await _place_names(session, invite)
    if invite.purpose in (InvitePurpose.ORG_SETUP, InvitePurpose.CELL_OBSERVER):
        await _add_supervisor(request, session, invite, person)
        done = N_("join.done.setup") if invite.cell_id is None else N_("join.done.observer")
        return Reply(Text(done, names))
    assert invite.cell_id is not None
    if invite.purpose is InvitePurpose.CELL_SECRETARY:
        await _appoint_secretary(request, session, invite, person, names)
        return Reply(Text("join.done.secretary", names))
    await _add_member(request, session, invite, person, names)
    return Reply(Text("join.done.member", names))


async def _add_supervisor(
    request: Request, session: AsyncSession, invite: Invite, person: Person
) -> None:
    """A supervisor's reach: the whole organisation, or the one cell a working group's
    member follows."""
    session.add(
        SupervisorScope(
            person_id=person.id,
            organisation_id=invite.organisation_id,
            cell_id=invite.cell_id,
            created_at=request.now,
        )
    )
    await session.flush()
    await refresh_menu(session, person, request.now, request.settings)


def _membership(invite: Invite, person: Person, role: Role, now: datetime) -> Membership:
    """A new membership of the link's cell, joined through it."""
    assert invite.cell_id is not None
    return Membership(
        person_id=person.id,
        cell_id=invite.cell_id,
        role=role,
        status=MemberStatus.FULL,
        invite_id=invite.id,
        joined_at=now,
    )


async def _add_member(
    request: Request, session: AsyncSession, invite: Invite, person: Person, names: dict[str, str]
) -> None:
    """A new member of the cell, with the papers to study and a word to its managers."""
    assert invite.cell_id is not None
    await welcome(
        request,
        session,
        _membership(invite, person, Role.MEMBER, request.now),
        person,
        Text("notice.member_joined", {"name": person.full_name, "cell": names["cell"]}),
    )


async def welcome(
    request: Request, session: AsyncSession, membership: Membership, person: Person, notice: Text
) -> None:
    """A membership begun: the person's menu, the papers to study, and ``notice`` to the
    cell's managers."""
    now, default_language = request.now, request.settings.default_language
    session.add(membership)
    await session.flush()
    await refresh_menu(session, person, now, request.settings)
    # Whoever joins late still gets the documents to study for the coming meetings.
    await send_materials_to(session, person, membership.cell_id, now, default_language)
    await tell_managers(
        session, membership.cell_id, f"joined:{membership.id}", notice, now, default_language
    )


async def _appoint_secretary(
    request: Request, session: AsyncSession, invite: Invite, person: Person, names: dict[str, str]
) -> None:
    """The secretary link hands the cell over: a former secretary stays on as a member."""
    assert invite.cell_id is not None
    now = request.now
    # Two secretary links redeemed at once must not leave two secretaries.
    await lock_cell(session, invite.cell_id)
    for former in await other_secretaries_of_cell(session, invite.cell_id, person.id):
        await _step_down(request, session, invite, former, person, names)
    membership = await active_membership(session, person.id, invite.cell_id)
    if membership is None:
        session.add(_membership(invite, person, Role.SECRETARY, now))
    else:
        change_role(session, membership, Role.SECRETARY, person, now)
    await session.flush()
    await refresh_menu(session, person, now, request.settings)


async def _step_down(
    request: Request,
    session: AsyncSession,
    invite: Invite,
    former: Membership,
    successor: Person,
    names: dict[str, str],
) -> None:
    """The former secretary stays on as a member, and is told who took over."""
    now, default_language = request.now, request.settings.default_language
    change_role(session, former, Role.MEMBER, successor, now)
    former_person = await session.get(Person, former.person_id)
    assert former_person is not None
    await session.flush()
    await refresh_menu(session, former_person, now, request.settings)
    await outbox.message_person(
        session,
        former_person,
        key=f"secretary-replaced:{invite.id}:{former.id}",
        text=Text("notice.secretary_replaced", {"name": successor.full_name, **names}),
        default_language=default_language,
        now=now,
    )
