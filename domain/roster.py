"""A cell's member list imported from a spreadsheet: the columns, how each cell of a row is
read, the problems a row can have (named by row and column, with the nearest accepted word
for a near miss), and what an import would change against the cell as it is.

A file is read into rows of raw values elsewhere (reports/roster.py); everything here is pure.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import TypeVar

from domain.roles import MemberStatus, Role
from domain.text import clean_text

# A cell has tens of members, an organisation a few thousand: more rows is not a cell's list.
MAX_ROWS = 2_000
MAX_NAME = 200
# A sheet often has a title ("DANH SÁCH ĐẢNG VIÊN", the cell's name) above its headings.
HEADER_SEARCH_ROWS = 5


class Column(StrEnum):
    NAME = "name"
    STATUS = "status"
    ROLE = "role"
    JOINED_PARTY = "joined_party"
    FULL_MEMBER = "full_member"


# The template's headings, as a Vietnamese secretary writes them.
HEADINGS: Mapping[Column, str] = {
    Column.NAME: "Họ và tên",
    Column.STATUS: "Trạng thái",
    Column.ROLE: "Chức vụ",
    Column.JOINED_PARTY: "Ngày vào Đảng",
    Column.FULL_MEMBER: "Ngày chính thức",
}
REQUIRED = (Column.NAME, Column.STATUS, Column.ROLE)
STATUS_WORDS: Mapping[str, MemberStatus] = {
    "chính thức": MemberStatus.FULL,
    "dự bị": MemberStatus.PROBATIONARY,
    "miễn sinh hoạt": MemberStatus.EXEMPTED,
}
ROLE_WORDS: Mapping[str, Role] = {
    "bí thư": Role.SECRETARY,
    "phó bí thư": Role.DEPUTY,
    "đảng viên": Role.MEMBER,
}
W = TypeVar("W")
_DATE = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


@dataclass(frozen=True)
class Formula:
    """A cell holding a formula: its value is whatever a spreadsheet last computed, or would
    compute, and is not trusted."""

    text: str


Raw = str | int | float | date | datetime | Formula | None


class RowProblemKind(StrEnum):
    FORMULA = "formula"
    MISSING = "missing"
    UNKNOWN_WORD = "unknown_word"
    BAD_DATE = "bad_date"
    TOO_LONG = "too_long"
    REPEATED = "repeated"
    DATES_OUT_OF_ORDER = "dates_out_of_order"
    SECOND_SECRETARY = "second_secretary"
    SECRETARY_ROLE = "secretary_role"
    SECRETARY_STATUS = "secretary_status"  # set by the secretary alone
    SECRETARY_BY_LINK = "secretary_by_link"


@dataclass(frozen=True)
class RowProblem:
    """What is wrong in one row (1-based, as the spreadsheet numbers it) and column."""

    row: int
    column: Column
    kind: RowProblemKind
    value: str = ""
    suggestion: str | None = None
    other_row: int | None = None


@dataclass(frozen=True)
class Entry:
    """One member as a row of the file gives them, cleaned."""

    row: int
    full_name: str
    status: MemberStatus
    role: Role
    joined_party_on: date | None = None
    full_member_on: date | None = None

    @property
    def key(self) -> str:
        return name_key(self.full_name)


@dataclass(frozen=True)
class Sheet:
    """A file's rows read into members, and the problems of the rows that could not be."""

    rows_read: int
    entries: tuple[Entry, ...]
    problems: tuple[RowProblem, ...]


class HeaderProblem(Exception):
    """No row at the top names the columns expected (another language, another list)."""


class TooManyRows(Exception):
    """More members than MAX_ROWS: not one cell's list."""


def _header(rows: Sequence[tuple[int, Sequence[Raw]]]) -> tuple[int, dict[Column, int]]:
    for index, (_, values) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        try:
            return index, columns_of(values)
        except HeaderProblem:
            continue
    raise HeaderProblem


def name_key(name: str) -> str:
    """A name folded for matching: "nguyễn  văn AN" and "Nguyễn Văn An" are one person."""
    return clean_text(name, multiline=False).casefold()


def _folded(text: str) -> str:
    """Case, spacing and diacritics aside, to recognise a heading typed without accents."""
    decomposed = unicodedata.normalize("NFD", name_key(text).replace("đ", "d"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


_HEADING_KEYS = {_folded(heading): column for column, heading in HEADINGS.items()}


def columns_of(header: Sequence[Raw]) -> dict[Column, int]:
    """Where each column is, by its heading; refused when a required one is missing."""
    found: dict[Column, int] = {}
    for index, value in enumerate(header):
        if isinstance(value, str):
            column = _HEADING_KEYS.get(_folded(value))
            if column is not None and column not in found:
                found[column] = index
    if any(column not in found for column in REQUIRED):
        raise HeaderProblem
    return found


def read_sheet(rows: Sequence[tuple[int, Sequence[Raw]]]) -> Sheet:
    """The members of the rows (each with its number in the file) under the header, one of
    the first HEADER_SEARCH_ROWS: empty rows are skipped, a name twice is a problem of its
    second row. Raises HeaderProblem without the headings, TooManyRows past MAX_ROWS."""
    header_at, columns = _header(rows)
    members = rows[header_at + 1 :]
    if len(members) > MAX_ROWS:
        raise TooManyRows
    entries: list[Entry] = []
    problems: list[RowProblem] = []
    first_row_of: dict[str, int] = {}
    read = 0
    for number, values in members:
        if all(_blank(v) for v in values):
            continue
        read += 1
        entry, found = _entry(number, columns, values)
        if entry is not None and entry.key in first_row_of:
            problems.append(
                RowProblem(
                    number,
                    Column.NAME,
                    RowProblemKind.REPEATED,
                    entry.full_name,
                    other_row=first_row_of[entry.key],
                )
            )
            continue
        problems.extend(found)
        if entry is not None and not found:
            first_row_of[entry.key] = number
            entries.append(entry)
    return Sheet(read, tuple(entries), tuple(problems))


def _blank(value: Raw) -> bool:
    return value is None or (isinstance(value, str) and not clean_text(value, multiline=False))


def _entry(
    number: int, columns: Mapping[Column, int], values: Sequence[Raw]
) -> tuple[Entry | None, list[RowProblem]]:
    def at(column: Column) -> Raw:
        index = columns.get(column)
        return values[index] if index is not None and index < len(values) else None

    problems = [
        RowProblem(number, column, RowProblemKind.FORMULA, value.text)
        for column in columns
        if isinstance(value := at(column), Formula)
    ]
    if problems:
        return None, problems
    name = _text(at(Column.NAME))
    if not name:
        problems.append(RowProblem(number, Column.NAME, RowProblemKind.MISSING))
    elif len(name) > MAX_NAME:
        problems.append(RowProblem(number, Column.NAME, RowProblemKind.TOO_LONG, name[:40]))
    status = _word(number, Column.STATUS, at(Column.STATUS), STATUS_WORDS, problems)
    role = _word(number, Column.ROLE, at(Column.ROLE), ROLE_WORDS, problems)
    joined = _date(number, Column.JOINED_PARTY, at(Column.JOINED_PARTY), problems)
    full = _date(number, Column.FULL_MEMBER, at(Column.FULL_MEMBER), problems)
    if joined is not None and full is not None and full < joined:
        problems.append(
            RowProblem(number, Column.FULL_MEMBER, RowProblemKind.DATES_OUT_OF_ORDER, _day(full))
        )
    if problems or status is None or role is None:
        return None, problems
    return Entry(number, name, status, role, joined, full), []


def _text(value: Raw) -> str:
    if value is None or isinstance(value, Formula):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return clean_text(str(value), multiline=False)


def _word(
    number: int, column: Column, value: Raw, words: Mapping[str, W], problems: list[RowProblem]
) -> W | None:
    typed = _text(value)
    if not typed:
        problems.append(RowProblem(number, column, RowProblemKind.MISSING))
        return None
    found = words.get(typed.casefold())
    if found is None:
        near = difflib.get_close_matches(typed.casefold(), list(words), n=1, cutoff=0.6)
        problems.append(
            RowProblem(
                number, column, RowProblemKind.UNKNOWN_WORD, typed, near[0] if near else None
            )
        )
    return found


def _date(number: int, column: Column, value: Raw, problems: list[RowProblem]) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    typed = _text(value)
    if not typed:
        return None
    try:
        if matched := _DATE.fullmatch(typed):
            day, month, year = (int(part) for part in matched.groups())
            return date(year, month, day)
        if matched := _ISO_DATE.fullmatch(typed):
            year, month, day = (int(part) for part in matched.groups())
            return date(year, month, day)
    except ValueError:
        pass
    problems.append(RowProblem(number, column, RowProblemKind.BAD_DATE, typed))
    return None


def _day(value: date) -> str:
    return value.strftime("%d/%m/%Y")


@dataclass(frozen=True)
class CurrentMember:
    """An active member of the cell as the import finds them."""

    membership_id: int
    full_name: str
    role: Role
    status: MemberStatus


@dataclass(frozen=True)
class CurrentEntry:
    """A row of an earlier import, as stored."""

    full_name: str
    role: Role
    status: MemberStatus
    joined_party_on: date | None
    full_member_on: date | None
    claimed: bool


@dataclass(frozen=True)
class Plan:
    """What confirming the import would do: members to add (as imported, unclaimed), members
    and earlier rows to update, who is in the cell but not in the file (never removed), and
    the rows that conflict with the cell (then nothing can be confirmed)."""

    to_add: tuple[Entry, ...]
    to_update: tuple[Entry, ...]
    unchanged: int
    not_in_file: tuple[str, ...]
    problems: tuple[RowProblem, ...] = field(default=())

    @property
    def changes_anything(self) -> bool:
        return bool(self.to_add or self.to_update)


def plan_import(
    entries: Sequence[Entry],
    members: Sequence[CurrentMember],
    earlier: Mapping[str, CurrentEntry],
    by_secretary: bool,
) -> Plan:
    """What the file's ``entries`` change in a cell with these active ``members`` and rows of
    ``earlier`` imports (by name key). The secretary is changed by the secretary link alone:
    a row making someone else secretary, or the secretary something else, is a problem."""
    member_of = {name_key(m.full_name): m for m in members}
    secretary = next((m for m in members if m.role is Role.SECRETARY), None)
    to_add: list[Entry] = []
    to_update: list[Entry] = []
    problems: list[RowProblem] = []
    unchanged = 0
    for entry in entries:
        member = member_of.get(entry.key)
        is_secretary = secretary is not None and member is secretary
        if entry.role is Role.SECRETARY and not is_secretary:
            problems.append(
                RowProblem(entry.row, Column.ROLE, RowProblemKind.SECRETARY_BY_LINK)
                if secretary is None
                else RowProblem(
                    entry.row, Column.ROLE, RowProblemKind.SECOND_SECRETARY, secretary.full_name
                )
            )
            continue
        if is_secretary and entry.role is not Role.SECRETARY:
            problems.append(
                RowProblem(entry.row, Column.ROLE, RowProblemKind.SECRETARY_ROLE, entry.full_name)
            )
            continue
        # As on the member screens: only the secretary sets their own status.
        if (
            secretary is not None
            and is_secretary
            and not by_secretary
            and secretary.status is not entry.status
        ):
            problems.append(
                RowProblem(
                    entry.row, Column.STATUS, RowProblemKind.SECRETARY_STATUS, entry.full_name
                )
            )
            continue
        stored = earlier.get(entry.key)
        if member is None and stored is None:
            to_add.append(entry)
        elif _differs(entry, member, stored):
            to_update.append(entry)
        else:
            unchanged += 1
    in_file = {entry.key for entry in entries}
    not_in_file = tuple(m.full_name for m in members if name_key(m.full_name) not in in_file)
    return Plan(tuple(to_add), tuple(to_update), unchanged, not_in_file, tuple(problems))


def _differs(entry: Entry, member: CurrentMember | None, stored: CurrentEntry | None) -> bool:
    if member is not None and (member.role, member.status) != (entry.role, entry.status):
        return True
    if stored is None:
        # A member of the cell never imported before: their dates, if any, are new.
        return entry.joined_party_on is not None or entry.full_member_on is not None
    if member is not None and not stored.claimed:
        # An imported name that joined by the invite link without claiming it: linked now.
        return True
    return (
        stored.full_name,
        stored.role,
        stored.status,
        stored.joined_party_on,
        stored.full_member_on,
    ) != (
        entry.full_name,
        entry.role,
        entry.status,
        entry.joined_party_on,
        entry.full_member_on,
    )


# An imported member's personal link: /start with this prefix and the row's token.
# Long enough a prefix that no invite token (random, of the same alphabet) begins with it by
# chance: with "m-", one invite link in 4,096 would have been taken for a personal one.
_CLAIM_PAYLOAD = re.compile(r"claim-([A-Za-z0-9_-]{16,40})", re.ASCII)


def claim_payload(token: str) -> str:
    return f"claim-{token}"


def claim_token_of_payload(payload: str) -> str | None:
    matched = _CLAIM_PAYLOAD.fullmatch(payload)
    return matched.group(1) if matched else None
