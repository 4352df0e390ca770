"""The year's record delivered: a secretary's cell workbook from /members, a supervisor's
organisation workbook and archive from /digest, and at the year's end both, on their own."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from domain.calendar import Month
from domain.digest import Period
from domain.messages import Attachment, Reply, Text
from services import outbox
from services.cells.common import cell_of_manager
from services.config import ServiceSettings
from services.digest.figures import Render
from services.errors import refused
from services.people import require_person
from services.record.archive import archive_years, name_part, write_archive
from services.record.year import workbook_file, year_period, year_record
from services.request import Request
from services.routes import button
from storage.db import Database
from storage.files import FileStore
from storage.models import Cell, Organisation, Person
from storage.queries.digest import organisations_by_id, people_by_id, queued_keys
from storage.queries.record import secretaries_of_cells_before
from storage.repositories import supervisor_scopes

# The year just ended is delivered on the first run of the planner in these days of January.
YEAR_END_DAYS = 7
# A bot may upload at most 50 MB to Telegram; a larger archive is the operator's to export.
MAX_CHAT_ARCHIVE = 50 * 1024 * 1024
# The archive is kept in memory up to this size, and spooled to disk past it.
ARCHIVE_IN_MEMORY = 8 * 1024 * 1024


@dataclass(frozen=True)
class OfCell:
    cell_id: int


@button("record.cell_year", OfCell)
async def cell_workbook(request: Request, of: OfCell) -> Reply:
    """The cell's workbook of the year so far, for its secretary or deputy."""
    year = Month.of(request.now, request.settings.zone).year
    async with request.transaction() as session:
        _, actor = await require_person(session, request.caller)
        cell = await cell_of_manager(session, actor, of.cell_id)
        organisation = await session.get(Organisation, cell.organisation_id)
        assert organisation is not None
        record = await year_record(
            session, organisation, {cell.id}, year, request.now, request.settings, request.render
        )
    stem = name_part(cell.name)
    attachment = await asyncio.to_thread(workbook_file, record, request.render, stem)
    return Reply(
        Text("record.caption", {"name": cell.name, "period": record.period}),
        attachments=(attachment,),
    )


@dataclass(frozen=True)
class Nothing:
    pass


async def _supervised(
    session: AsyncSession, request: Request
) -> tuple[Organisation, set[int] | None]:
    """The first of the caller's scopes, as /digest reads it."""
    person, _ = await require_person(session, request.caller)
    mine = await supervisor_scopes(session, [person.id])
    if not mine:
        raise refused("error.not_supervisor")
    (_, organisation_id), cell_ids = sorted(mine.items(), key=lambda kv: kv[0])[0]
    organisation = await session.get(Organisation, organisation_id)
    assert organisation is not None
    return organisation, cell_ids


@button("record.organisation_year", Nothing)
async def organisation_workbook(request: Request, _: Nothing) -> Reply:
    """The organisation's workbook of the year so far (the supervisor's cells)."""
    year = Month.of(request.now, request.settings.zone).year
    async with request.transaction() as session:
        organisation, cell_ids = await _supervised(session, request)
        record = await year_record(
            session, organisation, cell_ids, year, request.now, request.settings, request.render
        )
    stem = name_part(organisation.name)
    attachment = await asyncio.to_thread(workbook_file, record, request.render, stem)
    return Reply(
        Text("record.caption", {"name": organisation.name, "period": record.period}),
        attachments=(attachment,),
    )


@button("record.archive", Nothing)
async def archive(request: Request, _: Nothing) -> Reply:
    """The organisation's archive (the supervisor's cells), every year of it, as one ZIP."""
    async with request.transaction() as session:
        organisation, cell_ids = await _supervised(session, request)
    years = archive_years(organisation, None, request.now, request.settings)
    with tempfile.SpooledTemporaryFile(max_size=ARCHIVE_IN_MEMORY) as spool:
        names = await write_archive(
            request.database,
            organisation,
            cell_ids,
            years,
            spool,
            now=request.now,
            settings=request.settings,
            render=request.render,
            store=request.files.store,
        )
        if spool.tell() > MAX_CHAT_ARCHIVE:
            raise refused("record.archive_too_large", name=organisation.name)
        spool.seek(0)
        content = spool.read()
    return Reply(
        Text("record.archive_caption", {"name": organisation.name, "count": len(names)}),
        attachments=(Attachment(archive_file_name(organisation, years), content),),
    )


def archive_file_name(organisation: Organisation, years: list[int]) -> str:
    span = str(years[0]) if len(years) == 1 else f"{years[0]}-{years[-1]}"
    return f"{name_part(organisation.name)}-{span}.zip"


# --- at the year's end ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Due:
    key: str
    person: Person
    organisation: Organisation
    cell_ids: set[int] | None
    name: str  # the cell's or the organisation's, as the file is named


def year_just_ended(now: datetime, settings: ServiceSettings) -> int | None:
    """The year whose record is due now: in the first days of January, the one before."""
    local = now.astimezone(settings.zone)
    if local.month == 1 and local.day <= YEAR_END_DAYS:
        return local.year - 1
    return None


async def queue_year_end(
    database: Database,
    now: datetime,
    settings: ServiceSettings,
    render_for: Callable[[str], Render],
    files: FileStore,
) -> int:
    """Queue the year just ended's workbook once to each cell's secretary (their cell's) and
    each supervisor (their organisation's), under a key per year and recipient; returns how
    many were newly queued. Read, drawn and queued one at a time, as the weekly digest is."""
    year = year_just_ended(now, settings)
    if year is None:
        return 0
    period = year_period(year, now, settings)
    async with database.transaction() as session:
        due = await _due(session, year, period)
    queued = 0
    for one in due:
        lang = one.person.language or settings.default_language
        render = render_for(lang)
        async with database.transaction() as session:
            record = await year_record(
                session, one.organisation, one.cell_ids, year, now, settings, render
            )
        attachment = await asyncio.to_thread(workbook_file, record, render, name_part(one.name))
        async with database.transaction() as session:
            queued += await outbox.enqueue(
                session,
                key=one.key,
                chat_id=one.person.telegram_user_id,
                method="sendDocument",
                payload={
                    "lang": lang,
                    "stored": files.put(attachment.content),
                    "filename": attachment.file_name,
                    "caption": Text(
                        "record.year_end_caption", {"name": one.name, "year": year}
                    ).to_json(),
                },
                due_at=now,
                now=now,
            )
    return queued


async def _due(session: AsyncSession, year: int, period: Period) -> list[_Due]:
    """The year's workbooks not queued yet, of cells and organisations of that year."""
    wanted: list[_Due] = []
    for cell, person in await secretaries_of_cells_before(session, period.end):
        organisation = await session.get(Organisation, cell.organisation_id)
        assert organisation is not None
        wanted.append(
            _Due(_cell_key(year, cell, person), person, organisation, {cell.id}, cell.name)
        )
    scoped = await supervisor_scopes(session)
    people = await people_by_id(session, [p for p, _ in scoped])
    organisations = await organisations_by_id(session, [o for _, o in scoped])
    for (person_id, organisation_id), cell_ids in sorted(scoped.items()):
        organisation = organisations[organisation_id]
        if organisation.created_at >= period.end:
            continue  # an organisation of a later year has no record of this one
        wanted.append(
            _Due(
                f"record:{year}:organisation:{organisation_id}:{person_id}",
                people[person_id],
                organisation,
                cell_ids,
                organisation.name,
            )
        )
    done = await queued_keys(session, {one.key for one in wanted})
    return [one for one in wanted if one.key not in done]


def _cell_key(year: int, cell: Cell, person: Person) -> str:
    return f"record:{year}:cell:{cell.id}:{person.id}"
