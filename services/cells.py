"""Cells: creating them, their links, their group chat, and their member list."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.invites import deep_link
from domain.messages import N_, Button, Reply, Text
from domain.names import clean_name
from domain.permissions import (
    Actor,
    ChangeRefusal,
    MemberChange,
    can_create_cell,
    can_manage_cell,
    can_supervise_cell,
    member_change_refusal,
)
from domain.roles import InvitePurpose, MemberStatus, Role
from services import actions, pending
from services.config import ServiceSettings
from services.errors import Refused, refused
from services.onboarding import create_invite
from services.people import Caller, refresh_menu, require_person
from storage.db import Database
from storage.models import Cell, Invite, Membership, MembershipChange, Organisation, Person
from storage.repositories import active_members

ASK_CELL_NAME = "newcell.name"
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


def _choice_row(cells: Sequence[Cell], tokens: Sequence[str]) -> tuple[tuple[Button, ...], ...]:
    return tuple(
        (Button(Text("common.cell_button", {"cell": c.name}), t),)
        for c, t in zip(cells, tokens, strict=True)
    )


async def _pick_cell(
    session: AsyncSession,
    caller: Caller,
    cell_ids: Sequence[int],
    kind: str,
    now: datetime,
    extra: dict[str, int] | None = None,
) -> Reply:
    """Ask which cell a command is for, when the person manages or supervises several."""
    cells = (
        await session.scalars(select(Cell).where(Cell.id.in_(cell_ids)).order_by(Cell.name))
    ).all()
    tokens = [
        await actions.issue(
            session,
            kind,
            {"cell_id": c.id, **(extra or {})},
            telegram_user_id=caller.telegram_user_id,
            now=now,
        )
        for c in cells
    ]
    return Reply(Text("common.pick_cell"), _choice_row(cells, tokens))


# --- supervisors ---------------------------------------------------------------------------


async def new_cell(
    database: Database,
    caller: Caller,
    name: str,
    now: datetime,
    settings: ServiceSettings,
    bot_username: str,
    organisation_id: int | None = None,
) -> Reply:
    """/newcell [name]: create the cell now, or ask for its name (and organisation) first."""
    async with database.transaction() as session:
        person, actor = await require_person(session, caller)
        organisations = sorted(actor.supervised_organisations)
        if organisation_id is None and len(organisations) == 1:
            organisation_id = organisations[0]
        if organisation_id is None:
            if not organisations:
                raise refused("error.not_supervisor")
            return await _pick_organisation(session, caller, organisations, now)
        if not can_create_cell(actor, organisation_id):
            raise refused("error.not_supervisor")
        if not name.strip():
            await pending.ask(
                session,
                caller=caller,
                kind=ASK_CELL_NAME,
                payload={"organisation_id": organisation_id},
                now=now,
            )
            return Reply(Text("newcell.ask_name"))
        cell = await _create_cell(session, organisation_id, name, now)
        await pending.forget(session, caller=caller)
        return await _secretary_link(
            session, person, cell, now, settings, bot_username, N_("newcell.done")
        )


async def _pick_organisation(
    session: AsyncSession, caller: Caller, organisation_ids: Sequence[int], now: datetime
) -> Reply:
    organisations = (
        await session.scalars(
            select(Organisation)
            .where(Organisation.id.in_(organisation_ids))
            .order_by(Organisation.name)
        )
    ).all()
    rows = []
    for organisation in organisations:
        token = await actions.issue(
            session,
            "newcell.org",
            {"organisation_id": organisation.id},
            telegram_user_id=caller.telegram_user_id,
            now=now,
        )
        rows.append(
            (Button(Text("common.org_button", {"organisation": organisation.name}), token),)
        )
    return Reply(Text("newcell.pick_org"), tuple(rows))


async def _create_cell(
    session: AsyncSession, organisation_id: int, typed_name: str, now: datetime
) -> Cell:
    name = clean_name(typed_name)
    if name is None:
        raise refused("newcell.bad_name")
    taken = await session.scalar(
        select(Cell.id).where(Cell.organisation_id == organisation_id, Cell.name == name)
    )
    if taken is not None:
        raise refused("newcell.duplicate", cell=name)
    cell = Cell(organisation_id=organisation_id, name=name, created_at=now)
    session.add(cell)
    await session.flush()
    return cell


async def _secretary_link(
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
    invite = await create_invite(
        session,
        purpose=InvitePurpose.CELL_SECRETARY,
        organisation_id=cell.organisation_id,
        cell_id=cell.id,
        created_by=person.id,
        now=now,
        member_invite_days=settings.member_invite_days,
    )
    return Reply(
        Text(
            key,
            {
                "cell": cell.name,
                "link": deep_link(bot_username, invite.token),
                "expires": invite.expires_at,
            },
        )
    )


CELLS_PAGE_SIZE = 20


async def cells_overview(database: Database, caller: Caller, now: datetime, page: int = 0) -> Reply:
    """/cells: the supervisor's cells with secretary, size and group, a page at a time (an
    inline keyboard holds at most 100 buttons); a button each opens what can be done."""
    async with database.transaction() as session:
        make_button = actions.ButtonMaker(session, caller.telegram_user_id, now)
        _, actor = await require_person(session, caller)
        if not actor.is_supervisor:
            raise refused("error.not_supervisor")
        in_scope = Cell.organisation_id.in_(actor.supervised_organisations) | Cell.id.in_(
            actor.supervised_cells
        )
        total = int(await session.scalar(select(func.count(Cell.id)).where(in_scope)) or 0)
        invite_rows = await _supervisor_invite_buttons(session, actor, make_button)
        if not total:
            return Reply(Text("cells.none"), invite_rows)
        pages = -(-total // CELLS_PAGE_SIZE)
        page = min(max(page, 0), pages - 1)
        cells = (
            await session.scalars(
                select(Cell)
                .where(in_scope)
                .order_by(Cell.name)
                .offset(page * CELLS_PAGE_SIZE)
                .limit(CELLS_PAGE_SIZE)
            )
        ).all()
        ids = [c.id for c in cells]
        sizes: dict[int, int] = dict(
            (
                await session.execute(
                    select(Membership.cell_id, func.count(Membership.id))
                    .where(Membership.cell_id.in_(ids), Membership.left_at.is_(None))
                    .group_by(Membership.cell_id)
                )
            ).all()
        )
        secretaries: dict[int, str] = dict(
            (
                await session.execute(
                    select(Membership.cell_id, Person.full_name)
                    .join(Person, Person.id == Membership.person_id)
                    .where(
                        Membership.cell_id.in_(ids),
                        Membership.left_at.is_(None),
                        Membership.role == Role.SECRETARY,
                    )
                )
            ).all()
        )
        lines = [
            Text(
                "cells.line",
                {
                    "cell": c.name,
                    "secretary": secretaries.get(c.id) or Text("cells.no_secretary"),
                    "members": sizes.get(c.id, 0),
                    "group": Text("cells.group_linked")
                    if c.group_chat_id
                    else Text("cells.group_none"),
                },
            )
            for c in cells
        ]
        rows: list[tuple[Button, ...]] = [
            (
                await make_button(
                    Text("common.cell_button", {"cell": cell.name}), "cell.menu", cell_id=cell.id
                ),
            )
            for cell in cells
        ]
        navigation = [
            await make_button(Text(key), "cells.page", page=target)
            for target, key in ((page - 1, N_("common.previous")), (page + 1, N_("common.next")))
            if 0 <= target < pages
        ]
        if navigation:
            rows.append(tuple(navigation))
        rows.extend(invite_rows)
        return Reply(
            Text("cells.header", {"lines": lines, "page": page + 1, "pages": pages}), tuple(rows)
        )


async def _supervisor_invite_buttons(
    session: AsyncSession, actor: Actor, make_button: actions.ButtonMaker
) -> tuple[tuple[Button, ...], ...]:
    """One "invite a fellow supervisor" button for each organisation the actor supervises
    whole (a supervisor of some cells only cannot widen anyone's reach)."""
    if not actor.supervised_organisations:
        return ()
    organisations = (
        await session.scalars(
            select(Organisation)
            .where(Organisation.id.in_(actor.supervised_organisations))
            .order_by(Organisation.name)
        )
    ).all()
    return tuple(
        [
            (
                await make_button(
                    Text("cells.supervisor_invite_button", {"organisation": organisation.name}),
                    "org.supervisor_link",
                    organisation_id=organisation.id,
                ),
            )
            for organisation in organisations
        ]
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
        token, expires = await _supervision_invite(session, person, organisation.id, None, now)
        return Reply(
            Text(
                "cells.supervisor_link",
                {
                    "organisation": organisation.name,
                    "link": deep_link(bot_username, token),
                    "expires": expires,
                },
            )
        )


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
        person, actor = await require_person(session, caller)
        cell = await session.get(Cell, cell_id)
        if cell is None or not can_create_cell(actor, cell.organisation_id):
            raise refused("error.not_supervisor")
        token, expires = await _supervision_invite(
            session, person, cell.organisation_id, cell.id, now
        )
        return Reply(
            Text(
                "cells.observer_link",
                {"cell": cell.name, "link": deep_link(bot_username, token), "expires": expires},
            )
        )


async def _supervision_invite(
    session: AsyncSession,
    person: Person,
    organisation_id: int,
    cell_id: int | None,
    now: datetime,
) -> tuple[str, datetime]:
    """A one-use link to supervise the organisation (no cell) or to follow one cell."""
    invite = await create_invite(
        session,
        purpose=InvitePurpose.ORG_SETUP if cell_id is None else InvitePurpose.CELL_OBSERVER,
        organisation_id=organisation_id,
        cell_id=cell_id,
        created_by=person.id,
        now=now,
        member_invite_days=0,
    )
    return invite.token, invite.expires_at


async def cell_menu(database: Database, caller: Caller, cell_id: int, now: datetime) -> Reply:
    """What a supervisor can do for one cell: a secretary link, a working group at a meeting."""
    async with database.transaction() as session:
        make_button = actions.ButtonMaker(session, caller.telegram_user_id, now)
        _, actor = await require_person(session, caller)
        cell = await session.get(Cell, cell_id)
        if cell is None or not can_supervise_cell(actor, cell.id, cell.organisation_id):
            raise refused("error.not_supervisor")
        rows = []
        if can_create_cell(actor, cell.organisation_id):
            rows.append(
                (
                    await make_button(
                        Text("cells.secretary_link_button", {"cell": cell.name}),
                        "cell.secretary_link",
                        cell_id=cell.id,
                    ),
                )
            )
            rows.append(
                (
                    await make_button(
                        Text("cells.observer_invite_button", {"cell": cell.name}),
                        "cell.observer_link",
                        cell_id=cell.id,
                    ),
                )
            )
        rows.append(
            (
                await make_button(
                    Text("cells.observer_button", {"cell": cell.name}),
                    "observer.cell",
                    cell_id=cell.id,
                ),
            )
        )
        rows.append((await make_button(Text("common.back"), "cells.page", page=0),))
        return Reply(Text("cells.menu", {"cell": cell.name}), tuple(rows))


async def secretary_link(
    database: Database,
    caller: Caller,
    cell_id: int,
    now: datetime,
    settings: ServiceSettings,
    bot_username: str,
) -> Reply:
    async with database.transaction() as session:
        person, actor = await require_person(session, caller)
        cell = await session.get(Cell, cell_id)
        if cell is None or not can_create_cell(actor, cell.organisation_id):
            raise refused("error.not_supervisor")
        return await _secretary_link(
            session, person, cell, now, settings, bot_username, N_("cells.secretary_link")
        )


# --- secretaries: member invite link --------------------------------------------------------


async def managed_cell(
    session: AsyncSession,
    caller: Caller,
    actor: Actor,
    cell_id: int | None,
    kind: str,
    now: datetime,
) -> Cell | Reply:
    """The cell a manager's command is about, or a question asking which one."""
    if cell_id is None:
        managed = actor.managed_cells
        if not managed:
            raise refused("error.not_manager")
        if len(managed) > 1:
            return await _pick_cell(session, caller, managed, kind, now)
        cell_id = managed[0]
    cell = await session.get(Cell, cell_id)
    if cell is None or not can_manage_cell(actor, cell_id):
        raise refused("error.not_manager")
    return cell


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
        person, actor = await require_person(session, caller)
        cell = await managed_cell(session, caller, actor, cell_id, "invite.cell", now)
        if isinstance(cell, Reply):
            return cell
        invite = await session.scalar(
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
        if invite is not None and renew:
            invite.revoked_at = now
            invite = None
        if invite is None:
            invite = await create_invite(
                session,
                purpose=InvitePurpose.CELL_MEMBER,
                organisation_id=cell.organisation_id,
                cell_id=cell.id,
                created_by=person.id,
                now=now,
                member_invite_days=settings.member_invite_days,
            )
        revoke = await actions.issue(
            session,
            "invite.revoke",
            {"invite_id": invite.id},
            telegram_user_id=caller.telegram_user_id,
            now=now,
        )
        renew_token = await actions.issue(
            session,
            "invite.renew",
            {"cell_id": cell.id},
            telegram_user_id=caller.telegram_user_id,
            now=now,
        )
        return Reply(
            Text(
                "invite.link",
                {
                    "cell": cell.name,
                    "link": deep_link(bot_username, invite.token),
                    "expires": invite.expires_at,
                },
            ),
            (
                (
                    Button(Text("invite.revoke_button"), revoke),
                    Button(Text("invite.renew_button"), renew_token),
                ),
            ),
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


# --- secretaries: members ------------------------------------------------------------------


async def members_page(
    database: Database, caller: Caller, now: datetime, cell_id: int | None = None, page: int = 0
) -> Reply:
    """/members: the cell's members with role and status, a button each to manage them."""
    async with database.transaction() as session:
        _, actor = await require_person(session, caller)
        cell = await managed_cell(session, caller, actor, cell_id, "members.cell", now)
        if isinstance(cell, Reply):
            return cell
        return await _members_page(session, caller, cell, page, now)


async def _members_page(
    session: AsyncSession, caller: Caller, cell: Cell, page: int, now: datetime
) -> Reply:
    members = await active_members(session, cell.id)
    pages = max(1, -(-len(members) // MEMBERS_PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = members[page * MEMBERS_PAGE_SIZE : (page + 1) * MEMBERS_PAGE_SIZE]
    lines = [
        Text(
            "members.line",
            {
                "number": page * MEMBERS_PAGE_SIZE + i + 1,
                "name": m.person.full_name,
                "role": Text(ROLE_TEXT[m.role]),
                "status": Text(STATUS_TEXT[m.status]),
            },
        )
        for i, m in enumerate(shown)
    ]
    buttons: list[tuple[Button, ...]] = []
    row: list[Button] = []
    for i, membership in enumerate(shown):
        token = await actions.issue(
            session,
            "member.card",
            {"membership_id": membership.id},
            telegram_user_id=caller.telegram_user_id,
            now=now,
        )
        row.append(
            Button(
                Text(
                    "members.member_button",
                    {
                        "number": page * MEMBERS_PAGE_SIZE + i + 1,
                        "name": membership.person.full_name,
                    },
                ),
                token,
            )
        )
        if len(row) == 2:
            buttons.append(tuple(row))
            row = []
    if row:
        buttons.append(tuple(row))
    navigation = []
    for target, key in ((page - 1, N_("common.previous")), (page + 1, N_("common.next"))):
        if 0 <= target < pages:
            token = await actions.issue(
                session,
                "members.cell",
                {"cell_id": cell.id, "page": target},
                telegram_user_id=caller.telegram_user_id,
                now=now,
            )
            navigation.append(Button(Text(key), token))
    if navigation:
        buttons.append(tuple(navigation))
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
        tuple(buttons),
    )


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


async def member_card(
    database: Database,
    caller: Caller,
    membership_id: int,
    now: datetime,
    notice: Text | None = None,
) -> Reply:
    async with database.transaction() as session:
        person, actor, membership = await _managed_membership(session, caller, membership_id)
        return await _member_card(session, caller, person, actor, membership, now, notice)


async def _member_card(
    session: AsyncSession,
    caller: Caller,
    person: Person,
    actor: Actor,
    membership: Membership,
    now: datetime,
    notice: Text | None,
) -> Reply:
    member = await session.get(Person, membership.person_id)
    assert member is not None

    about_member = actions.ButtonMaker(
        session, caller.telegram_user_id, now, {"membership_id": membership.id}
    )

    def allowed(change: MemberChange) -> bool:
        return (
            member_change_refusal(actor, membership.cell_id, member.id, membership.role, change)
            is None
        )

    rows: list[tuple[Button, ...]] = [
        tuple(
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
    ]
    if allowed(MemberChange.MAKE_DEPUTY):
        rows.append(
            (
                await about_member(
                    Text("members.make_deputy"),
                    "member.change",
                    change=MemberChange.MAKE_DEPUTY.value,
                ),
            )
        )
    if allowed(MemberChange.REVOKE_DEPUTY):
        rows.append(
            (
                await about_member(
                    Text("members.revoke_deputy"),
                    "member.change",
                    change=MemberChange.REVOKE_DEPUTY.value,
                ),
            )
        )
    if allowed(MemberChange.REMOVE):
        rows.append((await about_member(Text("members.remove"), "member.remove.ask"),))
    back = await actions.issue(
        session,
        "members.cell",
        {"cell_id": membership.cell_id},
        telegram_user_id=caller.telegram_user_id,
        now=now,
    )
    rows.append((Button(Text("common.back"), back),))
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


async def ask_remove_member(
    database: Database, caller: Caller, membership_id: int, now: datetime
) -> Reply:
    async with database.transaction() as session:
        _, actor, membership = await _managed_membership(session, caller, membership_id)
        member = await session.get(Person, membership.person_id)
        assert member is not None
        refusal = member_change_refusal(
            actor, membership.cell_id, member.id, membership.role, MemberChange.REMOVE
        )
        if refusal is not None:
            raise Refused(Text(REFUSAL_TEXT[refusal]))
        confirm = await actions.issue(
            session,
            "member.change",
            {"membership_id": membership.id, "change": MemberChange.REMOVE.value},
            telegram_user_id=caller.telegram_user_id,
            now=now,
        )
        cancel = await actions.issue(
            session,
            "member.card",
            {"membership_id": membership.id},
            telegram_user_id=caller.telegram_user_id,
            now=now,
        )
        return Reply(
            Text("members.remove_confirm", {"name": member.full_name}),
            ((Button(Text("members.remove_yes"), confirm), Button(Text("common.cancel"), cancel)),),
        )


async def change_member(
    database: Database,
    caller: Caller,
    membership_id: int,
    change: str,
    now: datetime,
    settings: ServiceSettings,
    status: str | None = None,
) -> Reply:
    """Set a member's status, promote or demote a deputy, or remove them (history kept)."""
    try:
        what = MemberChange(change)
        new_status = MemberStatus(status or "") if what is MemberChange.SET_STATUS else None
    except ValueError as error:
        raise refused("error.stale_button") from error
    async with database.transaction() as session:
        person, actor, membership = await _managed_membership(session, caller, membership_id)
        member = await session.get(Person, membership.person_id)
        assert member is not None
        refusal = member_change_refusal(actor, membership.cell_id, member.id, membership.role, what)
        if refusal is not None:
            raise Refused(Text(REFUSAL_TEXT[refusal]))

        def log(field: str, old: str | None, new: str | None) -> None:
            session.add(
                MembershipChange(
                    membership_id=membership.id,
                    field=field,
                    old_value=old,
                    new_value=new,
                    changed_by_person_id=person.id,
                    changed_at=now,
                )
            )

        if new_status is not None:
            if membership.status is not new_status:
                log("status", membership.status.value, new_status.value)
                membership.status = new_status
            notice = Text("members.status_changed", {"status": Text(STATUS_TEXT[new_status])})
        elif what is MemberChange.REMOVE:
            log("left", None, None)
            membership.left_at = now
            await session.flush()
            await refresh_menu(session, member, now, settings.default_language)
            cell = await session.get(Cell, membership.cell_id)
            assert cell is not None
            page = await _members_page(session, caller, cell, 0, now)
            return Reply(
                page.text, page.buttons, notice=Text("members.removed", {"name": member.full_name})
            )
        else:
            new_role = Role.DEPUTY if what is MemberChange.MAKE_DEPUTY else Role.MEMBER
            log("role", membership.role.value, new_role.value)
            membership.role = new_role
            await session.flush()
            await refresh_menu(session, member, now, settings.default_language)
            notice = Text("members.role_changed", {"role": Text(ROLE_TEXT[new_role])})
        await session.flush()
        return await _member_card(session, caller, person, actor, membership, now, notice)


# --- group chat ----------------------------------------------------------------------------


async def link_group(
    database: Database, caller: Caller, now: datetime, cell_id: int | None = None
) -> Reply:
    """/linkgroup in a group: that group becomes the cell's group chat."""
    if caller.private_chat:
        raise refused("linkgroup.not_in_group")
    async with database.transaction() as session:
        _, actor = await require_person(session, caller)
        cell = await managed_cell(session, caller, actor, cell_id, "linkgroup.cell", now)
        if isinstance(cell, Reply):
            return cell
        holder = await session.scalar(select(Cell).where(Cell.group_chat_id == caller.chat_id))
        if holder is not None and holder.id != cell.id:
            raise refused("linkgroup.taken", cell=holder.name)
        if holder is not None:
            return Reply(Text("linkgroup.already", {"cell": cell.name}))
        cell.group_chat_id = caller.chat_id
        return Reply(Text("linkgroup.done", {"cell": cell.name, "group": caller.chat_title}))


async def group_migrated(database: Database, old_chat_id: int, new_chat_id: int) -> None:
    """A group upgraded to a supergroup gets a new chat id; the cell follows it."""
    async with database.transaction() as session:
        cell = await session.scalar(select(Cell).where(Cell.group_chat_id == old_chat_id))
        if cell is not None:
            cell.group_chat_id = new_chat_id
