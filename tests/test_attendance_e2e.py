"""Attendance end to end: answers with reasons, check-in, the roll, quorum, repeated absences."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from domain.attendance import RollStatus
from domain.messages import Text
from emulator import EmuUser, SentMessage
from services.views import summary
from storage.models import Invitation, Meeting
from tests.conftest import VIETNAM
from tests.harness import RunningBot, cell_with_members, forged_press, plan_and_send

CODE = re.compile(r"\b(\d{6})\b")


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=VIETNAM)


def invitation(bot: RunningBot, user: EmuUser) -> SentMessage:
    labels = {bot.t(lang, "rsvp.attend") for lang in ("vi", "en")}
    [found] = [
        m
        for m in bot.emulator.messages(user.id)
        if labels & set(m.button_texts()) and "📣" in (m.text or "")
    ]
    return found


async def schedule_and_invite(
    bot: RunningBot, secretary: EmuUser, lang: str, kind: str, when: str, theme: str | None = None
) -> None:
    t = bot.t
    kinds = await bot.send(secretary, "/schedule")
    await bot.press(secretary, kinds, t(lang, kind))
    reply = await bot.send(secretary, when)
    if t(lang, "schedule.late_yes") in reply.button_texts():
        await bot.press(secretary, reply, t(lang, "schedule.late_yes"))
    confirm = await bot.send(secretary, "Hội trường")
    if theme is not None:
        confirm = await bot.send(secretary, theme)
    card = await bot.press(secretary, confirm, t(lang, "schedule.create"))
    await bot.press(secretary, card, t(lang, "meeting.broadcast"))


async def test_from_invitation_to_closed_roll_for_a_cell_of_twelve(
    bot: RunningBot, lang: str
) -> None:
    emu, t = bot.emulator, bot.t
    names = [f"Đảng Viên {n:02d}" for n in range(1, 12)]
    cell = await cell_with_members(bot, names, lang)
    lan, m = cell.secretary, cell.members
    # M11 is exempted from meetings: listed, never expected.
    listing = await bot.send(lan, "/members")
    card = await bot.press(lan, listing, f"12. {names[10]}")
    await bot.press(lan, card, t(lang, "status.exempted"))
    await schedule_and_invite(bot, lan, lang, "meeting.kind.regular", "05/12 19:30")

    # Answers: six will attend, three are absent with reasons, the rest say nothing.
    for member in m[:6]:
        await bot.press(member, invitation(bot, member), t(lang, "rsvp.attend"))
    for member, reason in ((m[6], "rsvp.reason.illness"), (m[7], "rsvp.reason.business_trip")):
        reasons = await bot.press(member, invitation(bot, member), t(lang, "rsvp.absent"))
        await bot.press(member, reasons, t(lang, reason))
    reasons = await bot.press(m[8], invitation(bot, m[8]), t(lang, "rsvp.absent"))
    asked = await bot.press(m[8], reasons, t(lang, "rsvp.reason.other"))
    assert asked.text == t(lang, "rsvp.ask_note")
    noted = await bot.send(m[8], "Học lớp trung cấp chính trị")
    assert (noted.text or "").endswith(
        t(lang, "rsvp.answer.absent", reason="Học lớp trung cấp chính trị")
    )
    # An answer can change until the start: M1 says absent, then attend again.
    reasons = await bot.press(m[0], invitation(bot, m[0]), t(lang, "rsvp.absent"))
    await bot.press(m[0], reasons, t(lang, "rsvp.reason.family"))
    await bot.press(m[0], invitation(bot, m[0]), t(lang, "rsvp.attend"))

    # The secretary's view: counts and names by answer; the exempted member left out.
    answers = (await bot.send(lan, "/attendance")).text or ""
    assert (
        t(lang, "attendance.absent_name", name=names[6], reason=t(lang, "rsvp.reason.illness"))
        in answers
    )
    assert (
        t(lang, "attendance.absent_name", name=names[8], reason="Học lớp trung cấp chính trị")
        in answers
    )
    assert names[10] not in answers
    [meeting] = await bot.rows(Meeting)
    header = t(
        lang,
        "attendance.overview",
        summary=summary(meeting, "Chi bộ Phòng Tổng hợp"),
        expected=11,
        exempted=Text("attendance.exempted_clause", {"count": 1}),
        attend_count=6,
        attend="",
        absent_count=3,
        absent="",
        none_count=2,
        none="",
        code="",
    )
    for line in header.splitlines():
        assert line in answers

    # Check-in: refused before the window, then by button and by the room's code.
    bot.clock.set(local(5, 18, 59))
    early = await bot.send(m[0], "/checkin")
    assert early.text == t(lang, "checkin.too_early", opens=local(5, 19, 0))
    bot.clock.set(local(5, 19, 0))
    await plan_and_send(bot)
    for member in m[:4]:
        prompt = bot.last(member.id)
        done = await bot.press(member, prompt, t(lang, "checkin.button"))
        assert (done.text or "").startswith(t(lang, "checkin.done", summary="")[:5])
    assert bot.last(m[6].id).text != t(lang, "checkin.prompt", summary="")  # absent: no prompt
    view = await bot.send(lan, "/attendance")
    code = CODE.search(view.text or "")
    assert code is not None
    assert (await bot.send(m[4], "000000" if code.group(1) != "000000" else "111111")).text == (
        t(lang, "checkin.bad_code")
    )
    assert (await bot.send(m[4], code.group(1))).text == t(
        lang, "checkin.done", summary=(bot.last(m[4].id).text or "").split("\n\n", 1)[1]
    )
    outsider = emu.user(77_777, "Người Ngoài")
    # Someone from no cell typing the code (in the default language, having chosen none).
    assert (await bot.send(outsider, code.group(1))).text == t("vi", "error.not_registered")

    # The roll: prefilled from check-ins and excuses only, then completed by the secretary.
    bot.clock.set(local(5, 19, 40))
    roll = await bot.press(lan, view, t(lang, "attendance.open_roll"))

    def button_of(user_name: str) -> str:
        [label] = [b for b in roll.button_texts() if user_name in b]
        return label

    assert button_of(names[0]).startswith("✅")  # checked in
    assert button_of(names[5]).startswith("❔")  # said attend, not checked in: undecided
    assert button_of(names[6]).startswith("🟡")  # excused
    assert button_of(names[9]).startswith("❔")  # no answer
    assert not any(names[10] in b for b in roll.button_texts())  # exempted: no button
    # M10 and the secretary came without answering; M6 did not come after all and is left
    # unmarked.
    roll = await bot.press(lan, roll, button_of(names[9]))
    roll = await bot.press(lan, roll, button_of("Nguyễn Thị Lan"))
    assert button_of(names[5]).startswith("❔") and button_of(names[9]).startswith("✅")

    # Closing asks about M6, then: 7 present of 11 expected (64%), quorum needs 8 (two thirds
    # of 11, rounded up).
    asked = await bot.press(lan, roll, t(lang, "roll.close"))
    assert asked.text == t(
        lang,
        "roll.undecided",
        count=1,
        names=[Text("roll.undecided_name", {"name": names[5]})],
    )
    closed = await bot.press(lan, asked, t(lang, "roll.confirm_unexcused"))
    [meeting] = await bot.rows(Meeting)
    assert closed.text == t(
        lang,
        "roll.summary",
        summary=summary(meeting, "Chi bộ Phòng Tổng hợp"),
        present=7,
        expected=11,
        percent=64,
        excused=3,
        unexcused=1,
        quorum=t(lang, "roll.quorum_missed"),
        warnings=t(
            lang,
            "roll.warnings",
            lines=[Text("roll.no_quorum", {"needed": 8}), Text("roll.below_norm")],
        ),
    )
    statuses = {i.person_id: i.roll_status for i in await bot.rows(Invitation)}
    assert sorted(statuses.values(), key=str) == sorted(
        [RollStatus.PRESENT] * 7 + [RollStatus.EXCUSED] * 3 + [RollStatus.UNEXCUSED] + [None],
        key=str,
    )  # the exempted member is never recorded absent
    assert meeting.roll_closed_at == local(5, 19, 40)

    # After closing: the roll message has no buttons left, and check-in is over.
    assert closed.button_texts() == []
    late = await bot.send(m[10], "/checkin")
    assert late.text == t(lang, "checkin.roll_closed")


async def test_roll_buttons_resist_forgery_double_presses_and_outsiders(bot: RunningBot) -> None:
    emu, t = bot.emulator, bot.t
    cell = await cell_with_members(bot, ["Lê Văn Minh", "Phạm Thị Hoa"])
    lan, (minh, hoa) = cell.secretary, cell.members
    await schedule_and_invite(bot, lan, "vi", "meeting.kind.regular", "05/12 19:30")
    # Before the window the view has no roll button (only the check-in QR code's).
    assert (await bot.send(lan, "/attendance")).button_texts() == [t("vi", "attendance.qr")]
    bot.clock.set(local(5, 19, 30))
    view = await bot.send(lan, "/attendance")
    roll = await bot.press(lan, view, t("vi", "attendance.open_roll"))
    [(_, data)] = [b for row in roll.buttons() for b in row if "Lê Văn Minh" in b[0]]
    assert data is not None

    # A member pressing the secretary's button: refused, nothing changes.
    pressed = emu.press_button(minh, roll, callback_data=data)
    await bot.settle(pressed)
    assert bot.answer(pressed) == t("vi", "error.not_your_button")
    # Tampered data: refused.
    forged = forged_press(bot, lan, roll, data[:-2] + "zz")
    await bot.settle(forged)
    assert bot.answer(forged) == t("vi", "error.stale_button")
    before = {i.person_id: i.roll_status for i in await bot.rows(Invitation)}
    # A double press: the same button twice moves the status once.
    for _ in range(2):
        pressed = forged_press(bot, lan, roll, data)
        await bot.settle(pressed)
    after = {i.person_id: i.roll_status for i in await bot.rows(Invitation)}
    changed = {p for p in after if after[p] != before[p]}
    assert len(changed) == 1
    [person] = changed
    assert after[person] is (before[person] or RollStatus.PRESENT).next()
    # A replayed update changes nothing either.
    emu.replay(pressed)
    await bot.send(hoa, "/help")
    assert {i.person_id: i.roll_status for i in await bot.rows(Invitation)} == after
    # A member can't open or close the roll of their cell.
    assert (await bot.send(minh, "/attendance")).text == t("vi", "error.not_manager")


async def test_a_third_absence_without_reason_is_flagged_once(bot: RunningBot) -> None:
    emu, t = bot.emulator, bot.t
    cell = await cell_with_members(bot, ["Lê Văn Minh", "Phạm Thị Hoa"])
    lan, hung, minh = cell.secretary, cell.supervisor, cell.members[0]
    meetings = (
        ("meeting.kind.regular", "05/12 19:30", None, 5),
        ("meeting.kind.thematic", "12/12 08:00", "Học tập Nghị quyết", 12),
        ("meeting.kind.committee", "19/12 08:00", None, 19),
        ("meeting.kind.committee", "26/12 08:00", None, 26),
    )
    for kind, when, theme, _ in meetings:
        await schedule_and_invite(bot, lan, "vi", kind, when, theme)
    for number, (_, _, _, day) in enumerate(meetings, start=1):
        hour = 19 if day == 5 else 8
        bot.clock.set(local(day, hour, 30))
        view = await bot.send(lan, "/attendance")
        roll = await bot.press(lan, view, t("vi", "attendance.open_roll"))
        # Hoa and the secretary come; Minh never answers and never comes.
        for name in ("Phạm Thị Hoa", "Nguyễn Thị Lan"):
            [label] = [b for b in roll.button_texts() if name in b]
            if label.startswith("❔"):
                roll = await bot.press(lan, roll, label)
        asked = await bot.press(lan, roll, t("vi", "roll.close"))
        await bot.press(lan, asked, t("vi", "roll.confirm_unexcused"))
        flags = [
            m.text
            for chat in (lan.id, hung.id)
            for m in emu.messages(chat)
            if "Lê Văn Minh" in (m.text or "") and (m.text or "").startswith("⚠️")
        ]
        assert len(flags) == (0 if number < 3 else 2), (number, flags)
    [flag] = [m.text for m in emu.messages(hung.id) if (m.text or "").startswith("⚠️ Lê")]
    assert flag is not None and "3" in flag and "2026" in flag
    assert not [m for m in emu.messages(minh.id) if (m.text or "").startswith("⚠️")]


async def test_a_cell_without_exempted_members_is_not_told_of_zero_exempted(
    bot: RunningBot,
) -> None:
    t = bot.t
    cell = await cell_with_members(bot, ["Lê Văn Minh", "Phạm Thị Hoa"])
    lan = cell.secretary
    kinds = await bot.send(lan, "/schedule")
    await bot.press(lan, kinds, t("vi", "meeting.kind.regular"))
    await bot.send(lan, "05/12 19:30")
    confirm = await bot.send(lan, "Hội trường")
    card = await bot.press(lan, confirm, t("vi", "schedule.create"))
    await bot.press(lan, card, t("vi", "meeting.broadcast"))
    answers = (await bot.send(lan, "/attendance")).text or ""
    assert "Dự kiến: 3 đảng viên\n" in answers
    assert "miễn sinh hoạt" not in answers


def answers_to(bot: RunningBot, update_id: int) -> int:
    """How many times the bot answered the press (Telegram takes only the first)."""
    callback_id = bot.emulator.world.callback_by_update[update_id]
    return sum(
        1
        for call in bot.emulator.calls("answerCallbackQuery")
        if call.params.get("callback_query_id") == callback_id
    )


async def test_a_press_refused_inside_its_transaction_is_refused_once_when_delivered_again(
    bot: RunningBot,
) -> None:
    """The meeting has started: the answer is refused inside the press's transaction, which
    rolls back with the claim of the update. The claim is made again before the refusal is
    shown, so that the same press delivered again (Telegram's retry, another replica) is not
    refused a second time."""
    emu, t = bot.emulator, bot.t
    cell = await cell_with_members(bot, ["Lê Văn Minh"])
    [minh] = cell.members
    await schedule_and_invite(bot, cell.secretary, "vi", "meeting.kind.regular", "05/12 19:30")
    card = invitation(bot, minh)
    bot.clock.set(local(5, 19, 45))
    update_id = emu.press_button(minh, card, text=t("vi", "rsvp.attend"))
    await bot.settle(update_id)
    assert bot.answer(update_id) == t("vi", "rsvp.closed")
    emu.replay(update_id)
    # Updates are handled in order, so once a later one is answered the replay was seen.
    await bot.send(minh, "/help")
    assert answers_to(bot, update_id) == 1
    assert [invited.response for invited in await bot.rows(Invitation)] == [None, None]


async def test_a_press_whose_answer_cannot_be_recorded_is_apologised_for_once(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The answer's statement fails after the press was claimed, in the same transaction:
    both are rolled back, the press is claimed again and apologised for, its redelivery is
    silent, and pressing again records the answer."""
    from services import rsvp

    emu, t = bot.emulator, bot.t
    cell = await cell_with_members(bot, ["Lê Văn Minh"])
    [minh] = cell.members
    await schedule_and_invite(bot, cell.secretary, "vi", "meeting.kind.regular", "05/12 19:30")
    record_answer = rsvp.record_answer

    async def fails_once(*args: Any, **kwargs: Any) -> None:
        monkeypatch.setattr(rsvp, "record_answer", record_answer)
        raise OperationalError("INSERT INTO invitation", {}, ConnectionResetError("reset"))

    monkeypatch.setattr(rsvp, "record_answer", fails_once)
    card = invitation(bot, minh)
    update_id = emu.press_button(minh, card, text=t("vi", "rsvp.attend"))
    await bot.settle(update_id)
    assert bot.answer(update_id) == t("vi", "error.generic")
    assert emu.message(minh.id, card.message_id) == card, "the invitation is as it was"
    emu.replay(update_id)
    await bot.send(minh, "/help")
    assert answers_to(bot, update_id) == 1
    assert [invited.response for invited in await bot.rows(Invitation)] == [None, None]
    answered = await bot.press(minh, invitation(bot, minh), t("vi", "rsvp.attend"))
    assert t("vi", "rsvp.answer.attend") in (answered.text or "")
    assert sorted(str(i.response) for i in await bot.rows(Invitation)) == ["None", "attend"]
