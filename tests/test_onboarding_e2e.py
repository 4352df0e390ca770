"""Onboarding end to end: the real Application against the Bot API emulator over HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.logging import JsonFormatter
from chat.menus import MENU_COMMANDS
from domain.permissions import Menu
from domain.roles import MemberStatus, Role
from storage.models import Cell, Membership, MembershipChange, Person, SupervisorScope
from tests.harness import (
    TOKEN,
    RunningBot,
    cell_with_members,
    choose_language,
    forged_press,
    join,
    link_in,
    setup_link,
    token_of,
)


async def test_from_setup_link_to_a_managed_cell(bot: RunningBot, lang: str) -> None:
    emu = bot.emulator
    hung = emu.user(2001, "Trần Văn Hùng", language_code="vi")
    lan = emu.user(2002, "Lan")
    minh = emu.user(2003, "Lê Văn Minh")
    hoa = emu.user(2004, "Phạm Thị Hoa")
    t = bot.t

    # The supervisor opens the setup link printed by `chibo org create`.
    await choose_language(bot, hung, lang)
    question = await bot.send(hung, f"/start {token_of(await setup_link(bot))}")
    assert question.text == t(
        lang, "join.ask_name.setup", organisation="Đảng bộ Văn phòng UBND tỉnh", cell=""
    )
    assert question.button_texts() == ["✅ Trần Văn Hùng"]
    done = await bot.press(hung, question, "✅ Trần Văn Hùng")
    assert done.text == t(lang, "join.done.setup", organisation="Đảng bộ Văn phòng UBND tỉnh")
    [scope] = await bot.rows(SupervisorScope)
    assert scope.cell_id is None
    supervisor_menu = [c["command"] for c in emu.commands({"type": "chat", "chat_id": hung.id})]
    assert {"newcell", "cells"} <= set(supervisor_menu)

    # He creates a cell; the name is asked for, then a one-time secretary link is given.
    assert (await bot.send(hung, "/newcell")).text == t(lang, "newcell.ask_name")
    created = await bot.send(hung, "Chi bộ Phòng Tổng hợp")
    secretary_link = link_in(created)
    [cell] = await bot.rows(Cell)
    assert cell.name == "Chi bộ Phòng Tổng hợp" and cell.group_chat_id is None

    # The secretary joins, typing a fuller name than her Telegram one.
    welcome = await join(bot, lan, secretary_link, lang, typed_name="  Nguyễn  Thị Lan ")
    assert welcome.text == t(
        lang, "join.done.secretary", cell=cell.name, organisation="Đảng bộ Văn phòng UBND tỉnh"
    )
    [lan_person] = await bot.rows(Person, Person.telegram_user_id == lan.id)
    assert lan_person.full_name == "Nguyễn Thị Lan"
    manager_menu = [c["command"] for c in emu.commands({"type": "chat", "chat_id": lan.id})]
    assert {"invite", "members"} <= set(manager_menu) and "newcell" not in manager_menu

    # She gets the member link; two members join with it and she is told each time.
    invite = await bot.send(lan, "/invite")
    assert invite.button_texts() == [
        t(lang, "invite.revoke_button"),
        t(lang, "invite.renew_button"),
    ]
    member_link = link_in(invite)
    for member in (minh, hoa):
        joined = await join(bot, member, member_link, lang)
        assert joined.text == t(
            lang, "join.done.member", cell=cell.name, organisation="Đảng bộ Văn phòng UBND tỉnh"
        )
        notice = bot.last(lan.id)
        # Notices go out in the secretary's own language.
        assert notice.text == t(
            lang, "notice.member_joined", name=member.first_name, cell=cell.name
        )

    # The member list, with roles and statuses.
    listing = await bot.send(lan, "/members")
    lines = (listing.text or "").splitlines()

    def full_member(number: int, name: str, role: str) -> str:
        return t(
            lang,
            "members.line",
            number=number,
            name=name,
            role=t(lang, role),
            status=t(lang, "status.full"),
        )

    assert full_member(1, "Nguyễn Thị Lan", "role.secretary") in lines
    assert full_member(2, "Lê Văn Minh", "role.member") in lines

    # Minh becomes probationary, then deputy; his menu follows his new role.
    card = await bot.press(lan, listing, "2. Lê Văn Minh")
    card = await bot.press(lan, card, t(lang, "status.probationary"))
    assert f"✓ {t(lang, 'status.probationary')}" in card.button_texts()
    card = await bot.press(lan, card, t(lang, "members.make_deputy"))
    [minh_membership] = await bot.rows(
        Membership,
        Membership.person_id == (await bot.rows(Person, Person.telegram_user_id == minh.id))[0].id,
    )
    assert (minh_membership.role, minh_membership.status) == (
        Role.DEPUTY,
        MemberStatus.PROBATIONARY,
    )
    assert "members" in [c["command"] for c in emu.commands({"type": "chat", "chat_id": minh.id})]
    changes = await bot.rows(MembershipChange, MembershipChange.membership_id == minh_membership.id)
    assert [(c.field, c.old_value, c.new_value) for c in changes] == [
        ("status", "full", "probationary"),
        ("role", "member", "deputy"),
    ]

    # Hoa is removed after a confirmation; her history stays.
    listing = await bot.send(lan, "/members")
    card = await bot.press(lan, listing, "3. Phạm Thị Hoa")
    confirm = await bot.press(lan, card, t(lang, "members.remove"))
    assert confirm.text == t(lang, "members.remove_confirm", name="Phạm Thị Hoa")
    after = await bot.press(lan, confirm, t(lang, "members.remove_yes"))
    assert "Phạm Thị Hoa" not in (after.text or "")
    [hoa_membership] = await bot.rows(
        Membership, Membership.cell_id == cell.id, Membership.left_at.is_not(None)
    )
    assert hoa_membership.left_at == bot.clock.now()

    # The cell's group chat is linked by its secretary.
    group = emu.group(-1001234, "Chi bộ Phòng Tổng hợp")
    linked = await bot.send(lan, "/linkgroup", chat=group)
    assert linked.text == t(lang, "linkgroup.done", cell=cell.name, group="Chi bộ Phòng Tổng hợp")
    [cell] = await bot.rows(Cell)
    assert cell.group_chat_id == group.id

    # The supervisor's overview.
    overview = await bot.send(hung, "/cells")
    assert t(
        lang,
        "cells.line",
        cell=cell.name,
        secretary="Nguyễn Thị Lan",
        members=2,
        group=t(lang, "cells.group_linked"),
    ) in (overview.text or "")


async def test_help_shows_the_commands_of_each_role(bot: RunningBot) -> None:
    stranger = bot.emulator.user(3001, "Người Lạ")
    start = await bot.send(stranger, "/start")
    assert start.text is not None and start.text.startswith("Xin chào! Tôi là chibo")
    help_text = (await bot.send(stranger, "/help")).text or ""
    assert "/lang" in help_text and "/members" not in help_text and "/newcell" not in help_text
    hung = bot.emulator.user(3002, "Trần Văn Hùng")
    await join(bot, hung, await setup_link(bot), "vi")
    help_text = (await bot.send(hung, "/help")).text or ""
    assert "/newcell — Tạo chi bộ mới" in help_text and "/members" not in help_text
    default_menu = bot.emulator.commands({"type": "all_private_chats"})
    # Everyone's menu: the member commands, none of the managers' or supervisors'.
    assert [c["command"] for c in default_menu] == [name for name, _ in MENU_COMMANDS[Menu.MEMBER]]
    assert {"start", "help", "lang"} <= {c["command"] for c in default_menu}
    assert not {"members", "newcell"} & {c["command"] for c in default_menu}
    english_menu = bot.emulator.commands({"type": "all_private_chats"}, language_code="en")
    assert english_menu[1]["description"] == "Show the commands"


async def test_bad_links_are_refused_clearly(bot: RunningBot) -> None:
    emu, t = bot.emulator, bot.t
    hung = emu.user(4001, "Trần Văn Hùng")
    lan = emu.user(4002, "Nguyễn Thị Lan")
    thief = emu.user(4003, "Kẻ Gian")
    late = emu.user(4004, "Đến Muộn")

    forged = await bot.send(thief, "/start bm90LWEtcmVhbC10b2tlbg")
    assert forged.text == t("vi", "invite.problem.unknown")
    assert (
        forged.text == "Đường link này không hợp lệ. Đồng chí hãy xin bí thư chi bộ một link mới."
    )
    overlong = await bot.send(thief, "/start " + "x" * 500)
    assert overlong.text == t("vi", "invite.problem.unknown")

    await join(bot, hung, await setup_link(bot), "vi")
    await bot.send(hung, "/newcell Chi bộ Kho bạc")
    secretary_link = link_in(bot.last(hung.id))
    await join(bot, lan, secretary_link, "vi")
    # A one-time link can't be used twice.
    reused = await bot.send(thief, f"/start {token_of(secretary_link)}")
    assert reused.text == t("vi", "invite.problem.used_up")

    invite = await bot.send(lan, "/invite")
    member_link = link_in(invite)
    revoked = await bot.press(lan, invite, t("vi", "invite.revoke_button"))
    assert revoked.text == t("vi", "invite.revoked")
    assert (await bot.send(thief, f"/start {token_of(member_link)}")).text == t(
        "vi", "invite.problem.revoked"
    )

    fresh_link = link_in(await bot.send(lan, "/invite"))
    assert fresh_link != member_link
    bot.clock.advance(timedelta(days=bot.settings.member_invite_days, seconds=1))
    expired = await bot.send(late, f"/start {token_of(fresh_link)}")
    assert expired.text == t("vi", "invite.problem.expired")
    assert await bot.rows(Person, Person.telegram_user_id.in_([thief.id, late.id])) == []


async def test_a_question_answered_after_its_link_expired_is_refused(bot: RunningBot) -> None:
    emu, t = bot.emulator, bot.t
    hung = emu.user(4101, "Trần Văn Hùng")
    await join(bot, hung, await setup_link(bot), "vi")
    created = await bot.send(hung, "/newcell Chi bộ Kho bạc")
    newcomer = emu.user(4102, "An")
    question = await bot.send(newcomer, f"/start {token_of(link_in(created))}")
    assert question.text == t(
        "vi",
        "join.ask_name.secretary",
        cell="Chi bộ Kho bạc",
        organisation="Đảng bộ Văn phòng UBND tỉnh",
    )
    bad = await bot.send(newcomer, "12345")
    assert bad.text == t("vi", "join.bad_name")
    bot.clock.advance(timedelta(days=4))
    late = await bot.send(newcomer, "Trần Thị An")
    assert late.text == t("vi", "invite.problem.expired")
    # The dead question is forgotten: further text is just text.
    again = await bot.send(newcomer, "Trần Thị An")
    assert again.text == t("vi", "fallback.unknown_text")
    assert await bot.rows(Membership) == []


async def test_roles_are_checked_on_every_command(bot: RunningBot) -> None:
    emu, t = bot.emulator, bot.t
    hung = emu.user(5001, "Trần Văn Hùng")
    lan = emu.user(5002, "Nguyễn Thị Lan")
    minh = emu.user(5003, "Lê Văn Minh")
    stranger = emu.user(5004, "Người Lạ")
    await join(bot, hung, await setup_link(bot), "vi")
    secretary_link = link_in(await bot.send(hung, "/newcell Chi bộ A"))
    await join(bot, lan, secretary_link, "vi")
    await join(bot, minh, link_in(await bot.send(lan, "/invite")), "vi")

    assert (await bot.send(minh, "/newcell Chi bộ Giả")).text == t("vi", "error.not_supervisor")
    assert (await bot.send(minh, "/members")).text == t("vi", "error.not_manager")
    assert (await bot.send(minh, "/invite")).text == t("vi", "error.not_manager")
    assert (await bot.send(lan, "/newcell Chi bộ B")).text == t("vi", "error.not_supervisor")
    assert (await bot.send(stranger, "/members")).text == t("vi", "error.not_registered")
    assert len(await bot.rows(Cell)) == 1

    # Manager commands stay out of group chats; /linkgroup needs the group.
    group = emu.group(-100777, "Nhóm chung")
    assert (await bot.send(lan, "/members", chat=group)).text == t("vi", "error.private_only")
    assert (await bot.send(lan, "/linkgroup")).text == t("vi", "linkgroup.not_in_group")
    assert (await bot.send(minh, "/linkgroup", chat=group)).text == t("vi", "error.not_manager")

    # A button shown to the secretary does nothing for anyone else.
    listing = await bot.send(lan, "/members")
    update_id = emu.press_button(minh, listing, text="2. Lê Văn Minh")
    await bot.settle(update_id)
    assert bot.answer(update_id) == t("vi", "error.not_your_button")
    assert bot.last(lan.id).text == listing.text

    # Forged callback data is refused without effect.
    update_id = emu.press_button(lan, listing, text="2. Lê Văn Minh")
    await bot.settle(update_id)
    forged = forged_press(bot, lan, listing, "member.change:1:remove")
    await bot.settle(forged)
    assert bot.answer(forged) == t("vi", "error.stale_button")
    assert len(await bot.rows(Membership, Membership.left_at.is_(None))) == 2


async def test_a_replayed_update_changes_nothing(bot: RunningBot) -> None:
    emu = bot.emulator
    hung = emu.user(6001, "Trần Văn Hùng")
    await join(bot, hung, await setup_link(bot), "vi")
    update_id = emu.send_text(hung, "/newcell Chi bộ Một")
    await bot.settle(update_id)
    replies_before = len(emu.messages(hung.id))
    emu.replay(update_id)
    # Updates are handled in order, so once a later one is answered the replay was seen.
    await bot.send(hung, "/help")
    assert len(emu.messages(hung.id)) == replies_before + 1
    assert [c.name for c in await bot.rows(Cell)] == ["Chi bộ Một"]


async def test_a_failing_handler_apologises_in_the_user_s_language(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from services.cells import members

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database exploded while reading Nguyễn Thị Lan")

    monkeypatch.setattr(members, "members_page", broken)
    lan = bot.emulator.user(7001, "Nguyễn Thị Lan")
    reply = await bot.send(lan, "/members")
    assert reply.text == "Đã có lỗi xảy ra. Đồng chí vui lòng thử lại sau ít phút."
    await choose_language(bot, lan, "en")
    reply = await bot.send(lan, "/members")
    assert reply.text == "Something went wrong. Please try again in a moment."
    # The failure is logged, with where it happened but without the member's name.
    formatter = JsonFormatter([TOKEN])
    lines = [formatter.format(record) for record in caplog.records]
    failures = [line for line in lines if '"handler failed"' in line]
    assert len(failures) == 2
    assert all('"error": "RuntimeError"' in line and "Nguyễn" not in line for line in failures)
    assert all("Nguyễn Thị Lan" not in line and TOKEN not in line for line in lines)


async def test_a_member_who_never_chose_a_language_is_greeted_as_a_member(
    bot: RunningBot,
) -> None:
    t = bot.t
    cell = await cell_with_members(bot, ["Lê Văn Minh"], first_id=8001, cell_name="Chi bộ A")
    [minh] = cell.members
    greeting = await bot.send(minh, "/start")
    assert greeting.text is not None
    assert greeting.text.startswith(t("vi", "help.text", sections=[])[:10])
    assert "/lang" in greeting.text and "/members" not in greeting.text


async def test_only_the_newest_secretary_link_works(bot: RunningBot) -> None:
    emu, t = bot.emulator, bot.t
    hung, lan, stray = (
        emu.user(8101, "Trần Văn Hùng"),
        emu.user(8102, "Nguyễn Thị Lan"),
        emu.user(8103, "Người Nhặt Được"),
    )
    await join(bot, hung, await setup_link(bot), "vi")
    first_link = link_in(await bot.send(hung, "/newcell Chi bộ A"))
    overview = await bot.send(hung, "/cells")
    menu = await bot.press(hung, overview, "Chi bộ A")
    second_link = link_in(await bot.press(hung, menu, "🔗 Link bí thư: Chi bộ A"))
    await join(bot, lan, second_link, "vi")
    taken_over = await bot.send(stray, f"/start {token_of(first_link)}")
    assert taken_over.text == t("vi", "invite.problem.revoked")
    [secretary] = await bot.rows(Membership, Membership.role == Role.SECRETARY)
    [lan_person] = await bot.rows(Person, Person.telegram_user_id == lan.id)
    assert secretary.person_id == lan_person.id


async def test_a_removed_member_cannot_rejoin_with_the_same_link(bot: RunningBot) -> None:
    t = bot.t
    cell = await cell_with_members(bot, ["Lê Văn Minh"], first_id=8201, cell_name="Chi bộ A")
    lan, [minh], member_link = cell.secretary, cell.members, cell.member_link
    card = await bot.press(lan, await bot.send(lan, "/members"), "2. Lê Văn Minh")
    confirm = await bot.press(lan, card, t("vi", "members.remove"))
    await bot.press(lan, confirm, t("vi", "members.remove_yes"))
    again = await bot.send(minh, f"/start {token_of(member_link)}")
    assert again.text == t("vi", "invite.removed", cell="Chi bộ A")
    # A new link made afterwards lets him back: the removal was not a ban.
    bot.clock.advance(timedelta(minutes=5))
    renewed = await bot.press(lan, await bot.send(lan, "/invite"), t("vi", "invite.renew_button"))
    assert link_in(renewed) != member_link
    welcome = await bot.send(minh, f"/start {token_of(link_in(renewed))}")
    assert welcome.text == t(
        "vi", "join.done.member", cell="Chi bộ A", organisation="Đảng bộ Văn phòng UBND tỉnh"
    )
