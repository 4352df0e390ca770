"""Meetings end to end: a secretary schedules, edits the agenda and invites; members answer
and are reminded at the right local times; changes reach everyone once."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.outbox_render import OutboxSend, outbox_call
from domain.meetings import MeetingKind, Response
from domain.messages import Text
from emulator import EmuUser, SentMessage
from scheduler.dispatcher import OutboxDispatcher
from services.views import summary
from storage.models import (
    AgendaItem,
    CallbackAction,
    Invitation,
    Meeting,
    OutboxMessage,
    PendingInput,
)
from tests.conftest import VIETNAM
from tests.harness import (
    BOT_USERNAME,
    BotWith,
    RunningBot,
    cell_with_members,
    cells_created_on,
    eventually,
    forged_press,
    plan_and_send,
    token_of,
)

MEMBERS = ["Lê Văn Minh", "Phạm Thị Hoa", "Đỗ Văn Tư"]
# An invitation in private has the answer buttons; in a group, the one that opens the chat.
INVITATION_BUTTONS = ("rsvp.attend", "invitation.answer_privately")


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=VIETNAM)


def invitations_to(bot: RunningBot, user: EmuUser) -> list[SentMessage]:
    marker = {bot.t(lang, key) for lang in ("vi", "en") for key in INVITATION_BUTTONS}
    return [
        m
        for m in bot.emulator.messages(user.id)
        if any(label in m.button_texts() for label in marker)
    ]


def tokens_on(message: SentMessage) -> list[str]:
    """The callback data of the message's buttons, in order."""
    return [data for row in message.buttons() for _, data in row]


async def schedule_regular(
    bot: RunningBot, secretary: EmuUser, lang: str, when: str, place: str = "Hội trường tầng 2"
) -> SentMessage:
    t = bot.t
    kinds = await bot.send(secretary, "/schedule")
    asked = await bot.press(secretary, kinds, t(lang, "meeting.kind.regular"))
    assert asked.text == t(lang, "schedule.ask_when", kind=t(lang, "meeting.kind.regular"))
    assert len(asked.button_texts()) == 7  # the next seven days
    await bot.send(secretary, when)
    confirm = await bot.send(secretary, place)
    return await bot.press(secretary, confirm, t(lang, "schedule.create"))


async def broadcast_regular(bot: RunningBot, secretary: EmuUser, when: str) -> SentMessage:
    """A regular meeting scheduled in Vietnamese, its invitations sent; the card then."""
    card = await schedule_regular(bot, secretary, "vi", when)
    return await bot.press(secretary, card, bot.t("vi", "meeting.broadcast"))


async def test_schedule_edit_broadcast_answer_and_remind(bot: RunningBot, lang: str) -> None:
    emu, t = bot.emulator, bot.t
    cell = await cell_with_members(bot, MEMBERS, lang)
    lan = cell.secretary
    minh, hoa, tu = cell.members

    # Scheduling: a malformed date is explained, the question stays open.
    kinds = await bot.send(lan, "/schedule")
    await bot.press(lan, kinds, t(lang, "meeting.kind.regular"))
    assert (await bot.send(lan, "31/11 19:30")).text == t(lang, "date.impossible")
    assert (await bot.send(lan, "hôm nào cũng được")).text == t(lang, "date.malformed")
    # 15/12/2026 is a Tuesday: the secretary is asked, not given a meeting on the wrong day.
    wrong_day = await bot.send(lan, "T7 15/12 19:30")
    assert wrong_day.text == t(lang, "date.wrong_weekday", moment=local(2026, 12, 15, 19, 30))
    assert ("Thứ Ba, 15/12" if lang == "vi" else "Tue 15 Dec") in (wrong_day.text or "")
    assert (await bot.send(lan, "05/12 19:30")).text == t(lang, "schedule.ask_place")
    confirm = await bot.send(lan, "Hội trường tầng 2")
    assert await bot.rows(Meeting) == []  # nothing stored before the confirmation
    card = await bot.press(lan, confirm, t(lang, "schedule.create"))
    [meeting] = await bot.rows(Meeting)
    assert meeting.starts_at == local(2026, 12, 5, 19, 30)
    assert (meeting.kind, meeting.late, meeting.place) == (
        MeetingKind.REGULAR,
        False,
        "Hội trường tầng 2",
    )
    assert t(lang, "agenda.regular.news") in (card.text or "")
    assert (
        "Thứ Bảy, 05/12/2026 19:30" in (card.text or "")
        if lang == "vi"
        else ("Sat 5 Dec 2026, 19:30" in (card.text or ""))
    )

    # The agenda: move item 3 up, add one, edit the first, remove the second.
    editor = await bot.press(lan, card, t(lang, "meeting.edit_agenda"))
    item = await bot.press(lan, editor, f"3. {t(lang, 'agenda.regular.conduct')}")
    editor = await bot.press(lan, item, t(lang, "agenda.up"))
    asked = await bot.press(lan, editor, t(lang, "agenda.add"))
    assert asked.text == t(lang, "agenda.ask_add")
    editor = await bot.send(lan, "Góp ý dự thảo văn kiện Đại hội")
    item = await bot.press(lan, editor, f"1. {t(lang, 'agenda.regular.news')}")
    await bot.press(lan, item, t(lang, "agenda.edit"))
    editor = await bot.send(lan, "Thông tin thời sự tháng 12")
    item = await bot.press(lan, editor, f"2. {t(lang, 'agenda.regular.conduct')}")
    editor = await bot.press(lan, item, t(lang, "agenda.remove"))
    items = sorted(await bot.rows(AgendaItem), key=lambda i: i.position)
    assert [(i.title_key, i.title) for i in items] == [
        (None, "Thông tin thời sự tháng 12"),
        ("agenda.regular.review", None),
        ("agenda.regular.party_work", None),
        ("agenda.regular.next_month", None),
        ("agenda.regular.resolution", None),
        (None, "Góp ý dự thảo văn kiện Đại hội"),
    ]

    # Broadcast: everyone (the secretary too) gets the invitation, its buttons and a calendar.
    card = await bot.press(lan, editor, t(lang, "agenda.done"))
    sent = await bot.press(lan, card, t(lang, "meeting.broadcast"))
    heading = t(lang, "broadcast.done", count=4, group="", card="").rstrip()
    assert (sent.text or "").startswith(heading)
    for person in (lan, minh, hoa, tu):
        [invitation] = invitations_to(bot, person)
        assert "Góp ý dự thảo văn kiện Đại hội" in (invitation.text or "")
        assert invitation.button_texts() == [t(lang, "rsvp.attend"), t(lang, "rsvp.absent")]
        calendar = bot.last(person.id)
        assert calendar.document is not None
        assert calendar.document["file_name"].endswith(".ics")
        ics = (calendar.content or b"").decode()
        assert "DTSTART:20261205T123000Z" in ics and "SEQUENCE:1" in ics
        assert "Hội trường tầng 2" in ics

    # Answers: attend; absent with a reason; none.
    [minh_invite] = invitations_to(bot, minh)
    invited_text, minh_tokens = minh_invite.text or "", tokens_on(minh_invite)
    answered = await bot.press(minh, minh_invite, t(lang, "rsvp.attend"))
    assert (answered.text or "").endswith(t(lang, "rsvp.answer.attend"))
    # The answered invitation is the invitation, its agenda in order, with the answer below,
    # and the invitation's own two buttons (none stored anew).
    assert (answered.text or "").startswith(invited_text)
    assert answered.button_texts() == [t(lang, "rsvp.attend"), t(lang, "rsvp.absent")]
    assert tokens_on(answered) == minh_tokens
    [hoa_invite] = invitations_to(bot, hoa)
    hoa_tokens = tokens_on(hoa_invite)
    buttons_stored = len(await bot.rows(CallbackAction))
    reasons = await bot.press(hoa, hoa_invite, t(lang, "rsvp.absent"))
    assert t(lang, "rsvp.reason.illness") in reasons.button_texts()
    # Each reason is a choice on Hoa's absent button, stored as no button of its own.
    assert all(data.startswith(f"{hoa_tokens[1]}:") for data in tokens_on(reasons))
    assert len(await bot.rows(CallbackAction)) == buttons_stored
    answered = await bot.press(hoa, reasons, t(lang, "rsvp.reason.illness"))
    assert (answered.text or "").endswith(
        t(lang, "rsvp.answer.absent", reason=t(lang, "rsvp.reason.illness"))
    )
    assert tokens_on(answered) == hoa_tokens
    answers = {i.person_id: (i.response, i.reason) for i in await bot.rows(Invitation)}
    assert sorted(answers.values(), key=str) == sorted(
        [
            (Response.ATTEND, None),
            (Response.ABSENT, "illness"),
            (None, None),
            (None, None),
        ],
        key=str,
    )

    # Reminders at 3 days, 1 day and 2 hours, local time; not to Hoa, who is absent.
    before = {u.id: len(emu.messages(u.id)) for u in (lan, minh, hoa, tu)}
    for moment in (
        local(2026, 12, 2, 19, 29),
        local(2026, 12, 2, 19, 30),
        local(2026, 12, 4, 19, 30),
        local(2026, 12, 5, 17, 30),
    ):
        bot.clock.set(moment)
        await plan_and_send(bot)
        await plan_and_send(bot)  # a second tick (or replica) at the same moment adds nothing
    new = {
        u.id: [m for m in emu.messages(u.id)[before[u.id] :] if (m.text or "").startswith("⏰")]
        for u in (lan, minh, hoa, tu)
    }
    assert [len(new[u.id]) for u in (lan, minh, hoa, tu)] == [3, 3, 0, 3]
    assert [m.button_texts() for m in new[minh.id]] == [[], [], []]
    # Those who haven't answered are nudged once, the day before, with the answer buttons.
    assert [m.button_texts() for m in new[tu.id]] == [
        [],
        [t(lang, "rsvp.attend"), t(lang, "rsvp.absent")],
        [],
    ]
    reminder_times = sorted(
        row.due_at.astimezone(VIETNAM).strftime("%d %H:%M")
        for row in await bot.rows(
            OutboxMessage,
            OutboxMessage.key.startswith("reminder:"),
            OutboxMessage.chat_id == minh.id,
        )
    )
    assert reminder_times == ["02 19:30", "04 19:30", "05 17:30"]


async def test_a_draft_abandoned_at_its_preview_writes_nothing(bot: RunningBot) -> None:
    t = bot.t
    cell = await cell_with_members(bot, MEMBERS[:1])
    lan = cell.secretary
    kinds = await bot.send(lan, "/schedule")
    await bot.press(lan, kinds, t("vi", "meeting.kind.regular"))
    await bot.send(lan, "09/12 19:30")
    preview = await bot.send(lan, "Hội trường tầng 2")
    abandoned = await bot.press(lan, preview, t("vi", "common.cancel"))
    assert abandoned.text == t("vi", "schedule.abandoned")
    assert await bot.rows(Meeting) == []
    assert await bot.rows(PendingInput) == []
    # What is typed next answers no question of the abandoned draft.
    reply = await bot.send(lan, "Phòng họp")
    assert reply.text == t("vi", "fallback.unknown_text")


async def test_cutoff_second_meeting_and_late_confirmation(bot: RunningBot) -> None:
    t = bot.t
    cell = await cell_with_members(bot, MEMBERS[:1])
    lan = cell.secretary
    # After the cutoff (the 10th) the secretary must confirm, and the meeting is late.
    kinds = await bot.send(lan, "/schedule")
    await bot.press(lan, kinds, t("vi", "meeting.kind.regular"))
    warning = await bot.send(lan, "15/12 19:30")
    assert warning.text == t(
        "vi", "schedule.late_confirm", when=local(2026, 12, 15, 19, 30), cutoff_day=10
    )
    again = await bot.press(lan, warning, t("vi", "schedule.late_no"))
    assert again.text == t("vi", "schedule.ask_when", kind=t("vi", "meeting.kind.regular"))
    warning = await bot.send(lan, "16/12 19:30")
    await bot.press(lan, warning, t("vi", "schedule.late_yes"))
    confirm = await bot.send(lan, "Phòng họp")
    assert t("vi", "meeting.late_line") in (confirm.text or "")
    await bot.press(lan, confirm, t("vi", "schedule.create"))
    [meeting] = await bot.rows(Meeting)
    assert meeting.late and meeting.starts_at == local(2026, 12, 16, 19, 30)
    # A second regular meeting in December is refused, the existing one shown.
    kinds = await bot.send(lan, "/schedule")
    await bot.press(lan, kinds, t("vi", "meeting.kind.regular"))
    refused = await bot.send(lan, "05/12 08:00")
    assert refused.text == t(
        "vi", "schedule.duplicate_regular", month="12/2026", when=meeting.starts_at
    )
    assert len(await bot.rows(Meeting)) == 1
    # A thematic meeting the same month is fine, with its theme first on the agenda.
    kinds = await bot.send(lan, "/schedule")
    await bot.press(lan, kinds, t("vi", "meeting.kind.thematic"))
    await bot.send(lan, "20/12 08:00")
    await bot.send(lan, "Hội trường")
    confirm = await bot.send(lan, "Học tập và làm theo tư tưởng Hồ Chí Minh")
    card = await bot.press(lan, confirm, t("vi", "schedule.create"))
    assert "1. Học tập và làm theo tư tưởng Hồ Chí Minh" in (card.text or "")


async def test_reschedule_and_cancel_tell_everyone_and_silence_old_reminders(
    bot: RunningBot,
) -> None:
    emu, t = bot.emulator, bot.t
    cell = await cell_with_members(bot, MEMBERS[:2])
    lan, (minh, hoa) = cell.secretary, cell.members
    card = await broadcast_regular(bot, lan, "05/12 19:30")
    # The 3-day reminders are queued, then the meeting moves before they go out.
    with bot.dispatcher_down():
        bot.clock.set(local(2026, 12, 2, 19, 30))
        await bot.application.bot_data["planner"].run("chibo_test_bot")
        queued = await bot.rows(OutboxMessage, OutboxMessage.key.startswith("reminder:"))
        assert len(queued) == 3 and {row.status for row in queued} == {"pending"}
        asked = await bot.press(lan, card, t("vi", "meeting.reschedule"))
        assert asked.text == t("vi", "reschedule.ask_when", kind=t("vi", "meeting.kind.regular"))
        confirm = await bot.send(lan, "07/12 19:30")
        before = {u.id: len(emu.messages(u.id)) for u in (minh, hoa)}
        card = await bot.press(lan, confirm, t("vi", "reschedule.confirm_button"))
    await bot.dispatcher.drain()
    for member in (minh, hoa):
        moved, calendar = emu.messages(member.id)[before[member.id] :]
        assert moved.text == t(
            "vi",
            "meeting.moved",
            kind=t("vi", "meeting.kind.regular"),
            cell="Chi bộ Phòng Tổng hợp",
            old=local(2026, 12, 5, 19, 30),
            new=local(2026, 12, 7, 19, 30),
            place="Hội trường tầng 2",
        )
        assert b"SEQUENCE:2" in (calendar.content or b"")
        assert b"DTSTART:20261207T123000Z" in (calendar.content or b"")
    withdrawn = await bot.rows(OutboxMessage, OutboxMessage.key.startswith("reminder:"))
    assert {row.status for row in withdrawn} == {"withdrawn"}
    # At the old meeting's reminder times nothing more is sent; at the new ones, once.
    bot.clock.set(local(2026, 12, 4, 19, 30))
    assert await plan_and_send(bot) == 3  # the new meeting's 3-day reminder
    bot.clock.set(local(2026, 12, 5, 17, 30))
    assert await plan_and_send(bot) == 0
    # Cancelling tells everyone, once.
    ask = await bot.press(lan, card, t("vi", "meeting.cancel"))
    await bot.press(lan, ask, t("vi", "meeting.cancel_confirm_button"))
    for member in (minh, hoa):
        notices = [m for m in emu.messages(member.id) if (m.text or "").startswith("🚫")]
        assert len(notices) == 1
    # No reminder for a cancelled meeting; the secretary is now warned that December has none.
    counts = [len(emu.messages(member.id)) for member in (minh, hoa)]
    bot.clock.set(local(2026, 12, 6, 19, 30))
    await plan_and_send(bot)
    assert [len(emu.messages(member.id)) for member in (minh, hoa)] == counts
    assert (bot.last(lan.id).text or "").startswith("⚠️")


async def test_secretaries_are_warned_before_the_cutoff_and_the_quarter_end(
    bot: RunningBot,
) -> None:
    emu, t = bot.emulator, bot.t
    cell = await cell_with_members(bot, MEMBERS[:1])
    await cells_created_on(bot, local(2026, 9, 1))
    lan = cell.secretary
    cutoff_warning = t(
        "vi",
        "warn.cutoff",
        cell="Chi bộ Phòng Tổng hợp",
        month="12/2026",
        cutoff=local(2026, 12, 10).date(),
    )

    def quarter_warning(days: int) -> str:
        return t("vi", "warn.quarter", cell="Chi bộ Phòng Tổng hợp", quarter="4/2026", days=days)

    def warnings() -> list[str]:
        return [m.text or "" for m in emu.messages(lan.id) if (m.text or "").startswith("⚠️")]

    # 1 December, 09:00: nothing is due yet.
    await plan_and_send(bot)
    assert warnings() == []
    # 2 December 08:00: 30 days left in the quarter and no thematic meeting.
    bot.clock.set(local(2026, 12, 2, 8, 0))
    await plan_and_send(bot)
    assert warnings() == [quarter_warning(30)]
    # 5 December 08:00, five days before the cutoff (the 10th): warned once, whatever the ticks.
    bot.clock.set(local(2026, 12, 5, 7, 59))
    await plan_and_send(bot)
    assert warnings() == [quarter_warning(30)]
    bot.clock.set(local(2026, 12, 5, 8, 0))
    await plan_and_send(bot)
    await plan_and_send(bot)
    assert warnings() == [quarter_warning(30), cutoff_warning]
    # Scheduling the meeting silences the one-day warning.
    await schedule_regular(bot, lan, "vi", "09/12 19:30")
    bot.clock.set(local(2026, 12, 9, 8, 0))
    await plan_and_send(bot)
    assert warnings() == [quarter_warning(30), cutoff_warning]
    # 14 days left in the quarter: warned again; a thematic meeting would have prevented it.
    bot.clock.set(local(2026, 12, 18, 8, 0))
    await plan_and_send(bot)
    await plan_and_send(bot)
    assert warnings() == [quarter_warning(30), cutoff_warning, quarter_warning(14)]


async def test_cells_without_secretary_are_listed_to_their_supervisor(bot: RunningBot) -> None:
    emu, t = bot.emulator, bot.t
    cell = await cell_with_members(bot, MEMBERS[:1])
    # Two more cells whose secretary links were never opened: nobody there can schedule.
    await bot.send(cell.supervisor, "/newcell Chi bộ Khu phố 5")
    await bot.send(cell.supervisor, "/newcell Chi bộ Khu phố 4")
    await cells_created_on(bot, local(2026, 9, 1))
    leaderless = [
        Text("warn.cell_line", {"cell": "Chi bộ Khu phố 4"}),
        Text("warn.cell_line", {"cell": "Chi bộ Khu phố 5"}),
    ]

    def warnings(user: EmuUser) -> list[str]:
        return [m.text or "" for m in emu.messages(user.id) if (m.text or "").startswith("⚠️")]

    bot.clock.set(local(2026, 12, 2, 8, 0))
    await plan_and_send(bot)
    bot.clock.set(local(2026, 12, 5, 8, 0))
    await plan_and_send(bot)
    await plan_and_send(bot)
    # One message per warning, naming both cells, however many ticks.
    assert warnings(cell.supervisor) == [
        t("vi", "warn.quarter.leaderless", cells=leaderless, quarter="4/2026", days=30),
        t(
            "vi",
            "warn.cutoff.leaderless",
            cells=leaderless,
            month="12/2026",
            cutoff=local(2026, 12, 10).date(),
        ),
    ]
    assert "• Chi bộ Khu phố 4\n• Chi bộ Khu phố 5" in warnings(cell.supervisor)[0]
    # The cell with a secretary is still the secretary's business, not the supervisor's.
    assert [w.split(" chưa ")[0] for w in warnings(cell.secretary)] == [
        "⚠️ Chi bộ Phòng Tổng hợp",
        "⚠️ Chi bộ Phòng Tổng hợp",
    ]


async def test_members_who_cannot_be_reached_are_listed_to_the_secretary(
    bot: RunningBot,
) -> None:
    emu, t = bot.emulator, bot.t
    cell = await cell_with_members(bot, MEMBERS[:2])
    lan, (minh, hoa) = cell.secretary, cell.members
    emu.block(hoa)
    await broadcast_regular(bot, lan, "05/12 19:30")
    assert invitations_to(bot, minh) and not invitations_to(bot, hoa)
    await plan_and_send(bot)
    await plan_and_send(bot)
    reports = [m.text or "" for m in emu.messages(lan.id) if (m.text or "").startswith("⚠️ Chưa")]
    assert reports == [
        t(
            "vi",
            "undeliverable",
            kind=t("vi", "meeting.kind.regular"),
            when=local(2026, 12, 5, 19, 30),
            names="Phạm Thị Hoa",
            link="https://t.me/chibo_test_bot",
        )
    ]


async def test_day_buttons_usual_pattern_and_the_plan(bot: RunningBot) -> None:
    t = bot.t
    cell = await cell_with_members(bot, MEMBERS[:1])
    lan = cell.secretary
    plan = await bot.send(lan, "/meetings")
    assert t("vi", "meetings.regular.none") in (plan.text or "")
    # The usual time and place, then next month's meeting in one tap.
    asked = await bot.press(lan, plan, t("vi", "meetings.set_pattern"))
    assert asked.text == t("vi", "pattern.ask")
    assert (await bot.send(lan, "31 19:30 Hội trường")).text == t("vi", "pattern.bad")
    plan = await bot.send(lan, "5 19:30 Hội trường tầng 2")
    saved = t("vi", "pattern.saved", day=5, time="19:30", place="Hội trường tầng 2")
    assert (plan.text or "").startswith(saved + "\n\n")
    proposal = t(
        "vi", "meetings.propose", when=local(2026, 12, 5, 19, 30), place="Hội trường tầng 2"
    )
    assert proposal in plan.button_texts()
    confirm = await bot.press(lan, plan, proposal)
    await bot.press(lan, confirm, t("vi", "schedule.create"))
    plan = await bot.send(lan, "/meetings")
    assert t("vi", "meetings.regular.on_time", when=local(2026, 12, 5, 19, 30)) in (plan.text or "")
    assert proposal not in plan.button_texts()
    # A committee meeting from the day buttons and a quick time.
    kinds = await bot.press(lan, plan, t("vi", "meetings.schedule"))
    days = await bot.press(lan, kinds, t("vi", "meeting.kind.committee"))
    day = local(2026, 12, 3).date()
    times = await bot.press(lan, days, bot.translator.format_day(day, "vi"))
    assert times.text == t("vi", "schedule.ask_time", day=day)
    place = await bot.press(lan, times, "19:30")
    assert place.text == t("vi", "schedule.ask_place")
    # The place used last time is offered as a button.
    confirm = await bot.press(lan, place, "📍 Hội trường tầng 2")
    await bot.press(lan, confirm, t("vi", "schedule.create"))
    committee = [m for m in await bot.rows(Meeting) if m.kind is MeetingKind.COMMITTEE]
    assert [m.starts_at for m in committee] == [local(2026, 12, 3, 19, 30)]


async def test_reminders_across_the_new_year_in_local_time(bot: RunningBot) -> None:
    t = bot.t
    cell = await cell_with_members(bot, MEMBERS[:1])
    lan, minh = cell.secretary, cell.members[0]
    bot.clock.set(local(2026, 12, 26, 10, 0))
    kinds = await bot.send(lan, "/schedule")
    await bot.press(lan, kinds, t("vi", "meeting.kind.regular"))
    await bot.send(lan, "02/01 08:00")  # next year, inferred
    confirm = await bot.send(lan, "Hội trường")
    card = await bot.press(lan, confirm, t("vi", "schedule.create"))
    await bot.press(lan, card, t("vi", "meeting.broadcast"))
    received = []
    moment = local(2026, 12, 29, 0, 0)
    while moment < local(2027, 1, 2, 8, 0):
        bot.clock.set(moment)
        before = len(bot.emulator.messages(minh.id))
        await plan_and_send(bot)
        received += [(moment, (m.text or "")[0]) for m in bot.emulator.messages(minh.id)[before:]]
        moment += timedelta(minutes=30)
    # Reminders (⏰) three days, one day and two hours ahead, then the check-in prompt.
    assert received == [
        (local(2026, 12, 30, 8, 0), "⏰"),
        (local(2027, 1, 1, 8, 0), "⏰"),
        (local(2027, 1, 2, 6, 0), "⏰"),
        (local(2027, 1, 2, 7, 30), "C"),
    ]


async def test_the_morning_after_the_secretary_is_reminded_of_roll_and_minutes(
    bot: RunningBot,
) -> None:
    t = bot.t
    cell = await cell_with_members(bot, MEMBERS[:1])
    lan = cell.secretary
    await schedule_regular(bot, lan, "vi", "05/12 19:30")
    bot.clock.set(local(2026, 12, 6, 7, 59))
    await plan_and_send(bot)
    bot.clock.set(local(2026, 12, 6, 8, 0))
    await plan_and_send(bot)
    await plan_and_send(bot)
    follow_ups = [m.text for m in bot.emulator.messages(lan.id) if (m.text or "").startswith("📝")]
    [meeting] = await bot.rows(Meeting)
    assert follow_ups == [
        t(
            "vi",
            "followup",
            summary=summary(meeting, "Chi bộ Phòng Tổng hợp"),
            missing=[Text("followup.roll"), Text("followup.minutes")],
        )
    ]


async def test_a_broadcast_cut_half_way_reaches_everyone_exactly_once(bot: RunningBot) -> None:
    t = bot.t
    names = [f"Đảng Viên {n}" for n in range(1, 12)]
    cell = await cell_with_members(bot, names)
    group = bot.emulator.group(-1009988, "Nhóm chi bộ")
    await bot.send(cell.secretary, "/linkgroup", chat=group)
    card = await schedule_regular(bot, cell.secretary, "vi", "05/12 19:30")
    with bot.dispatcher_down():
        await bot.press(cell.secretary, card, t("vi", "meeting.broadcast"))

        def render(method: str, chat_id: int, payload: dict[str, Any]) -> OutboxSend:
            return outbox_call(method, chat_id, payload, bot.translator, bot.files)

        first = OutboxDispatcher(
            bot.database, bot.application.bot, render, bot.clock, batch_size=10
        )
        assert await first.drain(max_batches=1) == 10
        # The process stops here; a new one (or another replica) takes over.
        second = OutboxDispatcher(
            bot.database, bot.application.bot, render, bot.clock, batch_size=10
        )
        # 12 invitations and 12 calendar files, and the group gets both too.
        assert await second.drain() == 2 * 12 + 2 - 10
    everyone = [cell.secretary, *cell.members]
    assert [len(invitations_to(bot, person)) for person in everyone] == [1] * 12
    calendars = [[m for m in bot.emulator.messages(p.id) if m.document] for p in everyone]
    assert [len(files) for files in calendars] == [1] * 12
    group_invitations = invitations_to(bot, group)
    assert len(group_invitations) == 1
    # Nobody answers in front of the group: its message only opens the private chat.
    assert group_invitations[0].button_texts() == [t("vi", "invitation.answer_privately")]
    [(_, link)] = group_invitations[0].url_buttons()
    assert link.startswith(f"https://t.me/{BOT_USERNAME}?start=")
    member = cell.members[0]
    opened = await bot.send(member, f"/start {token_of(link)}")
    assert opened.button_texts() == [t("vi", "rsvp.attend"), t("vi", "rsvp.absent")]
    answered = await bot.press(member, opened, t("vi", "rsvp.attend"))
    assert t("vi", "rsvp.answer.attend") in (answered.text or "")
    again = await bot.send(member, f"/start {token_of(link)}")
    assert t("vi", "rsvp.answer.attend") in (again.text or "")
    # The link names only the meeting: who opens it is checked as a press would be.
    stranger = bot.emulator.user(99_999, "Người Ngoài")
    assert (await bot.send(stranger, f"/start {token_of(link)}")).text == t(
        "vi", "error.not_registered"
    )


async def test_double_confirmations_past_meetings_and_former_members(bot: RunningBot) -> None:
    emu, t = bot.emulator, bot.t
    cell = await cell_with_members(bot, MEMBERS[:2])
    lan, (minh, hoa) = cell.secretary, cell.members
    kinds = await bot.send(lan, "/schedule")
    await bot.press(lan, kinds, t("vi", "meeting.kind.thematic"))
    await bot.send(lan, "05/12 19:30")
    await bot.send(lan, "Hội trường")
    confirm = await bot.send(lan, "Chuyên đề năm 2026")
    [(_, create)] = [
        b for row in confirm.buttons() for b in row if b[0] == t("vi", "schedule.create")
    ]
    # The same confirmation twice (a double tap, or two replicas): one meeting.
    for _ in range(2):
        pressed = forged_press(bot, lan, confirm, create)
        await bot.settle(pressed)
    assert len(await bot.rows(Meeting)) == 1
    card = bot.emulator.message(lan.id, confirm.message_id)
    assert card is not None
    await bot.press(lan, card, t("vi", "meeting.broadcast"))
    # Hoa leaves the cell: no reminders for her any more.
    listing = await bot.send(lan, "/members")
    member_card = await bot.press(lan, listing, "3. Phạm Thị Hoa")
    confirm_removal = await bot.press(lan, member_card, t("vi", "members.remove"))
    await bot.press(lan, confirm_removal, t("vi", "members.remove_yes"))
    bot.clock.set(local(2026, 12, 4, 19, 30))
    await plan_and_send(bot)
    reminded = {
        chat
        for chat in (minh.id, hoa.id)
        if any((m.text or "").startswith("⏰") for m in emu.messages(chat))
    }
    assert reminded == {minh.id}
    # Once the meeting has started, an old card's buttons can't move or cancel it.
    bot.clock.set(local(2026, 12, 5, 19, 45))
    update_id = emu.press_button(lan, card, text=t("vi", "meeting.cancel"))
    await bot.settle(update_id)
    assert bot.answer(update_id) == t("vi", "meeting.past")
    [meeting] = await bot.rows(Meeting)
    assert meeting.cancelled_at is None


async def test_a_thematic_meeting_in_the_quarter_means_no_quarter_warning(
    bot: RunningBot,
) -> None:
    t = bot.t
    cell = await cell_with_members(bot, MEMBERS[:1])
    lan = cell.secretary
    kinds = await bot.send(lan, "/schedule")
    await bot.press(lan, kinds, t("vi", "meeting.kind.thematic"))
    await bot.send(lan, "20/12 08:00")
    await bot.send(lan, "Hội trường")
    confirm = await bot.send(lan, "Chuyên đề")
    await bot.press(lan, confirm, t("vi", "schedule.create"))
    for day in (2, 18):
        bot.clock.set(local(2026, 12, day, 8, 0))
        await plan_and_send(bot)
    assert not [m for m in bot.emulator.messages(lan.id) if "chuyên đề quý" in (m.text or "")]


async def test_a_broadcast_is_sent_at_once_not_at_the_next_poll(bot_with: BotWith) -> None:
    # The dispatcher's poll runs once at start, then not for an hour: only the handler's
    # wake-up can deliver the invitations.
    async with bot_with(outbox_poll_seconds=3600) as bot:
        cell = await cell_with_members(bot, MEMBERS[:2])
        card = await schedule_regular(bot, cell.secretary, "vi", "05/12 19:30")
        bot.dispatching = False  # the test no longer drains the outbox itself
        await bot.press(cell.secretary, card, bot.t("vi", "meeting.broadcast"))
        await eventually(
            lambda: all(len(invitations_to(bot, m)) == 1 for m in (cell.secretary, *cell.members))
        )
