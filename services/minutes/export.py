"""The minutes exported as a .docx, laid out as a cell's records are kept for inspection."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from domain.attendance import RollFigures, RollStatus
from domain.meetings import REASON_TEXT, AbsenceReason, MeetingKind
from domain.messages import N_, Attachment, Reply, Text
from domain.records import (
    AttendeeLine,
    ItemRecord,
    MinutesDocument,
    MinutesLabels,
    Opinion,
    TaskLine,
    VoteRecord,
)
from domain.resolutions import ResolutionStatus, approval_moment
from reports.minutes import TemplateProblem, minutes_docx
from services.config import ServiceSettings
from services.errors import refused
from services.minutes.access import (
    AboutMeeting,
    figures,
    managed_minutes,
    minutes_number,
    no_quorum,
)
from services.request import Request
from services.routes import button
from services.views import KIND_TEXT, agenda_items, summary
from storage.models import (
    AgendaItem,
    Cell,
    Invitation,
    ItemOpinion,
    Meeting,
    Organisation,
    Resolution,
)
from storage.queries.minutes import Called, closed_roll, opinions_under_item
from storage.queries.resolutions import AssignedTask, resolution_of_meeting, tasks_of_resolution

Render = Callable[[Text], str]

ROLL_TEXT = {
    RollStatus.PRESENT: N_("roll.status.present"),
    RollStatus.EXCUSED: N_("roll.status.excused"),
    RollStatus.UNEXCUSED: N_("roll.status.unexcused"),
}
LABEL_KEYS = {
    "party_header": N_("minutes.label.party_header"),
    "time_and_place": N_("minutes.label.time_and_place"),
    "time": N_("minutes.label.time"),
    "place": N_("minutes.label.place"),
    "chair": N_("minutes.label.chair"),
    "note_taker": N_("minutes.label.note_taker"),
    "attendance": N_("minutes.label.attendance"),
    "expected": N_("minutes.label.expected"),
    "present": N_("minutes.label.present"),
    "excused": N_("minutes.label.excused"),
    "unexcused": N_("minutes.label.unexcused"),
    "rate": N_("minutes.label.rate"),
    "number": N_("minutes.label.number"),
    "name": N_("minutes.label.name"),
    "status": N_("minutes.label.status"),
    "reason": N_("minutes.label.reason"),
    "content": N_("minutes.label.content"),
    "report": N_("minutes.label.report"),
    "opinions": N_("minutes.label.opinions"),
    "conclusion": N_("minutes.label.conclusion"),
    "resolution": N_("minutes.label.resolution"),
    "tasks": N_("minutes.label.tasks"),
    "assignee": N_("minutes.label.assignee"),
    "due": N_("minutes.label.due"),
    "vote": N_("minutes.label.vote"),
    "votes_for": N_("minutes.label.votes_for"),
    "votes_against": N_("minutes.label.votes_against"),
    "votes_abstain": N_("minutes.label.votes_abstain"),
    "adopted": N_("minutes.label.adopted"),
    "not_adopted": N_("minutes.label.not_adopted"),
    "closing": N_("minutes.label.closing"),
    "signature_hint": N_("minutes.label.signature_hint"),
}
BLANK = "……"  # what is unknown is left to be written in by hand


@dataclass(frozen=True)
class MinutesRecord:
    """All the document is made of, read in one transaction."""

    meeting: Meeting
    cell: Cell
    organisation: Organisation
    resolution: Resolution | None
    roll: list[Called]
    items: list[AgendaItem]
    spoken: dict[int, list[ItemOpinion]]
    tasks: list[AssignedTask]
    number: int


@button("minutes.export", AboutMeeting)
async def export(request: Request, about: AboutMeeting) -> Reply:
    """The minutes as a .docx, numbered the first time they are exported or finished."""
    settings = request.settings
    async with request.transaction() as session:
        _, meeting, cell = await managed_minutes(session, request.caller, about.meeting_id)
        record = await record_of(session, meeting, cell, settings)
    return Reply(
        Text(N_("minutes.export_caption"), {"summary": summary(meeting, cell.name)}),
        attachments=(minutes_file(record, request.render, settings),),
    )


async def record_of(
    session: AsyncSession, meeting: Meeting, cell: Cell, settings: ServiceSettings
) -> MinutesRecord:
    """Everything the minutes of a meeting the caller may read are made of."""
    organisation = await session.get(Organisation, cell.organisation_id)
    assert organisation is not None
    resolution = await resolution_of_meeting(session, meeting.id)
    called = await closed_roll(session, meeting.id)
    items = await agenda_items(session, meeting.id)
    spoken = {item.id: await opinions_under_item(session, item.id) for item in items}
    tasks = await tasks_of_resolution(session, resolution.id) if resolution else []
    number = await minutes_number(session, meeting, settings)
    return MinutesRecord(
        meeting, cell, organisation, resolution, called, items, spoken, tasks, number
    )


def minutes_file(record: MinutesRecord, render: Render, settings: ServiceSettings) -> Attachment:
    """The minutes as a .docx in the reader's language, from the deployment's template."""
    start = record.meeting.starts_at.astimezone(settings.zone)
    document = _document(record, start, render, settings)
    try:
        content = minutes_docx(document, settings.minutes_template)
    except TemplateProblem as problem:
        raise refused("minutes.template_broken", problem=str(problem)) from problem
    return Attachment(f"bien-ban-{start:%Y%m%d}-{record.meeting.id}.docx", content)


def _document(
    record: MinutesRecord, start: datetime, render: Render, settings: ServiceSettings
) -> MinutesDocument:
    meeting, resolution = record.meeting, record.resolution
    counted = figures(record.roll, settings)
    return MinutesDocument(
        labels=_labels(record, start, render, settings),
        organisation=record.organisation.name,
        cell=record.cell.name,
        subtitle=meeting.theme or _subtitle(meeting, start, render),
        starts_at=start,
        ends_at=meeting.ends_at.astimezone(settings.zone),
        place=meeting.place,
        chair=meeting.chair or "",
        note_taker=meeting.note_taker or "",
        expected=counted.expected,
        present=counted.present,
        excused=counted.excused,
        unexcused=counted.unexcused,
        rate_percent=counted.percent,
        quorum_note=_quorum_note(counted, render),
        attendees=_attendees(record.roll, render),
        items=_items(record.items, record.spoken, render),
        resolution=resolution.text if resolution else "",
        tasks=[TaskLine(task.description, name, task.due_on) for task, name in record.tasks],
        vote=_vote_record(resolution),
    )


def _labels(
    record: MinutesRecord, start: datetime, render: Render, settings: ServiceSettings
) -> MinutesLabels:
    """Every fixed word of the document, and the lines with the meeting's own figures."""
    meeting = record.meeting
    title = (
        N_("minutes.label.title_thematic")
        if meeting.kind is MeetingKind.THEMATIC
        else N_("minutes.label.title")
    )
    date_line = Text(
        "minutes.label.date_line",
        {
            "place": " ".join(meeting.place.split()) or BLANK,
            "day": f"{start.day:02d}",
            "month": f"{start.month:02d}",
            "year": start.year,
        },
    )
    return MinutesLabels(
        **{
            field.name: render(Text(LABEL_KEYS[field.name]))
            for field in fields(MinutesLabels)
            if field.name in LABEL_KEYS
        },
        title=render(Text(title)),
        date_line=render(date_line),
        number_line=render(Text("minutes.label.number_line", {"number": f"{record.number:02d}"})),
        approval=render(_approval(record.resolution, meeting, settings)),
    )


def _subtitle(meeting: Meeting, start: datetime, render: Render) -> str:
    return render(
        Text(
            "minutes.subtitle",
            {"kind": Text(KIND_TEXT[meeting.kind]), "month": f"{start.month:02d}/{start.year}"},
        )
    )


def _quorum_note(counted: RollFigures, render: Render) -> str:
    return "" if counted.quorum_met else render(no_quorum(counted, N_("minutes.no_quorum")))


def _attendees(called: list[Called], render: Render) -> list[AttendeeLine]:
    return [
        AttendeeLine(
            person.full_name,
            render(Text(ROLL_TEXT[invitation.roll_status])),
            _reason(invitation, render),
        )
        for invitation, person in called
        if invitation.roll_status is not None
    ]


def _items(
    items: list[AgendaItem], spoken: dict[int, list[ItemOpinion]], render: Render
) -> list[ItemRecord]:
    return [
        ItemRecord(
            render(Text(i.title_key)) if i.title_key else i.title or "",
            i.report or "",
            i.opinions or "",
            i.conclusion or "",
            [Opinion(o.speaker, o.text) for o in spoken[i.id]],
        )
        for i in items
    ]


def _vote_record(resolution: Resolution | None) -> VoteRecord | None:
    if resolution is None or resolution.votes_for is None:
        return None
    return VoteRecord(
        resolution.votes_for,
        resolution.votes_against or 0,
        resolution.votes_abstain or 0,
        resolution.status is ResolutionStatus.ADOPTED,
    )


def _approval(resolution: Resolution | None, meeting: Meeting, settings: ServiceSettings) -> Text:
    """When the minutes were approved and by how many, from a vote taken at the meeting that
    adopted its resolution; what is not known is left blank to be written in by hand."""
    adopted = resolution is not None and resolution.status is ResolutionStatus.ADOPTED
    when = (
        approval_moment(resolution.decided_at, meeting.starts_at, meeting.ends_at)
        if resolution is not None and adopted
        else None
    )
    local = when.astimezone(settings.zone) if when is not None else None
    agreed = resolution.votes_for if resolution is not None and adopted else None
    return Text(
        "minutes.label.approval",
        {
            "hour": f"{local:%H}" if local else BLANK,
            "minute": f"{local:%M}" if local else BLANK,
            "agreed": BLANK if agreed is None else agreed,
        },
    )


def _reason(invitation: Invitation, render: Render) -> str:
    if invitation.roll_status is not RollStatus.EXCUSED or invitation.reason is None:
        return ""
    reason = AbsenceReason(invitation.reason)
    if reason is AbsenceReason.OTHER and invitation.reason_note:
        return invitation.reason_note
    return render(Text(REASON_TEXT[reason]))
