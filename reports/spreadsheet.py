"""The digest as a workbook: a summary sheet, the members at risk, and the meetings: one sheet
per cell, or one sheet for all of them in a large organisation.

The digest's workbook is written by XlsxWriter, row after row: a province's holds half a
million values. The other workbooks (the roster's template, the year's record) are written
by openpyxl, through ``write_table`` and ``append_row``; both writers' tables look the same.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from itertools import zip_longest
from typing import Any, Protocol

import xlsxwriter
from openpyxl.cell import Cell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from domain.digest import CellFigures, DigestFigures, DigestLabels, MeetingFigures
from reports.text import one_line, writable

Value = str | int | float | datetime | None

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
HEADER_COLOUR = "DDEBF7"
TITLE_SIZE = 13
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill(fill_type="solid", start_color=HEADER_COLOUR, end_color=HEADER_COLOUR)
TITLE_FONT = Font(bold=True, size=TITLE_SIZE)
EMPTY_FONT = Font(italic=True)
MIN_WIDTH = 6
MAX_WIDTH = 60
DATETIME_WIDTH = 17
# A column's width is counted in digits of the default font (Calibri 11: 7 pixels each),
# the cell's padding included, as openpyxl takes it and Excel stores it.
DIGIT_PIXELS = 7
A4 = 9  # the paper's number in a workbook's page setup
# Beyond this many cells, tabs stop being a way to find one (and thousands of sheets take
# a minute and half a gigabyte to write): one filterable sheet holds every meeting instead.
MAX_CELL_SHEETS = 50


@dataclass(frozen=True)
class _Look:
    """How a cell of the digest's workbook shows: the fonts and fill above, a number format."""

    bold: bool = False
    italic: bool = False
    size: int | None = None
    fill: str | None = None
    number_format: str | None = None

    def properties(self, quoted: bool) -> dict[str, object]:
        """XlsxWriter's format; ``quoted``: marked as typed text (Excel's hidden apostrophe)."""
        properties: dict[str, object] = {"bold": self.bold, "italic": self.italic}
        if quoted:
            properties["quote_prefix"] = True
        if self.size is not None:
            properties["font_size"] = self.size
        if self.fill is not None:
            properties |= {"pattern": 1, "bg_color": f"#{self.fill}"}
        if self.number_format is not None:
            properties["num_format"] = self.number_format
        return properties


PLAIN = _Look()
LABEL = _Look(bold=True)
HEADER = _Look(bold=True, fill=HEADER_COLOUR)
TITLE = _Look(bold=True, size=TITLE_SIZE)
EMPTY = _Look(italic=True)
SHARE = _Look(number_format=PERCENT)
MOMENT = _Look(number_format=DATETIME)
# The looks of a meeting row's columns (1-based): its date and its attendance rate.
MEETING_LOOKS = {1: MOMENT, 7: SHARE}


@dataclass(frozen=True)
class _Styled:
    """A value with a look of its own, in a row above a table."""

    value: Value
    look: _Look


def digest_workbook(figures: DigestFigures, labels: DigestLabels) -> bytes:
    """XLSX: a summary sheet, the members at risk, and the meetings of each cell, on a sheet
    of its own (up to ``MAX_CELL_SHEETS`` cells) or on one sheet with a column for the cell.

    The members at risk come second, before the cell sheets, so they are not lost behind
    fifty tabs. Cells keep the digest's order.
    """
    buffer = BytesIO()
    book = _DigestBook(buffer)
    _fill_summary(book.sheet(_clean_title(labels.summary_sheet, "1")), figures, labels)
    _fill_at_risk(book.sheet(_clean_title(labels.at_risk_sheet, "2")), figures, labels)
    if len(figures.cells) > MAX_CELL_SHEETS:
        _fill_meetings(book.sheet(_clean_title(labels.meetings_sheet, "3")), figures.cells, labels)
    else:
        for cell in figures.cells:
            _fill_cell(book.sheet(_cell_title(cell, labels)), cell, labels)
    book.workbook.close()
    return buffer.getvalue()


def _fill_summary(sheet: _DigestSheet, figures: DigestFigures, labels: DigestLabels) -> None:
    month = f"{labels.regular} ({labels.month_of(figures.month)})"
    quarter = f"{labels.thematic} ({labels.quarter_of(figures.quarter)})"
    sheet.append([_Styled(labels.organisation, LABEL), figures.organisation])
    sheet.append([_Styled(labels.period, LABEL), figures.period])
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
        share = instead if percent is None else _fraction(percent)
        sheet.append([_Styled(label, LABEL), _Styled(share, SHARE)])
    sheet.append([])
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
    rows = (_summary_row(cell, labels) for cell in figures.cells)
    sheet.table(header, rows, labels, looks={3: MOMENT, 4: MOMENT, 5: SHARE}, fixed=1)


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


def _fill_cell(sheet: _DigestSheet, cell: CellFigures, labels: DigestLabels) -> None:
    # The tab may be shortened, so the full name heads the sheet.
    sheet.append([_Styled(cell.name, TITLE)])
    rows = (_meeting_row(meeting, labels) for meeting in _by_date(cell))
    sheet.table(_meeting_header(labels), rows, labels, looks=MEETING_LOOKS)


def _fill_meetings(sheet: _DigestSheet, cells: Sequence[CellFigures], labels: DigestLabels) -> None:
    rows = (
        [cell.name, *_meeting_row(meeting, labels)] for cell in cells for meeting in _by_date(cell)
    )
    sheet.table(
        [labels.cell, *_meeting_header(labels)],
        rows,
        labels,
        # The cell's name comes first, so each meeting column is one to the right.
        looks={column + 1: look for column, look in MEETING_LOOKS.items()},
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


def _fill_at_risk(sheet: _DigestSheet, figures: DigestFigures, labels: DigestLabels) -> None:
    members = [member for cell in figures.cells for member in cell.at_risk]
    members.sort(key=lambda member: (-member.unexcused, member.cell, member.name))
    rows: Iterator[list[Value]] = ([m.name, m.cell, m.unexcused] for m in members)
    sheet.table([labels.member, labels.cell, labels.unexcused], rows, labels)


class _DigestBook:
    """The digest's workbook as XlsxWriter writes it: in ``constant_memory`` mode, each row
    leaves memory as the next one starts, so rows are written in order, each sheet's after
    the one before."""

    def __init__(self, output: BytesIO) -> None:
        self.workbook = xlsxwriter.Workbook(
            output,
            {
                "constant_memory": True,
                # A text is the text typed, whatever it looks like: never a formula, a link
                # or a number.
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
            },
        )
        self.titles = {RESERVED_TITLE}
        self._formats: dict[tuple[_Look, bool], Any] = {}
        # A province's texts are mostly the same few (yes, no, a meeting's kind) and its
        # cells' names, each written on many rows: each is made writable once.
        self._texts: dict[str, str] = {}
        self.plain_run = self.workbook.add_format()  # a run of a rich text, in no style

    def sheet(self, title: str) -> _DigestSheet:
        return _DigestSheet(self, self.workbook.add_worksheet(_unique_title(title, self.titles)))

    def formats(self, looks: Sequence[_Look], quoted: bool) -> list[Any]:
        """XlsxWriter's formats of these looks; None for the plain one (no format at all)."""
        return [self._format(look, quoted) for look in looks]

    def _format(self, look: _Look, quoted: bool) -> Any:
        key = (look, quoted)
        if key not in self._formats:
            plain = look == PLAIN and not quoted
            self._formats[key] = (
                None if plain else self.workbook.add_format(look.properties(quoted))
            )
        return self._formats[key]

    def text(self, value: str) -> str:
        """The text as a workbook can hold it (``writable``)."""
        text = self._texts.get(value)
        if text is None:
            text = self._texts[value] = writable(value)
        return text


class _DigestSheet:
    """A sheet of the digest's workbook, written row after row; each column is as wide as its
    widest value, as ``fit_columns`` makes an openpyxl sheet's."""

    def __init__(self, book: _DigestBook, sheet: Any) -> None:
        self.book = book
        self.sheet = sheet
        self.row = 0  # the next row's index (XlsxWriter counts rows and columns from 0)
        self.widest: list[int] = []

    def append(self, values: Sequence[Value | _Styled]) -> None:
        """A row of values each with its look (plain unless styled), below the last."""
        looks = [value.look if isinstance(value, _Styled) else PLAIN for value in values]
        self._append(
            [value.value if isinstance(value, _Styled) else value for value in values],
            self.book.formats(looks, quoted=False),
            self.book.formats(looks, quoted=True),
        )

    def table(
        self,
        header: list[str],
        rows: Iterable[Sequence[Value]],
        labels: SaysEmpty,
        looks: dict[int, _Look] | None = None,
        fixed: int = 0,
    ) -> None:
        """The sheet's last rows: the table ``write_table`` writes, its columns (1-based) in
        the ``looks`` given, and the sheet's widths."""
        header_row = self.row
        self.append([_Styled(title, HEADER) for title in header])
        column_looks = [(looks or {}).get(column, PLAIN) for column in range(1, len(header) + 1)]
        plain = self.book.formats(column_looks, quoted=False)
        quoted = self.book.formats(column_looks, quoted=True)
        for row in rows:
            self._append(row, plain, quoted)
        count = self.row - header_row - 1
        if not count:
            self.append([_Styled(labels.empty, EMPTY)])
        self._frame(header_row, len(header), count, fixed)
        for column, widest in enumerate(self.widest):
            self.sheet.set_column_pixels(column, column, _column_width(widest) * DIGIT_PIXELS)

    def _append(self, values: Sequence[Value], plain: list[Any], quoted: list[Any]) -> None:
        """The row below the last, each column in its format (``plain``), a text always as
        text, and in its ``quoted`` format if it could be read as a formula."""
        row = self.row
        sheet = self.sheet
        widest = self.widest
        if len(values) > len(widest):
            widest.extend([0] * (len(values) - len(widest)))
        for column, value in enumerate(values):
            if isinstance(value, str):
                text = self.book.text(value)
                width = len(text)
                if text.startswith(FORMULA_START):
                    self._text(row, column, text, quoted[column])
                elif text:
                    self._text(row, column, text, plain[column])
                elif plain[column] is not None:
                    # Nothing writable left: an empty cell, as openpyxl wrote it.
                    sheet.write_blank(row, column, None, plain[column])
            else:
                width = _display_width(value)
                if isinstance(value, datetime):
                    sheet.write_datetime(row, column, value, plain[column])
                elif value is not None:
                    sheet.write_number(row, column, value, plain[column])
                elif plain[column] is not None:
                    sheet.write_blank(row, column, None, plain[column])
            if width > widest[column]:
                widest[column] = width
        self.row += 1

    def _text(self, row: int, column: int, text: str, cell_format: Any) -> None:
        if text.startswith("<r>") and text.endswith("</r>"):
            # XlsxWriter takes such a text for the markup of a rich text of its own and puts
            # it into the file as it is, where a name's markup could make a formula. Written
            # as a rich text of two runs in the cell's font, it is escaped as any other text.
            font = cell_format or self.book.plain_run
            end = [cell_format] if cell_format is not None else []
            self.sheet.write_rich_string(row, column, font, text[:1], font, text[1:], *end)
        else:
            self.sheet.write_string(row, column, text, cell_format)

    def _frame(self, header_row: int, columns: int, rows: int, fixed: int) -> None:
        """As ``_frame`` frames an openpyxl sheet: panes frozen under the header and left of
        the ``fixed`` columns, a filter on the rows, and ``_print_on_a4``'s print settings."""
        self.sheet.freeze_panes(header_row + 1, fixed)
        if rows:
            self.sheet.autofilter(header_row, 0, header_row + rows, columns - 1)
        self.sheet.set_landscape()
        self.sheet.set_paper(A4)
        self.sheet.fit_to_pages(1, 0)
        self.sheet.repeat_rows(header_row)


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


def _header_cells(sheet: Worksheet, header: list[str]) -> list[Cell]:
    cells: list[Cell] = []
    for title in header:
        cell = _text(sheet, title)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cells.append(cell)
    return cells


def _empty_cell(sheet: Worksheet, labels: SaysEmpty) -> Cell:
    cell = _text(sheet, labels.empty)
    cell.font = EMPTY_FONT
    return cell


def _frame(sheet: Worksheet, header_row: int, columns: int, rows: int, fixed: int) -> None:
    """Panes frozen under the header and left of the ``fixed`` columns, a filter on the
    rows, and the print settings."""
    sheet.freeze_panes = f"{get_column_letter(fixed + 1)}{header_row + 1}"
    if rows:
        last = get_column_letter(columns)
        sheet.auto_filter.ref = f"A{header_row}:{last}{header_row + rows}"
    _print_on_a4(sheet, header_row)


def _print_on_a4(sheet: Worksheet, header_row: int) -> None:
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


def _text(sheet: Worksheet, text: str) -> Cell:
    # openpyxl makes a formula of any text starting with "=": a cell named
    # =HYPERLINK("http://…","Bấm") would be a live link. The type says text instead.
    cell = Cell(sheet, value=writable(text))
    cell.data_type = "s"
    if cell.value.startswith(FORMULA_START):
        # The cell is also marked as typed text (Excel's hidden apostrophe), so editing it in
        # a spreadsheet keeps it text. The text itself is kept as typed: an apostrophe put
        # into it would protect a CSV saved from the sheet, but show in every reading.
        cell.quotePrefix = True
    return cell


def fit_columns(sheet: Worksheet) -> None:
    """Each column as wide as its widest value, within bounds."""
    for index, column in enumerate(zip_longest(*sheet.iter_rows(values_only=True)), start=1):
        # Each distinct value measured once; its type is kept, for 1 and 1.0 (100%) are equal.
        distinct = set(zip(map(type, column), column, strict=True))
        widest = max(_display_width(value) for _, value in distinct)
        sheet.column_dimensions[get_column_letter(index)].width = _column_width(widest)


def _column_width(widest: int) -> int:
    """A column as wide as its widest value and a margin, within bounds."""
    return min(max(widest + 2, MIN_WIDTH), MAX_WIDTH)


def _display_width(value: object) -> int:
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
