"""The digest as a workbook: a summary sheet, the members at risk, and the meetings: one sheet
per cell, or one sheet for all of them in a large organisation."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from io import BytesIO
from itertools import zip_longest
from typing import Protocol, TypeAlias

from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.worksheet import Worksheet

from domain.digest import CellFigures, DigestFigures, DigestLabels, MeetingFigures
from reports.text import one_line, writable

Value = str | int | float | datetime | None
Written: TypeAlias = Value | Cell
AnySheet: TypeAlias = Worksheet | WriteOnlyWorksheet

PERCENT = "0%"
DATETIME = "dd/mm/yyyy hh:mm"
MAX_TITLE = 31
# Excel refuses these in sheet titles; a leading or trailing apostrophe is refused too.
FORBIDDEN_IN_TITLE = re.compile(r"[\[\]:*?/\\]")
RESERVED_TITLE = "history"  # Excel keeps it for change tracking
# A text starting with one of these is read as a formula when typed into a spreadsheet, or
# when the sheet is saved as CSV and opened again.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
# A tab titled "=HYPERLINK(…" looks like a formula, which it must not seem to be either.
FORMULA_START_IN_TITLE = "=+@"
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill(fill_type="solid", start_color="DDEBF7", end_color="DDEBF7")
TITLE_FONT = Font(bold=True, size=13)
MIN_WIDTH = 6
MAX_WIDTH = 60
DATETIME_WIDTH = 17
# Beyond this many cells, tabs stop being a way to find one (and thousands of sheets take
# a minute and half a gigabyte to write): one filterable sheet holds every meeting instead.
MAX_CELL_SHEETS = 50
# Number formats of a meeting row's columns (1-based): its date and its attendance rate.
MEETING_FORMATS = {1: DATETIME, 7: PERCENT}
EMPTY_FONT = Font(italic=True)


def digest_workbook(figures: DigestFigures, labels: DigestLabels) -> bytes:
    """XLSX: a summary sheet, the members at risk, and the meetings of each cell, on a sheet
    of its own (up to ``MAX_CELL_SHEETS`` cells) or on one sheet with a column for the cell.

    The members at risk come second, before the cell sheets, so they are not lost behind
    fifty tabs. Cells keep the digest's order.
    """
    # Written row by row as it streams out, with no cell object kept per value: a province's
    # half a million values take about half the time, and little memory beyond the figures.
    workbook = Workbook(write_only=True)
    titles = {RESERVED_TITLE}

    def new_sheet(title: str) -> WriteOnlyWorksheet:
        sheet = workbook.create_sheet(_unique_title(title, titles))
        assert isinstance(sheet, WriteOnlyWorksheet)  # a write-only workbook makes no other
        return sheet

    _fill_summary(new_sheet(_clean_title(labels.summary_sheet, "1")), figures, labels)
    _fill_at_risk(new_sheet(_clean_title(labels.at_risk_sheet, "2")), figures, labels)
    if len(figures.cells) > MAX_CELL_SHEETS:
        _fill_meetings(new_sheet(_clean_title(labels.meetings_sheet, "3")), figures.cells, labels)
    else:
        for cell in figures.cells:
            _fill_cell(new_sheet(_cell_title(cell, labels)), cell, labels)
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _fill_summary(sheet: WriteOnlyWorksheet, figures: DigestFigures, labels: DigestLabels) -> None:
    month = f"{labels.regular} ({labels.month_of(figures.month)})"
    quarter = f"{labels.thematic} ({labels.quarter_of(figures.quarter)})"
    lead: list[list[Written]] = [
        [labels.organisation, figures.organisation],
        [labels.period, figures.period],
    ]
    for label, percent, instead in (
        (
            f"{labels.on_time_share} ({labels.month_of(figures.month)})",
            figures.on_time_percent,
            labels.not_due_yet if figures.on_time_pending else labels.nobody_owed,
        ),
        (labels.mean_attendance, figures.mean_attendance_percent, labels.no_roll),
        (
            f"{labels.thematic_share} ({labels.quarter_of(figures.quarter)})",
            figures.thematic_percent,
            labels.nobody_owed,
        ),
    ):
        # A share of no cells is no 0%: the sheet says why there is none.
        share = _styled(sheet, instead if percent is None else _fraction(percent))
        share.number_format = PERCENT
        lead.append([label, share])
    for row in lead:
        label = _styled(sheet, row[0])
        label.font = HEADER_FONT
        row[0] = label
    lead.append([])
    header = [
        labels.cell,
        month,
        labels.regular_date,
        quarter,
        labels.attendance,
        labels.quorum,
        labels.papers_assigned,
        labels.papers_submitted,
        labels.papers_late,
        labels.minutes_missing,
        labels.behind,
    ]
    rows = [_summary_row(cell, labels) for cell in figures.cells]
    stream_table(
        sheet,
        header,
        rows,
        labels,
        formats={3: DATETIME, 4: DATETIME, 5: PERCENT},
        fixed=1,
        lead=lead,
    )


def _summary_row(cell: CellFigures, labels: DigestLabels) -> list[Value]:
    return [
        cell.name,
        labels.states[cell.regular.value],
        _naive(cell.regular_at),
        _naive(cell.thematic_at),
        _fraction(cell.attendance_percent),
        _yes_no(cell.quorum_ok, labels),
        cell.papers_assigned,
        cell.papers_submitted,
        cell.papers_late,
        cell.minutes_missing,
        "; ".join(reason.label for reason in cell.behind) or None,
    ]


def _fill_cell(sheet: WriteOnlyWorksheet, cell: CellFigures, labels: DigestLabels) -> None:
    # The tab may be shortened, so the full name heads the sheet.
    name = _styled(sheet, cell.name)
    name.font = TITLE_FONT
    rows = [_meeting_row(meeting, labels) for meeting in _by_date(cell)]
    stream_table(
        sheet, _meeting_header(labels), rows, labels, formats=MEETING_FORMATS, lead=[[name]]
    )


def _fill_meetings(
    sheet: WriteOnlyWorksheet, cells: Sequence[CellFigures], labels: DigestLabels
) -> None:
    rows = [
        [cell.name, *_meeting_row(meeting, labels)] for cell in cells for meeting in _by_date(cell)
    ]
    stream_table(
        sheet,
        [labels.cell, *_meeting_header(labels)],
        rows,
        labels,
        # The cell's name comes first, so each meeting column is one to the right.
        formats={column + 1: number_format for column, number_format in MEETING_FORMATS.items()},
        fixed=1,
    )


def _by_date(cell: CellFigures) -> list[MeetingFigures]:
    return sorted(cell.meetings, key=lambda meeting: meeting.starts_at)


def _meeting_header(labels: DigestLabels) -> list[str]:
    return [
        labels.meeting_date,
        labels.meeting_kind,
        labels.expected,
        labels.present,
        labels.meeting_excused,
        labels.meeting_unexcused,
        labels.attendance,
        labels.quorum,
        labels.late,
        labels.minutes,
    ]


def _meeting_row(meeting: MeetingFigures, labels: DigestLabels) -> list[Value]:
    return [
        _naive(meeting.starts_at),
        meeting.kind_label,
        meeting.expected,
        meeting.present,
        meeting.excused,
        meeting.unexcused,
        _fraction(meeting.rate_percent),
        _yes_no(meeting.quorum_met, labels),
        _yes_no(meeting.late, labels),
        _yes_no(meeting.minutes_recorded, labels),
    ]


def _fill_at_risk(sheet: WriteOnlyWorksheet, figures: DigestFigures, labels: DigestLabels) -> None:
    members = [member for cell in figures.cells for member in cell.at_risk]
    members.sort(key=lambda member: (-member.unexcused, member.cell, member.name))
    rows: list[list[Value]] = [[m.name, m.cell, m.unexcused] for m in members]
    stream_table(sheet, [labels.member, labels.cell, labels.unexcused], rows, labels)


class SaysEmpty(Protocol):
    """Labels with the words of a table with no rows."""

    @property
    def empty(self) -> str: ...


def write_table(
    sheet: Worksheet,
    header: list[str],
    rows: Sequence[list[Value]],
    labels: SaysEmpty,
    formats: dict[int, str] | None = None,
    fixed: int = 0,
) -> None:
    """Header and rows below what the sheet holds; panes frozen under the header; printed
    on A4 across, the header on every page. No rows: one saying there is nothing.

    ``formats`` maps 1-based columns to number formats; ``fixed`` columns stay in view
    when scrolling right.
    """
    sheet.append(_header_cells(sheet, header))
    header_row = sheet.max_row
    # Rows are counted here: openpyxl's max_row scans every cell, once per row it would be
    # quadratic in a province's ten thousand rows.
    for number, row in enumerate(rows, start=header_row + 1):
        append_row(sheet, row)
        for column, number_format in (formats or {}).items():
            sheet.cell(number, column).number_format = number_format
    if not rows:
        sheet.append([_empty_cell(sheet, labels)])
    fit_columns(sheet)
    _frame(sheet, header_row, len(header), len(rows), fixed)


def stream_table(
    sheet: WriteOnlyWorksheet,
    header: list[str],
    rows: Sequence[list[Value]],
    labels: SaysEmpty,
    formats: dict[int, str] | None = None,
    fixed: int = 0,
    lead: Sequence[list[Written]] = (),
) -> None:
    """The table ``write_table`` writes, with the ``lead`` rows above it, on a write-only
    sheet: its column widths, panes and filter are set before its first row, as such a
    sheet requires, so all of it is written here at once."""
    above = [[_written(sheet, value) for value in row] for row in lead]
    above.append(_header_cells(sheet, header))
    below = [] if rows else [[_empty_cell(sheet, labels)]]
    _set_widths(sheet, [*above, *rows, *below])
    _frame(sheet, len(above), len(header), len(rows), fixed)
    for row in above:
        sheet.append(row)
    # Each row is made as it is written: kept until the end, the half a million values
    # would outlive the young generations and set off full collections of the heap.
    for row in rows:
        written = [_written(sheet, value) for value in row]
        for column, number_format in (formats or {}).items():
            styled = _styled(sheet, row[column - 1])
            styled.number_format = number_format
            written[column - 1] = styled
        sheet.append(written)
    for row in below:
        sheet.append(row)


def _header_cells(sheet: AnySheet, header: list[str]) -> list[Written]:
    cells: list[Written] = []
    for title in header:
        cell = _text(sheet, title)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cells.append(cell)
    return cells


def _empty_cell(sheet: AnySheet, labels: SaysEmpty) -> Cell:
    cell = _text(sheet, labels.empty)
    cell.font = EMPTY_FONT
    return cell


def _frame(sheet: AnySheet, header_row: int, columns: int, rows: int, fixed: int) -> None:
    """Panes frozen under the header and left of the ``fixed`` columns, a filter on the
    rows, and the print settings."""
    sheet.freeze_panes = f"{get_column_letter(fixed + 1)}{header_row + 1}"
    if rows:
        last = get_column_letter(columns)
        sheet.auto_filter.ref = f"A{header_row}:{last}{header_row + rows}"
    _print_on_a4(sheet, header_row)


def _print_on_a4(sheet: AnySheet, header_row: int) -> None:
    """Landscape A4, every column on the page's width (as many pages down as it takes), and
    the header row repeated on each page, as offices print a table."""
    sheet.page_setup.orientation = Worksheet.ORIENTATION_LANDSCAPE
    sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = f"{header_row}:{header_row}"


def append_row(sheet: Worksheet, values: Sequence[Value]) -> None:
    """A row below the sheet's last, its texts written as texts, whatever they start with."""
    sheet.append([_text(sheet, value) if isinstance(value, str) else value for value in values])


def _text(sheet: AnySheet, text: str) -> Cell:
    # openpyxl makes a formula of any text starting with "=": a cell named
    # =HYPERLINK("http://…","Bấm") would be a live link. The type says text instead.
    cell = _loose_cell(sheet, writable(text))
    cell.data_type = "s"
    if cell.value.startswith(FORMULA_START):
        # The cell is also marked as typed text (Excel's hidden apostrophe), so editing it in
        # a spreadsheet keeps it text. The text itself is kept as typed: an apostrophe put
        # into it would protect a CSV saved from the sheet, but show in every reading.
        cell.quotePrefix = True
    return cell


def _written(sheet: WriteOnlyWorksheet, value: Written) -> Written:
    """The value as a write-only sheet takes it, a text always as text, as ``_text`` makes it:
    only a text openpyxl would read as a formula or an error needs a cell of its own, and
    half a million cells of their own would cost a second."""
    if not isinstance(value, str):
        return value
    text = writable(value)
    if text.startswith(FORMULA_START) or text in ERROR_CODES:
        return _text(sheet, text)
    return text


def _styled(sheet: AnySheet, value: Written) -> Cell:
    """A cell of its own, to take a style."""
    if isinstance(value, Cell):
        return value
    if isinstance(value, str):
        return _text(sheet, value)
    return _loose_cell(sheet, value)


def _loose_cell(sheet: AnySheet, value: Value) -> Cell:
    # Appending a cell puts it in its place; until then it is at A1, as openpyxl's own
    # write-only cells are, so that it can be shown in an error message.
    return Cell(sheet, row=1, column=1, value=value)


def fit_columns(sheet: Worksheet) -> None:
    _set_widths(sheet, sheet.iter_rows(values_only=True))


def _set_widths(sheet: AnySheet, rows: Iterable[Sequence[object]]) -> None:
    """Each column as wide as its widest value, within bounds."""
    for index, column in enumerate(zip_longest(*rows), start=1):
        # Each distinct value measured once; its type is kept, for 1 and 1.0 (100%) are equal.
        distinct = set(zip(map(type, column), column, strict=True))
        width = max(_display_width(value) for _, value in distinct) + 2
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = min(max(width, MIN_WIDTH), MAX_WIDTH)


def _display_width(value: object) -> int:
    if isinstance(value, Cell):
        value = value.value
    if value is None:
        return 0
    if isinstance(value, datetime):
        return DATETIME_WIDTH
    if isinstance(value, float):
        return len("100%")
    # A text is as long as written: without the characters a workbook cannot hold.
    return len(writable(value) if isinstance(value, str) else str(value))


def _cell_title(cell: CellFigures, labels: DigestLabels) -> str:
    """Without the "Chi bộ" every cell's name starts with: 31 characters are few."""
    name = cell.name
    prefix = f"{labels.cell} "
    if name.casefold().startswith(prefix.casefold()) and name[len(prefix) :].strip():
        name = name[len(prefix) :]
    return _clean_title(name, str(cell.cell_id))


def _clean_title(text: str, fallback: str) -> str:
    title = FORBIDDEN_IN_TITLE.sub("-", one_line(text))
    title = title.lstrip(FORMULA_START_IN_TITLE + " '").rstrip(" '")
    return title or fallback


def _unique_title(title: str, taken: set[str]) -> str:
    """Up to 31 characters and unique, ignoring case as Excel does; ``taken`` is updated."""
    candidate = _clip(title, MAX_TITLE)
    number = 1
    while candidate.casefold() in taken:
        number += 1
        suffix = f" ({number})"
        candidate = _clip(title, MAX_TITLE - len(suffix)) + suffix
    taken.add(candidate.casefold())
    return candidate


def _clip(text: str, length: int) -> str:
    """At most ``length`` characters; a longer text is cut after a whole word, and "…" says so."""
    if len(text) <= length:
        return text.rstrip().rstrip("'")
    cut = text[: length - 1]
    space = cut.rfind(" ")
    if space >= length // 2:
        cut = cut[:space]
    return cut.rstrip(" -–,;.'") + "…"


def _naive(moment: datetime | None) -> datetime | None:
    """Excel has no time zones; the figures are already in local time, so the zone is dropped."""
    return None if moment is None else moment.replace(tzinfo=None)


def _fraction(percent: int | None) -> float | None:
    return None if percent is None else percent / 100


def _yes_no(flag: bool | None, labels: DigestLabels) -> str | None:
    if flag is None:
        return None
    return labels.yes if flag else labels.no
