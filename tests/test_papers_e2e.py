"""Papers and materials end to end: assignment, submissions checked by content, the ZIP."""

from __future__ import annotations

import io
import zipfile
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import docx
import pytest

from emulator import EmuUser, SentMessage
from storage.models import MeetingMaterial, PaperAssignment, PaperSubmission, StoredFile
from tests.conftest import VIETNAM
from tests.harness import BotWith, RunningBot, cell_with_members, join, link_in, plan_and_send

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64


def real_docx(text: str) -> bytes:
    document = docx.Document()
    document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=VIETNAM)


@pytest.fixture
async def small_files_bot(bot_with: BotWith) -> AsyncIterator[RunningBot]:
    # A 1 MB limit keeps the oversize case small; the rule is the same at 20 MB.
    async with bot_with(max_file_mb=1) as bot:
        yield bot


async def send_file(
    bot: RunningBot,
    user: EmuUser,
    name: str,
    content: bytes,
    mime: str = "application/octet-stream",
) -> SentMessage:
    return await bot.send_document(user, name, content, mime_type=mime)


async def schedule(bot: RunningBot, secretary: EmuUser, when: str) -> SentMessage:
    t = bot.t
    kinds = await bot.send(secretary, "/schedule")
    await bot.press(secretary, kinds, t("vi", "meeting.kind.thematic"))
    await bot.send(secretary, when)
    await bot.send(secretary, "Hội trường")
    confirm = await bot.send(secretary, "Học tập và làm theo tư tưởng Hồ Chí Minh")
    return await bot.press(secretary, confirm, t("vi", "schedule.create"))


async def assign(
    bot: RunningBot, secretary: EmuUser, card: SentMessage, member: str, topic: str, due: str | None
) -> SentMessage:
    """Assign from the meeting card or from the papers view; returns the papers view."""
    t = bot.t
    papers = card
    if t("vi", "meeting.papers") in card.button_texts():
        papers = await bot.press(secretary, card, t("vi", "meeting.papers"))
    picker = await bot.press(secretary, papers, t("vi", "paper.assign"))
    asked = await bot.press(secretary, picker, member)
    assert asked.text == t("vi", "paper.ask_topic", name=member)
    due_question = await bot.send(secretary, topic)
    if due is None:
        default = due_question.button_texts()[0]
        return await bot.press(secretary, due_question, default)
    return await bot.send(secretary, due)


async def test_assign_submit_replace_refuse_and_zip(
    small_files_bot: RunningBot, tmp_path: Path
) -> None:
    bot = small_files_bot
    emu, t = bot.emulator, bot.t
    cell = await cell_with_members(bot, ["Lê Văn Minh", "Phạm Thị Hoa"])
    lan, (minh, hoa) = cell.secretary, cell.members
    card = await schedule(bot, lan, "05/12 19:30")

    # Minh's paper is due by default three days before the meeting; Hoa's on a typed date.
    view = await assign(bot, lan, card, "Lê Văn Minh", "Vai trò của chi bộ cơ sở", None)
    assert "Vai trò của chi bộ cơ sở — Lê Văn Minh" in (view.text or "")
    notice = bot.last(minh.id)
    assert notice.text is not None and notice.text.startswith(
        t(
            "vi",
            "paper.assigned_notice",
            topic="Vai trò của chi bộ cơ sở",
            due=local(2, 19, 30),
            summary="",
        ).rstrip()
    )
    await assign(bot, lan, view, "Phạm Thị Hoa", "Kinh nghiệm dân vận khéo", "04/12 12:00")

    # The three-day reminder reaches Hoa, who has not sent hers.
    bot.clock.set(local(1, 12, 0))
    await plan_and_send(bot)
    assert (bot.last(hoa.id).text or "").startswith("⏰")

    # Minh sends on time, then a better version: both kept, the last one counts.
    received = await send_file(bot, minh, "tham-luan.pdf", PDF, "application/pdf")
    assert received.text == t(
        "vi",
        "paper.received",
        file="tham-luan.pdf",
        size="1 KB",
        topic="Vai trò của chi bộ cơ sở",
        state=t("vi", "paper.on_time"),
        due=local(2, 19, 30),
    )
    version_two = real_docx("Bản sửa lần hai — Nguyễn")
    await send_file(bot, minh, "tham-luan-v2.docx", version_two)
    submissions = await bot.rows(PaperSubmission)
    assert [(s.file_name, s.replaced_at is None, s.late) for s in submissions] == [
        ("tham-luan.pdf", False, False),
        ("tham-luan-v2.docx", True, False),
    ]

    # Hoa's refused attempts: nothing stored, each with its reason.
    stored_before = len(await bot.rows(StoredFile))
    refusals = {
        "ghi-chu.txt": (b"plain text", "file.wrong_type"),
        "tham-luan.docx": (EXECUTABLE, "file.content_mismatch"),
        "trong.pdf": (b"", "file.empty"),
        "qua-lon.pdf": (PDF + b"0" * (1024 * 1024), "file.too_large"),
    }
    for name, (content, key) in refusals.items():
        reply = await send_file(bot, hoa, name, content)
        assert reply.text == t("vi", key, max_mb=1, types="PDF, DOCX, DOC, ODT, PPTX, PPT, ODP")
    assert len(await bot.rows(StoredFile)) == stored_before
    assert len(await bot.rows(PaperSubmission)) == 2

    # Hoa sends after her due date: accepted, marked late.
    bot.clock.set(local(4, 13, 0))
    late = await send_file(bot, hoa, "dan-van.pdf", PDF + b"% Hoa\n", "application/pdf")
    assert t("vi", "paper.late") in (late.text or "")
    secretary_notices = [m.text or "" for m in emu.messages(lan.id) if "📝" in (m.text or "")]
    assert any("Phạm Thị Hoa" in n and t("vi", "paper.late") in n for n in secretary_notices)

    # The secretary's view and the ZIP of the current versions.
    papers = await bot.send(lan, "/meetings")
    [meeting_button] = [b for b in papers.button_texts() if "05/12" in b]
    card = await bot.press(lan, papers, meeting_button)
    view = await bot.press(lan, card, t("vi", "meeting.papers"))
    assert "✅" in (view.text or "") and "⚠️" in (view.text or "")
    before = emu.message_count(lan.id)
    await bot.press(lan, view, t("vi", "paper.zip"))
    [archive_message] = emu.messages(lan.id)[before:]
    assert archive_message.document is not None
    with zipfile.ZipFile(io.BytesIO(archive_message.content or b"")) as archive:
        assert sorted(archive.namelist()) == [
            "01 - Lê Văn Minh - tham-luan-v2.docx",
            "02 - Phạm Thị Hoa - dan-van.pdf",
        ]
        assert archive.read("01 - Lê Văn Minh - tham-luan-v2.docx") == version_two
    # The file store keeps each file under its content hash.
    assert all(bot.files.path(f.sha256).exists() for f in await bot.rows(StoredFile))


async def test_documents_without_an_assignment_and_with_two(bot: RunningBot) -> None:
    t = bot.t
    cell = await cell_with_members(bot, ["Lê Văn Minh"])
    lan, minh = cell.secretary, cell.members[0]
    assert (await send_file(bot, minh, "a.pdf", PDF)).text == t("vi", "paper.none_assigned")
    card = await schedule(bot, lan, "05/12 19:30")
    view = await assign(bot, lan, card, "Lê Văn Minh", "Chủ đề một", None)
    await assign(bot, lan, view, "Lê Văn Minh", "Chủ đề hai", None)
    mine = await bot.send(minh, "/submit")
    assert "Chủ đề một" in (mine.text or "") and "Chủ đề hai" in (mine.text or "")
    question = await send_file(bot, minh, "a.pdf", PDF)
    assert question.text == t("vi", "paper.choose")
    answered = await bot.press(minh, question, "Chủ đề hai")
    assert "Chủ đề hai" in (answered.text or "")
    [submission] = await bot.rows(PaperSubmission)
    assert submission.file_name == "a.pdf"


async def test_materials_go_with_the_invitation_and_to_later_members(bot: RunningBot) -> None:
    t, emu = bot.t, bot.emulator
    cell = await cell_with_members(bot, ["Lê Văn Minh"])
    lan, minh = cell.secretary, cell.members[0]
    card = await schedule(bot, lan, "05/12 19:30")
    asked = await bot.press(lan, card, t("vi", "meeting.materials"))
    assert asked.text == t("vi", "material.ask")
    added = await send_file(bot, lan, "Nghi-quyet-so-01.pdf", PDF)
    assert added.text == t("vi", "material.added", file="Nghi-quyet-so-01.pdf")
    card = await bot.press(lan, added, t("vi", "agenda.done"))
    await bot.press(lan, card, t("vi", "meeting.broadcast"))

    def materials(user: EmuUser) -> list[Any]:
        return [
            m
            for m in emu.messages(user.id)
            if m.document and m.document["file_name"] == "Nghi-quyet-so-01.pdf"
        ]

    assert len(materials(minh)) == 1 and materials(minh)[0].content == PDF
    # Someone who joins after the invitation still gets the document to study.
    newcomer = emu.user(30_001, "Đỗ Văn Tư")
    renewed = await bot.press(lan, await bot.send(lan, "/invite"), t("vi", "invite.renew_button"))
    await join(bot, newcomer, link_in(renewed), "vi")
    assert len(materials(newcomer)) == 1


async def due_prompt(bot: RunningBot, secretary: EmuUser, card: SentMessage) -> SentMessage:
    """Assign a paper to Lê Văn Minh from the meeting card, up to the question of its due date."""
    papers = await bot.press(secretary, card, bot.t("vi", "meeting.papers"))
    picker = await bot.press(secretary, papers, bot.t("vi", "paper.assign"))
    await bot.press(secretary, picker, "Lê Văn Minh")
    return await bot.send(secretary, "Vai trò của chi bộ cơ sở")


async def test_the_due_date_prompt_has_the_choices_it_offers(bot: RunningBot) -> None:
    t = bot.t
    lan = (await cell_with_members(bot, ["Lê Văn Minh"])).secretary
    # Five days ahead: three days and one day before the meeting are both still to come.
    prompt = await due_prompt(bot, lan, await schedule(bot, lan, "05/12 19:30"))
    day_before = t("vi", "paper.due_day_before", due=local(4, 19, 30))
    assert prompt.text == t("vi", "paper.ask_due")
    assert prompt.button_texts() == [t("vi", "paper.due_default", due=local(2, 19, 30)), day_before]
    await bot.press(lan, prompt, day_before)
    [assignment] = await bot.rows(PaperAssignment)
    assert assignment.due_at == local(4, 19, 30)

    # Two days ahead: three days before has passed, so only the day before is offered.
    prompt = await due_prompt(bot, lan, await schedule(bot, lan, "03/12 19:30"))
    assert prompt.text == t("vi", "paper.ask_due")
    assert prompt.button_texts() == [t("vi", "paper.due_day_before", due=local(2, 19, 30))]


async def test_the_due_date_prompt_of_a_meeting_within_a_day_asks_only_for_a_typed_date(
    bot: RunningBot,
) -> None:
    t = bot.t
    lan = (await cell_with_members(bot, ["Lê Văn Minh"])).secretary
    prompt = await due_prompt(bot, lan, await schedule(bot, lan, "02/12 08:00"))
    assert prompt.text == t("vi", "paper.ask_due_typed")
    assert prompt.button_texts() == []
    await bot.send(lan, "01/12 21:00")
    [assignment] = await bot.rows(PaperAssignment)
    assert assignment.due_at == local(1, 21, 0)


async def test_a_bomb_sent_as_a_material_is_refused(bot: RunningBot) -> None:
    from tests.test_archive_bombs import odt_bomb

    t = bot.t
    lan = (await cell_with_members(bot, ["Lê Văn Minh"])).secretary
    card = await schedule(bot, lan, "05/12 19:30")
    await bot.press(lan, card, t("vi", "meeting.materials"))
    refused = await send_file(bot, lan, "Nghi-quyet.odt", odt_bomb())
    assert refused.text == t(
        "vi", "file.unsafe_archive", max_mb=20, types="PDF, DOCX, DOC, ODT, PPTX, PPT, ODP"
    )
    assert await bot.rows(MeetingMaterial) == [] and await bot.rows(StoredFile) == []
