"""Working groups (tổ công tác): supervisors assigned to attend a cell's meeting, who send back
observations and recommendations that the secretary sees and the next digest includes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from domain.meetings import MeetingStatus
from domain.messages import Reply, Text
from domain.permissions import can_supervise_cell
from services import actions, outbox, pending
from services.cells.common import AboutCell, tell_managers
from services.errors import refused
from services.people import Caller, require_person
from services.request import Request
from services.routes import answer, button
from services.views import KIND_TEXT, summary
from storage.models import Cell, Meeting, MeetingObserver, Person
from storage.queries.cells import supervisors_of_cell
from storage.queries.meetings import upcoming_meetings
from storage.queries.working_groups import observer_of_meeting

ASK_REPORT = "observer.report"
MAX_REPORT = 4000
MEETINGS_SHOWN = 10


@dataclass(frozen=True)
class AboutMeeting:
    meeting_id: int


@dataclass(frozen=True)
class Assignment:
    """Who of the working group is sent to which meeting."""

    meeting_id: int
    person_id: int


@dataclass(frozen=True)
class Observations:
    """What an observer of the meeting typed."""

    meeting_id: int
    text: str


async def _supervised_cell(
    session: AsyncSession, caller: Caller, cell_id: int
) -> tuple[Person, Cell]:
    person, actor = await require_person(session, caller)
    cell = await session.get(Cell, cell_id)
    if cell is None or not can_supervise_cell(actor, cell.id, cell.organisation_id):
        raise refused("error.not_supervisor")
    return person, cell


@button("observer.cell", AboutCell)
async def cell_meetings(request: Request, about: AboutCell) -> Reply:
    """A cell's coming meetings, to send someone from the working group to one."""
    async with request.transaction() as session:
        make_button = request.buttons(session)
        _, cell = await _supervised_cell(session, request.caller, about.cell_id)
        meetings = await upcoming_meetings(
            session, cell.id, request.now, MEETINGS_SHOWN, include_begun=False
        )
        if not meetings:
            return Reply(Text("observer.no_meetings", {"cell": cell.name}))
        return await _meetings_to_pick(make_button, cell, meetings)


async def _meetings_to_pick(
    make_button: actions.ButtonMaker, cell: Cell, meetings: Sequence[Meeting]
) -> Reply:
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


@button("observer.meeting", AboutMeeting)
async def pick_observer(request: Request, about: AboutMeeting) -> Reply:
    async with request.transaction() as session:
        make_button = request.buttons(session)
        meeting = await session.get(Meeting, about.meeting_id)
        if meeting is None:
            raise refused("error.stale_button")
        _, cell = await _supervised_cell(session, request.caller, meeting.cell_id)
        rows = [
            (
                await make_button(
                    Text("common.person_button", {"name": person.full_name}),
                    "observer.assign",
                    meeting_id=meeting.id,
                    person_id=person.id,
                ),
            )
            for person in await supervisors_of_cell(session, cell.id, cell.organisation_id)
        ]
        return Reply(
            Text("observer.pick_person", {"summary": summary(meeting, cell.name)}), tuple(rows)
        )


@button("observer.assign", Assignment)
async def assign(request: Request, chosen: Assignment) -> Reply:
    async with request.transaction() as session:
        meeting = await session.get(Meeting, chosen.meeting_id)
        if meeting is None or meeting.status is MeetingStatus.CANCELLED:
            raise refused("error.stale_button")
        assigner, cell = await _supervised_cell(session, request.caller, meeting.cell_id)
        supervisors = await supervisors_of_cell(session, cell.id, cell.organisation_id)
        observer = next((p for p in supervisors if p.id == chosen.person_id), None)
        if observer is None:
            raise refused("error.stale_button")
        if await observer_of_meeting(session, meeting.id, observer.id) is None:
            await _send(request, session, meeting, cell, observer, assigner)
        return Reply(
            Text(
                "observer.done",
                {"name": observer.full_name, "summary": summary(meeting, cell.name)},
            )
        )


async def _send(
    request: Request,
    session: AsyncSession,
    meeting: Meeting,
    cell: Cell,
    observer: Person,
    assigner: Person,
) -> None:
    """The observer is sent to the meeting: they are told, and so are the cell's managers."""
    now, default_language = request.now, request.settings.default_language
    session.add(
        MeetingObserver(
            meeting_id=meeting.id,
            person_id=observer.id,
            assigned_by_person_id=assigner.id,
            assigned_at=now,
        )
    )
    await outbox.message_person(
        session,
        observer,
        key=f"observer:{meeting.id}:{observer.id}",
        text=Text("observer.assigned", {"summary": summary(meeting, cell.name)}),
        default_language=default_language,
        now=now,
    )
    await tell_managers(
        session,
        cell.id,
        f"observer-notice:{meeting.id}:{observer.id}",
        Text(
            "observer.secretary_notice",
            {"name": observer.full_name, "summary": summary(meeting, cell.name)},
        ),
        now,
        default_language,
    )


@button("observer.report", AboutMeeting)
async def ask_report(request: Request, about: AboutMeeting) -> Reply:
    async with request.transaction() as session:
        await _observer(session, request.caller, about.meeting_id)
        await request.ask(session, ASK_REPORT, {"meeting_id": about.meeting_id})
        return Reply(Text("observer.ask_report"))


async def _observer(
    session: AsyncSession, caller: Caller, meeting_id: int
) -> tuple[Person, MeetingObserver]:
    person, _ = await require_person(session, caller)
    observer = await observer_of_meeting(session, meeting_id, person.id)
    if observer is None:
        raise refused("error.stale_button")
    return person, observer


@answer(ASK_REPORT, Observations)
async def report(request: Request, typed: Observations) -> Reply:
    now = request.now
    text = typed.text.strip()
    if not text or len(text) > MAX_REPORT:
        raise refused("minutes.bad_text", max=MAX_REPORT)
    async with request.transaction() as session:
        person, observer = await _observer(session, request.caller, typed.meeting_id)
        observer.observations, observer.observed_at = text, now
        meeting = await session.get(Meeting, typed.meeting_id)
        cell = await session.get(Cell, meeting.cell_id) if meeting else None
        assert meeting is not None and cell is not None
        await tell_managers(
            session,
            cell.id,
            f"observations:{observer.id}:{now.timestamp()}",
            Text(
                "observer.report_notice",
                {"name": person.full_name, "summary": summary(meeting, cell.name), "text": text},
            ),
            now,
            request.settings.default_language,
        )
        await pending.forget(session, caller=request.caller)
        return Reply(Text("observer.thanks"))
