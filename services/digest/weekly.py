"""The weekly digest: on Monday at 07:00 (or on the first run after), every supervisor's
digest of the week that ended is queued once, with its chart and workbook."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from domain.digest import DigestFigures, Period, digest_moment, last_week
from domain.messages import Attachment, Text
from services import outbox
from services.config import ServiceSettings
from services.digest.figures import Render, cells_figures
from services.digest.report import period_label, render_files, summary_text
from storage.db import Database
from storage.files import FileStore
from storage.models import Organisation
from storage.queries.digest import organisations_by_id, people_by_id, queued_keys
from storage.repositories import supervisor_scopes


async def queue_weekly(
    database: Database,
    now: datetime,
    settings: ServiceSettings,
    render_for: Callable[[str], Render],
    files: FileStore,
) -> int:
    """Queue this week's digest for every supervisor once (Monday 07:00, or on return).

    Each cell's figures are counted once per organisation and language, for all the cells
    its supervisors look at together, and each supervisor's digest is put together from
    those of their cells: a province's few hundred supervisors share its cells, and
    counting them again for each took minutes. Each distinct scope's chart and workbook
    are drawn once, in a worker thread with no transaction open (seconds for a province:
    the event loop stays free and no lock is held), then each supervisor's three messages
    are queued together under keys that make a second replica's or a retried run's copy a
    no-op.
    """
    if now < digest_moment(now, settings.zone):
        return 0
    period = last_week(now, settings.zone)
    week = f"{period.start.astimezone(settings.zone):%G-W%V}"
    label = period_label(period, settings.zone)
    async with database.transaction() as session:
        due = await _due_digests(session, period, week, settings)
    queued = 0
    for (organisation, lang), sharing in _grouped(due, lambda d: (d.organisation, d.lang)):
        render = render_for(lang)
        async with database.transaction() as session:
            counted = await cells_figures(
                session,
                organisation,
                _cells_of_all(sharing),
                period,
                now,
                settings,
                render,
                label,
            )
        for cell_ids, alike in _grouped(sharing, _scope_key):
            digest = counted.digest(None if cell_ids is None else set(cell_ids))
            attachments = await asyncio.to_thread(render_files, digest, render, f"chibo-{week}")
            for digest_due in alike:
                async with database.transaction() as session:
                    queued += await _queue_digest(
                        session, digest_due, digest, attachments, files, now
                    )
    return queued


@dataclass(frozen=True)
class DueDigest:
    key: str  # the outbox key: one per supervisor, organisation and week
    chat_id: int
    lang: str
    organisation: Organisation
    cell_ids: set[int] | None  # None: every cell of the organisation


Key = TypeVar("Key", bound=Hashable)


def _grouped(
    due: list[DueDigest], key: Callable[[DueDigest], Key]
) -> list[tuple[Key, list[DueDigest]]]:
    """The digests by ``key``, each group in the order of its first digest."""
    groups: dict[Key, list[DueDigest]] = {}
    for digest_due in due:
        groups.setdefault(key(digest_due), []).append(digest_due)
    return list(groups.items())


def _scope_key(due: DueDigest) -> frozenset[int] | None:
    return None if due.cell_ids is None else frozenset(due.cell_ids)


def _cells_of_all(due: list[DueDigest]) -> set[int] | None:
    """The cells any of these digests covers (None: every cell of the organisation)."""
    cells: set[int] = set()
    for digest_due in due:
        if digest_due.cell_ids is None:
            return None
        cells |= digest_due.cell_ids
    return cells


async def _due_digests(
    session: AsyncSession, period: Period, week: str, settings: ServiceSettings
) -> list[DueDigest]:
    """The digests of the week not queued yet."""
    scoped = await supervisor_scopes(session)
    if not scoped:
        return []
    done = await queued_keys(session, {f"digest:{p}:{o}:{week}" for p, o in scoped})
    people = await people_by_id(session, [p for p, _ in scoped])
    organisations = await organisations_by_id(session, [o for _, o in scoped])
    due = []
    for (person_id, organisation_id), cell_ids in sorted(scoped.items()):
        key = f"digest:{person_id}:{organisation_id}:{week}"
        organisation = organisations[organisation_id]
        if key in done or organisation.created_at >= period.end:
            continue  # queued already, or a week before the organisation existed
        person = people[person_id]
        lang = person.language or settings.default_language
        due.append(DueDigest(key, person.telegram_user_id, lang, organisation, cell_ids))
    return due


async def _queue_digest(
    session: AsyncSession,
    due: DueDigest,
    digest: DigestFigures,
    attachments: tuple[Attachment, ...],
    files: FileStore,
    now: datetime,
) -> int:
    """The summary and its files, in one transaction; 0 if another run queued them first."""
    key, chat_id, lang = due.key, due.chat_id, due.lang
    if not await outbox.enqueue_message(
        session, key=key, chat_id=chat_id, text=summary_text(digest), lang=lang, now=now
    ):
        return 0
    for attachment in attachments:
        await outbox.enqueue(
            session,
            key=f"{key}:{attachment.file_name.rsplit('.', 1)[1]}",
            chat_id=chat_id,
            method="sendDocument",
            payload={
                "lang": lang,
                "stored": files.put(attachment.content),
                "filename": attachment.file_name,
                "caption": Text("digest.file_caption", {"period": digest.period}).to_json(),
            },
            due_at=now,
            now=now,
        )
    return 1
