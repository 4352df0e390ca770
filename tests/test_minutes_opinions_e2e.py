"""The secretary records in chat who said what under an agenda item; the exported minutes
show it under that item, with the speaker's name, the minutes' number and the approval."""

from __future__ import annotations

import io

import docx

from tests.harness import RunningBot, cell_with_members
from tests.test_minutes_e2e import hold_meeting, local, type_into


async def test_opinions_recorded_in_chat_appear_under_their_item(bot: RunningBot) -> None:
    emu, t = bot.emulator, bot.t
    cell = await cell_with_members(bot, ["Lê Văn Minh", "Phạm Thị Hoa"])
    lan = cell.secretary
    editor = await hold_meeting(bot, lan, "meeting.kind.regular", "05/12 19:30", local(5, 20, 0))
    editor = await type_into(bot, lan, editor, t("vi", "minutes.chair_button"), "Nguyễn Thị Lan")
    editor = await type_into(bot, lan, editor, t("vi", "minutes.note_taker_button"), "Lê Văn Minh")
    review = t("vi", "agenda.regular.review")
    item = await bot.press(lan, editor, f"2. {review}")

    # A present member picked by button, then what she said.
    picker = await bot.press(lan, item, t("vi", "minutes.opinions_button"))
    assert picker.text == t("vi", "minutes.ask.opinions", title=review)
    assert {"Lê Văn Minh", "Phạm Thị Hoa"} <= set(picker.button_texts())
    asked = await bot.press(lan, picker, "Phạm Thị Hoa")
    assert asked.text == t("vi", "minutes.ask.opinion_of", name="Phạm Thị Hoa")
    item = await bot.send(lan, "Đề nghị đẩy nhanh tiến độ báo cáo quý.")
    assert "• Phạm Thị Hoa: Đề nghị đẩy nhanh tiến độ báo cáo quý." in (item.text or "")

    # A guest's name typed before the opinion; without the colon the secretary is told how.
    picker = await bot.press(lan, item, t("vi", "minutes.opinions_button"))
    unclear = await bot.send(lan, "Nhất trí với báo cáo")
    assert unclear.text == t("vi", "minutes.opinion_format", max=200)
    item = await bot.send(lan, "Trần Quốc Khách: Nhất trí với báo cáo.")
    assert "• Trần Quốc Khách: Nhất trí với báo cáo." in (item.text or "")

    editor = await bot.press(lan, item, t("vi", "common.back"))
    editor = await bot.press(lan, editor, t("vi", "minutes.finish"))
    exports = []
    for _ in range(2):
        before = emu.message_count(lan.id)
        await bot.press(lan, editor, t("vi", "minutes.export"))
        [exported] = emu.messages(lan.id)[before:]
        exports.append(docx.Document(io.BytesIO(exported.content or b"")))

    document = exports[0]
    lines = [p.text for p in document.paragraphs]
    second = lines.index(f"2. {review}")
    third = lines.index(f"3. {t('vi', 'agenda.regular.conduct')}")
    assert lines[second + 1 : third] == [
        "Ý kiến thảo luận:",
        "Phạm Thị Hoa: Đề nghị đẩy nhanh tiến độ báo cáo quý.",
        "Trần Quốc Khách: Nhất trí với báo cáo.",
    ]
    header = document.tables[0]
    left = [p.text for p in header.cell(0, 0).paragraphs]
    right = [p.text for p in header.cell(0, 1).paragraphs]
    assert left[-1] == "Số 01-BB/CB"
    assert right[-1] == "Hội trường, ngày 05 tháng 12 năm 2026"
    # No vote was taken: the approval's time is the minutes' recording, its count left blank.
    assert (
        "Biên bản đã được thông qua trước chi bộ lúc 20 giờ 00, …… đồng chí nhất trí." in lines
    )
    # The number, once given, stays the same at every export.
    again = exports[1].tables[0]
    assert [p.text for p in again.cell(0, 0).paragraphs][-1] == "Số 01-BB/CB"

    # The cell's next minutes of the year take the next number.
    editor = await hold_meeting(
        bot,
        lan,
        "meeting.kind.thematic",
        "12/12 08:00",
        local(12, 8, 30),
        theme="Học tập tư tưởng Hồ Chí Minh",
    )
    before = emu.message_count(lan.id)
    await bot.press(lan, editor, t("vi", "minutes.export"))
    [exported] = emu.messages(lan.id)[before:]
    thematic = docx.Document(io.BytesIO(exported.content or b""))
    assert [p.text for p in thematic.tables[0].cell(0, 0).paragraphs][-1] == "Số 02-BB/CB"
