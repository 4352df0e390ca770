"""The digest at month and quarter edges, read as a supervisor reads it.

Cells created in the middle of July, a quarter that closes between two digests, papers due
after the digest's moment, an exempted member: each figure is checked against what a person
counting by hand from the same events would write down.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update

from chat.i18n import Translator
from domain.attendance import RollStatus
from domain.digest import (
    BehindReason,
    DigestFigures,
    Period,
    PeriodName,
    RegularState,
    last_week,
    period_of,
)
from domain.meetings import MeetingKind, MeetingStatus
from domain.messages import Text
from services.digest import report
from services.digest.figures import digest_figures
from storage.db import Database
from storage.models import Invitation, Meeting, Organisation
from tests.conftest import VIETNAM
from tests.test_digest import SETTINGS, Quarter

P, E, U = RollStatus.PRESENT, RollStatus.EXCUSED, RollStatus.UNEXCUSED
TRANSLATOR = Translator(VIETNAM, "vi")
CREATED = datetime(2026, 7, 14, 10, 0, tzinfo=VIETNAM)


def vi(text: Text) -> str:
    return TRANSLATOR.render(text, "vi")


def day(month: int, date: int, hour: int = 9) -> datetime:
    return datetime(2026, month, date, hour, 0, tzinfo=VIETNAM)


async def weekly_figures(
    database: Database, organisation: Organisation, now: datetime
) -> DigestFigures:
    period = last_week(now, VIETNAM)
    async with database.transaction() as session:
        return await digest_figures(
            session, organisation, None, period, now, SETTINGS, vi, "tuần trước"
        )


async def july_cells(database: Database) -> tuple[Organisation, Quarter, list[list[int]]]:
    builder = Quarter(database)
    organisation = await builder.organisation()
    cells = [
        await builder.cell(organisation, f"Chi bộ {name}", 7, created_at=CREATED)
        for name in ("Mới A", "Mới B")
    ]
    return organisation, builder, cells


async def test_months_before_a_cell_existed_are_not_owed(database: Database) -> None:
    organisation, builder, cells = await july_cells(database)
    # Monday 20 July: June (before the cells) and July (its cutoff, the 10th, came before
    # them) are owed by nobody.
    july = await weekly_figures(database, organisation, day(7, 20, 7))
    for cell in july.cells:
        assert cell.regular is RegularState.NOT_OWED
        assert cell.behind == []
    assert july.on_time_share is None
    text = vi(report.summary_text(july))
    assert "Sinh hoạt thường kỳ tháng 07/2026 đúng hạn: không chi bộ nào phải thực hiện" in text
    assert "đúng hạn: 0%" not in text
    assert "Không có chi bộ nào cần lưu ý" in text

    # August is owed: A meets on the 5th, B does not meet at all.
    await builder.meeting(cells[0], MeetingKind.REGULAR, day(8, 5, 19), [P] * 7)
    august = await weekly_figures(database, organisation, day(8, 17, 7))
    a, b = august.cells
    assert (a.regular, b.regular) == (RegularState.ON_TIME, RegularState.MISSING)
    assert b.reasons == [BehindReason.NO_REGULAR_AT_CUTOFF]  # July is not a missed month
    assert august.on_time_share is not None and august.on_time_percent == 50
    assert "không sinh hoạt thường kỳ tháng 08/2026 trước ngày hạn" in vi(
        report.summary_text(august)
    )

    # September's first digest names the month B left undone, not "last month".
    september = await weekly_figures(database, organisation, day(9, 7, 7))
    b = september.cells[1]
    assert BehindReason.MISSED_MONTH in b.reasons
    assert "bỏ sinh hoạt thường kỳ tháng 08/2026" in vi(report.summary_text(september))


async def test_a_quarter_left_undone_is_reported_after_it_closes(database: Database) -> None:
    organisation, builder, cells = await july_cells(database)
    for cell in cells:
        for month in (8, 9):
            await builder.meeting(cell, MeetingKind.REGULAR, day(month, 5, 19), [P] * 7)
    await builder.meeting(cells[1], MeetingKind.REGULAR, day(10, 2, 19), [P] * 7)
    # A held its thematic meeting in Q3, B never did.
    await builder.meeting(cells[0], MeetingKind.THEMATIC, day(9, 15, 19), [P] * 7)

    september = await weekly_figures(database, organisation, day(9, 28, 7))
    assert [c.reasons for c in september.cells] == [[], [BehindReason.NO_THEMATIC]]

    october = await weekly_figures(database, organisation, day(10, 5, 7))
    a, b = october.cells
    assert BehindReason.MISSED_THEMATIC not in a.reasons
    assert BehindReason.MISSED_THEMATIC in b.reasons
    text = vi(report.summary_text(october))
    assert "Không có chi bộ nào cần lưu ý" not in text
    assert "không sinh hoạt chuyên đề quý 3/2026" in text

    # A quarter's failure is not carried for ever: by November it is history.
    november = await weekly_figures(database, organisation, day(11, 9, 7))
    assert all(BehindReason.MISSED_THEMATIC not in c.reasons for c in november.cells)


async def test_a_cell_created_late_in_a_quarter_does_not_owe_its_thematic_meeting(
    database: Database,
) -> None:
    builder = Quarter(database)
    organisation = await builder.organisation()
    await builder.cell(organisation, "Chi bộ Rất mới", 5, created_at=day(9, 10))
    figures = await weekly_figures(database, organisation, day(9, 28, 7))
    [cell] = figures.cells
    assert BehindReason.NO_THEMATIC not in cell.reasons
    assert figures.thematic_share is None


async def test_papers_not_yet_due_are_not_missing(database: Database) -> None:
    organisation, builder, cells = await july_cells(database)
    thematic = await builder.meeting(cells[0], MeetingKind.THEMATIC, day(9, 26, 19), None)
    author = cells[0][2]
    await builder.paper(thematic, author, day(9, 23, 23), None)
    quarter = period_of(PeriodName.QUARTER, day(9, 21), VIETNAM)

    async def papers_on(now: datetime) -> tuple[int, list[BehindReason]]:
        async with database.transaction() as session:
            figures = await digest_figures(
                session, organisation, None, quarter, now, SETTINGS, vi, "quý"
            )
        cell = figures.cells[0]
        return cell.papers_assigned, cell.reasons

    assigned, reasons = await papers_on(day(9, 21))
    assert assigned == 1 and BehindReason.PAPERS_MISSING not in reasons
    assigned, reasons = await papers_on(day(9, 24))
    assert assigned == 1 and BehindReason.PAPERS_MISSING in reasons


async def test_exempted_members_are_never_at_risk_and_rates_round_as_by_hand(
    database: Database,
) -> None:
    builder = Quarter(database)
    organisation = await builder.organisation()
    # Eight members: the secretary, six expected, one exempted (the last).
    cell = await builder.cell(organisation, "Chi bộ Khu phố 1", 8)
    exempted_person = cell[-1]
    now = day(12, 14, 9)
    meetings = []
    for month, roll in ((10, [P] * 6 + [U, U]), (11, [P] * 6 + [U, U]), (12, [P] * 6 + [U, U])):
        meetings.append(await builder.meeting(cell, MeetingKind.REGULAR, day(month, 8, 19), roll))
    async with database.transaction() as session:
        await session.execute(
            update(Invitation).where(Invitation.person_id == exempted_person).values(exempted=True)
        )
    period = Period(day(12, 7, 0), day(12, 14, 0))
    async with database.transaction() as session:
        figures = await digest_figures(session, organisation, None, period, now, SETTINGS, vi, "")
    [cell_figures] = figures.cells
    # By hand: 7 expected (8 listed less the exempted), 6 present: 6/7 = 85.71% -> 86%.
    assert cell_figures.meetings[0].expected == 7
    assert cell_figures.meetings[0].rate_percent == 86
    assert cell_figures.attendance_percent == 86
    at_risk = [(m.name, m.unexcused) for m in cell_figures.at_risk]
    assert at_risk == [("Chi bộ Khu phố 1 6", 3)]  # the seventh member; the exempted not
    text = vi(report.summary_text(figures))
    assert "Đảng viên vắng không lý do từ 3 lần trong năm" in text
    assert "• Chi bộ Khu phố 1 6 (Chi bộ Khu phố 1): 3 lần" in text
    assert "Chi bộ Khu phố 1 7" not in text
    assert "tỷ lệ tham dự 86%, dưới mức 90%" in text


async def test_the_organisation_mean_is_taken_of_exact_rates(database: Database) -> None:
    builder = Quarter(database)
    organisation = await builder.organisation()
    # 133 of 200 is 66.5% and 1 of 2 is 50%: the exact mean is 58.25%, so 58%; from rounded
    # cell figures (67% and 50%) it would have been 58.5%, rounded to 58 or 59.
    big = await builder.cell(organisation, "Chi bộ Lớn", 200)
    small = await builder.cell(organisation, "Chi bộ Nhỏ", 2)
    await builder.meeting(big, MeetingKind.REGULAR, day(12, 8, 19), [P] * 133 + [U] * 67)
    await builder.meeting(small, MeetingKind.REGULAR, day(12, 9, 19), [P, U])
    period = Period(day(12, 7, 0), day(12, 14, 0))
    async with database.transaction() as session:
        figures = await digest_figures(
            session, organisation, None, period, day(12, 14, 9), SETTINGS, vi, ""
        )
    assert [c.attendance_percent for c in figures.cells] == [67, 50]
    assert figures.mean_attendance_percent == 58
    assert "Tỷ lệ tham dự bình quân: 58%" in vi(report.summary_text(figures))


async def test_a_new_cell_meeting_in_a_month_it_did_not_owe_is_neither_late_nor_flagged(
    database: Database,
) -> None:
    organisation, builder, cells = await july_cells(database)
    await builder.meeting(cells[0], MeetingKind.REGULAR, day(7, 20, 19), [P] * 7)
    figures = await weekly_figures(database, organisation, day(7, 27, 7))
    met = figures.cells[0]
    assert met.regular is RegularState.NOT_OWED and met.regular_at == day(7, 20, 19)
    assert met.reasons == []
    assert "không sinh hoạt thường kỳ tháng 07/2026" not in vi(report.summary_text(figures))


async def test_shares_count_what_is_settled_and_held_not_what_is_ahead(
    database: Database,
) -> None:
    organisation, builder, cells = await july_cells(database)
    # 5 October: both cells have October's meeting planned before the cutoff, and a thematic
    # meeting planned for the 30th; nothing of it has happened yet.
    for cell in cells:
        await builder.meeting(cell, MeetingKind.REGULAR, day(10, 8, 19), None)
        await builder.meeting(cell, MeetingKind.THEMATIC, day(10, 30, 14), None)
    figures = await weekly_figures(database, organisation, day(10, 5, 7))
    assert figures.on_time_share is None and figures.on_time_pending
    assert figures.thematic_share == 0
    text = vi(report.summary_text(figures))
    assert "tháng 10/2026 đúng hạn: chưa đến hạn (các cuộc họp còn ở phía trước)" in text
    assert "Tỷ lệ tham dự bình quân: chưa có cuộc họp nào được điểm danh" in text
    assert "quý 4/2026: 0%" in text
    # After the meetings took place, the same shares are settled and held.
    later = await weekly_figures(database, organisation, day(11, 2, 7))
    assert later.thematic_share == 1


async def test_a_cancelled_meeting_s_papers_are_not_missing(database: Database) -> None:
    organisation, builder, cells = await july_cells(database)
    thematic = await builder.meeting(cells[0], MeetingKind.THEMATIC, day(10, 22, 14), None)
    await builder.paper(thematic, cells[0][2], day(10, 19, 23), None)
    async with database.transaction() as session:
        await session.execute(
            update(Meeting).where(Meeting.id == thematic).values(status=MeetingStatus.CANCELLED)
        )
    quarter = period_of(PeriodName.QUARTER, day(10, 26), VIETNAM)
    async with database.transaction() as session:
        figures = await digest_figures(
            session, organisation, None, quarter, day(10, 26), SETTINGS, vi, "quý"
        )
    assert BehindReason.PAPERS_MISSING not in figures.cells[0].reasons
    assert figures.cells[0].papers_assigned == 0


async def test_a_third_absence_in_december_is_reported_in_january(database: Database) -> None:
    builder = Quarter(database)
    organisation = await builder.organisation()
    cell = await builder.cell(organisation, "Chi bộ Cuối năm", 4)
    for month, date in ((10, 8), (11, 8), (12, 30)):
        await builder.meeting(cell, MeetingKind.REGULAR, day(month, date, 19), [P, P, P, U])
    january = datetime(2027, 1, 4, 7, 0, tzinfo=VIETNAM)  # the week of 28/12 to 03/01
    figures = await weekly_figures(database, organisation, january)
    assert [(m.name, m.unexcused) for m in figures.cells[0].at_risk] == [("Chi bộ Cuối năm 3", 3)]
    assert "• Chi bộ Cuối năm 3 (Chi bộ Cuối năm): 3 lần" in vi(report.summary_text(figures))
