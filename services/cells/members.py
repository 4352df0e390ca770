"""/members: a cell's members with role and status, a page at a time, and what a manager
changes about one of them (status, deputy, removal, each kept in the history)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from domain.messages import N_, Button, Reply, Text
from domain.permissions import (
    Actor,
    ChangeRefusal,
    MemberChange,
    can_manage_cell,
    member_change_refusal,
)
from domain.roles import MemberStatus, Role
from services import actions
from services.cells.common import (
    CellPage,
    asks_which_cell,
    cell_of_manager,
    change_role,
    page_buttons,
    page_count,
    record_change,
    which_cell,
    within,
)
from services.errors import Refused, refused
from services.people import Caller, refresh_menu, require_person
from services.request import Request
from services.routes import button
from services.views import two_a_row
from storage.models import Cell, Membership, Person
from storage.repositories import active_members

MEMBERS_PAGE_SIZE = 20

ROLE_TEXT = {
    Role.SECRETARY: N_("role.secretary"),
    Role.DEPUTY: N_("role.deputy"),
    Role.MEMBER: N_("role.member"),
}
STATUS_TEXT = {
    MemberStatus.FULL: N_("status.full"),
    MemberStatus.PROBATIONARY: N_("status.probationary"),
    MemberStatus.EXEMPTED: N_("status.exempted"),
}
REFUSAL_TEXT = {
    ChangeRefusal.NOT_MANAGER: N_("error.not_manager"),
    ChangeRefusal.TARGET_IS_SECRETARY: N_("members.refused.secretary"),
    ChangeRefusal.SELF: N_("members.refused.self"),
    ChangeRefusal.NOT_APPLICABLE: N_("members.refused.not_applicable"),
}


@dataclass(frozen=True)
class AboutMember:
    membership_id: int


@dataclass(frozen=True)
class Change:
    """A change to a member: their status (which one), deputy or not, or their removal."""

    membership_id: int
    change: MemberChange
    status: MemberStatus | None = None


@button("members.cell", CellPage)
async def members_page(request: Request, asked: CellPage) -> Reply:
    """/members: the cell's members with role and status, a button each to manage them."""
    async with request.transaction() as session:
        _, actor = await require_person(session, request.caller)
        if asks_which_cell(actor, asked.cell_id):
            return await which_cell(request.buttons(session), session, actor, "members.cell")
        cell = await cell_of_manager(session, actor, asked.cell_id)
        return await _members_screen(request.buttons(session), session, cell, asked.page)


async def _members_screen(
    make_button: actions.ButtonMaker, session: AsyncSession, cell: Cell, page: int
) -> Reply:
    members = await active_members(session, cell.id)
    pages = page_count(len(members), MEMBERS_PAGE_SIZE)
    page = within(page, pages)
    first = page * MEMBERS_PAGE_SIZE
    shown = members[first : first + MEMBERS_PAGE_SIZE]
    lines = [
        Text(
            "members.line",
            {
                "number": first + i + 1,
                "name": m.person.full_name,
                "role": Text(ROLE_TEXT[m.role]),
                "status": Text(STATUS_TEXT[m.status]),
            },
        )
        for i, m in enumerate(shown)
    ]
    buttons = await _member_buttons(make_button, shown, first)
    buttons += await page_buttons(make_button, "members.cell", page, pages, cell_id=cell.id)
    buttons += (
        (await make_button(Text("record.button.cell_year"), "record.cell_year", cell_id=cell.id),),
    )
    counts = {status: sum(1 for m in members if m.status is status) for status in MemberStatus}
    return Reply(
        Text(
            "members.header",
            {
                "cell": cell.name,
                "total": len(members),
                "full": counts[MemberStatus.FULL],
                "probationary": counts[MemberStatus.PROBATIONARY],
                "exempted": counts[MemberStatus.EXEMPTED],
                "page": page + 1,
                "pages": pages,
                "lines": lines,
            },
        ),
        buttons,
    )


async def _member_buttons(
    make_button: actions.ButtonMaker, shown: Sequence[Membership], first: int
) -> tuple[tuple[Button, ...], ...]:
    """A button a member shown, numbered as listed, two to a row."""
    buttons = [
        await make_button(
            Text(
                "members.member_button",
                {"number": first + i + 1, "name": membership.person.full_name},
            ),
            "member.card",
            membership_id=membership.id,
        )
        for i, membership in enumerate(shown)
    ]
    return two_a_row(buttons)


async def _managed_membership(
    session: AsyncSession, caller: Caller, membership_id: int
) -> tuple[Person, Actor, Membership]:
    person, actor = await require_person(session, caller)
    membership = await session.get(Membership, membership_id)
    if membership is None or not can_manage_cell(actor, membership.cell_id):
        raise refused("error.not_manager")
    if membership.left_at is not None:
        raise refused("members.already_left")
    return person, actor, membership


async def _changeable(
    session: AsyncSession, caller: Caller, membership_id: int, change: MemberChange
) -> tuple[Person, Actor, Membership, Person]:
    """The caller, the membership and its member, refused unless the caller may make
    ``change`` to it."""
    person, actor, membership = await _managed_membership(session, caller, membership_id)
    member = await session.get(Person, membership.person_id)
    assert member is not None
    refusal = member_change_refusal(actor, membership.cell_id, member.id, membership.role, change)
    if refusal is not None:
        raise Refused(Text(REFUSAL_TEXT[refusal]))
    return person, actor, membership, member


@button("member.card", AboutMember)
async def member_card(request: Request, about: AboutMember) -> Reply:
    async with request.transaction() as session:
        _, actor, membership = await _managed_membership(
            session, request.caller, about.membership_id
        )
        return await _member_card(request.buttons(session), session, actor, membership, None)


async def _member_card(
    make_button: actions.ButtonMaker,
    session: AsyncSession,
    actor: Actor,
    membership: Membership,
    notice: Text | None,
) -> Reply:
    """One member: role, status and joining day, with the changes the caller may make."""
    member = await session.get(Person, membership.person_id)
    assert member is not None
    about_member = make_button.about(membership_id=membership.id)

    def allowed(change: MemberChange) -> bool:
        return (
            member_change_refusal(actor, membership.cell_id, member.id, membership.role, change)
            is None
        )

    rows = [await _status_row(about_member, membership)]
    for change, label in (
        (MemberChange.MAKE_DEPUTY, N_("members.make_deputy")),
        (MemberChange.REVOKE_DEPUTY, N_("members.revoke_deputy")),
    ):
        if allowed(change):
            rows.append((await about_member(Text(label), "member.change", change=change.value),))
    if allowed(MemberChange.REMOVE):
        rows.append((await about_member(Text("members.remove"), "member.remove.ask"),))
    rows.append(
        (await make_button(Text("common.back"), "members.cell", cell_id=membership.cell_id),)
    )
    return Reply(
        Text(
            "members.card",
            {
                "name": member.full_name,
                "role": Text(ROLE_TEXT[membership.role]),
                "status": Text(STATUS_TEXT[membership.status]),
                "joined": membership.joined_at,
            },
        ),
        tuple(rows),
        notice=notice,
    )


async def _status_row(
    about_member: actions.ButtonMaker, membership: Membership
) -> tuple[Button, ...]:
    """A button each status, the member's own one ticked."""
    return tuple(
        [
            await about_member(
                Text(
                    "members.status_button",
                    {
                        "mark": "✓ " if membership.status is status else "",
                        "status": Text(STATUS_TEXT[status]),
                    },
                ),
                "member.change",
                change=MemberChange.SET_STATUS.value,
                status=status.value,
            )
            for status in MemberStatus
        ]
    )


@button("member.remove.ask", AboutMember)
async def ask_remove_member(request: Request, about: AboutMember) -> Reply:
    async with request.transaction() as session:
        _, _, membership, member = await _changeable(
            session, request.caller, about.membership_id, MemberChange.REMOVE
        )
        about_member = request.buttons(session).about(membership_id=membership.id)
        confirm = await about_member(
            Text("members.remove_yes"), "member.change", change=MemberChange.REMOVE.value
        )
        cancel = await about_member(Text("common.cancel"), "member.card")
        return Reply(
            Text("members.remove_confirm", {"name": member.full_name}), ((confirm, cancel),)
        )


@button("member.change", Change)
async def change_member(request: Request, chosen: Change) -> Reply:
    """Set a member's status, promote or demote a deputy, or remove them (history kept)."""
    what, now = chosen.change, request.now
    new_status = chosen.status if what is MemberChange.SET_STATUS else None
    if what is MemberChange.SET_STATUS and new_status is None:
        raise refused("error.stale_button")
    async with request.transaction() as session:
        person, actor, membership, member = await _changeable(
            session, request.caller, chosen.membership_id, what
        )
        make_button = request.buttons(session)
        if what is MemberChange.REMOVE:
            record_change(session, membership, "left", None, None, person, now)
            membership.left_at = now
            await session.flush()
            await refresh_menu(session, member, now, request.settings)
            return await _after_removal(make_button, session, membership, member)
        if new_status is not None:
            if membership.status is not new_status:
                old = membership.status.value
                record_change(session, membership, "status", old, new_status.value, person, now)
                membership.status = new_status
            notice = Text("members.status_changed", {"status": Text(STATUS_TEXT[new_status])})
        else:
            new_role = Role.DEPUTY if what is MemberChange.MAKE_DEPUTY else Role.MEMBER
            change_role(session, membership, new_role, person, now)
            await session.flush()
            await refresh_menu(session, member, now, request.settings)
            notice = Text("members.role_changed", {"role": Text(ROLE_TEXT[new_role])})
        await session.flush()
        return await _member_card(make_button, session, actor, membership, notice)


async def _after_removal(
    make_button: actions.ButtonMaker, session: AsyncSession, membership: Membership, member: Person
) -> Reply:
    """The cell's first page of members, without the one just removed."""
    cell = await session.get(Cell, membership.cell_id)
    assert cell is not None
    page = await _members_screen(make_button, session, cell, 0)
    return Reply(
        page.text, page.buttons, notice=Text("members.removed", {"name": member.full_name})
    )
