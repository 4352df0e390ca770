"""The year's record as a workbook: one sheet of the cells' year, one of their members'.
Every text is written as text (a member named "=1+1" stays a name), as in the digest's."""

from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from domain.digest import Square
from domain.record import CellYear, MemberYear, YearLabels, YearRecord
from reports.spreadsheet import (
    HEADER_FONT,
    PERCENT,
    RESERVED_TITLE,
    TITLE_FONT,
    Value,
    _clean_title,
    _fraction,
    _unique_title,
    append_row,
    write_table,
)


def year_workbook(record: YearRecord, labels: YearLabels) -> bytes:
    """XLSX: the cells' months, quarters and minutes; then every member's year."""
    workbook = Workbook()
    titles = {RESERVED_TITLE}
    cells = workbook.active
    assert cells is not None  # a new workbook always has one sheet
    cells.title = _unique_title(_clean_title(labels.cells_sheet, "1"), titles)
    _heading(cells, record, labels)
    months = [month.month for month in record.cells[0].figures.months] if record.cells else []
    quarters = [q.quarter.number for q in record.cells[0].figures.quarters] if record.cells else []
    header = [
        labels.cell,
        labels.on_time,
        labels.late,
        labels.missed,
        *(month.label for month in months),
        *(labels.quarter_of(q) for q in quarters),
        labels.meetings,
        labels.minutes_recorded,
    ]
    write_table(cells, header, [_cell_row(cell, labels) for cell in record.cells], labels, fixed=1)
    members = workbook.create_sheet(_unique_title(_clean_title(labels.members_sheet, "2"), titles))
    _heading(members, record, labels)
    rows = [_member_row(cell, member) for cell in record.cells for member in cell.members]
    write_table(
        members,
        [
            labels.cell,
            labels.member,
            labels.expected,
            labels.present,
            labels.excused,
            labels.unexcused,
            labels.attendance,
            labels.papers_assigned,
            labels.papers_submitted,
            labels.tasks_given,
            labels.tasks_done,
        ],
        rows,
        labels,
        formats={7: PERCENT},
        fixed=2,
    )
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _heading(sheet: Worksheet, record: YearRecord, labels: YearLabels) -> None:
    """What the sheet covers, and that its figures are figures, not a rating."""
    append_row(sheet, [labels.organisation, record.organisation])
    append_row(sheet, [labels.year, record.year])
    append_row(sheet, [labels.period, record.period])
    for row in range(1, sheet.max_row + 1):
        sheet.cell(row, 1).font = HEADER_FONT
    append_row(sheet, [labels.figures_note])
    sheet.cell(sheet.max_row, 1).font = TITLE_FONT
    sheet.append([])


def _cell_row(cell: CellYear, labels: YearLabels) -> list[Value]:
    figures = cell.figures
    return [
        figures.name,
        len(cell.months(Square.ON_TIME)),
        len(cell.months(Square.LATE)),
        len(cell.months(Square.MISSED)),
        *(labels.squares[month.square] for month in figures.months),
        *(labels.thematic[quarter.square] for quarter in figures.quarters),
        len(figures.meetings),
        cell.minutes_recorded,
    ]


def _member_row(cell: CellYear, member: MemberYear) -> list[Value]:
    attendance = member.attendance
    return [
        cell.figures.name,
        member.name,
        attendance.expected,
        attendance.present,
        attendance.excused,
        attendance.unexcused,
        _fraction(attendance.rate_percent),
        member.papers_assigned,
        member.papers_submitted,
        member.tasks_given,
        member.tasks_done,
    ]
