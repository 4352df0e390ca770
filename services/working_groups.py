"""Working groups (tổ công tác): supervisors assigned to attend a cell's meeting, who send back
observations and recommendations that the secretary sees and the next digest includes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.meetings import MeetingStatus
from domain.messages import Reply, Text
from domain.permissions import can_supervise_cell
from services import actions, outbox, pending
from services.config import ServiceSettings
from services.errors import refused
from services.people import Caller, require_person
from services.views import KIND_TEXT, summary
from storage.db import Database
from storage.models import Cell, Meeting, MeetingObserver, Person, SupervisorScope
from storage.repositories import cell_managers

ASK_REPORT = "observer.report"
MAX_REPORT = 4000


async def _supervised_cell(
    session: AsyncSession, caller: Caller, cell_id: int
) -> tuple[Person, Cell]:
    person, actor = await require_person(session, caller)
    cell = await session.get(Cell, cell_id)
    if cell is None or not can_supervise_cell(actor, cell.id, cell.organisation_id):
        raise refused("error.not_supervisor")
    return person, cell


async def cell_meetings(database: Database, caller: Caller, cell_id: int, now: datetime) -> Reply:
    """A cell's coming meetings, to send someone from the working group to one."""
    async with database.transaction() as session:
        make_button = actions.ButtonMaker(session, caller.telegram_user_id, now)
        _, cell = await _supervised_cell(session, caller, cell_id)
        meetings = (
            await session.scalars(
                select(Meeting)
                .where(
                    Meeting.cell_id == cell.id,
                    Meeting.status == MeetingStatus.SCHEDULED,
                    Meeting.starts_at > now,
                )
                .order_by(Meeting.starts_at)
                .limit(10)
            )
        ).all()
        if not meetings:
            return Reply(Text("observer.no_meetings", {"cell": cell.name}))
        rows = [
            (
                await make_button(
                    Text("meetings.open", {"when": m.starts_at, "kind": Text(KIND_TEXT[m.kind])}),
                    "observer.meeting",
                    meeting_id=m.id,
                ),
            )
            for m in meetings
        ]
        return Reply(Text("observer.pick_meeting", {"cell": cell.name}), tuple(rows))


async def _supervisors_of(session: AsyncSession, cell: Cell) -> list[Person]:
    return list(
        (
            await session.scalars(
                select(Person)
                .join(SupervisorScope, SupervisorScope.person_id == Person.id)
                .where(
                    (SupervisorScope.cell_id == cell.id)
                    | (
                        (SupervisorScope.organisation_id == cell.organisation_id)
                        & SupervisorScope.cell_id.is_(None)
                    )
                )
                .distinct()
                .order_by(Person.full_name)
            )
        ).all()
    )


async def pick_observer(
    database: Database, caller: Caller, meeting_id: int, now: datetime
) -> Reply:
    async with database.transaction() as session:
        make_button = actions.ButtonMaker(session, caller.telegram_user_id, now)
        meeting = await session.get(Meeting, meeting_id)
        if meeting is None:
            raise refused("error.stale_button")
        _, cell = await _supervised_cell(session, caller, meeting.cell_id)
        rows = [
            (
                await make_button(
                    Text("common.person_button", {"name": person.full_name}),
                    "observer.assign",
                    meeting_id=meeting.id,
                    person_id=person.id,
                ),
            )
            for person in await _supervisors_of(session, cell)
        ]
        return Reply(
            Text("observer.pick_person", {"summary": summary(meeting, cell.name)}), tuple(rows)
        )


async def assign(
    database: Database,
    caller: Caller,
    meeting_id: int,
    person_id: int,
    now: datetime,
    settings: ServiceSettings,
) -> Reply:
    async with database.transaction() as session:
        meeting = await session.get(Meeting, meeting_id)
        if meeting is None or meeting.status is MeetingStatus.CANCELLED:
            raise refused("error.stale_button")
        assigner, cell = await _supervised_cell(session, caller, meeting.cell_id)
        observer = next(
            (p for p in await _supervisors_of(session, cell) if p.id == person_id), None
        )
        if observer is None:
            raise refused("error.stale_button")
        exists = await session.scalar(
            select(MeetingObserver.id).where(
                MeetingObserver.meeting_id == meeting.id, MeetingObserver.person_id == observer.id
            )
        )
        if exists is None:
            session.add(
                MeetingObserver(
                    meeting_id=meeting.id,
                    person_id=observer.id,
                    assigned_by_person_id=assigner.id,
                    assigned_at=now,
                )
            )
            await outbox.enqueue_message(
                session,
                key=f"observer:{meeting.id}:{observer.id}",
                chat_id=observer.telegram_user_id,
                text=Text("observer.assigned", {"summary": summary(meeting, cell.name)}),
                lang=observer.language or settings.default_language,
                now=now,
            )
            for manager in await cell_managers(session, cell.id):
                await outbox.enqueue_message(
                    session,
                    key=f"observer-notice:{meeting.id}:{observer.id}:{manager.id}",
                    chat_id=manager.telegram_user_id,
                    text=Text(
                        "observer.secretary_notice",
                        {
                            "name": observer.full_name,
                            "summary": summary(meeting, cell.name),
                        },
                    ),
                    lang=manager.language or settings.default_language,
                    now=now,
                )
        return Reply(
            Text(
                "observer.done",
                {"name": observer.full_name, "summary": summary(meeting, cell.name)},
            )
        )


async def ask_report(database: Database, caller: Caller, meeting_id: int, now: datetime) -> Reply:
    async with database.transaction() as session:
        await _observer(session, caller, meeting_id)
        await pending.ask(
            session,
            caller=caller,
            kind=ASK_REPORT,
            payload={"meeting_id": meeting_id},
            now=now,
        )
        return Reply(Text("observer.ask_report"))


async def _observer(
    session: AsyncSession, caller: Caller, meeting_id: int
) -> tuple[Person, MeetingObserver]:
    person, _ = await require_person(session, caller)
    observer = await session.scalar(
        select(MeetingObserver).where(
            MeetingObserver.meeting_id == meeting_id, MeetingObserver.person_id == person.id
        )
    )
    if observer is None:
        raise refused("error.stale_button")
    return person, observer


async def report(
    database: Database,
    caller: Caller,
    meeting_id: int,
    typed: str,
    now: datetime,
    settings: ServiceSettings,
) -> Reply:
    text = typed.strip()
    if not text or len(text) > MAX_REPORT:
        raise refused("minutes.bad_text", max=MAX_REPORT)
    async with database.transaction() as session:
        person, observer = await _observer(session, caller, meeting_id)
        observer.observations, observer.observed_at = text, now
        meeting = await session.get(Meeting, meeting_id)
        cell = await session.get(Cell, meeting.cell_id) if meeting else None
        assert meeting is not None and cell is not None
        for manager in await cell_managers(session, cell.id):
            await outbox.enqueue_message(
                session,
                key=f"observations:{observer.id}:{now.timestamp()}:{manager.id}",
                chat_id=manager.telegram_user_id,
                text=Text(
                    "observer.report_notice",
                    {
                        "name": person.full_name,
                        "summary": summary(meeting, cell.name),
                        "text": text,
                    },
                ),
                lang=manager.language or settings.default_language,
                now=now,
            )
        await pending.forget(session, caller=caller)
        return Reply(Text("observer.thanks"))
