"""Reading a member list and planning its import, without a database."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from openpyxl import Workbook

from domain.roles import MemberStatus, Role
from domain.roster import (
    MAX_ROWS,
    Column,
    CurrentMember,
    Formula,
    HeaderProblem,
    RowProblem,
    RowProblemKind,
    TooManyRows,
    plan_import,
    read_sheet,
)
from reports.roster import MAX_COLUMNS, MAX_ROW_NUMBER, Unreadable, UnreadableFile, read_table

HEADER = ("Họ và tên", "Trạng thái", "Chức vụ", "Ngày vào Đảng", "Ngày chính thức")


def numbered(*rows: tuple[object, ...], first: int = 1) -> list[tuple[int, tuple[object, ...]]]:
    return list(enumerate(rows, start=first))


def test_headings_are_found_under_a_title_and_typed_without_accents() -> None:
    sheet = read_sheet(
        numbered(
            ("DANH SÁCH ĐẢNG VIÊN",),
            ("HO VA TEN", "trang thai", "Chuc vu"),
            ("  nguyễn   văn AN ", "Chính Thức", "đảng viên"),
        )
    )
    assert sheet.problems == ()
    assert [(e.row, e.full_name, e.status, e.role) for e in sheet.entries] == [
        (3, "nguyễn văn AN", MemberStatus.FULL, Role.MEMBER)
    ]


def test_names_are_composed_to_nfc_as_typed() -> None:
    decomposed = "Nguye\u0302\u0303n Va\u0306n An"
    sheet = read_sheet(numbered(HEADER, (decomposed, "dự bị", "đảng viên")))
    assert sheet.entries[0].full_name == "Nguyễn Văn An"


def test_a_header_in_another_language_is_refused() -> None:
    with pytest.raises(HeaderProblem):
        read_sheet(numbered(("Name", "Status", "Role"), ("An", "full", "member")))


def test_more_than_the_bound_is_refused() -> None:
    rows = [HEADER, *[(f"Người {n}", "chính thức", "đảng viên") for n in range(MAX_ROWS + 1)]]
    with pytest.raises(TooManyRows):
        read_sheet(numbered(*rows))
    assert len(read_sheet(numbered(*rows[:-1])).entries) == MAX_ROWS


def test_each_problem_is_named_by_row_and_column() -> None:
    sheet = read_sheet(
        numbered(
            HEADER,
            ("An", "chính thưc", "pho bi thu", "1/13/2000", ""),
            ("Bình", Formula("=A1"), "đảng viên"),
            ("", "dự bị", "đảng viên"),
            ("an", "dự bị", "đảng viên"),
            ("Cường", "dự bị", "đảng viên", datetime(2020, 5, 1), "01/01/2019"),
        )
    )
    assert set(sheet.problems) == {
        RowProblem(2, Column.STATUS, RowProblemKind.UNKNOWN_WORD, "chính thưc", "chính thức"),
        RowProblem(2, Column.ROLE, RowProblemKind.UNKNOWN_WORD, "pho bi thu", "phó bí thư"),
        RowProblem(2, Column.JOINED_PARTY, RowProblemKind.BAD_DATE, "1/13/2000"),
        RowProblem(3, Column.STATUS, RowProblemKind.FORMULA, "=A1"),
        RowProblem(4, Column.NAME, RowProblemKind.MISSING),
        RowProblem(6, Column.FULL_MEMBER, RowProblemKind.DATES_OUT_OF_ORDER, "01/01/2019"),
    }
    assert sheet.rows_read == 5
    # Row 5 repeats no good row (row 2 had problems), so it is the one kept.
    assert [e.row for e in sheet.entries] == [5]


def test_a_name_twice_is_a_problem_of_its_second_row() -> None:
    sheet = read_sheet(
        numbered(HEADER, ("An", "dự bị", "đảng viên"), ("AN ", "chính thức", "đảng viên"))
    )
    assert sheet.problems == (
        RowProblem(3, Column.NAME, RowProblemKind.REPEATED, "AN", other_row=2),
    )


def test_the_plan_adds_updates_keeps_and_never_removes() -> None:
    sheet = read_sheet(
        numbered(
            HEADER,
            ("Lan", "chính thức", "bí thư"),
            ("Minh", "dự bị", "đảng viên"),
            ("Nam", "chính thức", "đảng viên", "03/02/2005"),
        )
    )
    members = [
        CurrentMember(1, "Lan", Role.SECRETARY, MemberStatus.FULL),
        CurrentMember(2, "minh", Role.MEMBER, MemberStatus.FULL),
        CurrentMember(3, "Oanh", Role.MEMBER, MemberStatus.FULL),
    ]
    plan = plan_import(sheet.entries, members, {}, by_secretary=True)
    assert [e.full_name for e in plan.to_add] == ["Nam"]
    assert plan.to_add[0].joined_party_on == date(2005, 2, 3)
    assert [e.full_name for e in plan.to_update] == ["Minh"]
    assert plan.unchanged == 1
    assert plan.not_in_file == ("Oanh",)
    assert plan.problems == ()


def test_the_secretary_is_not_changed_by_a_file() -> None:
    sheet = read_sheet(
        numbered(HEADER, ("Lan", "chính thức", "đảng viên"), ("Minh", "chính thức", "bí thư"))
    )
    members = [CurrentMember(1, "Lan", Role.SECRETARY, MemberStatus.FULL)]
    assert plan_import(sheet.entries, members, {}, by_secretary=True).problems == (
        RowProblem(2, Column.ROLE, RowProblemKind.SECRETARY_ROLE, "Lan"),
        RowProblem(3, Column.ROLE, RowProblemKind.SECOND_SECRETARY, "Lan"),
    )
    assert plan_import(sheet.entries[1:], [], {}, by_secretary=True).problems == (
        RowProblem(3, Column.ROLE, RowProblemKind.SECRETARY_BY_LINK),
    )


def test_a_sheet_is_read_only_as_far_down_and_across_as_a_list_goes() -> None:
    """A few bytes may declare a sheet of a million rows and 16,384 columns: the reading
    stops far down, whatever is in between, and reads only a list's columns."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Họ và tên", "Trạng thái", "Chức vụ"])
    sheet.cell(row=2, column=200, value="far right")
    sheet.cell(row=MAX_ROW_NUMBER + 1, column=1, value="far down")
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(UnreadableFile) as refused:
        read_table("ds.xlsx", buffer.getvalue())
    assert refused.value.why is Unreadable.TOO_MANY_ROWS
    sheet.delete_rows(MAX_ROW_NUMBER + 1)
    buffer = io.BytesIO()
    book.save(buffer)
    table = read_table("ds.xlsx", buffer.getvalue())
    assert all(len(values) <= MAX_COLUMNS for _, values in table.rows)
