"""The digest's "not planned by the plan-by day" reason, on hand-built cells: only past the
day, only where the organisation has one, only for cells that existed on it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update

from chat.i18n import Translator
from domain.digest import BehindReason, CellFigures, last_week
from domain.meetings import MeetingKind, MeetingStatus
from services.digest.figures import digest_figures
from storage.db import Database
from storage.models import Meeting, Organisation
from tests.conftest import VIETNAM
from tests.test_digest import SETTINGS, Quarter, render


def local(month: int, day: int, hour: int = 9, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, 0, tzinfo=VIETNAM)


async def build(database: Database, plan_due_day: int | None) -> Organisation:
    """Cells A (January planned), B (nothing), C (January's meeting cancelled), D (created
    after the plan-by day), each with November's and December's meetings held on time."""
    q = Quarter(database)
    organisation = await q.organisation()
    cells = {
        name: await q.cell(organisation, f"Chi bộ {name}", 3, created_at=local(9, 1))
        for name in "ABC"
    }
    cells["D"] = await q.cell(organisation, "Chi bộ D", 3, created_at=local(12, 22))
    for name in "ABC":
        for month in (11, 12):
            await q.meeting(cells[name], MeetingKind.REGULAR, local(month, 5, 19), None)
    await q.meeting(cells["A"], MeetingKind.REGULAR, local(1, 8, 19, year=2027), None)
    cancelled = await q.meeting(cells["C"], MeetingKind.REGULAR, local(1, 8, 19, year=2027), None)
    async with database.transaction() as session:
        await session.execute(
            update(Meeting).where(Meeting.id == cancelled).values(status=MeetingStatus.CANCELLED)
        )
        await session.execute(update(Organisation).values(plan_due_day=plan_due_day))
        stored = await session.get(Organisation, organisation.id, populate_existing=True)
    assert stored is not None
    return stored


async def cells_at(
    database: Database, organisation: Organisation, now: datetime, translate: Translator | None
) -> dict[str, CellFigures]:
    say = render if translate is None else (lambda text: translate.render(text, "vi"))
    async with database.transaction() as session:
        figures = await digest_figures(
            session, organisation, None, last_week(now, VIETNAM), now, SETTINGS, say, ""
        )
    return {cell.name: cell for cell in figures.cells}


def unplanned(cells: dict[str, CellFigures]) -> list[str]:
    return sorted(name for name, cell in cells.items() if BehindReason.NOT_PLANNED in cell.reasons)


async def test_cells_without_next_month_planned_past_the_plan_by_day(database: Database) -> None:
    organisation = await build(database, plan_due_day=20)
    # The plan-by day (20 December) is not over yet.
    assert unplanned(await cells_at(database, organisation, local(12, 20, 23), None)) == []
    # Past it: B has nothing, C only a cancelled meeting; D did not exist on the 20th.
    translate = Translator(VIETNAM, "vi")
    cells = await cells_at(database, organisation, local(12, 28, 7), translate)
    assert unplanned(cells) == ["Chi bộ B", "Chi bộ C"]
    # Said with the month and the day, among the regular meeting's reasons, before the
    # quarter's (B owes this quarter's thematic meeting too, with days left).
    b = cells["Chi bộ B"]
    assert b.reasons == [BehindReason.NOT_PLANNED, BehindReason.NO_THEMATIC]
    assert b.behind[0].label == (
        "chưa đăng ký kế hoạch sinh hoạt thường kỳ tháng 01/2027 (hạn CN 20/12)"
    )
    # Into January, until its cutoff (the 10th): then the meeting itself is judged.
    early_january = await cells_at(database, organisation, local(1, 4, 7, year=2027), None)
    assert unplanned(early_january) == ["Chi bộ B", "Chi bộ C"]
    after_cutoff = await cells_at(database, organisation, local(1, 11, 7, year=2027), None)
    assert unplanned(after_cutoff) == []
    assert BehindReason.NO_REGULAR_AT_CUTOFF in after_cutoff["Chi bộ B"].reasons


async def test_no_such_reason_without_a_plan_by_day(database: Database) -> None:
    organisation = await build(database, plan_due_day=None)
    for now in (local(12, 28, 7), local(1, 4, 7, year=2027)):
        assert unplanned(await cells_at(database, organisation, now, None)) == []
