"""The member list's files: the template a secretary fills in, the reading of a filled one
(.xlsx or .csv) into raw rows, and the workbook of personal links to forward."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

from domain.roster import (
    HEADER_SEARCH_ROWS,
    HEADINGS,
    MAX_ROWS,
    ROLE_WORDS,
    STATUS_WORDS,
    Column,
    Formula,
    Raw,
)
from reports.spreadsheet import append_row, fit_columns

# A template's example rows: one of each status and role.
_EXAMPLES = (
    ("Nguyễn Văn An", "chính thức", "bí thư", "03/02/2005", "03/02/2006"),
    ("Trần Thị Bình", "dự bị", "đảng viên", "19/05/2026", ""),
)


# Columns a member list has (five, and room for a note or two), and how far down a sheet is
# read at all, blank rows included.
MAX_COLUMNS = 12
MAX_ROW_NUMBER = 5 * MAX_ROWS


class Unreadable(StrEnum):
    """Why a file sent as a member list is refused as a whole."""

    NOT_A_SPREADSHEET = "not_a_spreadsheet"
    EMPTY = "empty"
    TOO_MANY_ROWS = "too_many_rows"


class UnreadableFile(Exception):
    def __init__(self, why: Unreadable) -> None:
        super().__init__(why.value)
        self.why = why


@dataclass(frozen=True)
class Table:
    """The first sheet's non-empty rows, each with its number in the file."""

    rows: tuple[tuple[int, tuple[Raw, ...]], ...]


def template_workbook(sheet_title: str) -> bytes:
    """The .xlsx to fill in: the headings, two example rows, and the accepted words."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = sheet_title
    append_row(sheet, list(HEADINGS.values()))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for example in _EXAMPLES:
        append_row(sheet, list(example))
    words = workbook.create_sheet(HEADINGS[Column.STATUS] + " - " + HEADINGS[Column.ROLE])
    append_row(words, [HEADINGS[Column.STATUS], HEADINGS[Column.ROLE]])
    for status, role in zip(STATUS_WORDS, ROLE_WORDS, strict=True):
        append_row(words, [status, role])
    fit_columns(sheet)
    fit_columns(words)
    return _saved(workbook)


def links_workbook(headings: Sequence[str], rows: Sequence[Sequence[str]]) -> bytes:
    """A sheet of names and their personal links, every text written as text."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    append_row(sheet, list(headings))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        append_row(sheet, list(row))
    fit_columns(sheet)
    return _saved(workbook)


def _saved(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def read_table(file_name: str, content: bytes) -> Table:
    """The rows of a workbook's first sheet or of a CSV file, formulas kept as formulas (never
    their cached values), refused beyond MAX_ROWS rows under the header. The file's type and
    archive are checked before (services/papers/documents.py: checked_content)."""
    if file_name.lower().endswith(".csv"):
        return _bounded(_csv_rows(content))
    return _bounded(_workbook_rows(content))


def _csv_rows(content: bytes) -> Any:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UnreadableFile(Unreadable.NOT_A_SPREADSHEET) from error
    if "\x00" in text:
        raise UnreadableFile(Unreadable.NOT_A_SPREADSHEET)
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    for values in csv.reader(io.StringIO(text), dialect):
        # A spreadsheet opening this file would compute a cell starting with "=".
        yield tuple(Formula(v) if v.startswith("=") else v for v in values)


def _workbook_rows(content: bytes) -> Any:
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as error:
        raise UnreadableFile(Unreadable.NOT_A_SPREADSHEET) from error
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            raise UnreadableFile(Unreadable.EMPTY)
        # The sheet's own size is not trusted (a few bytes may declare a million rows and
        # 16,384 columns): its dimensions are measured from what it holds, and only the
        # columns a member list has are read.
        sheet.reset_dimensions()
        for row in sheet.iter_rows(max_col=MAX_COLUMNS):
            yield tuple(_raw(cell.value, getattr(cell, "data_type", None)) for cell in row)
    finally:
        workbook.close()


def _raw(value: object, data_type: str | None) -> Raw:
    if data_type == "f" or (isinstance(value, str) and value.startswith("=")):
        return Formula(str(value))
    if value is None or isinstance(value, str | int | float | date | datetime):
        return value
    # An array formula, a rich text, an error value: not a plain value either way.
    return Formula(str(value))


def _bounded(rows: Any) -> Table:
    kept: list[tuple[int, tuple[Raw, ...]]] = []
    for number, values in enumerate(rows, start=1):
        # Blank rows count too: rows far down a sheet are as many rows to read.
        if number > MAX_ROW_NUMBER:
            raise UnreadableFile(Unreadable.TOO_MANY_ROWS)
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        kept.append((number, values))
        # The header and a title or two above it, then MAX_ROWS members at most.
        if len(kept) > MAX_ROWS + HEADER_SEARCH_ROWS:
            raise UnreadableFile(Unreadable.TOO_MANY_ROWS)
    if not kept:
        raise UnreadableFile(Unreadable.EMPTY)
    return Table(tuple(kept))
