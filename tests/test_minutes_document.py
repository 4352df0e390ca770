"""The minutes as a Word document: what a reader opening the file sees."""

from __future__ import annotations

import dataclasses
import io
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import docx
import pytest
from docx.document import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph

from domain.records import (
    AttendeeLine,
    ItemRecord,
    MinutesDocument,
    MinutesLabels,
    TaskLine,
    VoteRecord,
)
from reports.minutes import minutes_docx

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")

LABELS = MinutesLabels(
    party_header="ĐẢNG CỘNG SẢN VIỆT NAM",
    title="BIÊN BẢN SINH HOẠT CHI BỘ",
    time_and_place="Thời gian, địa điểm",
    time="Thời gian",
    place="Địa điểm",
    chair="Chủ trì",
    note_taker="Thư ký",
    attendance="Thành phần dự họp",
    expected="Tổng số đảng viên phải dự",
    present="Có mặt",
    excused="Vắng có lý do",
    unexcused="Vắng không lý do",
    rate="Tỷ lệ tham dự",
    number="STT",
    name="Họ và tên",
    status="Tình hình",
    reason="Lý do",
    content="Nội dung",
    report="Báo cáo",
    opinions="Ý kiến thảo luận",
    conclusion="Kết luận",
    resolution="Nghị quyết",
    tasks="Nhiệm vụ",
    assignee="Người thực hiện",
    due="Thời hạn",
    vote="Biểu quyết",
    votes_for="Tán thành",
    votes_against="Không tán thành",
    votes_abstain="Không biểu quyết",
    adopted="Nghị quyết được thông qua",
    not_adopted="Nghị quyết chưa được thông qua",
    closing="Cuộc họp kết thúc lúc",
    signature_hint="(Ký, ghi rõ họ tên)",
    date_line="Đà Nẵng, ngày 15 tháng 12 năm 2026",
    number_line="Số 07-BB/CB",
    approval="Biên bản đã được thông qua trước chi bộ lúc 10 giờ 30, 3 đồng chí nhất trí.",
)

ATTENDEES = [
    AttendeeLine("Nguyễn Thị Lan", "có mặt"),
    AttendeeLine("Trần Văn Hùng", "có mặt"),
    AttendeeLine("Đỗ Văn Tư", "có mặt"),
    AttendeeLine("Lê Thị Hồng Nhung", "vắng có lý do", "Đi công tác Hà Nội"),
    AttendeeLine("Phạm Quốc Việt", "vắng không lý do"),
]

ITEMS = [
    ItemRecord(
        title="Kiểm điểm công tác tháng 12/2026",
        report="Đồng chí Bí thư báo cáo kết quả thực hiện nhiệm vụ tháng 12.",
        opinions="Đồng chí Hùng: đề nghị bổ sung số liệu.\nĐồng chí Tư: nhất trí với báo cáo.",
        conclusion="Chi bộ hoàn thành tốt nhiệm vụ tháng 12.",
    ),
    ItemRecord(
        title="Phương hướng nhiệm vụ tháng 01/2027",
        report="Tập trung tổng kết năm và chuẩn bị Tết Nguyên đán.",
        conclusion="Thống nhất phương hướng đã đề ra.",
    ),
    ItemRecord(
        title="Đánh giá, xếp loại đảng viên năm 2026",
        conclusion="Đề nghị xếp loại hoàn thành xuất sắc nhiệm vụ: 01 đồng chí.",
    ),
]

RESOLUTION = (
    "1. Hoàn thành báo cáo tổng kết năm 2026.\n"
    "\n"
    "2. Tổ chức thăm hỏi gia đình đảng viên có hoàn cảnh khó khăn dịp Tết."
)

TASKS = [
    TaskLine("Hoàn thiện báo cáo tổng kết năm", "Trần Văn Hùng", date(2027, 1, 5)),
    TaskLine("Lập danh sách gia đình cần thăm hỏi", "Đỗ Văn Tư"),
]


def meeting(**changes: Any) -> MinutesDocument:
    document = MinutesDocument(
        labels=LABELS,
        organisation="Đảng bộ Văn phòng UBND tỉnh",
        cell="Chi bộ Phòng Tổng hợp",
        subtitle="Sinh hoạt thường kỳ tháng 12/2026",
        starts_at=datetime(2026, 12, 15, 8, 0, tzinfo=VIETNAM),
        ends_at=datetime(2026, 12, 15, 10, 30, tzinfo=VIETNAM),
        place="Phòng họp tầng 3, Văn phòng UBND tỉnh",
        chair="Nguyễn Thị Lan",
        note_taker="Đỗ Văn Tư",
        expected=5,
        present=3,
        excused=1,
        unexcused=1,
        rate_percent=60,
        attendees=ATTENDEES,
        items=ITEMS,
        resolution=RESOLUTION,
        tasks=TASKS,
        vote=VoteRecord(votes_for=3, against=0, abstain=0, adopted=True),
    )
    return dataclasses.replace(document, **changes)


def render(document: MinutesDocument) -> Document:
    return docx.Document(io.BytesIO(minutes_docx(document)))


@pytest.fixture(scope="module")
def full() -> Document:
    return render(meeting())


def texts(doc: Document) -> list[str]:
    """The body's paragraphs outside tables, as a reader goes down the page."""
    return [paragraph.text for paragraph in doc.paragraphs]


def paragraph_with(doc: Document, text: str) -> Paragraph:
    matches = [paragraph for paragraph in doc.paragraphs if paragraph.text == text]
    assert len(matches) == 1, (text, texts(doc))
    return matches[0]


def cell_lines(table: Table, row: int, column: int) -> list[str]:
    return [paragraph.text for paragraph in table.cell(row, column).paragraphs]


def rows(table: Table) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


def grid_rows(table: Table) -> list[list[str]]:
    """The rows of a table drawn as a grid (checked)."""
    assert table.style is not None and table.style.name == "Table Grid"
    return rows(table)


def looks_bold(paragraph: Paragraph) -> bool:
    """Bold as Word shows it: set on the run, else inherited from the paragraph's styles."""
    written = [run for run in paragraph.runs if run.text]
    return bool(written) and all(
        run.bold if run.bold is not None else style_bold(paragraph) for run in written
    )


def style_bold(paragraph: Paragraph) -> bool:
    style = paragraph.style
    while style is not None:
        if style.font.bold is not None:
            return style.font.bold
        style = style.base_style
    return False


def looks_centred(paragraph: Paragraph) -> bool:
    style = paragraph.style
    alignment = paragraph.alignment
    while alignment is None and style is not None:
        alignment = style.paragraph_format.alignment
        style = style.base_style
    return alignment == WD_ALIGN_PARAGRAPH.CENTER


def test_page_is_a4_in_times_new_roman(full: Document) -> None:
    section = full.sections[0]
    assert section.page_width is not None and section.page_height is not None
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)
    assert section.left_margin is not None and section.right_margin is not None
    assert (round(section.left_margin.cm, 1), round(section.right_margin.cm, 1)) == (3.0, 2.0)
    normal = full.styles["Normal"]
    assert normal.font.name == "Times New Roman"
    assert normal.font.size is not None and normal.font.size.pt == 13
    fonts = normal.element.rPr.rFonts
    assert fonts.get(qn("w:eastAsia")) == "Times New Roman"
    assert full.core_properties.title.startswith("BIÊN BẢN SINH HOẠT CHI BỘ")


def test_header_has_the_party_and_the_cell_without_borders(full: Document) -> None:
    header = full.tables[0]
    assert header.style is None or header.style.name != "Table Grid"
    assert cell_lines(header, 0, 0) == [
        "ĐẢNG BỘ VĂN PHÒNG UBND TỈNH",
        "CHI BỘ PHÒNG TỔNG HỢP",
        "*",
        "Số 07-BB/CB",
    ]
    assert looks_bold(header.cell(0, 0).paragraphs[1])
    party, date_line = header.cell(0, 1).paragraphs
    assert party.text == "ĐẢNG CỘNG SẢN VIỆT NAM"
    assert looks_bold(party) and party.runs[0].underline
    assert date_line.text == "Đà Nẵng, ngày 15 tháng 12 năm 2026"
    assert date_line.runs[0].italic


def test_title_is_bold_and_centred(full: Document) -> None:
    title = paragraph_with(full, "BIÊN BẢN SINH HOẠT CHI BỘ")
    assert looks_bold(title) and looks_centred(title)
    subtitle = paragraph_with(full, "Sinh hoạt thường kỳ tháng 12/2026")
    assert looks_bold(subtitle) and looks_centred(subtitle)
    lines = texts(full)
    assert lines.index(title.text) < lines.index(subtitle.text)


def test_time_place_and_people(full: Document) -> None:
    heading = paragraph_with(full, "I. Thời gian, địa điểm")
    assert looks_bold(heading)
    lines = texts(full)
    assert "Thời gian: 15/12/2026 08:00 – 10:30" in lines
    assert "Địa điểm: Phòng họp tầng 3, Văn phòng UBND tỉnh" in lines
    assert "Chủ trì: Nguyễn Thị Lan" in lines
    assert "Thư ký: Đỗ Văn Tư" in lines


def test_attendance_figures_and_table(full: Document) -> None:
    assert looks_bold(paragraph_with(full, "II. Thành phần dự họp"))
    paragraph_with(
        full,
        "Tổng số đảng viên phải dự: 5; Có mặt: 3; Vắng có lý do: 1; "
        "Vắng không lý do: 1; Tỷ lệ tham dự: 60%.",
    )
    table = full.tables[1]
    assert grid_rows(table) == [
        ["STT", "Họ và tên", "Tình hình", "Lý do"],
        ["1", "Nguyễn Thị Lan", "có mặt", ""],
        ["2", "Trần Văn Hùng", "có mặt", ""],
        ["3", "Đỗ Văn Tư", "có mặt", ""],
        ["4", "Lê Thị Hồng Nhung", "vắng có lý do", "Đi công tác Hà Nội"],
        ["5", "Phạm Quốc Việt", "vắng không lý do", ""],
    ]
    header = table.rows[0]
    assert all(looks_bold(cell.paragraphs[0]) for cell in header.cells)
    assert header._tr.trPr is not None
    assert header._tr.trPr.find(qn("w:tblHeader")) is not None


def test_items_with_their_reports_and_conclusions(full: Document) -> None:
    assert looks_bold(paragraph_with(full, "III. Nội dung"))
    lines = texts(full)
    for number, item in enumerate(ITEMS, start=1):
        heading = paragraph_with(full, f"{number}. {item.title}")
        assert looks_bold(heading)
        assert f"Kết luận: {item.conclusion}" in lines
    assert "Báo cáo: Đồng chí Bí thư báo cáo kết quả thực hiện nhiệm vụ tháng 12." in lines
    # Opinions of several lines keep one paragraph per line.
    opinions = lines.index("Ý kiến thảo luận: Đồng chí Hùng: đề nghị bổ sung số liệu.")
    assert lines[opinions + 1] == "Đồng chí Tư: nhất trí với báo cáo."
    # An item without a report or opinions prints no empty labels.
    third = lines.index("3. Đánh giá, xếp loại đảng viên năm 2026")
    assert lines[third + 1].startswith("Kết luận: ")
    assert sum(line.startswith("Ý kiến thảo luận:") for line in lines) == 1


def test_resolution_tasks_and_vote(full: Document) -> None:
    lines = texts(full)
    resolution = lines.index("IV. Nghị quyết")
    assert lines[resolution + 1 : resolution + 3] == [
        "1. Hoàn thành báo cáo tổng kết năm 2026.",
        "2. Tổ chức thăm hỏi gia đình đảng viên có hoàn cảnh khó khăn dịp Tết.",
    ]
    assert grid_rows(full.tables[2]) == [
        ["STT", "Nhiệm vụ", "Người thực hiện", "Thời hạn"],
        ["1", "Hoàn thiện báo cáo tổng kết năm", "Trần Văn Hùng", "05/01/2027"],
        ["2", "Lập danh sách gia đình cần thăm hỏi", "Đỗ Văn Tư", ""],
    ]
    paragraph_with(full, "Biểu quyết: Tán thành 3; Không tán thành 0; Không biểu quyết 0")
    assert looks_bold(paragraph_with(full, "Nghị quyết được thông qua"))
    assert "Cuộc họp kết thúc lúc 10:30." in lines


def test_signatures_of_note_taker_and_chair(full: Document) -> None:
    signatures = full.tables[-1]
    assert signatures.style is None or signatures.style.name != "Table Grid"
    left = cell_lines(signatures, 0, 0)
    right = cell_lines(signatures, 0, 1)
    assert left[:2] == ["THƯ KÝ", "(Ký, ghi rõ họ tên)"]
    assert right[:2] == ["CHỦ TRÌ", "(Ký, ghi rõ họ tên)"]
    assert left[-1] == "Đỗ Văn Tư"
    assert right[-1] == "Nguyễn Thị Lan"
    assert "" in left[2:-1], "room for the handwritten signature"
    hint = signatures.cell(0, 0).paragraphs[1]
    assert hint.runs[0].italic


def test_not_adopted_vote_says_so() -> None:
    vote = VoteRecord(votes_for=1, against=2, abstain=0, adopted=False)
    doc = render(meeting(vote=vote))
    paragraph_with(doc, "Biểu quyết: Tán thành 1; Không tán thành 2; Không biểu quyết 0")
    assert looks_bold(paragraph_with(doc, "Nghị quyết chưa được thông qua"))
    assert "Nghị quyết được thông qua" not in texts(doc)


def test_without_vote_tasks_or_items_still_renders() -> None:
    doc = render(meeting(vote=None, tasks=[], items=[], ends_at=None))
    lines = texts(doc)
    assert "BIÊN BẢN SINH HOẠT CHI BỘ" in lines
    assert not any(line.startswith("Biểu quyết") for line in lines)
    assert "Nghị quyết được thông qua" not in lines
    assert "III. Nội dung" not in lines
    # The sections after an empty one keep consecutive numbers.
    assert "III. Nghị quyết" in lines
    assert "Thời gian: 15/12/2026 08:00" in lines
    # Header, attendance and signatures; no tasks table.
    assert len(doc.tables) == 3
    assert rows(doc.tables[1])[0] == ["STT", "Họ và tên", "Tình hình", "Lý do"]
    closing = next(line for line in lines if line.startswith("Cuộc họp kết thúc lúc"))
    assert not any(character.isdigit() for character in closing)
