"""Hostile text in the files the bot writes: a workbook, the minutes, a calendar file.

A name, a place or a report is the user's text, kept as typed; it never becomes a formula, a
sheet title that reads as one, another paragraph or another calendar event, and characters
a file cannot hold never make an export fail.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from io import BytesIO

import docx
import pytest
from docx.document import Document
from docx.oxml.ns import qn
from icalendar import Calendar
from matplotlib.text import Text
from openpyxl import load_workbook
from openpyxl.cell import Cell
from openpyxl.workbook.workbook import Workbook

from domain.digest import DigestFigures, MemberAtRisk
from domain.records import AttendeeLine, ItemRecord, MinutesDocument, TaskLine
from reports.chart import attendance_chart
from reports.ical import CalendarEntry, meeting_ics
from reports.minutes import minutes_docx
from reports.spreadsheet import MAX_CELL_SHEETS, digest_workbook
from tests.harness import on_every_chart
from tests.test_digest_reports import CELLS, FIGURES
from tests.test_digest_reports import LABELS as DIGEST_LABELS
from tests.test_minutes_document import meeting

HYPERLINK = '=HYPERLINK("http://evil.example/x","Bấm")'
# Each of these is read as a formula by some spreadsheet when typed or opened from a CSV.
FORMULA_LIKE = [
    HYPERLINK,
    "=1+1",
    "+84 912 345 678",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
]
MARKUP = '</w:t></w:r></w:p><w:p><w:r><w:t>Tổ & "Kho" <b>1</b>'
# ESC, BEL, backspace, NUL, a lone surrogate, U+FFFF: none of them fits in an XML file.
CONTROLS = "Tổ\x1b 1\x07\x08 Kho\x00\ud800\uffff"
WITHOUT_CONTROLS = "Tổ 1 Kho"


# --- workbook ------------------------------------------------------------------------------


def workbook(figures: DigestFigures) -> Workbook:
    return load_workbook(BytesIO(digest_workbook(figures, DIGEST_LABELS)))


def every_cell(book: Workbook) -> Iterator[Cell]:
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            yield from row


# A workbook holds a carriage return as an escape (_x000D_), as Excel writes it, and a text
# spelled like an escape with its underscore escaped (_x005F_x0041_): Excel shows both as
# typed, openpyxl reads the escapes as written.
ESCAPE = re.compile("_x([0-9A-Fa-f]{4})_")


def shown(cell: Cell) -> object:
    """The cell's value as a spreadsheet shows it."""
    if isinstance(cell.value, str):
        return ESCAPE.sub(lambda escape: chr(int(escape.group(1), 16)), cell.value)
    return cell.value


def hostile_cells(names: list[str]) -> DigestFigures:
    cells = [
        replace(
            CELLS[1],
            cell_id=100 + index,
            name=name,
            at_risk=[MemberAtRisk(name, name, 3)],
        )
        for index, name in enumerate(names)
    ]
    return replace(FIGURES, organisation=HYPERLINK, period="=TODAY()", cells=cells)


@pytest.mark.parametrize("copies", [1, MAX_CELL_SHEETS])
def test_texts_that_look_like_formulas_are_written_as_the_text_typed(copies: int) -> None:
    # With more than MAX_CELL_SHEETS cells, the meetings share one sheet: both layouts.
    names = FORMULA_LIKE * copies
    book = workbook(hostile_cells(names))

    assert [cell.coordinate for cell in every_cell(book) if cell.data_type == "f"] == []
    texts = [cell for cell in every_cell(book) if isinstance(cell.value, str)]
    assert all(cell.data_type == "s" for cell in texts)
    written = [shown(cell) for cell in texts]
    for name in FORMULA_LIKE:
        # The summary row, the member at risk and their cell, and the cell's sheet or rows.
        assert written.count(name) >= 3 * copies
    assert written.count(HYPERLINK) >= 1 + 3 * copies  # the organisation's name too
    assert "=TODAY()" in written
    # Editing such a cell in a spreadsheet keeps it text.
    assert all(cell.quotePrefix for cell in texts if shown(cell) in FORMULA_LIKE)


@pytest.mark.parametrize("copies", [1, MAX_CELL_SHEETS])
def test_texts_spelled_as_spreadsheet_errors_are_written_as_texts(copies: int) -> None:
    names = ["#N/A", "#REF!", "#DIV/0!"] * copies
    book = workbook(hostile_cells(names))

    assert [cell.coordinate for cell in every_cell(book) if cell.data_type == "e"] == []
    written = [shown(cell) for cell in every_cell(book) if cell.data_type == "s"]
    for name in set(names):
        # The summary row, the member at risk and their cell, and the cell's sheet or rows.
        assert written.count(name) >= 3 * copies


def test_texts_spelled_as_a_workbook_s_escapes_are_shown_as_typed() -> None:
    names = ["_x0041_", "Tổ _x000D_ 1", "_x005F_"]
    book = workbook(hostile_cells(names))

    written = [shown(cell) for cell in every_cell(book)]
    for name in names:
        assert written.count(name) >= 3, name


def test_a_text_spelled_as_rich_text_markup_is_written_as_the_text_typed() -> None:
    # Such a text once went into the file as markup: this one would add a formula to the sheet.
    name = (
        '<r><t>a</t></r></is></c><c r="Z1"><f>HYPERLINK("http://evil.example/x","Bấm")</f></c>'
        "<c><is><r><t>b</t></r>"
    )
    book = workbook(hostile_cells([name]))

    assert [cell.coordinate for cell in every_cell(book) if cell.data_type == "f"] == []
    written = [shown(cell) for cell in every_cell(book)]
    # The summary row, the member at risk and their cell, and the cell's sheet.
    assert written.count(name) == 4


def test_sheet_titles_never_read_as_formulas_and_stay_valid_and_unique() -> None:
    names = [
        HYPERLINK,
        'HYPERLINK("http://evil.example/x","Bấm")',
        "=Kho",
        "Kho",
        "'=Kho'",
        "@Kho",
        "+Kho",
        "Chi bộ =Kho",
        "==",
        "Tổ\n1\tA",
        CONTROLS,
    ]
    book = workbook(hostile_cells(names))

    titles = book.sheetnames[2:]
    assert titles == [
        'HYPERLINK("http---evil.example…',
        'HYPERLINK("http---evil.exa… (2)',
        "Kho",
        "Kho (2)",
        "Kho (3)",
        "Kho (4)",
        "Kho (5)",
        "Kho (6)",
        "108",  # nothing is left of "==": the cell's number
        "Tổ 1 A",
        WITHOUT_CONTROLS,
    ]
    for title in book.sheetnames:
        assert 0 < len(title) <= 31
        assert not re.search(r"[\[\]:*?/\\]", title)
        assert not title.startswith(("'", "=", "+", "@")) and not title.endswith("'")
    assert len({title.casefold() for title in book.sheetnames}) == len(book.sheetnames)
    # Each sheet is headed by its cell's full name, as typed.
    assert [book[title]["A1"].value for title in titles[:-1]] == names[:-1]


def test_characters_a_workbook_cannot_hold_are_left_out_instead_of_failing_the_digest() -> None:
    book = workbook(hostile_cells([CONTROLS]))

    sheet = book.worksheets[2]
    assert sheet.title == WITHOUT_CONTROLS
    assert sheet["A1"].value == WITHOUT_CONTROLS
    assert book.worksheets[1]["A2"].value == WITHOUT_CONTROLS  # the member at risk


# --- minutes -------------------------------------------------------------------------------


def hostile_minutes(text: str) -> MinutesDocument:
    """Every text of the minutes that a person typed, each one ``text``."""
    return meeting(
        organisation=text,
        cell=text,
        subtitle=text,
        place=text,
        chair=text,
        note_taker=text,
        attendees=[AttendeeLine(text, "vắng có lý do", text)],
        items=[ItemRecord(title=text, report=text, opinions=text, conclusion=text)],
        resolution=text,
        tasks=[TaskLine(text, text)],
    )


def read_minutes(document: MinutesDocument) -> Document:
    return docx.Document(io.BytesIO(minutes_docx(document)))


def all_texts(doc: Document) -> list[str]:
    """Every paragraph's text, in the body and in the tables."""
    texts = [paragraph.text for paragraph in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            for cell in row.cells:
                texts.extend(paragraph.text for paragraph in cell.paragraphs)
    return texts


def shape(doc: Document) -> list[str]:
    """The document's elements, without their text: what user text must not change."""
    return [element.tag for element in doc.element.body.iter()]


@pytest.mark.parametrize("text", [MARKUP, HYPERLINK])
def test_markup_in_the_minutes_is_literal_text_and_adds_no_element(text: str) -> None:
    doc = read_minutes(hostile_minutes(text))

    assert shape(doc) == shape(read_minutes(hostile_minutes("Tổ 1")))
    texts = all_texts(doc)
    assert text.upper() in texts  # the organisation and the cell head the page in capitals
    assert f"Địa điểm: {text}" in texts
    assert f"1. {text}" in texts  # the agenda item's title
    assert text in texts  # the resolution, the attendee, the task, the signatures
    assert doc.core_properties.author == text


def test_a_line_break_in_a_name_adds_no_line_to_the_minutes() -> None:
    doc = read_minutes(
        meeting(
            cell="Chi bộ\nKho vận",
            chair="Nguyễn Thị\r\nLan",
            attendees=[AttendeeLine("Trần\u2028Văn Hùng", "có mặt")],
            tasks=[TaskLine("Báo cáo\ntổng kết", "Đỗ\tVăn Tư")],
        )
    )

    body = doc.element.body
    assert body.findall(".//" + qn("w:br")) == []
    assert body.findall(".//" + qn("w:tab")) == []
    texts = all_texts(doc)
    for line in ("CHI BỘ KHO VẬN", "Nguyễn Thị Lan", "Trần Văn Hùng", "Báo cáo tổng kết"):
        assert line in texts
    assert "Đỗ Văn Tư" in texts


def test_characters_a_document_cannot_hold_do_not_fail_the_minutes_export() -> None:
    doc = read_minutes(hostile_minutes(CONTROLS))

    texts = all_texts(doc)
    assert WITHOUT_CONTROLS.upper() in texts
    assert f"Địa điểm: {WITHOUT_CONTROLS}" in texts
    assert WITHOUT_CONTROLS in texts
    assert doc.core_properties.author == WITHOUT_CONTROLS
    assert not any(re.search("[\x00-\x08\x0b-\x1f]", text) for text in texts)


# --- calendar ------------------------------------------------------------------------------

INJECTED = "Họp\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:Giả mạo\r\nDTSTART:20270101T000000Z"


def calendar_entry(summary: str, location: str, description: str) -> CalendarEntry:
    return CalendarEntry(
        uid="meeting-7@chibo",
        sequence=1,
        starts_at=datetime(2026, 12, 5, 12, 30, tzinfo=UTC),
        ends_at=datetime(2026, 12, 5, 14, 30, tzinfo=UTC),
        summary=summary,
        location=location,
        description=description,
        stamp=datetime(2026, 12, 1, 2, 0, tzinfo=UTC),
    )


def parsed_event(ics: bytes) -> dict[str, str]:
    [event] = Calendar.from_ical(ics).walk("VEVENT")
    return {name: str(event[name]) for name in ("summary", "location", "description")}


@pytest.mark.parametrize("separator", ["\r\n", "\n", "\r", "\x0b", "\x0c", "\x85", "\u2028"])
def test_a_line_break_cannot_start_another_calendar_event(separator: str) -> None:
    text = INJECTED.replace("\r\n", separator)
    ics = meeting_ics(calendar_entry(text, f"Hội trường;{text}", f"Chương trình, {text}"))

    # Read as one line by every program, however it splits lines.
    lines = ics.decode().split("\r\n")
    assert lines[-1] == "" and ics.decode().splitlines() == lines[:-1]
    assert lines.count("BEGIN:VEVENT") == 1
    # The text itself is kept, its line breaks as line breaks.
    kept = INJECTED.replace("\r\n", "\n")
    assert parsed_event(ics) == {
        "summary": kept,
        "location": f"Hội trường;{kept}",
        "description": f"Chương trình, {kept}",
    }


def test_control_characters_are_left_out_of_the_calendar_file() -> None:
    ics = meeting_ics(calendar_entry(CONTROLS, CONTROLS, f"{CONTROLS}\n{MARKUP}"))

    assert not re.search(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", ics)
    assert parsed_event(ics) == {
        "summary": WITHOUT_CONTROLS,
        "location": WITHOUT_CONTROLS,
        "description": f"{WITHOUT_CONTROLS}\n{MARKUP}",
    }


# --- chart ---------------------------------------------------------------------------------

# Matplotlib reads text between dollar signs as a formula of its own (mathtext).
UNKNOWN_COMMAND = "Chi bộ $\\nosuchcmd$"
FRACTION = "Đảng bộ $\\frac{1}{2}$"


def test_dollar_signs_in_names_are_drawn_as_typed_and_cannot_fail_the_chart(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    drawn: list[Text] = []

    on_every_chart(monkeypatch, lambda canvas: drawn.extend(canvas.figure.findobj(Text)))
    figures = replace(hostile_cells([UNKNOWN_COMMAND, FRACTION]), organisation=FRACTION)

    assert attendance_chart(figures, DIGEST_LABELS).startswith(b"\x89PNG")
    with_dollars = [text for text in drawn if "$" in text.get_text()]
    assert {text.get_text() for text in with_dollars} >= {UNKNOWN_COMMAND, FRACTION}
    assert any(FRACTION in text.get_text() for text in with_dollars if "\n" in text.get_text())
    assert not any(text.get_parse_math() for text in with_dollars)
