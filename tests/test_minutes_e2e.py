"""Minutes and resolutions end to end: recorded after the roll, exported, voted, followed up."""

from __future__ import annotations

import io
from datetime import datetime

import docx

from domain.resolutions import Vote, VoteProblem, adopted, parse_vote, vote_problem
from emulator import EmuUser, SentMessage
from tests.conftest import VIETNAM
from tests.harness import RunningBot, cell_with_members, held_and_minutes_opened, plan_and_send


def local(day: int, hour: int, minute: int = 0, month: int = 12, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=VIETNAM)


def test_the_vote_rule() -> None:
    assert parse_vote("10 0 1") == Vote(10, 0, 1)
    assert parse_vote("10/0/1") == Vote(10, 0, 1)
    assert parse_vote("mười") is None and parse_vote("1 2") is None
    # More than half of the full members: 6 of 11 passes, 5 of 10 does not.
    assert adopted(Vote(6, 5, 0), 11) and not adopted(Vote(5, 5, 0), 10)
    assert vote_problem(Vote(8, 2, 1), 10, quorum_met=True) is VoteProblem.TOO_MANY
    assert vote_problem(Vote(8, 1, 1), 10, quorum_met=True) is None
    # A meeting without quorum adopts nothing, whatever the vote.
    assert vote_problem(Vote(4, 0, 0), 4, quorum_met=False) is VoteProblem.NO_QUORUM


async def hold_meeting(
    bot: RunningBot,
    secretary: EmuUser,
    kind: str,
    when: str,
    start: datetime,
    theme: str | None = None,
) -> SentMessage:
    """Schedule, invite, take the roll with everyone present and close it; returns the card."""
    t = bot.t
    kinds = await bot.send(secretary, "/schedule")
    await bot.press(secretary, kinds, t("vi", kind))
    await bot.send(secretary, when)
    confirm = await bot.send(secretary, "Hội trường")
    if theme is not None:
        confirm = await bot.send(secretary, theme)
    card = await bot.press(secretary, confirm, t("vi", "schedule.create"))
    return await held_and_minutes_opened(bot, secretary, card, start)


async def type_into(
    bot: RunningBot, user: EmuUser, message: SentMessage, button: str, text: str
) -> SentMessage:
    await bot.press(user, message, button)
    return await bot.send(user, text)


async def test_minutes_resolution_vote_export_and_follow_up(bot: RunningBot) -> None:
    emu, t = bot.emulator, bot.t
    cell = await cell_with_members(bot, ["Lê Văn Minh", "Phạm Thị Hoa", "Đỗ Văn Tư"])
    lan, minh = cell.secretary, cell.members[0]
    # Hoa is probationary: she attends but does not vote. Full members: Lan, Minh, Tư.
    card = await bot.press(lan, await bot.send(lan, "/members"), "3. Phạm Thị Hoa")
    await bot.press(lan, card, t("vi", "status.probationary"))

    editor = await hold_meeting(bot, lan, "meeting.kind.regular", "05/12 19:30", local(5, 20, 0))
    assert (editor.text or "").startswith("📝")
    editor = await type_into(bot, lan, editor, t("vi", "minutes.chair_button"), "Nguyễn Thị Lan")
    editor = await type_into(bot, lan, editor, t("vi", "minutes.note_taker_button"), "Lê Văn Minh")
    item = await bot.press(lan, editor, f"1. {t('vi', 'agenda.regular.news')}")
    await type_into(
        bot,
        lan,
        item,
        t("vi", "minutes.report_button"),
        "Đồng chí Bí thư thông tin thời sự trong tháng.",
    )
    # The resolution: text, a task, and the vote.
    resolution = await bot.press(lan, bot.last(lan.id), t("vi", "minutes.resolution_button"))
    resolution = await type_into(
        bot,
        lan,
        resolution,
        t("vi", "resolution.text_button"),
        "Chi bộ thống nhất nhiệm vụ tháng 12:\nHoàn thành báo cáo quý.",
    )
    members = await bot.press(lan, resolution, t("vi", "resolution.task_button"))
    # A due day the secretary mistyped is explained; the question stays open.
    wrong_day = await type_into(
        bot, lan, members, "Lê Văn Minh", "Hoàn thành báo cáo quý; thứ hai 31/12/2026"
    )
    assert wrong_day.text == t("vi", "date.wrong_weekday", moment=local(31, 17))
    assert (await bot.send(lan, "Hoàn thành báo cáo quý; 30/11")).text == t("vi", "date.past")
    assert (await bot.send(lan, "Hoàn thành; cuối năm")).text == t("vi", "resolution.bad_task")
    resolution = await bot.send(lan, "Hoàn thành báo cáo quý; 31/12/2026")
    assert "Hoàn thành báo cáo quý — Lê Văn Minh" in (resolution.text or "")
    asked = await bot.press(lan, resolution, t("vi", "resolution.vote_button"))
    assert asked.text == t("vi", "minutes.ask.vote")
    too_many = await bot.send(lan, "4 0 0")
    assert too_many.text == t("vi", "resolution.too_many_votes", present=3)
    voted = await bot.send(lan, "2 0 1")
    assert voted.text is not None and t("vi", "resolution.status.adopted") in voted.text
    # Minh hears of his task, with buttons to report on it.
    task_message = bot.last(minh.id)
    assert (task_message.text or "").startswith("📜")
    assert task_message.button_texts() == [
        t("vi", "task.done_button"),
        t("vi", "task.progress_button"),
    ]
    await type_into(bot, minh, task_message, t("vi", "task.progress_button"), "Đã xong 50%")

    # Finish and export: the document a reader opens.
    editor = await bot.press(lan, voted, t("vi", "resolution.back"))
    editor = await bot.press(lan, editor, t("vi", "minutes.finish"))
    before = emu.message_count(lan.id)
    await bot.press(lan, editor, t("vi", "minutes.export"))
    [exported] = emu.messages(lan.id)[before:]
    assert exported.document is not None and exported.document["file_name"].endswith(".docx")
    document = docx.Document(io.BytesIO(exported.content or b""))
    paragraphs = [p.text for p in document.paragraphs]
    assert "BIÊN BẢN SINH HOẠT CHI BỘ" in paragraphs
    assert "Chi bộ thống nhất nhiệm vụ tháng 12:" in paragraphs
    assert any("Đồng chí Bí thư thông tin thời sự" in p for p in paragraphs)
    cells = [c.text for table in document.tables for row in table.rows for c in row.cells]
    for name in ("Nguyễn Thị Lan", "Lê Văn Minh", "Phạm Thị Hoa", "Đỗ Văn Tư"):
        assert name in cells
    assert any("Tán thành 2" in p or "Tán thành: 2" in p for p in paragraphs)
    assert "Nghị quyết được thông qua." in paragraphs

    # January's regular meeting reviews the task, still open, with its progress.
    kinds = await bot.send(lan, "/schedule")
    await bot.press(lan, kinds, t("vi", "meeting.kind.regular"))
    await bot.send(lan, "05/01/2027 19:30")
    confirm = await bot.send(lan, "Hội trường")
    january = await bot.press(lan, confirm, t("vi", "schedule.create"))
    assert "↳ • Hoàn thành báo cáo quý — Lê Văn Minh" in (january.text or "")
    assert "Đã xong 50%" in (january.text or "")
    # Minh reports it done; the review shows it closed.
    tasks = await bot.send(minh, "/tasks")
    assert "Hoàn thành báo cáo quý" in (tasks.text or "")
    await bot.press(minh, tasks, "✅ Hoàn thành báo cáo quý")
    plan = await bot.send(lan, "/meetings")
    [label] = [b for b in plan.button_texts() if "05/01" in b]
    january = await bot.press(lan, plan, label)
    assert "✅ hoàn thành" in (january.text or "")
    assert (await bot.send(minh, "/tasks")).text == t("vi", "task.none")


async def test_thematic_draft_comments_and_overdue_minutes(bot: RunningBot) -> None:
    emu, t = bot.emulator, bot.t
    cell = await cell_with_members(bot, ["Lê Văn Minh", "Phạm Thị Hoa"])
    lan, (minh, hoa) = cell.secretary, cell.members
    editor = await hold_meeting(
        bot,
        lan,
        "meeting.kind.thematic",
        "05/12 08:00",
        local(5, 8, 30),
        theme="Học tập tư tưởng Hồ Chí Minh",
    )
    resolution = await bot.press(lan, editor, t("vi", "minutes.resolution_button"))
    resolution = await type_into(
        bot, lan, resolution, t("vi", "resolution.text_button"), "Dự thảo nghị quyết chuyên đề"
    )
    await type_into(bot, lan, resolution, t("vi", "resolution.comments_button"), "07/12 17:00")
    [view] = [m for m in emu.messages(lan.id) if "📜 Nghị quyết —" in (m.text or "")][-1:]
    assert t("vi", "resolution.status.commenting") in (view.text or "")
    draft = bot.last(minh.id)
    assert "Dự thảo nghị quyết chuyên đề" in (draft.text or "")
    thanks = await type_into(
        bot, minh, draft, t("vi", "resolution.comment_button"), "Đề nghị bổ sung chỉ tiêu cụ thể."
    )
    assert thanks.text == t("vi", "resolution.comment_thanks")
    # After the deadline nobody can comment any more.
    bot.clock.set(local(7, 17, 1))
    late = emu.press_button(hoa, bot.last(hoa.id), text=t("vi", "resolution.comment_button"))
    await bot.settle(late)
    assert bot.answer(late) == t("vi", "resolution.comments_closed")
    history = await bot.send(lan, "/minutes")
    view = await bot.press(lan, history, history.button_texts()[0])
    shown = await bot.press(lan, view, t("vi", "minutes.resolution_button"))
    assert "• Lê Văn Minh: Đề nghị bổ sung chỉ tiêu cụ thể." in (shown.text or "")
    # The minutes are not completed: three days after the meeting the secretary is reminded.
    bot.clock.set(local(8, 8, 30))
    await plan_and_send(bot)
    await plan_and_send(bot)
    overdue = [m for m in emu.messages(lan.id) if (m.text or "").startswith("📝 Biên bản cuộc")]
    assert len(overdue) == 1
