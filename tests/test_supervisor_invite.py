"""A supervisor brings a fellow supervisor in from the chat, with a one-use link."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import Person, SupervisorScope
from tests.harness import RunningBot, cell_with_members, join, link_in, token_of


async def test_a_supervisor_invites_a_fellow_supervisor_with_a_one_use_link(
    bot: RunningBot,
) -> None:
    t, emu = bot.t, bot.emulator
    cell = await cell_with_members(bot, ["Lê Văn Minh"])
    overview = await bot.send(cell.supervisor, "/cells")
    button = t("vi", "cells.supervisor_invite_button", organisation="Đảng bộ Văn phòng UBND tỉnh")
    assert button in overview.button_texts()
    shown = await bot.press(cell.supervisor, overview, button)
    link = link_in(shown)

    fellow = emu.user(30_001, "Võ Thị Mai")
    await join(bot, fellow, link, "vi")
    digest = await bot.send(fellow, "/cells")
    assert "Chi bộ Phòng Tổng hợp" in (digest.text or "")
    async with bot.database.transaction() as session:
        mai = await session.scalar(select(Person).where(Person.telegram_user_id == fellow.id))
        assert mai is not None
        mine = select(SupervisorScope).where(SupervisorScope.person_id == mai.id)
        scopes = (await session.scalars(mine)).all()
    assert [scope.cell_id for scope in scopes] == [None]  # the whole organisation

    # One use: a third person opening the same link is refused.
    stranger = emu.user(30_002, "Người Lạ")
    refused = await bot.send(stranger, f"/start {token_of(link)}")
    assert refused.text == t("vi", "invite.problem.used_up")
    assert (await bot.send(stranger, "/cells")).text != digest.text


async def test_secretaries_and_members_are_not_offered_the_invite(bot: RunningBot) -> None:
    cell = await cell_with_members(bot, ["Lê Văn Minh"])
    for person in (cell.secretary, cell.members[0]):
        reply = await bot.send(person, "/cells")
        assert not any("➕" in label for label in reply.button_texts())


async def test_a_working_group_member_is_invited_to_follow_one_cell(bot: RunningBot) -> None:
    t, emu = bot.t, bot.emulator
    cell = await cell_with_members(bot, ["Lê Văn Minh"])
    await bot.send(cell.supervisor, "/newcell Chi bộ Khu phố 2")
    overview = await bot.send(cell.supervisor, "/cells")
    menu = await bot.press(
        cell.supervisor, overview, t("vi", "common.cell_button", cell="Chi bộ Phòng Tổng hợp")
    )
    shown = await bot.press(
        cell.supervisor,
        menu,
        t("vi", "cells.observer_invite_button", cell="Chi bộ Phòng Tổng hợp"),
    )
    link = link_in(shown)
    observer = emu.user(30_010, "Đinh Văn Tổ")
    done = await join(bot, observer, link, "vi")
    assert done.text == t(
        "vi",
        "join.done.observer",
        cell="Chi bộ Phòng Tổng hợp",
        organisation="Đảng bộ Văn phòng UBND tỉnh",
    )
    # They see the one cell they follow, not the organisation's others, and create none.
    theirs = (await bot.send(observer, "/cells")).text or ""
    assert "Chi bộ Phòng Tổng hợp" in theirs and "Chi bộ Khu phố 2" not in theirs
    refused = await bot.send(observer, "/newcell Chi bộ Mới")
    assert refused.text == t("vi", "error.not_supervisor")
    async with bot.database.transaction() as session:
        person = await session.scalar(select(Person).where(Person.telegram_user_id == observer.id))
        assert person is not None
        theirs_only = select(SupervisorScope).where(SupervisorScope.person_id == person.id)
        scopes = (await session.scalars(theirs_only)).all()
    assert len(scopes) == 1 and scopes[0].cell_id is not None
    # The link was for one person.
    again = await bot.send(emu.user(30_011, "Người Khác"), f"/start {token_of(link)}")
    assert again.text == t("vi", "invite.problem.used_up")
