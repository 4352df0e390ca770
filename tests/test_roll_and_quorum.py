"""The roll and what it allows, as the secretary sees them: exempted members are never absent,
the roll starts from check-ins, and a meeting without quorum adopts no resolution."""

from __future__ import annotations

import io
from collections import Counter
from datetime import datetime
from pathlib import Path

import docx
import openpyxl
import pytest

from domain.attendance import REPEATED_ABSENCES, RollStatus
from domain.messages import Text
from emulator import EmuUser, SentMessage
from services.errors import Refused
from services.minutes.resolution import TypedVote, vote
from services.people import Caller
from services.views import summary
from storage.models import Invitation, Meeting, Person, Resolution
from tests.conftest import VIETNAM
from tests.harness import RunningBot, cell_with_members, direct_request

CELL = "Chi bộ Phòng Tổng hợp"
SECRETARY = "Nguyễn Thị Lan"


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=VIETNAM)


def invitation(bot: RunningBot, user: EmuUser) -> SentMessage:
    [found] = [
        m
        for m in bot.emulator.messages(user.id)
        if bot.t("vi", "rsvp.attend") in m.button_texts() and "📣" in (m.text or "")
    ]
    return found


async def schedule(bot: RunningBot, secretary: EmuUser, kind: str, when: str) -> None:
    t = bot.t
    kinds = await bot.send(secretary, "/schedule")
    await bot.press(secretary, kinds, t("vi", kind))
    reply = await bot.send(secretary, when)
    if t("vi", "schedule.late_yes") in reply.button_texts():
        await bot.press(secretary, reply, t("vi", "schedule.late_yes"))
    confirm = await bot.send(secretary, "Hội trường")
    card = await bot.press(secretary, confirm, t("vi", "schedule.create"))
    await bot.press(secretary, card, t("vi", "meeting.broadcast"))


async def set_status(bot: RunningBot, secretary: EmuUser, name: str, status: str) -> None:
    listing = await bot.send(secretary, "/members")
    [label] = [b for b in listing.button_texts() if b.endswith(name)]
    card = await bot.press(secretary, listing, label)
    await bot.press(secretary, card, bot.t("vi", status))


def button_of(roll: SentMessage, name: str) -> str | None:
    found = [b for b in roll.button_texts() if f" {name} " in f"{b} "]
    return found[0] if found else None


async def open_roll(bot: RunningBot, secretary: EmuUser) -> SentMessage:
    view = await bot.send(secretary, "/attendance")
    return await bot.press(secretary, view, bot.t("vi", "attendance.open_roll"))


async def mark_present(
    bot: RunningBot, secretary: EmuUser, roll: SentMessage, name: str
) -> SentMessage:
    for _ in range(len(RollStatus)):
        label = button_of(roll, name)
        assert label is not None, name
        if label.startswith("✅"):
            return roll
        roll = await bot.press(secretary, roll, label)
    raise AssertionError(f"{name} cannot be marked present")


async def close_confirming(bot: RunningBot, secretary: EmuUser, roll: SentMessage) -> SentMessage:
    """Close the roll; members left unmarked are confirmed absent without reason."""
    closing = await bot.press(secretary, roll, bot.t("vi", "roll.close"))
    confirm = bot.t("vi", "roll.confirm_unexcused")
    if confirm in closing.button_texts():
        closing = await bot.press(secretary, closing, confirm)
    return closing


def workbook_rows(message: SentMessage) -> list[list[object]]:
    book = openpyxl.load_workbook(io.BytesIO(message.content or b""))
    return [[c.value for c in row] for sheet in book.worksheets for row in sheet.iter_rows()]


async def test_exempted_members_are_never_absent_nor_at_risk(bot: RunningBot) -> None:
    emu, t = bot.emulator, bot.t
    cell = await cell_with_members(bot, ["Lê Văn Minh", "Phạm Thị Hoa", "Đỗ Văn Tư"])
    lan, hung = cell.secretary, cell.supervisor
    # Tư is exempted all along; Hoa for the first two meetings, then she is back.
    await set_status(bot, lan, "Đỗ Văn Tư", "status.exempted")
    await set_status(bot, lan, "Phạm Thị Hoa", "status.exempted")
    days = (3, 8, 12, 17, 22)
    await schedule(bot, lan, "meeting.kind.regular", f"{days[0]:02d}/12 19:30")
    for day in days[1:]:
        await schedule(bot, lan, "meeting.kind.committee", f"{day:02d}/12 19:30")

    # What happened, as recorded here: who was exempted and who came to each meeting.
    # Minh never comes; Hoa misses the first meeting after her exemption ends.
    exempted_at = {n: {"Đỗ Văn Tư"} | ({"Phạm Thị Hoa"} if n < 2 else set()) for n in range(5)}
    came = {n: {SECRETARY} | ({"Phạm Thị Hoa"} if n > 2 else set()) for n in range(5)}
    everyone = {SECRETARY, "Lê Văn Minh", "Phạm Thị Hoa", "Đỗ Văn Tư"}
    recount: Counter[str] = Counter()
    for number, day in enumerate(days):
        if number == 2:
            await set_status(bot, lan, "Phạm Thị Hoa", "status.full")
        bot.clock.set(local(day, 19, 30))
        roll = await open_roll(bot, lan)
        for name in exempted_at[number]:
            assert button_of(roll, name) is None  # listed as exempted, not cycled
            assert name in (roll.text or "")
        for name in came[number]:
            roll = await mark_present(bot, lan, roll, name)
        await close_confirming(bot, lan, roll)
        recount.update(everyone - exempted_at[number] - came[number])
        flags = [
            m.text or ""
            for chat in (lan.id, hung.id)
            for m in emu.messages(chat)
            if (m.text or "").startswith("⚠️") and "3" in (m.text or "")
        ]
        # The third absence without reason is flagged: Minh's, never Hoa's nor Tư's.
        flagged = {name for name in everyone if any(name in flag for flag in flags)}
        assert flagged == {n for n in everyone if recount[n] >= REPEATED_ABSENCES}, number

    # Stored: an exempted member is never recorded absent.
    people = {p.id: p.full_name for p in await bot.rows(Person)}
    stored: Counter[str] = Counter(
        people[i.person_id]
        for i in await bot.rows(Invitation)
        if i.roll_status is RollStatus.UNEXCUSED
    )
    assert stored == recount == Counter({"Lê Văn Minh": 5, "Phạm Thị Hoa": 1})

    # The digest's members at risk: Minh with his five, nobody exempted.
    choose = await bot.send(hung, "/digest")
    before = emu.message_count(hung.id)
    await bot.press(hung, choose, t("vi", "digest.period.month"))
    text, *files = emu.messages(hung.id)[before:]
    [workbook] = [f for f in files if f.document and f.document["file_name"].endswith(".xlsx")]
    rows = workbook_rows(workbook)
    at_risk = {n for n in recount if recount[n] >= REPEATED_ABSENCES}
    assert at_risk == {"Lê Văn Minh"}
    for name in everyone:
        listed = [row for row in rows if name in row]
        if name in at_risk:
            assert listed and recount[name] in listed[0], listed
        else:
            assert not listed, (name, listed)
    assert "Đỗ Văn Tư" not in (text.text or "")


async def seven_answered(bot: RunningBot) -> tuple[EmuUser, list[EmuUser]]:
    """A cell of seven for a meeting on 05/12 at 19:30: five members say they will come, one
    is absent because of illness, the secretary does not answer."""
    t = bot.t
    names = ["Lê Văn Minh", "Phạm Thị Hoa", "Đỗ Văn Tư", "Trần Thị Mai", "Võ Văn Nam", "Hồ Thị Yến"]
    cell = await cell_with_members(bot, names)
    lan, members = cell.secretary, cell.members
    await schedule(bot, lan, "meeting.kind.regular", "05/12 19:30")
    for member in members[:5]:
        await bot.press(member, invitation(bot, member), t("vi", "rsvp.attend"))
    reasons = await bot.press(members[5], invitation(bot, members[5]), t("vi", "rsvp.absent"))
    await bot.press(members[5], reasons, t("vi", "rsvp.reason.illness"))
    return lan, members


async def test_the_roll_starts_from_check_ins_and_asks_before_recording_absences(
    bot: RunningBot,
) -> None:
    t = bot.t
    lan, members = await seven_answered(bot)
    names = [m.first_name for m in members]
    bot.clock.set(local(5, 19, 35))
    # Nobody has checked in: nobody is present yet, whatever they answered.
    roll = await open_roll(bot, lan)
    assert not [b for b in roll.button_texts() if b.startswith("✅")]
    for name in names[:5]:
        assert button_of(roll, name) == t(
            "vi",
            "roll.member_button",
            mark="❔",
            name=name,
            status=Text("roll.status.undecided_attending"),
        )
    assert button_of(roll, SECRETARY) == t(
        "vi", "roll.member_button", mark="❔", name=SECRETARY, status=Text("roll.status.undecided")
    )
    # Absent with a reason given beforehand: that answer is the excuse itself.
    assert (button_of(roll, names[5]) or "").startswith("🟡")
    # One tap on closing does not record the answers as presence: it asks first.
    asked = await bot.press(lan, roll, t("vi", "roll.close"))
    assert (asked.text or "").startswith(t("vi", "roll.undecided", count=6, names=[]).split(":")[0])
    assert asked.button_texts() == [t("vi", "roll.confirm_unexcused"), t("vi", "common.back")]
    roll = await bot.press(lan, asked, t("vi", "common.back"))
    [meeting] = await bot.rows(Meeting)
    assert meeting.roll_closed_at is None
    assert button_of(roll, names[0]) is not None

    # Minh checks in; the secretary marks Hoa, Tư and herself as there.
    await bot.send(members[0], "/checkin")
    roll = await open_roll(bot, lan)
    assert (button_of(roll, names[0]) or "").startswith("✅")
    present = {names[0], names[1], names[2], SECRETARY}
    for name in present - {names[0]}:
        roll = await mark_present(bot, lan, roll, name)
    asked = await bot.press(lan, roll, t("vi", "roll.close"))
    assert asked.text == t(
        "vi",
        "roll.undecided",
        count=2,
        names=[Text("roll.undecided_name", {"name": n}) for n in sorted(names[3:5])],
    )
    closed = await bot.press(lan, asked, t("vi", "roll.confirm_unexcused"))

    # The figures are those of the final marks, recounted here.
    expected, excused = 7, 1
    unexcused = expected - len(present) - excused
    needed = -(-expected * 2 // 3)
    [meeting] = await bot.rows(Meeting)
    assert closed.text == t(
        "vi",
        "roll.summary",
        summary=summary(meeting, CELL),
        present=len(present),
        expected=expected,
        percent=100 * len(present) // expected,  # 4/7 is 57% whichever way it is rounded
        excused=excused,
        unexcused=unexcused,
        quorum=t("vi", "roll.quorum_missed"),
        warnings=t(
            "vi",
            "roll.warnings",
            lines=[Text("roll.no_quorum", {"needed": needed}), Text("roll.below_norm")],
        ),
    )
    people = {p.id: p.full_name for p in await bot.rows(Person)}
    statuses = {people[i.person_id]: i.roll_status for i in await bot.rows(Invitation)}
    assert statuses == {
        **{n: RollStatus.PRESENT for n in present},
        names[3]: RollStatus.UNEXCUSED,
        names[4]: RollStatus.UNEXCUSED,
        names[5]: RollStatus.EXCUSED,
    }


async def test_a_meeting_without_quorum_adopts_no_resolution(
    bot: RunningBot, tmp_path: Path
) -> None:
    emu, t = bot.emulator, bot.t
    lan, members = await seven_answered(bot)
    minh = members[0]
    bot.clock.set(local(5, 19, 35))
    roll = await open_roll(bot, lan)
    present = [SECRETARY, *(m.first_name for m in members[:3])]
    for name in present:
        roll = await mark_present(bot, lan, roll, name)
    closed = await close_confirming(bot, lan, roll)
    assert t("vi", "roll.quorum_missed") in (closed.text or "")
    expected, needed = 7, 5  # two thirds of 7, rounded up

    plan = await bot.send(lan, "/minutes")
    editor = await bot.press(lan, plan, plan.button_texts()[0])
    for button, typed in (
        ("minutes.chair_button", SECRETARY),
        ("minutes.note_taker_button", "Lê Văn Minh"),
    ):
        await bot.press(lan, editor, t("vi", button))
        editor = await bot.send(lan, typed)
    resolution = await bot.press(lan, editor, t("vi", "minutes.resolution_button"))
    await bot.press(lan, resolution, t("vi", "resolution.text_button"))
    resolution = await bot.send(lan, "Chi bộ thống nhất nhiệm vụ tháng 12.")
    picked = await bot.press(lan, resolution, t("vi", "resolution.task_button"))
    await bot.press(lan, picked, "Lê Văn Minh")
    resolution = await bot.send(lan, "Hoàn thành báo cáo quý; 31/12/2026")

    # The secretary is told why there is nothing to vote on, and offered no vote.
    reason = t("vi", "resolution.no_quorum", present=len(present), expected=expected, needed=needed)
    assert reason in (resolution.text or "")
    assert t("vi", "resolution.vote_button") not in resolution.button_texts()
    # A vote typed all the same ("4 0 0") is refused with the reason; nothing is adopted.
    caller = Caller(lan.id, lan.id, SECRETARY, private_chat=True)
    [meeting] = await bot.rows(Meeting)
    with pytest.raises(Refused) as refusal:
        await vote(
            direct_request(
                bot.database,
                caller,
                bot.clock.now(),
                bot.application.bot_data["chibo"].settings,
                tmp_path,
            ),
            TypedVote(meeting.id, text="4 0 0"),
        )
    assert bot.t("vi", refusal.value.text.key, **refusal.value.text.args) == reason
    [stored] = await bot.rows(Resolution)
    assert stored.votes_for is None and stored.decided_at is None
    assert stored.status.value not in ("adopted", "rejected")
    assert not [m for m in emu.messages(minh.id) if (m.text or "").startswith("📜")]  # no task

    # The minutes say the meeting lacked quorum, and nothing was adopted.
    before = emu.message_count(lan.id)
    await bot.press(lan, bot.last(lan.id), t("vi", "resolution.back"))
    await bot.press(lan, bot.last(lan.id), t("vi", "minutes.export"))
    [exported] = [m for m in emu.messages(lan.id)[before:] if m.document is not None]
    paragraphs = [p.text for p in docx.Document(io.BytesIO(exported.content or b"")).paragraphs]
    assert (
        t("vi", "minutes.no_quorum", present=len(present), expected=expected, needed=needed)
        in paragraphs
    )
    assert t("vi", "minutes.label.adopted") not in paragraphs
