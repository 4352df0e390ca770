"""A year's figures, per cell and member, from the digest's figures over the year and the
dashboard's rolls: one way of counting, whoever reads them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from domain.dashboard import Lens
from domain.digest import Period
from domain.messages import N_, Attachment, Text
from domain.record import CellYear, MemberYear, YearLabels, YearRecord
from reports.year_workbook import year_workbook
from services.attendance.marks import marks_over
from services.config import ServiceSettings
from services.dashboard.render import SQUARE_TEXT, THEMATIC_TEXT
from services.digest.figures import Render, digest_figures
from services.digest.report import period_label
from storage.models import Organisation
from storage.queries.record import MemberCount, member_papers_between, member_tasks_between

LABEL_KEYS = {
    "cells_sheet": N_("record.label.cells_sheet"),
    "members_sheet": N_("record.label.members_sheet"),
    "organisation": N_("record.label.organisation"),
    "year": N_("record.label.year"),
    "period": N_("record.label.period"),
    "figures_note": N_("record.label.figures_note"),
    "cell": N_("record.label.cell"),
    "member": N_("record.label.member"),
    "on_time": N_("record.label.on_time"),
    "late": N_("record.label.late"),
    "missed": N_("record.label.missed"),
    "meetings": N_("record.label.meetings"),
    "minutes_recorded": N_("record.label.minutes_recorded"),
    "expected": N_("record.label.expected"),
    "present": N_("record.label.present"),
    "excused": N_("record.label.excused"),
    "unexcused": N_("record.label.unexcused"),
    "attendance": N_("record.label.attendance"),
    "papers_assigned": N_("record.label.papers_assigned"),
    "papers_submitted": N_("record.label.papers_submitted"),
    "tasks_given": N_("record.label.tasks_given"),
    "tasks_done": N_("record.label.tasks_done"),
    "empty": N_("record.label.empty"),
}


def year_period(year: int, now: datetime, settings: ServiceSettings) -> Period:
    """The year as the dashboard looks at it: whole once over, else up to this month's end."""
    return Lens(year).period(now, settings.zone)


async def year_record(
    session: AsyncSession,
    organisation: Organisation,
    cell_ids: set[int] | None,
    year: int,
    now: datetime,
    settings: ServiceSettings,
    render: Render,
) -> YearRecord:
    """The year of the organisation's cells (only ``cell_ids`` when given): the digest's
    figures over the year, and each member's marks, papers and tasks (of those who left
    during the year too, whose marks still count)."""
    period = year_period(year, now, settings)
    label = period_label(period, settings.zone)
    digest = await digest_figures(
        session, organisation, cell_ids, period, now, settings, render, label
    )
    cells = []
    for figures in digest.cells:
        members = await _members_year(session, figures.cell_id, period)
        cells.append(CellYear(figures, members))
    return YearRecord(organisation.name, year, label, cells)


async def _members_year(session: AsyncSession, cell_id: int, period: Period) -> list[MemberYear]:
    papers = _by_person(await member_papers_between(session, cell_id, period.start, period.end))
    tasks = _by_person(await member_tasks_between(session, cell_id, period.start, period.end))
    members = []
    for person_id, attendance in await marks_over(session, cell_id, period):
        paper, task = papers.get(person_id), tasks.get(person_id)
        members.append(
            MemberYear(
                attendance,
                papers_assigned=paper.given if paper else 0,
                papers_submitted=paper.done if paper else 0,
                tasks_given=task.given if task else 0,
                tasks_done=task.done if task else 0,
            )
        )
    return members


def _by_person(counts: list[MemberCount]) -> dict[int, MemberCount]:
    return {count.person_id: count for count in counts}


def labels(render: Render) -> YearLabels:
    return YearLabels(
        **{name: render(Text(key)) for name, key in LABEL_KEYS.items()},
        quarter_of=lambda q: render(Text("record.label.quarter", {"quarter": q})),
        squares={square: render(Text(key)) for square, key in SQUARE_TEXT.items()},
        thematic={square: render(Text(key)) for square, key in THEMATIC_TEXT.items()},
    )


def workbook_file(record: YearRecord, render: Render, stem: str) -> Attachment:
    """The year's workbook, named ``<stem>-<year>.xlsx``."""
    return Attachment(f"{stem}-{record.year}.xlsx", year_workbook(record, labels(render)))
