"""A member sends their paper: the one open assignment it is for, or a question which; a
paper sent again replaces the one before, and the secretary hears of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from domain.messages import Reply, Text
from domain.papers import extension, is_late, safe_file_name
from services.cells.common import tell_managers
from services.errors import refused
from services.papers.documents import (
    IncomingDocument,
    check_before_download,
    checked_content,
)
from services.people import require_person
from services.request import Request
from services.routes import button
from services.views import KIND_TEXT
from storage.models import Cell, Meeting, PaperAssignment, PaperSubmission, Person
from storage.queries.papers import (
    current_submissions,
    open_assignments_of_person,
    replace_current_submission,
    stored_file_id,
)

# Papers are still taken this long after the meeting (late), then the assignment closes.
SUBMISSION_GRACE = timedelta(days=7)


@dataclass(frozen=True)
class ChosenAssignment:
    """The assignment a document sent is the paper for."""

    assignment_id: int
    document: IncomingDocument


async def my_papers(request: Request) -> Reply:
    """/submit: the member's open papers, and how to send one."""
    async with request.transaction() as session:
        person, _ = await require_person(session, request.caller)
        open_ones = await open_assignments_of_person(
            session, person.id, request.now - SUBMISSION_GRACE
        )
        if not open_ones:
            return Reply(Text("paper.none_assigned"))
        current = await current_submissions(session, [a.id for a, _ in open_ones])
        lines = [
            Text(
                "paper.mine_line",
                {
                    "topic": assignment.topic,
                    "due": assignment.due_at,
                    "kind": Text(KIND_TEXT[meeting.kind]),
                    "state": Text("paper.state.sent")
                    if assignment.id in current
                    else Text("paper.state.to_send"),
                },
            )
            for assignment, meeting in open_ones
        ]
        return Reply(Text("paper.mine", {"lines": lines}))


async def receive_paper(request: Request, document: IncomingDocument) -> Reply:
    """A document in private chat: the paper for the member's only open assignment, or a
    question which one."""
    check_before_download(document, request.files.max_bytes)
    async with request.transaction() as session:
        make_button = request.buttons(session)
        person, _ = await require_person(session, request.caller)
        open_ones = await open_assignments_of_person(
            session, person.id, request.now - SUBMISSION_GRACE
        )
        if not open_ones:
            raise refused("paper.none_assigned")
        if len(open_ones) > 1:
            rows = [
                (
                    await make_button(
                        Text("paper.choose_button", {"topic": assignment.topic}),
                        "paper.submit",
                        assignment_id=assignment.id,
                        document=document.to_json(),
                    ),
                )
                for assignment, _ in open_ones
            ]
            return Reply(Text("paper.choose"), tuple(rows))
        assignment_id = open_ones[0][0].id
    return await submit(request, ChosenAssignment(assignment_id, document))


@button("paper.submit", ChosenAssignment)
async def submit(request: Request, chosen: ChosenAssignment) -> Reply:
    """The document becomes the assignment's paper, once it passed every check."""
    async with request.transaction() as session:
        person, _ = await require_person(session, request.caller)
        assignment = await session.get(PaperAssignment, chosen.assignment_id)
        if assignment is None or assignment.person_id != person.id:
            raise refused("error.stale_button")
    content = await checked_content(chosen.document, request.files)
    sha256 = request.files.store.put(content)
    async with request.transaction() as session:
        assignment = await session.get(PaperAssignment, chosen.assignment_id, with_for_update=True)
        assert assignment is not None
        meeting = await session.get(Meeting, assignment.meeting_id)
        cell = await session.get(Cell, meeting.cell_id) if meeting else None
        assert meeting is not None and cell is not None
        file_id = await stored_file_id(session, sha256, len(content), request.now)
        await replace_current_submission(session, assignment.id, request.now)
        submission = PaperSubmission(
            assignment_id=assignment.id,
            file_id=file_id,
            file_name=safe_file_name(chosen.document.file_name),
            file_type=extension(chosen.document.file_name).lstrip("."),
            submitted_at=request.now,
            late=is_late(request.now, assignment.due_at),
            replaced_at=None,
        )
        session.add(submission)
        await session.flush()
        await _tell_managers(session, request, cell, person, assignment, submission)
        return Reply(
            _received_text(assignment, submission, len(content)),
            notice=Text("paper.received_short"),
        )


async def _tell_managers(
    session: AsyncSession,
    request: Request,
    cell: Cell,
    author: Person,
    assignment: PaperAssignment,
    submission: PaperSubmission,
) -> None:
    """The cell's secretary and deputies hear of the paper (not its author, if one of them)."""
    await tell_managers(
        session,
        cell.id,
        f"paper-received:{submission.id}",
        Text(
            "paper.received_notice",
            {"name": author.full_name, "topic": assignment.topic, "state": _lateness(submission)},
        ),
        request.now,
        request.settings.default_language,
        leaving_out=author.id,
    )


def _received_text(assignment: PaperAssignment, submission: PaperSubmission, size: int) -> Text:
    return Text(
        "paper.received",
        {
            "file": submission.file_name,
            "size": _kilobytes(size),
            "topic": assignment.topic,
            "state": _lateness(submission),
            "due": assignment.due_at,
        },
    )


def _lateness(submission: PaperSubmission) -> Text:
    return Text("paper.late") if submission.late else Text("paper.on_time")


def _kilobytes(size: int) -> str:
    return f"{max(1, round(size / 1024))} KB"
