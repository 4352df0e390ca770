"""Use cases without Telegram: who may manage which cell, and races on one-time links."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import select

from domain.clock import FakeClock
from domain.messages import Reply
from domain.permissions import MemberChange
from domain.roles import MemberStatus
from services import onboarding, pending
from services.cells import creation, groups, links, members, overview
from services.cells.common import CellPage, ChosenCell
from services.config import ServiceSettings
from services.errors import Refused
from services.people import Caller
from services.request import Request
from storage.db import Database
from storage.models import Membership, Person
from tests.conftest import VIETNAM
from tests.harness import direct_request

SETTINGS = ServiceSettings(default_language="vi", member_invite_days=14, zone=VIETNAM)
BOT = "chibo_test_bot"


def caller(user_id: int, name: str = "Người Dùng", chat_id: int | None = None) -> Caller:
    return Caller(user_id, chat_id or user_id, name, private_chat=chat_id is None)


def request(database: Database, clock: FakeClock, who: Caller) -> Request:
    # The cells' use cases store no documents: the store's folder is never written.
    return direct_request(database, who, clock.now(), SETTINGS, Path(tempfile.gettempdir()), BOT)


def token_in(reply: Reply) -> str:
    return str(reply.text.args["link"]).split("start=")[1]


async def join(database: Database, clock: FakeClock, who: Caller, token: str) -> Reply:
    """Open a link as a newcomer, then confirm the name the bot asked for."""
    await onboarding.start_with_token(request(database, clock, who), onboarding.StartLink(token))
    async with database.transaction() as session:
        question = await pending.current(session, caller=who, now=clock.now())
    assert question is not None and question.kind == onboarding.ASK_NAME
    return await onboarding.confirm_name(
        request(database, clock, who),
        onboarding.NameTyped(int(question.payload["invite_id"]), who.telegram_name),
    )


async def two_cells(database: Database, clock: FakeClock) -> dict[str, object]:
    created = await onboarding.create_organisation(database, "Đảng bộ Xã", clock.now())
    supervisor = caller(1, "Trần Văn Hùng")
    await join(database, clock, supervisor, created.setup_token)
    secretaries = {}
    for number, name in ((2, "Chi bộ A"), (3, "Chi bộ B")):
        reply = await creation.new_cell(
            request(database, clock, supervisor), creation.CellName(name)
        )
        secretary = caller(number, f"Bí Thư {name[-1]}")
        await join(database, clock, secretary, token_in(reply))
        secretaries[name] = secretary
    member = caller(4, "Lê Văn Minh")
    invite = await links.member_invite(
        request(database, clock, secretaries["Chi bộ A"]), ChosenCell()
    )
    await join(database, clock, member, token_in(invite))
    return {"supervisor": supervisor, **secretaries, "member": member}


async def membership_of(database: Database, person_telegram_id: int) -> Membership:
    async with database.transaction() as session:
        membership = await session.scalar(
            select(Membership)
            .join(Person, Person.id == Membership.person_id)
            .where(Person.telegram_user_id == person_telegram_id)
        )
    assert membership is not None
    return membership


async def test_a_secretary_cannot_manage_another_cell(database: Database, clock: FakeClock) -> None:
    people = await two_cells(database, clock)
    other = people["Chi bộ B"]
    assert isinstance(other, Caller)
    minh = await membership_of(database, 4)
    as_other = request(database, clock, other)
    for attempt in (
        members.member_card(as_other, members.AboutMember(minh.id)),
        members.change_member(as_other, members.Change(minh.id, MemberChange.REMOVE)),
        members.change_member(
            as_other,
            members.Change(minh.id, MemberChange.SET_STATUS, MemberStatus.EXEMPTED),
        ),
        members.members_page(as_other, CellPage(cell_id=minh.cell_id)),
        links.member_invite(as_other, ChosenCell(cell_id=minh.cell_id)),
    ):
        with pytest.raises(Refused) as refusal:
            await attempt
        assert refusal.value.text.key == "error.not_manager"
    unchanged = await membership_of(database, 4)
    assert (unchanged.status, unchanged.left_at) == (minh.status, None)


async def test_one_time_link_has_one_winner(database: Database, clock: FakeClock) -> None:
    created = await onboarding.create_organisation(database, "Đảng bộ Xã", clock.now())
    racers = [caller(10 + i, f"Người Thứ {i}") for i in range(2)]

    async def race(who: Caller) -> str:
        try:
            await join(database, clock, who, created.setup_token)
        except Refused as refusal:
            return refusal.text.key
        return "won"

    results = sorted(await asyncio.gather(*(race(who) for who in racers)))
    assert results == ["invite.problem.used_up", "won"]


async def test_a_group_links_to_one_cell_only(database: Database, clock: FakeClock) -> None:
    people = await two_cells(database, clock)
    a, b = people["Chi bộ A"], people["Chi bộ B"]
    assert isinstance(a, Caller) and isinstance(b, Caller)
    a_group = Caller(a.telegram_user_id, -100500, a.telegram_name, False, "Nhóm")
    b_group = Caller(b.telegram_user_id, -100500, b.telegram_name, False, "Nhóm")
    in_a, in_b = request(database, clock, a_group), request(database, clock, b_group)
    assert (await groups.link_group(in_a, ChosenCell())).text.key == "linkgroup.done"
    assert (await groups.link_group(in_a, ChosenCell())).text.key == "linkgroup.already"
    with pytest.raises(Refused) as refusal:
        await groups.link_group(in_b, ChosenCell())
    assert refusal.value.text.key == "linkgroup.taken"
    await groups.group_migrated(database, -100500, -100999)
    assert (await groups.link_group(in_a, ChosenCell())).text.key == "linkgroup.done"


async def test_many_cells_are_listed_a_page_at_a_time(database: Database, clock: FakeClock) -> None:
    created = await onboarding.create_organisation(database, "Đảng bộ Tỉnh", clock.now())
    supervisor = caller(1, "Trần Văn Hùng")
    await join(database, clock, supervisor, created.setup_token)
    for number in range(25):
        await creation.new_cell(
            request(database, clock, supervisor), creation.CellName(f"Chi bộ {number:02d}")
        )
    first = await overview.cells_overview(request(database, clock, supervisor), overview.Page())
    # Twenty cells, the page turn, then the invitation of a fellow supervisor and the
    # organisation's settings.
    assert len(first.buttons) == 23 and first.text.args["pages"] == 2
    assert [b.text.key for b in first.buttons[-3]] == ["common.next"]
    assert [b.text.key for b in first.buttons[-2]] == ["cells.supervisor_invite_button"]
    assert [b.text.key for b in first.buttons[-1]] == ["org.settings.button"]
    second = await overview.cells_overview(
        request(database, clock, supervisor), overview.Page(page=1)
    )
    assert len(second.buttons) == 8 and second.text.args["page"] == 2
    assert [b.text.key for b in second.buttons[-3]] == ["common.previous"]
