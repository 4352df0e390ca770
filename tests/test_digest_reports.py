"""The digest's chart (PNG) and workbook (XLSX), checked the way a supervisor reads them."""

from __future__ import annotations

import gc
import logging
import re
import warnings
from dataclasses import replace
from datetime import datetime
from fractions import Fraction
from io import BytesIO
from typing import Any

import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text
from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet
from PIL import Image

import reports.chart
from domain.digest import (
    Behind,
    BehindReason,
    CellFigures,
    DigestFigures,
    DigestLabels,
    MeetingFigures,
    MemberAtRisk,
    RegularState,
)
from reports.chart import FigureCanvasAgg, attendance_chart
from reports.spreadsheet import digest_workbook
from tests.conftest import VIETNAM

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
LONG_NAME = "Chi bộ Phòng Tổng hợp - Hành chính - Quản trị"
SLASH_NAME = "Chi bộ Kế toán/Tài vụ"

LABELS = DigestLabels(
    title="Tỷ lệ tham dự sinh hoạt chi bộ",
    attendance_axis="Tỷ lệ tham dự (%)",
    norm="Mức 90%",
    late="Trễ hạn",
    missing="Chưa sinh hoạt",
    no_roll="Chưa điểm danh",
    summary_sheet="Tổng hợp",
    at_risk_sheet="Đảng viên cần lưu ý",
    cell="Chi bộ",
    regular="Sinh hoạt thường kỳ",
    regular_date="Ngày họp",
    thematic="Chuyên đề",
    attendance="Tỷ lệ tham dự",
    quorum="Đủ số lượng",
    papers_assigned="Tham luận giao",
    papers_submitted="Đã nộp",
    papers_late="Nộp muộn",
    minutes_missing="Thiếu biên bản",
    behind="Cần lưu ý",
    meeting_date="Thời gian",
    meeting_kind="Loại",
    expected="Phải dự",
    present="Có mặt",
    minutes="Biên bản",
    member="Đảng viên",
    unexcused="Vắng không lý do (năm)",
    yes="Có",
    no="Không",
    states={
        "on_time": "Đúng hạn",
        "late": "Trễ hạn",
        "scheduled": "Đã lên lịch",
        "missing": "Chưa sinh hoạt",
        "not_owed": "Chưa đến hạn (chi bộ mới)",
    },
    organisation="Tổ chức",
    period="Kỳ báo cáo",
    on_time_share="Chi bộ sinh hoạt đúng hạn",
    mean_attendance="Tỷ lệ tham dự bình quân",
    thematic_share="Chi bộ có chuyên đề",
    more_cells=lambda count: f"Chi bộ không hiện ở đây: {count} — xem bảng tính",
    meetings_sheet="Các cuộc họp",
    month_of=lambda month: f"tháng {month}",
    quarter_of=lambda quarter: f"quý {quarter}",
    nobody_owed="không chi bộ nào phải thực hiện",
    not_due_yet="chưa đến hạn",
    meeting_excused="Vắng có lý do",
    meeting_unexcused="Vắng không lý do",
    empty="Không có",
)


REASON_LABELS = {
    "no_regular_at_cutoff": "Chưa họp trước ngày chốt",
    "missed_month": "Bỏ sinh hoạt tháng",
    "no_thematic": "Chưa có chuyên đề quý",
    "low_attendance": "Tỷ lệ tham dự dưới 90%",
    "no_quorum": "Không đủ số lượng",
    "minutes_missing": "Thiếu biên bản",
    "papers_missing": "Thiếu tham luận",
}


def behind(*reasons: BehindReason) -> list[Behind]:
    return [Behind(reason, REASON_LABELS[reason.value]) for reason in reasons]


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=VIETNAM)


def meeting(
    starts_at: datetime,
    expected: int,
    present: int,
    *,
    kind: str = "regular",
    closed: bool = True,
    late: bool = False,
    minutes: bool = True,
) -> MeetingFigures:
    labels = {"regular": "Thường kỳ", "thematic": "Chuyên đề", "committee": "Cấp ủy"}
    rate = round(100 * present / expected) if closed else None
    return MeetingFigures(
        meeting_id=1,
        starts_at=starts_at,
        kind=kind,
        kind_label=labels[kind],
        expected=expected,
        present=present,
        excused=0,
        unexcused=expected - present,
        rate_percent=rate,
        quorum_met=present * 3 >= expected * 2 if closed else None,
        late=late,
        minutes_recorded=minutes,
        held=True,
    )


CELLS = [
    CellFigures(
        cell_id=1,
        name=LONG_NAME,
        regular=RegularState.ON_TIME,
        regular_at=at(12, 19, 30),
        thematic_at=at(20, 14, month=10),
        attendance_rate=Fraction(95, 100),
        quorum_ok=True,
        papers_assigned=3,
        papers_submitted=3,
        papers_late=0,
        minutes_missing=0,
        meetings=[
            meeting(at(26, 7, 30), 5, 5, kind="committee"),
            meeting(at(12, 19, 30), 20, 19),
        ],
    ),
    CellFigures(
        cell_id=2,
        name=SLASH_NAME,
        regular=RegularState.LATE,
        regular_at=at(28, 8),
        thematic_at=None,
        attendance_rate=Fraction(82, 100),
        quorum_ok=True,
        papers_assigned=2,
        papers_submitted=1,
        papers_late=1,
        minutes_missing=1,
        meetings=[meeting(at(28, 8), 11, 9, late=True, minutes=False)],
        at_risk=[
            MemberAtRisk("Nguyễn Văn Hùng", SLASH_NAME, 3),
            MemberAtRisk("Lê Đức Anh", SLASH_NAME, 4),
        ],
        behind=behind(
            BehindReason.NO_REGULAR_AT_CUTOFF,
            BehindReason.NO_THEMATIC,
            BehindReason.LOW_ATTENDANCE,
            BehindReason.MINUTES_MISSING,
        ),
    ),
    CellFigures(
        cell_id=3,
        name="Chi bộ Đoàn thanh niên",
        regular=RegularState.SCHEDULED,
        regular_at=at(30, 19),
        thematic_at=at(5, 14),
        attendance_rate=None,
        quorum_ok=None,
        papers_assigned=0,
        papers_submitted=0,
        papers_late=0,
        minutes_missing=0,
        meetings=[meeting(at(30, 19), 8, 0, closed=False, minutes=False)],
    ),
    CellFigures(
        cell_id=4,
        name="Chi bộ Ấp Phú Hòa",
        regular=RegularState.MISSING,
        regular_at=None,
        thematic_at=None,
        attendance_rate=None,
        quorum_ok=None,
        papers_assigned=1,
        papers_submitted=0,
        papers_late=0,
        minutes_missing=0,
        at_risk=[MemberAtRisk("Trần Thị Thu Hà", "Chi bộ Ấp Phú Hòa", 5)],
        behind=behind(
            BehindReason.NO_REGULAR_AT_CUTOFF,
            BehindReason.MISSED_MONTH,
            BehindReason.NO_THEMATIC,
            BehindReason.PAPERS_MISSING,
        ),
    ),
    CellFigures(
        cell_id=5,
        name="Chi bộ Khu phố 3",
        regular=RegularState.ON_TIME,
        regular_at=at(10, 19),
        thematic_at=at(15, 19, month=10),
        attendance_rate=Fraction(60, 100),
        quorum_ok=False,
        papers_assigned=2,
        papers_submitted=1,
        papers_late=0,
        minutes_missing=0,
        meetings=[meeting(at(10, 19), 15, 9)],
        at_risk=[MemberAtRisk("Phạm Quốc Bảo", "Chi bộ Khu phố 3", 3)],
        behind=behind(
            BehindReason.LOW_ATTENDANCE,
            BehindReason.NO_QUORUM,
            BehindReason.PAPERS_MISSING,
        ),
    ),
]

FIGURES = DigestFigures(
    organisation="Đảng bộ phường Bến Thành",
    period="23/11/2026 – 29/11/2026",
    cells=CELLS,
    month="11/2026",
    quarter="4/2026",
    on_time_share=Fraction(2, 5),
    mean_attendance=Fraction(79, 100),
    thematic_share=Fraction(3, 5),
)


def many_cells(count: int) -> DigestFigures:
    states = list(RegularState)
    cells = [
        replace(
            CELLS[0],
            cell_id=index,
            name=f"Chi bộ Tổ dân phố số {index} - Khu phố Nguyễn Thị Minh Khai",
            regular=states[index % len(states)],
            attendance_rate=None if index % 7 == 0 else Fraction(40 + index % 61, 100),
        )
        for index in range(count)
    ]
    return replace(FIGURES, cells=cells)


def png_size(png: bytes) -> tuple[int, int]:
    with Image.open(BytesIO(png)) as image:
        assert image.format == "PNG"
        return image.size


def render_recording_texts(
    figures: DigestFigures, monkeypatch: pytest.MonkeyPatch
) -> tuple[bytes, list[str], list[str]]:
    """The chart, with every text drawn on it and the cell labels top to bottom."""
    drawn: list[str] = []
    rows: list[str] = []

    class RecordingCanvas(FigureCanvasAgg):
        def print_png(self, *args: Any, **kwargs: Any) -> None:
            super().print_png(*args, **kwargs)
            drawn.extend(text.get_text() for text in self.figure.findobj(Text))
            rows.extend(label.get_text() for label in self.figure.axes[0].get_yticklabels())

    monkeypatch.setattr(reports.chart, "FigureCanvasAgg", RecordingCanvas)
    return attendance_chart(figures, LABELS), drawn, rows


# --- chart ---------------------------------------------------------------------------------


def test_chart_is_a_png_of_readable_size() -> None:
    png = attendance_chart(FIGURES, LABELS)

    assert png.startswith(PNG_SIGNATURE)
    width, height = png_size(png)
    assert width == 1200
    assert 350 <= height <= 600


def test_chart_shows_norm_missing_rolls_and_late_or_missing_meetings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, drawn, rows = render_recording_texts(FIGURES, monkeypatch)

    assert "Tỷ lệ tham dự sinh hoạt chi bộ\nĐảng bộ phường Bến Thành · 23/11/2026 – 29/11/2026" in (
        drawn
    )
    assert "Tỷ lệ tham dự (%)" in drawn
    assert drawn.count("Mức 90%") == 2  # on the line and in the legend
    assert drawn.count("Chưa điểm danh") == 3  # two cells and the legend
    assert drawn.count("Trễ hạn") == 2  # one cell and the legend
    assert drawn.count("Chưa sinh hoạt") == 2
    assert {"95%", "82%", "60%"} <= set(drawn)
    # Cells without a roll first, then the lowest rates; long names shortened.
    assert rows == [
        "Chi bộ Ấp Phú Hòa",
        "Chi bộ Đoàn thanh niên",
        "Chi bộ Khu phố 3",
        SLASH_NAME,
        "Chi bộ Phòng Tổng hợp - Hành chính…",
    ]
    assert all(len(row) <= 35 for row in rows)


def test_chart_has_no_missing_glyphs_for_vietnamese(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="matplotlib")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        attendance_chart(FIGURES, LABELS)

    messages = [str(warning.message) for warning in caught] + caplog.messages
    assert not [m for m in messages if re.search(r"missing from font|findfont", m)], messages


def test_chart_grows_with_the_number_of_cells() -> None:
    _, small = png_size(attendance_chart(FIGURES, LABELS))
    width, large = png_size(attendance_chart(many_cells(50), LABELS))

    assert width == 1200
    # 0.3 inch per cell at 120 dpi: 36 pixels a row, whatever the count.
    assert large - small == pytest.approx(45 * 36, abs=2)


def test_a_province_s_chart_shows_the_cells_behind_and_counts_the_rest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, fifty_high = png_size(attendance_chart(many_cells(50), LABELS))
    figures = many_cells(120)
    png, drawn, rows = render_recording_texts(figures, monkeypatch)

    assert len(rows) == 50
    assert png_size(png)[1] == fifty_high
    assert any(text.endswith("\nChi bộ không hiện ở đây: 70 — xem bảng tính") for text in drawn)
    # Those shown are those to look at: every cell without a roll, then the lowest rates.
    rate = {cell.cell_id: cell.attendance_percent for cell in figures.cells}
    shown = [int(m.group(1)) for row in rows if (m := re.search(r"số (\d+) ", row))]
    assert len(shown) == 50
    no_roll = [cell_id for cell_id, percent in rate.items() if percent is None]
    assert shown[: len(no_roll)] == sorted(no_roll, key=str)
    left_out = set(rate) - set(shown)
    assert max(rate[c] or 0 for c in shown) <= min(rate[c] or 0 for c in left_out)


def test_chart_keeps_no_figures_alive() -> None:
    def live_figures() -> int:
        gc.collect()
        return sum(isinstance(thing, Figure) for thing in gc.get_objects())

    before = live_figures()
    for _ in range(3):
        attendance_chart(FIGURES, LABELS)

    assert live_figures() == before


# --- workbook ------------------------------------------------------------------------------


def open_workbook(figures: DigestFigures = FIGURES) -> Workbook:
    return load_workbook(BytesIO(digest_workbook(figures, LABELS)))


def table(sheet: Worksheet, first_row: int) -> list[list[Any]]:
    return [list(row) for row in sheet.iter_rows(min_row=first_row, values_only=True)]


def test_workbook_sheets() -> None:
    book = open_workbook()

    assert book.sheetnames == [
        "Tổng hợp",
        "Đảng viên cần lưu ý",
        "Phòng Tổng hợp - Hành chính…",
        "Kế toán-Tài vụ",
        "Đoàn thanh niên",
        "Ấp Phú Hòa",
        "Khu phố 3",
    ]


def test_summary_heads_with_the_organisation_figures() -> None:
    sheet = open_workbook()["Tổng hợp"]

    assert table(sheet, 1)[:5] == [
        ["Tổ chức", "Đảng bộ phường Bến Thành"] + [None] * 9,
        ["Kỳ báo cáo", "23/11/2026 – 29/11/2026"] + [None] * 9,
        ["Chi bộ sinh hoạt đúng hạn (tháng 11/2026)", 0.4] + [None] * 9,
        ["Tỷ lệ tham dự bình quân", 0.79] + [None] * 9,
        ["Chi bộ có chuyên đề (quý 4/2026)", 0.6] + [None] * 9,
    ]
    assert [sheet.cell(row, 2).number_format for row in (3, 4, 5)] == ["0%"] * 3


def test_summary_table_one_row_per_cell() -> None:
    sheet = open_workbook()["Tổng hợp"]

    header = [cell.value for cell in sheet[7]]
    assert header == [
        "Chi bộ",
        "Sinh hoạt thường kỳ (tháng 11/2026)",
        "Ngày họp",
        "Chuyên đề (quý 4/2026)",
        "Tỷ lệ tham dự",
        "Đủ số lượng",
        "Tham luận giao",
        "Đã nộp",
        "Nộp muộn",
        "Thiếu biên bản",
        "Cần lưu ý",
    ]
    assert all(cell.font.bold and cell.fill.fill_type == "solid" for cell in sheet[7])
    assert sheet.freeze_panes == "B8"
    assert table(sheet, 8) == [
        [LONG_NAME, "Đúng hạn", datetime(2026, 11, 12, 19, 30), datetime(2026, 10, 20, 14),
         0.95, "Có", 3, 3, 0, 0, None],
        [SLASH_NAME, "Trễ hạn", datetime(2026, 11, 28, 8), None, 0.82, "Có", 2, 1, 1, 1,
         "Chưa họp trước ngày chốt; Chưa có chuyên đề quý; Tỷ lệ tham dự dưới 90%; "
         "Thiếu biên bản"],
        ["Chi bộ Đoàn thanh niên", "Đã lên lịch", datetime(2026, 11, 30, 19),
         datetime(2026, 11, 5, 14), None, None, 0, 0, 0, 0, None],
        ["Chi bộ Ấp Phú Hòa", "Chưa sinh hoạt", None, None, None, None, 1, 0, 0, 0,
         "Chưa họp trước ngày chốt; Bỏ sinh hoạt tháng; Chưa có chuyên đề quý; "
         "Thiếu tham luận"],
        ["Chi bộ Khu phố 3", "Đúng hạn", datetime(2026, 11, 10, 19), datetime(2026, 10, 15, 19),
         0.6, "Không", 2, 1, 0, 0,
         "Tỷ lệ tham dự dưới 90%; Không đủ số lượng; Thiếu tham luận"],
    ]  # fmt: skip
    first = sheet[8]
    assert first[2].number_format == first[3].number_format == "dd/mm/yyyy hh:mm"
    assert first[4].number_format == "0%"
    assert sheet.column_dimensions["A"].width >= len(LONG_NAME)


def test_cell_sheet_lists_its_meetings_in_date_order() -> None:
    sheet = open_workbook()["Phòng Tổng hợp - Hành chính…"]

    assert sheet["A1"].value == LONG_NAME
    assert [cell.value for cell in sheet[2]] == [
        "Thời gian", "Loại", "Phải dự", "Có mặt", "Vắng có lý do", "Vắng không lý do",
        "Tỷ lệ tham dự", "Đủ số lượng", "Trễ hạn", "Biên bản",
    ]  # fmt: skip
    assert all(cell.font.bold for cell in sheet[2])
    assert sheet.freeze_panes == "A3"
    assert table(sheet, 3) == [
        [datetime(2026, 11, 12, 19, 30), "Thường kỳ", 20, 19, 0, 1, 0.95, "Có", "Không", "Có"],
        [datetime(2026, 11, 26, 7, 30), "Cấp ủy", 5, 5, 0, 0, 1.0, "Có", "Không", "Có"],
    ]
    assert sheet["A3"].number_format == "dd/mm/yyyy hh:mm"
    assert sheet["G3"].number_format == "0%"


def test_cell_sheet_with_an_open_roll_and_a_late_meeting() -> None:
    book = open_workbook()

    assert table(book["Kế toán-Tài vụ"], 3) == [
        [datetime(2026, 11, 28, 8), "Thường kỳ", 11, 9, 0, 2, 0.82, "Có", "Có", "Không"],
    ]
    assert table(book["Đoàn thanh niên"], 3) == [
        [datetime(2026, 11, 30, 19), "Thường kỳ", 8, 0, 0, 8, None, None, "Không", "Không"],
    ]
    assert table(book["Ấp Phú Hòa"], 3) == [["Không có"] + [None] * 9]


def test_a_large_organisation_s_meetings_share_one_sheet() -> None:
    figures = many_cells(51)
    book = open_workbook(figures)

    assert book.sheetnames == ["Tổng hợp", "Đảng viên cần lưu ý", "Các cuộc họp"]
    sheet = book["Các cuộc họp"]
    assert [cell.value for cell in sheet[1]] == [
        "Chi bộ", "Thời gian", "Loại", "Phải dự", "Có mặt", "Vắng có lý do",
        "Vắng không lý do", "Tỷ lệ tham dự", "Đủ số lượng", "Trễ hạn", "Biên bản",
    ]  # fmt: skip
    assert sheet.freeze_panes == "B2"
    rows = table(sheet, 2)
    assert len(rows) == 51 * 2
    assert rows[:2] == [
        [figures.cells[0].name, datetime(2026, 11, 12, 19, 30), "Thường kỳ", 20, 19, 0, 1,
         0.95, "Có", "Không", "Có"],
        [figures.cells[0].name, datetime(2026, 11, 26, 7, 30), "Cấp ủy", 5, 5, 0, 0, 1.0, "Có",
         "Không", "Có"],
    ]  # fmt: skip
    assert [row[0] for row in rows[::2]] == [cell.name for cell in figures.cells]
    assert sheet["B2"].number_format == "dd/mm/yyyy hh:mm"
    assert sheet["H2"].number_format == "0%"
    # Fifty cells still get a sheet each.
    assert len(open_workbook(many_cells(50)).sheetnames) == 52


def test_members_at_risk_most_absences_first() -> None:
    sheet = open_workbook()["Đảng viên cần lưu ý"]

    assert table(sheet, 1) == [
        ["Đảng viên", "Chi bộ", "Vắng không lý do (năm)"],
        ["Trần Thị Thu Hà", "Chi bộ Ấp Phú Hòa", 5],
        ["Lê Đức Anh", SLASH_NAME, 4],
        ["Phạm Quốc Bảo", "Chi bộ Khu phố 3", 3],
        ["Nguyễn Văn Hùng", SLASH_NAME, 3],
    ]
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.bold for cell in sheet[1])


def test_sheet_titles_are_valid_and_unique() -> None:
    names = [
        "Chi bộ Phòng Tổng hợp - Hành chính - Quản trị",
        "Chi bộ Phòng Tổng hợp - Hành chính - Quản trị viên",
        "Chi bộ phòng tổng hợp - hành chính - quản trị",
        "Chi bộ [Kho]: A*B?/C\\D",
        "Chi bộ Tổng hợp",
        "Chi bộ ",
        "'Chi bộ' History",
        "History",
    ]
    cells = [replace(CELLS[4], cell_id=10 + i, name=name) for i, name in enumerate(names)]
    book = open_workbook(replace(FIGURES, cells=cells))

    titles = book.sheetnames[2:]
    assert titles == [
        "Phòng Tổng hợp - Hành chính…",
        "Phòng Tổng hợp - Hành… (2)",
        "phòng tổng hợp - hành… (3)",
        "-Kho-- A-B--C-D",
        "Tổng hợp (2)",
        "Chi bộ",
        "Chi bộ' History",
        "History (2)",
    ]
    for title in book.sheetnames:
        assert 0 < len(title) <= 31
        assert not re.search(r"[\[\]:*?/\\]", title)
        assert not title.startswith("'") and not title.endswith("'")
    assert len({title.casefold() for title in book.sheetnames}) == len(book.sheetnames)
    assert [book[title]["A1"].value for title in titles] == names
