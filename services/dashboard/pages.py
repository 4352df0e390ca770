"""The dashboard's pages as figures: the organisation's overview, a cell's year, and its
minutes to download. Every figure is the digest's own (``digest_figures``), for the
period the page looks at."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from domain.dashboard import (
    Lens,
    MemberAttendance,
    NoSuchView,
    Page,
    years_to_choose,
)
from domain.digest import CellFigures, DigestFigures, MonthTotals, looked_at_first, month_totals
from domain.freshness import figures_valid_until
from domain.messages import Attachment, Text
from domain.webapp import WebAppUser
from services import outbox
from services.attendance.marks import marks_over
from services.config import ServiceSettings
from services.dashboard.access import Denial, Sight, sight_of, visible_cell
from services.dashboard.kept import Currency, Earlier, Kept
from services.digest.figures import CellsFigures, Render, cells_figures
from services.digest.report import period_label
from services.minutes.export import minutes_file, record_of
from services.views import summary
from storage.db import Database
from storage.files import FileStore
from storage.models import Cell, Meeting, Organisation
from storage.queries.cells import cells_by_name
from storage.queries.dashboard import figures_stamp

# Beyond a quarter of the cells changed, working out the whole costs no more than the part.
REFIGURED_SHARE = 0.25


@dataclass(frozen=True)
class WebRequest:
    """One dashboard request: the person Telegram vouched for, the moment, the settings,
    a renderer for a language (None: the deployment's default), the store of the files the
    bot sends, and the overviews' figures kept between requests."""

    database: Database
    user: WebAppUser
    now: datetime
    settings: ServiceSettings
    renderer: Callable[[str | None], Render]
    files: FileStore
    overviews: Kept[OverviewFigures]


@dataclass(frozen=True)
class Viewing:
    """Who a page is for: the language it is said in, and whether they supervise what the
    page shows (and so may go back to its organisation's overview)."""

    language: str
    render: Render
    supervises: bool


@dataclass(frozen=True)
class OverviewFigures:
    """An organisation's figures as the overview shows them: its cells' as counted, the
    digest summed from them, the cells to look at first on top, and the totals per month."""

    counted: CellsFigures
    digest: DigestFigures
    ordered: list[CellFigures]
    totals: list[MonthTotals]


@dataclass(frozen=True)
class Overview:
    viewing: Viewing
    organisation: Organisation
    organisations: list[Organisation]  # every one the person supervises, to switch between
    own_cells: list[Cell]  # the cells the person manages, to go to
    lens: Lens
    years: list[int]
    quarters: list[int]
    digest: DigestFigures
    rows: list[CellFigures]  # this page's cells, those to look at first on top
    totals: list[MonthTotals]
    page: Page


@dataclass(frozen=True)
class CellYear:
    viewing: Viewing
    cell: CellFigures
    organisation: Organisation
    year: int
    years: list[int]
    digest: DigestFigures  # the cell's alone: its period and its observations
    members: list[MemberAttendance]


@dataclass(frozen=True)
class OverviewAsked:
    organisation_id: int | None = None
    year: int | None = None
    quarter: int | None = None
    page: int | None = None


def _viewing(web: WebRequest, sight: Sight, supervises: bool) -> Viewing:
    language = sight.language or web.settings.default_language
    return Viewing(language, web.renderer(language), supervises)


async def home(web: WebRequest, asked: OverviewAsked) -> Overview | CellYear:
    """What opening the dashboard shows: a supervisor's organisation as asked, else the
    cell the person manages; a member has no dashboard."""
    async with web.database.transaction() as session:
        sight = await sight_of(session, web.user)
        if sight.supervised:
            return await _overview(session, web, sight, asked)
        if not sight.actor.managed_cells:
            raise sight.deny(Denial.NO_DASHBOARD)
        [cell, *_] = await cells_by_name(session, sight.actor.managed_cells)
        return await _cell_year(session, web, sight, cell, asked.year)


async def cell_year(web: WebRequest, cell_id: int, year: int | None) -> CellYear:
    async with web.database.transaction() as session:
        sight = await sight_of(session, web.user)
        cell = await visible_cell(session, sight, cell_id)
        return await _cell_year(session, web, sight, cell, year)


async def minutes(web: WebRequest, meeting_id: int) -> Attachment:
    """A meeting's recorded minutes as a .docx, for those who may see its cell."""
    async with web.database.transaction() as session:
        shown = await _minutes(session, web, meeting_id)
    return shown.document


@dataclass(frozen=True)
class MinutesSent:
    first_time: bool  # False: these very minutes were sent to the person already
    language: str


async def minutes_to_chat(web: WebRequest, meeting_id: int) -> MinutesSent:
    """The minutes sent by the bot into the person's private chat, where a phone keeps a
    file as any other (a Mini App in Telegram's mobile apps cannot save one)."""
    async with web.database.transaction() as session:
        shown = await _minutes(session, web, meeting_id)
        stored = web.files.put(shown.document.content)
        first_time = await outbox.enqueue(
            session,
            # Once per person and recording of the minutes: the .docx itself differs at each
            # build (its archive's entries carry the moment they were written).
            key=(
                f"dashboard-minutes:{meeting_id}:{web.user.telegram_user_id}:"
                f"{shown.recorded_at.isoformat()}"
            ),
            chat_id=web.user.telegram_user_id,
            method="sendDocument",
            payload={
                "lang": shown.language,
                "stored": stored,
                "filename": shown.document.file_name,
                "caption": Text("minutes.export_caption", {"summary": shown.summary}).to_json(),
            },
            due_at=web.now,
            now=web.now,
        )
    return MinutesSent(first_time, shown.language)


@dataclass(frozen=True)
class _Minutes:
    document: Attachment
    summary: Text  # the meeting, as a caption names it
    language: str
    recorded_at: datetime  # when these minutes were recorded


async def _minutes(session: AsyncSession, web: WebRequest, meeting_id: int) -> _Minutes:
    sight = await sight_of(session, web.user)
    meeting = await session.get(Meeting, meeting_id)
    if meeting is None:
        raise sight.deny(Denial.NOT_YOURS)
    cell = await visible_cell(session, sight, meeting.cell_id)
    if meeting.minutes_recorded_at is None:
        raise sight.deny(Denial.NOT_FOUND)
    record = await record_of(session, meeting, cell, web.settings)
    viewing = _viewing(web, sight, sight.supervises(cell))
    return _Minutes(
        minutes_file(record, viewing.render, web.settings),
        summary(meeting, cell.name),
        viewing.language,
        meeting.minutes_recorded_at,
    )


def _lens(web: WebRequest, sight: Sight, year: int | None, quarter: int | None) -> Lens:
    try:
        return Lens.chosen(year, quarter, web.now, web.settings.zone)
    except NoSuchView as error:
        raise sight.deny(Denial.NOT_FOUND) from error


async def _overview(
    session: AsyncSession, web: WebRequest, sight: Sight, asked: OverviewAsked
) -> Overview:
    organisation, cell_ids = sight.organisation(asked.organisation_id)
    lens = _lens(web, sight, asked.year, asked.quarter)
    viewing = _viewing(web, sight, supervises=True)
    figures = await _overview_figures(session, web, viewing, organisation, cell_ids, lens)
    page = Page.of(asked.page, len(figures.ordered))
    return Overview(
        viewing=viewing,
        organisation=organisation,
        organisations=sorted(sight.organisations.values(), key=lambda o: (o.name, o.id)),
        own_cells=list(await cells_by_name(session, sight.actor.managed_cells)),
        lens=lens,
        years=years_to_choose(web.now, web.settings.zone),
        quarters=lens.quarters(web.now, web.settings.zone),
        digest=figures.digest,
        rows=figures.ordered[page.slice()],
        totals=figures.totals,
        page=page,
    )


async def _overview_figures(
    session: AsyncSession,
    web: WebRequest,
    viewing: Viewing,
    organisation: Organisation,
    cell_ids: set[int] | None,
    lens: Lens,
) -> OverviewFigures:
    """The overview's figures: kept since an earlier request if still current, those of the
    cells changed since worked out again, or all worked out afresh."""
    stamp = await figures_stamp(session, organisation.id, web.now)
    # Its settings as they stand since the stamp, not as read before it: figures worked out
    # from an older cutoff day would be kept under the newer revision.
    await session.refresh(organisation)
    in_scope = {
        cell: revision
        for cell, revision in stamp.cells.items()
        if cell_ids is None or cell in cell_ids
    }

    async def work_out(earlier: Earlier[OverviewFigures] | None) -> OverviewFigures:
        refigure_only = (
            earlier.changed
            if earlier is not None and len(earlier.changed) <= len(in_scope) * REFIGURED_SHARE
            else None
        )
        counted = await _cells_figures(
            session, web, viewing, organisation, refigure_only or cell_ids, lens
        )
        if earlier is not None and refigure_only is not None:
            counted = earlier.value.counted.with_again(counted)
        digest = counted.digest()
        return OverviewFigures(
            counted, digest, looked_at_first(digest.cells), month_totals(digest.cells)
        )

    revision = stamp.revision if stamp.counted else None
    if revision is None:
        # Nothing would tell when kept figures go out of date.
        return await work_out(None)
    return await web.overviews.value(
        (
            organisation.id,
            None if cell_ids is None else frozenset(cell_ids),
            lens,
            viewing.language,
        ),
        Currency(
            revision,
            in_scope,
            web.now,
            figures_valid_until(web.now, web.settings.zone, stamp.coming),
        ),
        work_out,
    )


async def _cell_year(
    session: AsyncSession, web: WebRequest, sight: Sight, cell: Cell, year: int | None
) -> CellYear:
    lens = _lens(web, sight, year, None)
    viewing = _viewing(web, sight, sight.supervises(cell))
    organisation = await session.get(Organisation, cell.organisation_id)
    assert organisation is not None
    counted = await _cells_figures(session, web, viewing, organisation, {cell.id}, lens)
    digest = counted.digest()
    period = lens.period(web.now, web.settings.zone)
    members = [marked.attendance for marked in await marks_over(session, cell.id, period)]
    return CellYear(
        viewing=viewing,
        cell=digest.cells[0],
        organisation=organisation,
        year=lens.year,
        years=years_to_choose(web.now, web.settings.zone),
        digest=digest,
        members=members,
    )


async def _cells_figures(
    session: AsyncSession,
    web: WebRequest,
    viewing: Viewing,
    organisation: Organisation,
    cell_ids: set[int] | None,
    lens: Lens,
) -> CellsFigures:
    period = lens.period(web.now, web.settings.zone)
    return await cells_figures(
        session,
        organisation,
        cell_ids,
        period,
        web.now,
        web.settings,
        viewing.render,
        period_label(period, web.settings.zone),
        speaking_of=lens.moment(web.now, web.settings.zone),
    )
