"""Warnings to a cell's secretary and deputies that a meeting it owes is not planned: the
month's regular meeting before the cutoff, the quarter's thematic one, next month's regular
meeting before the organisation's plan-by day. A cell with neither is listed to its
supervisors instead, since only they can appoint one."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from domain.calendar import (
    DueWarning,
    Month,
    cutoff_date,
    cutoff_warning,
    is_after_cutoff,
    owes_month,
    owes_quarter,
    plan_due_date,
    plan_due_warning,
    quarter_warning,
)
from domain.meetings import MeetingKind
from domain.messages import N_, ArgValue, Text
from services.planner.context import Planning
from storage.models import Cell
from storage.queries import planner as queries
from storage.repositories import supervisor_scopes

# A warning that lists cells names this many; the rest are counted.
CELLS_LISTED = 20


@dataclass(frozen=True)
class _Warning:
    """One kind of warning: ``occasion`` and ``details`` are the same for every cell of an
    organisation: what makes the outbox key unique (with ``kind``), and the message's
    arguments."""

    kind: str
    occasion: Callable[[Cell], str]
    details: Callable[[Cell], dict[str, ArgValue]]
    to_managers: str
    to_supervisors: str


@dataclass(frozen=True)
class _Cutoffs:
    """The organisations whose cutoff warning is due now (by id), and the first regular
    meeting of each cell in the month warned of."""

    due: dict[int, tuple[Month, DueWarning]]
    cutoff_days: dict[int, int]
    first_meeting: dict[tuple[int, Month], datetime]

    def occasion(self, cell: Cell) -> str:
        month, warning = self.due[cell.organisation_id]
        return f"{month.key}:{warning.days_before}"

    def details(self, cell: Cell) -> dict[str, ArgValue]:
        month, _ = self.due[cell.organisation_id]
        return {
            "month": month.label,
            "cutoff": cutoff_date(month, self.cutoff_days[cell.organisation_id]),
        }

    def late_details(self, cell: Cell) -> dict[str, ArgValue]:
        month, _ = self.due[cell.organisation_id]
        return {**self.details(cell), "when": self.first_meeting[(cell.id, month)]}


async def _cutoffs_due(plan: Planning) -> _Cutoffs | None:
    zone = plan.settings.zone
    cutoff_days = await queries.cutoff_days_of_organisations(plan.session)
    due = {
        organisation_id: found
        for organisation_id, cutoff_day in cutoff_days.items()
        if (found := cutoff_warning(plan.now, cutoff_day, zone)) is not None
    }
    if not due:
        return None
    months = {month for month, _ in due.values()}
    start = min(month.bounds(zone)[0] for month in months)
    end = max(month.bounds(zone)[1] for month in months)
    first_meeting: dict[tuple[int, Month], datetime] = {}
    for cell_id, starts_at in sorted(
        await queries.meeting_starts_between(plan.session, MeetingKind.REGULAR, start, end),
        key=lambda row: row[1],
    ):
        first_meeting.setdefault((cell_id, Month.of(starts_at, zone)), starts_at)
    return _Cutoffs(due, cutoff_days, first_meeting)


async def cutoff_warnings(plan: Planning) -> None:
    """No regular meeting planned for the month, five days and one day before the
    cutoff."""
    cutoffs = await _cutoffs_due(plan)
    if cutoffs is None:
        return
    zone = plan.settings.zone
    # A meeting after the cutoff counts as late: the cell is warned of that, not spared.
    unplanned: list[Cell] = []
    planned_late: list[Cell] = []
    for cell in await queries.cells_of_organisations(plan.session, cutoffs.due):
        month, _ = cutoffs.due[cell.organisation_id]
        cutoff_day = cutoffs.cutoff_days[cell.organisation_id]
        if not owes_month(cell.created_at, month, cutoff_day, zone):
            continue
        planned = cutoffs.first_meeting.get((cell.id, month))
        if planned is None:
            unplanned.append(cell)
        elif is_after_cutoff(planned, cutoff_day, zone):
            planned_late.append(cell)
    await _warn(
        plan,
        unplanned,
        _Warning(
            "warn-cutoff",
            cutoffs.occasion,
            cutoffs.details,
            N_("warn.cutoff"),
            N_("warn.cutoff.leaderless"),
        ),
    )
    await _warn(
        plan,
        planned_late,
        _Warning(
            "warn-cutoff-late",
            cutoffs.occasion,
            cutoffs.late_details,
            N_("warn.cutoff.after"),
            N_("warn.cutoff.after.leaderless"),
        ),
    )


async def plan_due_warnings(plan: Planning) -> None:
    """Next month's regular meeting not planned yet, three days and one day before the
    organisation's plan-by day (only where it has one)."""
    zone = plan.settings.zone
    plan_due_days = await queries.plan_due_days_of_organisations(plan.session)
    due = {
        organisation_id: found
        for organisation_id, day in plan_due_days.items()
        if (found := plan_due_warning(plan.now, day, zone)) is not None
    }
    if not due:
        return
    months = {month for month, _ in due.values()}
    planned = {
        (cell_id, Month.of(starts_at, zone))
        for cell_id, starts_at in await queries.meeting_starts_between(
            plan.session,
            MeetingKind.REGULAR,
            min(month.bounds(zone)[0] for month in months),
            max(month.bounds(zone)[1] for month in months),
        )
    }
    unplanned = [
        cell
        for cell in await queries.cells_of_organisations(plan.session, due)
        if (cell.id, due[cell.organisation_id][0]) not in planned
    ]

    def occasion(cell: Cell) -> str:
        month, warning = due[cell.organisation_id]
        return f"{month.key}:{warning.days_before}"

    def details(cell: Cell) -> dict[str, ArgValue]:
        month, _ = due[cell.organisation_id]
        return {
            "month": month.label,
            "deadline": plan_due_date(month, plan_due_days[cell.organisation_id]),
        }

    await _warn(
        plan,
        unplanned,
        _Warning(
            "warn-plan-due",
            occasion,
            details,
            N_("warn.plan_due"),
            N_("warn.plan_due.leaderless"),
        ),
    )


async def quarter_warnings(plan: Planning) -> None:
    """No thematic meeting planned in the quarter, with 30 and 14 days left."""
    zone = plan.settings.zone
    found = quarter_warning(plan.now, zone)
    if found is None:
        return
    quarter, warning = found
    start, end = quarter.bounds(zone)
    covered = {
        cell_id
        for cell_id, _ in await queries.meeting_starts_between(
            plan.session, MeetingKind.THEMATIC, start, end
        )
    }
    owing = [
        cell
        for cell in await queries.all_cells(plan.session)
        if cell.id not in covered and owes_quarter(cell.created_at, quarter, zone)
    ]
    # A secretary who has just joined, alone, cannot hold a meeting yet: warned once the
    # cell has members. A cell without a secretary is its supervisors' to act on at once.
    with_members = await queries.cells_with_members(plan.session)
    managed = await plan.managers(cell.id for cell in owing)
    cells = [cell for cell in owing if cell.id in with_members or not managed.get(cell.id)]
    details: dict[str, ArgValue] = {"quarter": quarter.label, "days": warning.days_before}
    await _warn(
        plan,
        cells,
        _Warning(
            "warn-quarter",
            lambda _: f"{quarter.key}:{warning.days_before}",
            lambda _: details,
            N_("warn.quarter"),
            N_("warn.quarter.leaderless"),
        ),
    )


async def _warn(plan: Planning, cells: list[Cell], warning: _Warning) -> None:
    """Warn each cell's secretary and deputies; cells with neither are listed to their
    supervisors."""
    managers = await plan.managers(cell.id for cell in cells)
    leaderless: dict[int, list[Cell]] = defaultdict(list)
    for cell in cells:
        if not managers.get(cell.id):
            leaderless[cell.organisation_id].append(cell)
        await plan.tell_managers(
            managers,
            cell.id,
            f"{warning.kind}:{cell.id}:{warning.occasion(cell)}",
            Text(warning.to_managers, {"cell": cell.name, **warning.details(cell)}),
        )
    if leaderless:
        await _warn_supervisors(plan, leaderless, warning)


async def _warn_supervisors(
    plan: Planning, leaderless: dict[int, list[Cell]], warning: _Warning
) -> None:
    """One message per supervisor and organisation, however many cells it names."""
    reach = await supervisor_scopes(plan.session)
    people = await queries.people_by_id(plan.session, (person_id for person_id, _ in reach))
    for (person_id, organisation_id), scope in sorted(reach.items()):
        theirs = [
            cell
            for cell in leaderless.get(organisation_id, [])
            if scope is None or cell.id in scope
        ]
        if theirs:
            first = theirs[0]
            await plan.tell(
                f"{warning.kind}-leaderless:{organisation_id}:{warning.occasion(first)}:{person_id}",
                people[person_id],
                Text(
                    warning.to_supervisors, {"cells": _cell_list(theirs), **warning.details(first)}
                ),
            )


def _cell_list(cells: list[Cell]) -> list[Text]:
    """A list of cells in a message: the first few by name, then how many more."""
    named = sorted(cells, key=lambda cell: cell.name)[:CELLS_LISTED]
    lines = [Text("warn.cell_line", {"cell": cell.name}) for cell in named]
    if len(cells) > len(named):
        lines.append(Text("warn.more_cells", {"count": len(cells) - len(named)}))
    return lines
