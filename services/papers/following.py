"""The secretary follows a meeting's papers: who writes on what, who has sent theirs, and
every paper sent in one ZIP."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from domain.meetings import MeetingStatus
from domain.messages import Attachment, Button, Reply, Text
from domain.papers import safe_file_name
from services.access import managed_meeting
from services.errors import refused
from services.request import Request
from services.routes import button
from services.views import summary
from storage.models import Cell, Meeting, PaperAssignment, Person
from storage.queries.papers import CurrentSubmission, assignments_of_meeting, current_submissions


@dataclass(frozen=True)
class OfMeeting:
    meeting_id: int


async def uncancelled_meeting(
    session: AsyncSession, request: Request, meeting_id: int
) -> tuple[Meeting, Cell]:
    """The meeting the caller manages, with its cell, refused once it is cancelled: papers and
    materials are prepared for a meeting that is to take place."""
    _, _, meeting, cell = await managed_meeting(session, request.caller, meeting_id)
    if meeting.status is MeetingStatus.CANCELLED:
        raise refused("rsvp.cancelled")
    return meeting, cell


@button("meeting.papers", OfMeeting)
async def papers_view(request: Request, of: OfMeeting) -> Reply:
    async with request.transaction() as session:
        _, _, meeting, cell = await managed_meeting(session, request.caller, of.meeting_id)
        return await papers_screen(session, request, meeting, cell)


async def papers_screen(
    session: AsyncSession,
    request: Request,
    meeting: Meeting,
    cell: Cell,
    notice: Text | None = None,
) -> Reply:
    """The meeting's papers and how each stands, with what the secretary can do next."""
    assignments = await assignments_of_meeting(session, meeting.id)
    current = await current_submissions(session, [a.id for a, _ in assignments])
    about_meeting = request.buttons(session).about(meeting_id=meeting.id)
    rows: list[tuple[Button, ...]] = []
    if meeting.status is MeetingStatus.SCHEDULED:
        rows.append((await about_meeting(Text("paper.assign"), "paper.assign"),))
    if current:
        rows.append((await about_meeting(Text("paper.zip"), "paper.zip"),))
    rows.append((await about_meeting(Text("paper.back"), "meeting.card"),))
    return Reply(
        Text(
            "paper.view",
            {
                "summary": summary(meeting, cell.name),
                "lines": [_paper_line(a, p, current.get(a.id)) for a, p in assignments]
                or [Text("paper.none_yet")],
                "submitted": len(current),
                "assigned": len(assignments),
            },
        ),
        tuple(rows),
        notice=notice,
    )


def _paper_line(
    assignment: PaperAssignment, person: Person, found: CurrentSubmission | None
) -> Text:
    if found is None:
        state = Text("paper.state.missing", {"due": assignment.due_at})
    elif found.submission.late:
        state = Text("paper.state.late", {"when": found.submission.submitted_at})
    else:
        state = Text("paper.state.on_time", {"when": found.submission.submitted_at})
    return Text("paper.line", {"topic": assignment.topic, "name": person.full_name, "state": state})


@button("paper.zip", OfMeeting)
async def papers_zip(request: Request, of: OfMeeting) -> Reply:
    """Every current paper of the meeting in one ZIP, named so they sort by assignment."""
    async with request.transaction() as session:
        _, _, meeting, cell = await managed_meeting(session, request.caller, of.meeting_id)
        assignments = await assignments_of_meeting(session, meeting.id)
        current = await current_submissions(session, [a.id for a, _ in assignments])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for number, (assignment, person) in enumerate(assignments, start=1):
            if assignment.id not in current:
                continue
            submission, stored = current[assignment.id]
            archive.writestr(
                f"{number:02d} - {safe_file_name(person.full_name)} - {submission.file_name}",
                request.files.store.get(stored.sha256),
            )
    name = f"tham-luan-{meeting.starts_at:%Y%m%d}-{meeting.id}.zip"
    return Reply(
        Text("paper.zip_caption", {"count": len(current), "cell": cell.name}),
        attachments=(Attachment(name, buffer.getvalue()),),
    )
