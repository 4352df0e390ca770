"""Repeated absences without reason: the third in a calendar year is reported to the cell's
secretary and deputies and its supervisors, once a year per member."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from domain.attendance import absence_year, repeatedly_absent
from domain.messages import Text
from services import outbox
from services.config import ServiceSettings
from services.views import KIND_TEXT
from storage.models import Cell, Meeting, Person
from storage.queries.attendance import unexcused_absences_between
from storage.queries.cells import supervisors_of_cell
from storage.repositories import cell_managers


async def flag_repeated_absences(
    session: AsyncSession,
    meeting: Meeting,
    cell: Cell,
    people: list[Person],
    now: datetime,
    settings: ServiceSettings,
) -> None:
    """The third absence without reason in a calendar year goes to the secretary and the
    cell's supervisors, once a year per member."""
    if not people:
        return
    year = absence_year(meeting.starts_at, settings.zone)
    counts = await unexcused_absences_between(session, [p.id for p in people], year.start, year.end)
    flagged = repeatedly_absent([p.id for p in people], counts)
    if not flagged:
        return
    by_id = {p.id: p for p in people}
    recipients = {p.id: p for p in await cell_managers(session, cell.id)}
    supervisors = await supervisors_of_cell(session, cell.id, cell.organisation_id)
    recipients.update({p.id: p for p in supervisors})
    for person in (by_id[person_id] for person_id in flagged):
        text = _flag_text(person, cell, meeting, counts[person.id], year.year)
        for recipient in recipients.values():
            await outbox.message_person(
                session,
                recipient,
                key=f"absence-flag:{person.id}:{year.year}:{recipient.id}",
                text=text,
                default_language=settings.default_language,
                now=now,
            )


def _flag_text(person: Person, cell: Cell, meeting: Meeting, count: int, year: int) -> Text:
    return Text(
        "absence.flag",
        {
            "name": person.full_name,
            "cell": cell.name,
            "count": count,
            "year": year,
            "kind": Text(KIND_TEXT[meeting.kind]),
            "when": meeting.starts_at,
        },
    )
