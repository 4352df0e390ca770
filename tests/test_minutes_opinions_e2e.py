"""The secretary records in chat who said what under an agenda item; the exported minutes
show it under that item, with the speaker's name, the minutes' number and the approval."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import docx

from emulator import EmuUser, SentMessage
from reports import minutes_template
from tests.harness import BotWith, RunningBot, cell_with_members
from tests.test_cli import chibo
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
    # No vote was taken at the meeting: when and by how many is left to write in by hand,
    # not taken from the moment the secretary finished the record.
    assert "Biên bản đã được thông qua trước chi bộ lúc …… giờ ……, …… đồng chí nhất trí." in lines
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

    # A new year starts the count again.
    editor = await hold_meeting(
        bot, lan, "meeting.kind.regular", "05/01/2027 19:30", local(5, 20, 0, month=1, year=2027)
    )
    before = emu.message_count(lan.id)
    await bot.press(lan, editor, t("vi", "minutes.export"))
    [exported] = emu.messages(lan.id)[before:]
    january = docx.Document(io.BytesIO(exported.content or b""))
    assert [p.text for p in january.tables[0].cell(0, 0).paragraphs][-1] == "Số 01-BB/CB"


@asynccontextmanager
async def editing_with_house_template(
    bot_with: BotWith, tmp_path: Path, first: str
) -> AsyncIterator[tuple[RunningBot, EmuUser, SentMessage]]:
    """The bot with a house template whose first line is ``first``; its secretary and the
    minutes' editor of a meeting she held."""
    house = docx.Document(io.BytesIO(minutes_template.build()))
    house.paragraphs[0].insert_paragraph_before(first)
    path = tmp_path / "house.docx"
    house.save(str(path))
    async with bot_with(minutes_template=path) as bot:
        lan = (await cell_with_members(bot, ["Lê Văn Minh"])).secretary
        editor = await hold_meeting(
            bot, lan, "meeting.kind.regular", "05/12 19:30", local(5, 20, 0)
        )
        yield bot, lan, editor


async def test_an_organisations_house_template_lays_out_the_exported_minutes(
    bot_with: BotWith, tmp_path: Path
) -> None:
    first = "MẪU BIÊN BẢN CỦA ĐẢNG BỘ — {{ cell }}"
    async with editing_with_house_template(bot_with, tmp_path, first) as (bot, lan, editor):
        emu = bot.emulator
        before = emu.message_count(lan.id)
        await bot.press(lan, editor, bot.t("vi", "minutes.export"))
        [exported] = emu.messages(lan.id)[before:]
    lines = [p.text for p in docx.Document(io.BytesIO(exported.content or b"")).paragraphs]
    assert lines[0] == "MẪU BIÊN BẢN CỦA ĐẢNG BỘ — CHI BỘ PHÒNG TỔNG HỢP"
    assert "BIÊN BẢN SINH HOẠT CHI BỘ" in lines


def test_a_house_template_that_is_not_there_stops_the_bot_in_one_line(tmp_path: Path) -> None:
    result = chibo(tmp_path, "run", CHIBO_MINUTES_TEMPLATE=str(tmp_path / "missing.docx"))
    assert result.returncode == 2
    assert "CHIBO_MINUTES_TEMPLATE" in result.stderr and "Traceback" not in result.stderr


async def test_a_broken_house_template_is_explained_to_the_secretary(
    bot_with: BotWith, tmp_path: Path
) -> None:
    unclosed = "{{ cell "  # a tag never closed
    async with editing_with_house_template(bot_with, tmp_path, unclosed) as (bot, lan, editor):
        emu = bot.emulator
        before = emu.message_count(lan.id)
        press = emu.press_button(lan, editor, text=bot.t("vi", "minutes.export"))
        await bot.settle(press)
        answer = bot.answer(press) or ""
        assert all(m.document is None for m in emu.messages(lan.id)[before:])
    assert answer.startswith("Không xuất được biên bản: mẫu biên bản riêng của tổ chức")
