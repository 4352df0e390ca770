"""The minutes' complete layout: number, place and date, each speaker under their item, the
approval, page numbers, a number column on one line, the language, the template."""

from __future__ import annotations

import dataclasses
import io
import zipfile
from pathlib import Path

import docx
from docx.document import Document
from docx.oxml.ns import qn
from docx.table import Table

from domain.records import ItemRecord, Opinion
from reports import minutes_template
from reports.minutes import minutes_docx
from tests.test_minutes_document import ITEMS, LABELS, meeting, paragraph_with, render, texts

WORD = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def spoken_items() -> list[ItemRecord]:
    first, second, *rest = ITEMS
    second = dataclasses.replace(
        second,
        spoken=[
            Opinion("Trần Văn Hùng", "Đề nghị bổ sung chỉ tiêu kết nạp đảng viên."),
            Opinion("Đỗ Văn Tư", "Nhất trí.\nĐề nghị giao cho đồng chí Hùng."),
        ],
    )
    return [first, second, *rest]


def test_number_place_and_date_head_the_document() -> None:
    doc = render(meeting())
    header = doc.tables[0]
    left = [paragraph.text for paragraph in header.cell(0, 0).paragraphs]
    assert left[-1] == "Số 07-BB/CB"
    right = [paragraph.text for paragraph in header.cell(0, 1).paragraphs]
    assert right[-1] == "Đà Nẵng, ngày 15 tháng 12 năm 2026"


def test_each_speaker_is_written_under_their_item() -> None:
    doc = render(meeting(items=spoken_items()))
    lines = texts(doc)
    second = lines.index("2. Phương hướng nhiệm vụ tháng 01/2027")
    third = lines.index("3. Đánh giá, xếp loại đảng viên năm 2026")
    under_second = lines[second + 1 : third]
    assert under_second == [
        "Báo cáo: Tập trung tổng kết năm và chuẩn bị Tết Nguyên đán.",
        "Ý kiến thảo luận:",
        "Trần Văn Hùng: Đề nghị bổ sung chỉ tiêu kết nạp đảng viên.",
        "Đỗ Văn Tư: Nhất trí.",
        "Đề nghị giao cho đồng chí Hùng.",
        "Kết luận: Thống nhất phương hướng đã đề ra.",
    ]
    speaker = paragraph_with(doc, "Trần Văn Hùng: Đề nghị bổ sung chỉ tiêu kết nạp đảng viên.")
    bold = [run.text for run in speaker.runs if run.bold]
    assert bold == ["Trần Văn Hùng: "]


def test_the_approval_closes_the_minutes_before_the_signatures() -> None:
    doc = render(meeting())
    lines = texts(doc)
    closing = lines.index("Cuộc họp kết thúc lúc 10:30.")
    assert lines[closing + 1] == (
        "Biên bản đã được thông qua trước chi bộ lúc 10 giờ 30, 3 đồng chí nhất trí."
    )
    body = doc.element.body
    approval = paragraph_with(doc, lines[closing + 1])._p
    signatures = doc.tables[-1]._tbl
    assert list(body).index(approval) < list(body).index(signatures)


def test_every_page_has_its_number_in_the_footer() -> None:
    doc = render(meeting())
    footer = doc.sections[0].footer
    assert not footer.is_linked_to_previous
    instructions = [
        element.text for element in footer._element.iter(qn("w:instrText")) if element.text
    ]
    simple = [element.get(qn("w:instr")) for element in footer._element.iter(qn("w:fldSimple"))]
    assert [text.strip() for text in instructions + simple] == ["PAGE"]


def number_column(table: Table) -> list[tuple[bool, float]]:
    """For each row: is the number cell kept on one line, and its width in cm."""
    found = []
    for row in table.rows:
        cell = row.cells[0]
        properties = cell._tc.tcPr
        no_wrap = properties is not None and properties.find(qn("w:noWrap")) is not None
        assert cell.width is not None
        found.append((no_wrap, round(cell.width.cm, 1)))
    return found


def test_the_number_column_never_wraps() -> None:
    doc = render(meeting())
    attendance, tasks = doc.tables[1], doc.tables[2]
    for table in (attendance, tasks):
        assert table.rows[0].cells[0].text == "STT"
        assert number_column(table) == [(True, 1.5)] * len(table.rows)
        [layout] = table._tbl.tblPr.findall(qn("w:tblLayout"))
        assert layout.get(qn("w:type")) == "fixed"
    assert len(attendance.rows) == 6 and len(tasks.rows) == 3


def test_the_document_is_tagged_vietnamese() -> None:
    doc = render(meeting())
    styles = doc.styles.element
    defaults = styles.find(f"{WORD}docDefaults/{WORD}rPrDefault/{WORD}rPr/{WORD}lang")
    assert defaults is not None and defaults.get(qn("w:val")) == "vi-VN"
    normal = doc.styles["Normal"].element.rPr.find(qn("w:lang"))
    assert normal is not None and normal.get(qn("w:val")) == "vi-VN"
    assert doc.core_properties.language == "vi-VN"


def test_typed_text_is_written_as_typed_never_as_markup_or_template_tags() -> None:
    hostile = (
        'Chủ đề {{ secret }} {% if 1 %}x{% endif %} <w:p><w:r><w:t>chèn</w:t></w:r></w:p> & "'
        " {_{ x }_} {_% y %_} \\n"
    )
    doc = render(
        meeting(
            subtitle=hostile,
            items=[ItemRecord(title=hostile, spoken=[Opinion(hostile, hostile)])],
        )
    )
    lines = texts(doc)
    assert hostile in lines
    assert f"1. {hostile}" in lines
    assert f"{hostile}: {hostile}" in lines
    # Nothing was added to the document's structure: no paragraph of the injected text alone.
    assert "chèn" not in lines
    assert doc.core_properties.subject == hostile


def test_the_shipped_template_is_the_one_the_code_builds() -> None:
    with (
        zipfile.ZipFile(minutes_template.DEFAULT_TEMPLATE) as shipped,
        zipfile.ZipFile(io.BytesIO(minutes_template.build())) as built,
    ):
        assert sorted(shipped.namelist()) == sorted(built.namelist())
        for name in built.namelist():
            assert shipped.read(name) == built.read(name), name


def test_a_house_template_lays_out_the_same_record(tmp_path: Path) -> None:
    house = docx.Document(io.BytesIO(minutes_template.build()))
    house.paragraphs[0].insert_paragraph_before("UBND TỈNH — MẪU RIÊNG {{ cell }}")
    path = tmp_path / "house.docx"
    house.save(str(path))

    doc: Document = docx.Document(io.BytesIO(minutes_docx(meeting(), path)))
    lines = texts(doc)
    assert lines[0] == "UBND TỈNH — MẪU RIÊNG CHI BỘ PHÒNG TỔNG HỢP"
    assert LABELS.title in lines
