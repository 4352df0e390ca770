"""An organisation's archive: every recorded meeting's minutes, the papers handed in, and
the years' workbooks, as one ZIP, so that its records outlive the tool.

The ZIP is written entry by entry into a file the caller gives (on disk, or spooled to disk
past a size): a stored paper is copied from the file store in chunks, a minutes document or
a workbook is made one at a time, so memory holds one entry, never the whole archive. Names
are the same for the same records: by year, cell (its name made safe, and its number, so
two names made alike stay apart), date and meeting."""

from __future__ import annotations

import shutil
import zipfile
from datetime import datetime
from typing import IO

from sqlalchemy.ext.asyncio import AsyncSession

from domain.calendar import Month
from domain.papers import safe_file_name
from domain.record import YearRecord
from services.config import ServiceSettings
from services.digest.figures import Render
from services.errors import refused
from services.minutes.export import minutes_file, record_of
from services.record.year import workbook_file, year_period, year_record
from storage.db import Database
from storage.files import FileStore
from storage.models import Cell, Organisation
from storage.queries.cells import cells_of_organisation
from storage.queries.onboarding import organisation_named
from storage.queries.record import recorded_meetings_between, submitted_papers_between

# Every entry carries this moment, not the time of writing: the same records, the same ZIP.
ENTRY_TIME = (1980, 1, 1, 0, 0, 0)
COPY_CHUNK = 1024 * 1024


def archive_years(
    organisation: Organisation, year: int | None, now: datetime, settings: ServiceSettings
) -> list[int]:
    """The year asked for, or every year from the organisation's first to this one."""
    if year is not None:
        return [year]
    first = Month.of(organisation.created_at, settings.zone).year
    return list(range(first, Month.of(now, settings.zone).year + 1))


async def write_archive(
    database: Database,
    organisation: Organisation,
    cell_ids: set[int] | None,
    years: list[int],
    target: IO[bytes],
    *,
    now: datetime,
    settings: ServiceSettings,
    render: Render,
    store: FileStore,
) -> list[str]:
    """Writes the archive of the organisation's cells (only ``cell_ids`` when given) for
    ``years`` into ``target``; returns the names of its entries, in order."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        writer = _Writer(archive, store)
        for year in years:
            async with database.transaction() as session:
                await _year(session, writer, organisation, cell_ids, year, now, settings, render)
    return writer.names


class _Writer:
    """Adds entries to the ZIP, each stamped with the same moment, and keeps their names."""

    def __init__(self, archive: zipfile.ZipFile, store: FileStore) -> None:
        self.archive = archive
        self.store = store
        self.names: list[str] = []

    def _info(self, name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=ENTRY_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        self.names.append(name)
        return info

    def made(self, name: str, content: bytes) -> None:
        self.archive.writestr(self._info(name), content)

    def stored(self, name: str, sha256: str) -> None:
        with (
            self.store.path(sha256).open("rb") as source,
            self.archive.open(self._info(name), "w") as entry,
        ):
            shutil.copyfileobj(source, entry, COPY_CHUNK)


def name_part(name: str) -> str:
    """A cell's, an organisation's or a member's name as part of a file's: a slash in it is
    no folder, and what is unsafe in a file name goes."""
    return safe_file_name(name.replace("/", "-").replace("\\", "-"))


def cell_folder(cell: Cell) -> str:
    """Named and numbered: two names made alike by ``name_part`` stay two folders."""
    return f"{name_part(cell.name)} ({cell.id})"


async def _year(
    session: AsyncSession,
    writer: _Writer,
    organisation: Organisation,
    cell_ids: set[int] | None,
    year: int,
    now: datetime,
    settings: ServiceSettings,
    render: Render,
) -> None:
    record = await year_record(session, organisation, cell_ids, year, now, settings, render)
    whole = workbook_file(record, render, name_part(organisation.name))
    writer.made(f"{year}/{whole.file_name}", whole.content)
    cells = {
        cell.id: cell for cell in await cells_of_organisation(session, organisation.id, cell_ids)
    }
    for cell_year in record.cells:
        cell = cells[cell_year.figures.cell_id]
        one = workbook_file(
            YearRecord(record.organisation, year, record.period, [cell_year]),
            render,
            name_part(cell.name),
        )
        writer.made(f"{year}/{cell_folder(cell)}/{one.file_name}", one.content)
    period = year_period(year, now, settings)
    for meeting in await recorded_meetings_between(
        session, organisation.id, cell_ids, period.start, period.end
    ):
        cell = cells[meeting.cell_id]
        minutes = minutes_file(await record_of(session, meeting, cell, settings), render, settings)
        writer.made(f"{year}/{cell_folder(cell)}/{minutes.file_name}", minutes.content)
    numbers: dict[int, int] = {}  # each meeting's papers numbered in the order assigned
    for paper in await submitted_papers_between(
        session, organisation.id, cell_ids, period.start, period.end
    ):
        numbers[paper.meeting_id] = numbers.get(paper.meeting_id, 0) + 1
        day = paper.meeting_starts_at.astimezone(settings.zone)
        writer.stored(
            f"{year}/{cell_folder(cells[paper.cell_id])}/"
            f"tham-luan-{day:%Y%m%d}-{paper.meeting_id}/"
            f"{numbers[paper.meeting_id]:02d} - {name_part(paper.name)} - "
            f"{safe_file_name(paper.file_name)}",
            paper.sha256,
        )


async def export_organisation(
    database: Database,
    name: str,
    year: int | None,
    target: IO[bytes],
    *,
    now: datetime,
    settings: ServiceSettings,
    render: Render,
    store: FileStore,
) -> list[str]:
    """`chibo org export`: the named organisation's archive, of one year or of every year,
    written into ``target``; returns its entries' names."""
    async with database.transaction() as session:
        organisation = await organisation_named(session, name)
    if organisation is None:
        raise refused("record.no_such_organisation", name=name)
    return await write_archive(
        database,
        organisation,
        None,
        archive_years(organisation, year, now, settings),
        target,
        now=now,
        settings=settings,
        render=render,
        store=store,
    )
