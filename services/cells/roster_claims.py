"""An imported member claimed by the person it stands for: by their one-use personal link, or
by picking their name among the cell's unclaimed ones when opening the ordinary invite link,
each after a confirmation, so that nobody is entered twice."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from domain.messages import Button, Reply, Text
from domain.roles import InvitePurpose, Role
from domain.text import is_token
from services import onboarding
from services.errors import refused
from services.people import ensure_person
from services.request import Request
from services.routes import button
from storage.models import Cell, ImportedMember, Invite, Membership, Person
from storage.queries.onboarding import took_one_use
from storage.queries.roster import imported_with_token, took_claim, unclaimed_of_cell
from storage.repositories import active_membership

# Names offered from an invite link, as buttons: a cell's list fits, a message stays short.
NAMES_OFFERED = 40


@dataclass(frozen=True)
class PersonalLink:
    token: str


@dataclass(frozen=True)
class Claim:
    """A person says they are this imported member (through an invite link, or not)."""

    imported_id: int
    invite_id: int | None = None


@dataclass(frozen=True)
class FromInvite:
    invite_id: int


async def open_personal_link(request: Request, link: PersonalLink) -> Reply:
    """Whoever opens a personal link is asked to confirm they are the member it names."""
    async with request.transaction() as session:
        row = await imported_with_token(session, link.token) if is_token(link.token) else None
        if row is None or row.person_id is not None:
            raise refused("roster.claim.unknown")
        return await _ask_claim(request, session, row, None)


async def _ask_claim(
    request: Request, session: AsyncSession, row: ImportedMember, invite_id: int | None
) -> Reply:
    cell = await session.get(Cell, row.cell_id)
    assert cell is not None
    make_button = request.buttons(session)
    yes = await make_button(
        Text("roster.claim.yes", {"name": row.full_name}),
        "roster.claim",
        imported_id=row.id,
        invite_id=invite_id,
    )
    if invite_id is None:
        no = await make_button(Text("roster.claim.no"), "roster.claim_no")
    else:
        no = await make_button(Text("roster.claim.back"), "roster.offer", invite_id=invite_id)
    return Reply(Text("roster.claim.ask", {"name": row.full_name, "cell": cell.name}), ((yes, no),))


@button("roster.claim_no")
async def not_me(request: Request) -> Reply:
    return Reply(Text("roster.claim.not_me"))


async def offer_unclaimed(request: Request, session: AsyncSession, invite: Invite) -> Reply | None:
    """For someone opening the cell's invite link: the imported names still unclaimed, to
    pick one's own, or to join as a new member (None: no name to offer)."""
    assert invite.cell_id is not None
    unclaimed = await unclaimed_of_cell(session, invite.cell_id)
    if not unclaimed:
        return None
    cell = await session.get(Cell, invite.cell_id)
    assert cell is not None
    make_button = request.buttons(session)
    rows: list[tuple[Button, ...]] = [
        (
            await make_button(
                Text("roster.offer.name", {"name": row.full_name}),
                "roster.claim_ask",
                imported_id=row.id,
                invite_id=invite.id,
            ),
        )
        for row in unclaimed[:NAMES_OFFERED]
    ]
    rows.append(
        (
            await make_button(
                Text("roster.offer.not_listed"), "join.not_listed", invite_id=invite.id
            ),
        )
    )
    return Reply(Text("roster.offer", {"cell": cell.name}), tuple(rows))


@button("roster.offer", FromInvite)
async def offer_again(request: Request, about: FromInvite) -> Reply:
    async with request.transaction() as session:
        invite = onboarding.usable_invite(await session.get(Invite, about.invite_id), request.now)
        offer = await offer_unclaimed(request, session, invite)
    return offer or Reply(Text("roster.claim.unknown"))


@button("roster.claim_ask", Claim)
async def ask_claim(request: Request, claim: Claim) -> Reply:
    async with request.transaction() as session:
        row = await session.get(ImportedMember, claim.imported_id)
        if row is None or row.person_id is not None:
            raise refused("roster.claim.taken")
        return await _ask_claim(request, session, row, claim.invite_id)


@button("roster.claim", Claim)
async def claim(request: Request, claim: Claim) -> Reply:
    """The person becomes the imported member: a member of its cell with the role and status
    the list gave, under the list's name; the row is theirs, its personal link dead."""
    now = request.now
    async with request.transaction() as session:
        row = await session.get(ImportedMember, claim.imported_id)
        if row is None:
            raise refused("roster.claim.taken")
        cell = await session.get(Cell, row.cell_id)
        assert cell is not None
        invite = None
        if claim.invite_id is not None:
            invite = onboarding.usable_invite(await session.get(Invite, claim.invite_id), now)
            if invite.purpose is not InvitePurpose.CELL_MEMBER or invite.cell_id != cell.id:
                raise refused("error.stale_button")
        person = await ensure_person(session, request.caller, now)
        if await active_membership(session, person.id, cell.id) is not None:
            raise refused("invite.already_member", cell=cell.name)
        if not await took_claim(session, row.id, person.id, now):
            raise refused("roster.claim.taken")
        if invite is not None and not await took_one_use(session, invite.id, now):
            raise refused("invite.problem.used_up")
        await _become_member(request, session, row, person, invite, cell)
        return Reply(Text("roster.claim.done", {"name": row.full_name, "cell": cell.name}))


async def _become_member(
    request: Request,
    session: AsyncSession,
    row: ImportedMember,
    person: Person,
    invite: Invite | None,
    cell: Cell,
) -> None:
    person.full_name = row.full_name
    person.name_confirmed_at = request.now
    membership = Membership(
        person_id=person.id,
        cell_id=cell.id,
        # A name picked from the cell's shared invite link joins as a member: anyone holding
        # that link could pick a deputy's name. A deputy's rights come with their own link.
        role=row.role if invite is None else Role.MEMBER,
        status=row.status,
        invite_id=invite.id if invite is not None else None,
        joined_at=request.now,
    )
    await onboarding.welcome(
        request,
        session,
        membership,
        person,
        Text("notice.member_claimed", {"name": row.full_name, "cell": cell.name}),
    )
