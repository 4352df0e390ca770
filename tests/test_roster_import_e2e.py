"""/import end to end: the template, a preview with its problems by row and column, bad
files refused with a reason, a confirmed import written at once, a second import changing
nothing, and the imported members claimed by their personal link and from the invite link."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence

from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from domain.messages import Text
from domain.roles import MemberStatus, Role
from emulator import EmuUser, SentMessage
from storage.models import ImportedMember, Membership, Person
from tests.harness import RunningBot, cell_with_members, choose_language, join, token_of

HEADER = ["Họ và tên", "Trạng thái", "Chức vụ", "Ngày vào Đảng", "Ngày chính thức"]
# The secretary and Lê Văn Cường are in the cell already; Phạm Thị Dung is left out.
GOOD_ROWS = [
    ["Nguyễn Thị Lan", "chính thức", "bí thư", "", ""],
    ["Lê Văn Cường", "dự bị", "đảng viên", "", ""],
    ["  Hoàng   Văn  Em ", "Chính thức", "phó bí thư", "03/02/2005", "03/02/2006"],
    ["Đỗ Thị Giang", "miễn sinh hoạt", "đảng viên", "", ""],
]


def workbook(rows: Sequence[Sequence[object]], header: Sequence[str] = HEADER) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["DANH SÁCH ĐẢNG VIÊN CHI BỘ"])
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def with_macros(content: bytes) -> bytes:
    """The same workbook with a VBA project inside, as Excel saves a macro-enabled one."""
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            target.writestr(entry, source.read(entry))
        target.writestr("xl/vbaProject.bin", b"\x00" * 64)
    return buffer.getvalue()


async def preview_of(
    bot: RunningBot, secretary: EmuUser, content: bytes, name: str = "ds.xlsx"
) -> SentMessage:
    await bot.send(secretary, "/import")
    return await bot.send_document(secretary, name, content)


def vi(bot: RunningBot, key: str, **args: object) -> str:
    return bot.t("vi", key, **args)  # type: ignore[arg-type]


def problem(bot: RunningBot, row: int, key: str, column: str, value: str = "", **more: object):
    what = Text(key, {"column": Text(f"roster.column.{column}"), "value": value, "other_row": 0})
    suggestion: object = ""
    if "suggestion" in more:
        suggestion = Text("roster.problem.suggestion", {"word": more["suggestion"]})
    return vi(bot, "roster.problem", row=row, what=what, suggestion=suggestion)


async def test_import_preview_confirm_and_second_import(bot: RunningBot) -> None:
    cell = await cell_with_members(bot, ["Lê Văn Cường", "Phạm Thị Dung"])
    secretary = cell.secretary

    asked = await bot.send(secretary, "/import")
    assert asked.document is not None and asked.document["file_name"] == "danh-sach-dang-vien.xlsx"
    assert "Họ và tên (bắt buộc)" in (asked.text or "")
    template = load_workbook(io.BytesIO(asked.content or b"")).worksheets[0]
    assert [c.value for c in template[1]] == HEADER

    # A near miss is named by row and column, with the word it was probably meant to be.
    typo = [*GOOD_ROWS[:3], ["Đỗ Thị Giang", "chính thưc", "đảng viên", "", "31/02/2020"]]
    preview = await bot.send_document(secretary, "ds.xlsx", workbook(typo))
    text = preview.text or ""
    assert problem(bot, 6, "roster.problem.unknown_word", "status", "chính thưc",
                   suggestion="chính thức") in text  # fmt: skip
    assert "• dòng 6: trạng thái “chính thưc” không hợp lệ — có phải “chính thức”?" in text
    assert problem(bot, 6, "roster.problem.bad_date", "full_member", "31/02/2020") in text
    assert vi(bot, "roster.preview.fix_first", count=2) in text
    assert preview.button_texts() == []
    assert await bot.rows(ImportedMember) == []

    preview = await preview_of(bot, secretary, workbook(GOOD_ROWS))
    text = preview.text or ""
    assert "Đã đọc 4 dòng: thêm 2, cập nhật 1, không đổi 1, có lỗi 0." in text
    assert "Thêm: Hoàng Văn Em, Đỗ Thị Giang" in text
    assert "Cập nhật: Lê Văn Cường" in text
    assert "(1, vẫn giữ nguyên): Phạm Thị Dung" in text
    assert preview.button_texts() == [vi(bot, "roster.confirm"), vi(bot, "roster.cancel")]
    assert await bot.rows(ImportedMember) == []

    cancelled = await bot.press(secretary, preview, vi(bot, "roster.cancel"))
    assert cancelled.text == vi(bot, "roster.cancelled")
    assert await bot.rows(ImportedMember) == []

    preview = await preview_of(bot, secretary, workbook(GOOD_ROWS))
    await bot.press(secretary, preview, vi(bot, "roster.confirm"))
    links_file = bot.last(secretary.id)  # the links as its caption
    pressed_again = await bot.press(secretary, preview, vi(bot, "roster.confirm"))
    assert pressed_again.text == vi(bot, "roster.preview.nothing")
    assert links_file.document is not None
    assert "thêm 2, cập nhật 1" in (links_file.text or "")
    assert "• Hoàng Văn Em: https://t.me/" in (links_file.text or "")
    sheet = load_workbook(io.BytesIO(links_file.content or b"")).worksheets[0]
    links = {row[0]: row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert set(links) == {"Hoàng Văn Em", "Đỗ Thị Giang"}

    imported = {row.full_name: row for row in await bot.rows(ImportedMember)}
    assert imported["Hoàng Văn Em"].role is Role.DEPUTY
    assert imported["Hoàng Văn Em"].person_id is None
    assert imported["Đỗ Thị Giang"].status is MemberStatus.EXEMPTED
    assert str(imported["Hoàng Văn Em"].joined_party_on) == "2005-02-03"
    memberships = await bot.rows(Membership, Membership.left_at.is_(None))
    assert len(memberships) == 3  # nobody added as a member before claiming, nobody removed
    cuong = await _membership_of(bot, "Lê Văn Cường")
    assert cuong.status is MemberStatus.PROBATIONARY

    # The same file again: nothing to confirm, nothing changed.
    before = [(r.id, r.full_name, r.claim_token) for r in await bot.rows(ImportedMember)]
    again = await preview_of(bot, secretary, workbook(GOOD_ROWS))
    assert "thêm 0, cập nhật 0, không đổi 4" in (again.text or "")
    assert vi(bot, "roster.preview.nothing") in (again.text or "")
    assert again.button_texts() == []
    assert [(r.id, r.full_name, r.claim_token) for r in await bot.rows(ImportedMember)] == before

    # Claimed by the personal link: the member it names, after a confirmation, once.
    em = bot.emulator.user(30_001, "Em Hoàng")
    await choose_language(bot, em, "vi")
    asked_claim = await bot.send(em, f"/start {token_of(str(links['Hoàng Văn Em']))}")
    assert asked_claim.text == vi(
        bot, "roster.claim.ask", name="Hoàng Văn Em", cell="Chi bộ Phòng Tổng hợp"
    )
    done = await bot.press(em, asked_claim, vi(bot, "roster.claim.yes", name="Hoàng Văn Em"))
    assert done.text == vi(
        bot, "roster.claim.done", name="Hoàng Văn Em", cell="Chi bộ Phòng Tổng hợp"
    )
    em_membership = await _membership_of(bot, "Hoàng Văn Em")
    assert em_membership.role is Role.DEPUTY
    other = bot.emulator.user(30_002, "Kẻ Lạ")
    await choose_language(bot, other, "vi")
    reused = await bot.send(other, f"/start {token_of(str(links['Hoàng Văn Em']))}")
    assert reused.text == vi(bot, "roster.claim.unknown")

    # From the ordinary invite link: the names still unclaimed are offered first.
    giang = bot.emulator.user(30_003, "Giang")
    offer = await join(bot, giang, cell.member_link, "vi", typed_name="Đỗ Thị Giang")
    assert offer.text == vi(bot, "roster.offer", cell="Chi bộ Phòng Tổng hợp")
    assert offer.button_texts() == ["Đỗ Thị Giang", vi(bot, "roster.offer.not_listed")]
    confirm = await bot.press(giang, offer, "Đỗ Thị Giang")
    done = await bot.press(giang, confirm, vi(bot, "roster.claim.yes", name="Đỗ Thị Giang"))
    assert done.text == vi(
        bot, "roster.claim.done", name="Đỗ Thị Giang", cell="Chi bộ Phòng Tổng hợp"
    )
    assert (await _membership_of(bot, "Đỗ Thị Giang")).status is MemberStatus.EXEMPTED

    # Nobody left to offer: a newcomer joins as before.
    newcomer = bot.emulator.user(30_004, "Vũ Văn Khải")
    joined = await join(bot, newcomer, cell.member_link, "vi")
    assert joined.text == vi(
        bot,
        "join.done.member",
        organisation="Đảng bộ Văn phòng UBND tỉnh",
        cell="Chi bộ Phòng Tổng hợp",
    )

    # The list claimed is the list: importing it again still changes nothing.
    again = await preview_of(bot, secretary, workbook(GOOD_ROWS))
    assert "thêm 0, cập nhật 0, không đổi 4" in (again.text or "")
    assert "Vũ Văn Khải" in (again.text or "")  # in the cell, not in the file


async def test_a_newcomer_not_on_the_list_joins_as_a_new_member(bot: RunningBot) -> None:
    cell = await cell_with_members(bot, [])
    preview = await preview_of(bot, cell.secretary, workbook([GOOD_ROWS[0], GOOD_ROWS[3]]))
    await bot.press(cell.secretary, preview, vi(bot, "roster.confirm"))
    stranger = bot.emulator.user(30_010, "Mai Văn Long")
    offer = await join(bot, stranger, cell.member_link, "vi")
    joined = await bot.press(stranger, offer, vi(bot, "roster.offer.not_listed"))
    assert joined.text == vi(
        bot,
        "join.done.member",
        organisation="Đảng bộ Văn phòng UBND tỉnh",
        cell="Chi bộ Phòng Tổng hợp",
    )
    (unclaimed,) = await bot.rows(ImportedMember)
    assert unclaimed.full_name == "Đỗ Thị Giang" and unclaimed.person_id is None
    refused = await bot.send(stranger, "/import")
    assert refused.text == vi(bot, "error.not_manager")

    # Đỗ Thị Giang joins past the names offered: the next import links her row to her.
    giang = bot.emulator.user(30_011, "Đỗ Thị Giang")
    offer = await join(bot, giang, cell.member_link, "vi")
    await bot.press(giang, offer, vi(bot, "roster.offer.not_listed"))
    preview = await preview_of(bot, cell.secretary, workbook([GOOD_ROWS[0], GOOD_ROWS[3]]))
    assert "thêm 0, cập nhật 1" in (preview.text or "")
    await bot.press(cell.secretary, preview, vi(bot, "roster.confirm"))
    (linked,) = await bot.rows(ImportedMember)
    assert linked.person_id is not None and linked.claim_token is None
    assert (await _membership_of(bot, "Đỗ Thị Giang")).status is MemberStatus.EXEMPTED


async def test_bad_files_get_a_clear_answer(bot: RunningBot) -> None:
    cell = await cell_with_members(bot, [])
    secretary = cell.secretary
    types = {"max_mb": 20, "types": "XLSX, CSV"}

    async def answer(name: str, content: bytes) -> str:
        return (await preview_of(bot, secretary, content, name)).text or ""

    good = workbook(GOOD_ROWS)
    assert await answer("ds.pdf", b"%PDF-1.4\n") == vi(bot, "file.wrong_type", **types)
    assert await answer("ds.xlsx", b"%PDF-1.4\n%%EOF") == vi(bot, "file.content_mismatch", **types)
    assert await answer("ds.xlsm", good) == vi(bot, "file.macros", **types)
    assert await answer("ds.xlsx", with_macros(good)) == vi(bot, "file.macros", **types)
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (4 * 1024 * 1024))
    assert await answer("ds.xlsx", bomb.getvalue()) == vi(bot, "file.unsafe_archive", **types)
    encrypted = bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 512
    assert await answer("ds.xlsx", encrypted) == vi(bot, "file.encrypted", **types)
    assert await answer("ds.csv", b"\xff\xfe\x00\x01binary") == vi(
        bot, "roster.refused.not_a_spreadsheet"
    )
    assert await answer("ds.xlsx", workbook([])) == vi(bot, "roster.refused.empty")
    assert await answer("ds.xlsx", workbook_without_sheet_rows()) == vi(bot, "roster.refused.empty")
    many = [[f"Đảng viên {n}", "chính thức", "đảng viên"] for n in range(2_001)]
    assert await answer("ds.xlsx", workbook(many)) == vi(
        bot, "roster.refused.too_many_rows", max_rows=2000
    )
    english = workbook(GOOD_ROWS, header=["Full name", "Status", "Role"])
    assert await answer("ds.xlsx", english) == vi(
        bot,
        "roster.refused.header",
        expected="Họ và tên, Trạng thái, Chức vụ",
        optional="Ngày vào Đảng, Ngày chính thức",
    )
    formula = workbook([*GOOD_ROWS[:1], ["Lê Văn Cường", '=IF(1,"dự bị")', "đảng viên"]])
    text = await answer("ds.xlsx", formula)
    assert problem(bot, 4, "roster.problem.formula", "status", '=IF(1,"dự bị")') in text
    csv_formula = 'Họ và tên,Trạng thái,Chức vụ\n=HYPERLINK("x"),chính thức,đảng viên\n'
    text = await answer("ds.csv", csv_formula.encode())
    assert problem(bot, 2, "roster.problem.formula", "name", '=HYPERLINK("x")') in text
    # Nothing was written by any of them.
    assert await bot.rows(ImportedMember) == []


async def test_a_csv_file_is_read_like_a_workbook(bot: RunningBot) -> None:
    cell = await cell_with_members(bot, ["Lê Văn Cường"])
    csv_file = "Họ và tên;Trạng thái;Chức vụ\nNguyễn Thị Lan;chính thức;bí thư\n"
    csv_file += "Trần Văn Bình;dự bị;đảng viên\n"
    preview = await preview_of(bot, cell.secretary, csv_file.encode("utf-8-sig"), "ds.csv")
    assert "Đã đọc 2 dòng: thêm 1, cập nhật 0, không đổi 1, có lỗi 0." in (preview.text or "")
    assert "(1, vẫn giữ nguyên): Lê Văn Cường" in (preview.text or "")


def workbook_without_sheet_rows() -> bytes:
    buffer = io.BytesIO()
    Workbook().save(buffer)
    return buffer.getvalue()


async def _membership_of(bot: RunningBot, name: str) -> Membership:
    async with bot.database.transaction() as session:
        found = await session.scalar(
            select(Membership)
            .join(Person, Person.id == Membership.person_id)
            .where(Person.full_name == name, Membership.left_at.is_(None))
        )
    assert found is not None
    return found


async def test_a_deputy_named_on_the_list_picked_from_the_shared_link_joins_as_a_member(
    bot: RunningBot,
) -> None:
    """Anyone holding the cell's invite link could pick a deputy's name: from that link the
    name joins as a member; a deputy's rights come with their own personal link only."""
    cell = await cell_with_members(bot, [])
    preview = await preview_of(bot, cell.secretary, workbook([GOOD_ROWS[0], GOOD_ROWS[2]]))
    await bot.press(cell.secretary, preview, vi(bot, "roster.confirm"))
    picker = bot.emulator.user(30_020, "Người Nhặt")
    offer = await join(bot, picker, cell.member_link, "vi", typed_name="Hoàng Văn Em")
    confirm = await bot.press(picker, offer, "Hoàng Văn Em")
    await bot.press(picker, confirm, vi(bot, "roster.claim.yes", name="Hoàng Văn Em"))
    assert (await _membership_of(bot, "Hoàng Văn Em")).role is Role.MEMBER


async def test_only_the_secretary_changes_the_secretarys_status_by_an_import(
    bot: RunningBot,
) -> None:
    cell = await cell_with_members(bot, [])
    preview = await preview_of(bot, cell.secretary, workbook([GOOD_ROWS[0], GOOD_ROWS[2]]))
    await bot.press(cell.secretary, preview, vi(bot, "roster.confirm"))
    deputy = bot.emulator.user(30_030, "Em Hoàng")
    sent = bot.last(cell.secretary.id).text or ""
    token = re.search(r"Hoàng Văn Em: https://t\.me/\S+\?start=(\S+)", sent)
    assert token is not None and token.group(1).startswith("claim-")
    await choose_language(bot, deputy, "vi")
    asked = await bot.send(deputy, f"/start {token.group(1)}")
    await bot.press(deputy, asked, vi(bot, "roster.claim.yes", name="Hoàng Văn Em"))
    assert (await _membership_of(bot, "Hoàng Văn Em")).role is Role.DEPUTY
    # The deputy sends the list with the secretary made exempted: a problem, nothing written.
    demoted = [["Nguyễn Thị Lan", "miễn sinh hoạt", "bí thư", "", ""], GOOD_ROWS[2]]
    refused = await preview_of(bot, deputy, workbook(demoted))
    assert vi(bot, "roster.problem.secretary_status", value="Nguyễn Thị Lan") in (
        refused.text or ""
    )
    assert vi(bot, "roster.confirm") not in refused.button_texts()
    assert (await _membership_of(bot, "Nguyễn Thị Lan")).status is MemberStatus.FULL
