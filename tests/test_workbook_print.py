"""The digest workbook as an office prints and reads it: the month and quarter each share
counts, a share no cell owed, absences split by reason, empty sheets, A4 print setup."""

from __future__ import annotations

from dataclasses import replace
from io import BytesIO

from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from domain.digest import DigestFigures
from reports.spreadsheet import digest_workbook
from tests.test_digest_reports import CELLS, FIGURES, LABELS, many_cells, meeting


def open_workbook(figures: DigestFigures = FIGURES) -> Workbook:
    return load_workbook(BytesIO(digest_workbook(figures, LABELS)))


def summary_rows(sheet: Worksheet) -> dict[str, object]:
    return {str(row[0]): row[1] for row in sheet.iter_rows(max_row=5, values_only=True)}


def test_each_share_says_which_month_or_quarter_it_counts() -> None:
    sheet = open_workbook()["Tổng hợp"]

    rows = summary_rows(sheet)
    assert rows["Chi bộ sinh hoạt đúng hạn (tháng 11/2026)"] == 0.4
    assert rows["Chi bộ có chuyên đề (quý 4/2026)"] == 0.6
    header = [cell.value for cell in sheet[7]]
    assert header[1] == "Sinh hoạt thường kỳ (tháng 11/2026)"
    assert header[3] == "Chuyên đề (quý 4/2026)"


def test_a_share_no_cell_owed_says_so_instead_of_zero() -> None:
    nobody = replace(FIGURES, on_time_share=None, thematic_share=None)
    rows = summary_rows(open_workbook(nobody)["Tổng hợp"])

    assert rows["Chi bộ sinh hoạt đúng hạn (tháng 11/2026)"] == "không chi bộ nào phải thực hiện"
    assert rows["Chi bộ có chuyên đề (quý 4/2026)"] == "không chi bộ nào phải thực hiện"
    assert rows["Tỷ lệ tham dự bình quân"] == 0.79


def test_absences_are_split_into_excused_and_unexcused() -> None:
    first = CELLS[0]
    roll = replace(meeting(first.meetings[0].starts_at, 20, 15), excused=3, unexcused=2)
    figures = replace(FIGURES, cells=[replace(first, meetings=[roll]), *CELLS[1:]])
    sheet = open_workbook(figures)["Phòng Tổng hợp - Hành chính…"]

    header = [cell.value for cell in sheet[2]]
    row = dict(zip(header, [cell.value for cell in sheet[3]], strict=True))
    assert (row["Phải dự"], row["Có mặt"]) == (20, 15)
    assert (row["Vắng có lý do"], row["Vắng không lý do"]) == (3, 2)
    assert row["Tỷ lệ tham dự"] == 0.75


def test_an_empty_sheet_says_there_is_nothing() -> None:
    nobody_at_risk = replace(FIGURES, cells=[replace(cell, at_risk=[]) for cell in CELLS])
    book = open_workbook(nobody_at_risk)

    at_risk = book["Đảng viên cần lưu ý"]
    assert [cell.value for cell in at_risk[2]][:1] == ["Không có"]
    assert at_risk.max_row == 2
    no_meetings = book["Ấp Phú Hòa"]
    assert no_meetings["A3"].value == "Không có" and no_meetings.max_row == 3


def test_every_sheet_prints_across_a4_with_its_header_on_each_page() -> None:
    for figures, header_rows in (
        (FIGURES, {"Tổng hợp": 7, "Đảng viên cần lưu ý": 1}),
        (many_cells(51), {"Tổng hợp": 7, "Đảng viên cần lưu ý": 1, "Các cuộc họp": 1}),
    ):
        book = open_workbook(figures)
        for sheet in book.worksheets:
            header = header_rows.get(sheet.title, 2)  # a cell's sheet: its name, then header
            assert sheet.page_setup.orientation == "landscape", sheet.title
            assert str(sheet.page_setup.paperSize) == sheet.PAPERSIZE_A4  # 9: A4
            assert sheet.sheet_properties.pageSetUpPr.fitToPage
            # Left out, the width is one page: the file format's default.
            assert sheet.page_setup.fitToWidth in (1, None)
            assert sheet.page_setup.fitToHeight == 0
            assert sheet.print_title_rows == f"${header}:${header}", sheet.title
