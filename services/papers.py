"""Papers (tham luận) and meeting materials: assigning, receiving documents, the ZIP of papers.

A document is checked by name and announced size before a byte is fetched, then by content;
it is stored (content-addressed) only once it passed every check, so a refused file leaves
nothing behind.
"""

from __future__ import annotations

import asyncio
import io
import zipfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.dates import parse_local_datetime
from domain.meetings import MAX_AGENDA_ITEM_LENGTH, MeetingStatus
from domain.messages import N_, Attachment, Button, Reply, Text
from domain.papers import (
    DEFAULT_DUE_BEFORE_MEETING,
    DUE_THE_DAY_BEFORE,
    MIME_TYPES,
    FileProblem,
    due_choices,
    extension,
    is_late,
    problem_before_download,
    problem_with_content,
    safe_file_name,
)
from services import actions, outbox, pending
from services.access import managed_meeting
from services.config import ServiceSettings
from services.errors import Refused, refused
from services.people import Caller, require_person
from services.views import KIND_TEXT, date_problem, summary
from storage.db import Database
from storage.files import FileStore
from storage.models import (
    Cell,
    Meeting,
    MeetingMaterial,
    PaperAssignment,
    PaperSubmission,
    Person,
    StoredFile,
)
from storage.repositories import active_members, cell_managers
from storage.upsert import insert_if_absent

ASK_TOPIC = "paper.topic"
ASK_DUE = "paper.due"
ASK_MATERIALS = "materials.add"
# Papers are still taken this long after the meeting (late), then the assignment closes.
SUBMISSION_GRACE = timedelta(days=7)

FILE_PROBLEM_TEXT = {
    FileProblem.EMPTY: N_("file.empty"),
    FileProblem.TOO_LARGE: N_("file.too_large"),
    FileProblem.WRONG_TYPE: N_("file.wrong_type"),
    FileProblem.CONTENT_MISMATCH: N_("file.content_mismatch"),
    FileProblem.UNSAFE_ARCHIVE: N_("file.unsafe_archive"),
}
DUE_CHOICE_TEXT = {
    DEFAULT_DUE_BEFORE_MEETING: N_("paper.due_default"),
    DUE_THE_DAY_BEFORE: N_("paper.due_day_before"),
}

Fetch = Callable[[str], Awaitable[bytes]]


@dataclass(frozen=True)
class IncomingDocument:
    """A document a user sent, as Telegram describes it (nothing here is trusted)."""

    file_id: str
    file_name: str
    size: int | None

    def to_json(self) -> dict[str, object]:
        return {"file_id": self.file_id, "file_name": self.file_name, "size": self.size}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> IncomingDocument:
        size = data.get("size")
        return cls(
            str(data["file_id"]),
            str(data["file_name"]),
            int(size) if isinstance(size, int) else None,
        )


@dataclass(frozen=True)
class Files:
    """Where documents come from and go to, and how big they may be."""

    fetch: Fetch
    store: FileStore
    max_bytes: int


def _refuse_file(problem: FileProblem, max_bytes: int) -> Refused:
    return Refused(
        Text(
            FILE_PROBLEM_TEXT[problem],
            {
                "max_mb": max_bytes // (1024 * 1024),
                "types": "PDF, DOCX, DOC, ODT, PPTX, PPT, ODP",
            },
        )
    )


async def _checked_content(document: IncomingDocument, files: Files) -> bytes:
    """The document's bytes, fetched only when the name and size allow, then checked."""
    problem = problem_before_download(document.file_name, document.size, files.max_bytes)
    if problem is not None:
        raise _refuse_file(problem, files.max_bytes)
    content = await files.fetch(document.file_id)
    # CPU work on up to the size limit: beside the event loop, others are answered meanwhile.
    problem = await asyncio.to_thread(
        problem_with_content, document.file_name, content, files.max_bytes
    )
    if problem is not None:
        raise _refuse_file(problem, files.max_bytes)
    return content


async def _stored_file(session: AsyncSession, sha256: str, size: int, now: datetime) -> int:
    await insert_if_absent(
        session, StoredFile, {"sha256": sha256, "size": size, "created_at": now}, ["sha256"]
    )
    file_id = await session.scalar(select(StoredFile.id).where(StoredFile.sha256 == sha256))
    assert file_id is not None
    return file_id


# --- the secretary: assigning and following papers -----------------------------------------


async def papers_view(
    database: Database,
    caller: Caller,
    meeting_id: int,
    now: datetime,
    notice: Text | None = None,
) -> Reply:
    async with database.transaction() as session:
        _, _, meeting, cell = await managed_meeting(session, caller, meeting_id)
        return await _papers_view(session, caller, meeting, cell, now, notice)


async def _current_submissions(
    session: AsyncSession, assignment_ids: list[int]
) -> dict[int, tuple[PaperSubmission, StoredFile]]:
    if not assignment_ids:
        return {}
    rows = await session.execute(
        select(PaperSubmission, StoredFile)
        .join(StoredFile, StoredFile.id == PaperSubmission.file_id)
        .where(
            PaperSubmission.assignment_id.in_(assignment_ids), PaperSubmission.replaced_at.is_(None)
        )
    )
    return {submission.assignment_id: (submission, stored) for submission, stored in rows}


async def _assignments(
    session: AsyncSession, meeting_id: int
) -> list[tuple[PaperAssignment, Person]]:
    rows = await session.execute(
        select(PaperAssignment, Person)
        .join(Person, Person.id == PaperAssignment.person_id)
        .where(PaperAssignment.meeting_id == meeting_id)
        .order_by(PaperAssignment.created_at, PaperAssignment.id)
    )
    return [(assignment, person) for assignment, person in rows]


async def _papers_view(
    session: AsyncSession,
    caller: Caller,
    meeting: Meeting,
    cell: Cell,
    now: datetime,
    notice: Text | None,
) -> Reply:
    assignments = await _assignments(session, meeting.id)
    current = await _current_submissions(session, [a.id for a, _ in assignments])
    lines = []
    for assignment, person in assignments:
        found = current.get(assignment.id)
        if found is None:
            state = Text("paper.state.missing", {"due": assignment.due_at})
        elif found[0].late:
            state = Text("paper.state.late", {"when": found[0].submitted_at})
        else:
            state = Text("paper.state.on_time", {"when": found[0].submitted_at})
        lines.append(
            Text(
                "paper.line", {"topic": assignment.topic, "name": person.full_name, "state": state}
            )
        )

    about_meeting = actions.ButtonMaker(
        session, caller.telegram_user_id, now, {"meeting_id": meeting.id}
    )
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
                "lines": lines or [Text("paper.none_yet")],
                "submitted": len(current),
                "assigned": len(assignments),
            },
        ),
        tuple(rows),
        notice=notice,
    )


async def pick_member(database: Database, caller: Caller, meeting_id: int, now: datetime) -> Reply:
    async with database.transaction() as session:
        make_button = actions.ButtonMaker(session, caller.telegram_user_id, now)
        _, _, meeting, cell = await managed_meeting(session, caller, meeting_id)
        if meeting.status is MeetingStatus.CANCELLED:
            raise refused("rsvp.cancelled")
        buttons = [
            await make_button(
                Text("common.person_button", {"name": m.person.full_name}),
                "paper.member",
                meeting_id=meeting.id,
                person_id=m.person_id,
            )
            for m in await active_members(session, cell.id)
        ]
        rows = tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))
        return Reply(Text("paper.pick_member"), rows)


async def ask_topic(
    database: Database, caller: Caller, meeting_id: int, person_id: int, now: datetime
) -> Reply:
    async with database.transaction() as session:
        _, _, meeting, _ = await managed_meeting(session, caller, meeting_id)
        member = await session.get(Person, person_id)
        if member is None:
            raise refused("error.stale_button")
        await pending.ask(
            session,
            caller=caller,
            kind=ASK_TOPIC,
            payload={"meeting_id": meeting.id, "person_id": person_id},
            now=now,
        )
        return Reply(Text("paper.ask_topic", {"name": member.full_name}))


async def ask_due(
    database: Database,
    caller: Caller,
    meeting_id: int,
    person_id: int,
    typed_topic: str,
    now: datetime,
) -> Reply:
    topic = " ".join(typed_topic.split())
    if not topic or len(topic) > MAX_AGENDA_ITEM_LENGTH or topic.startswith("/"):
        raise refused("paper.bad_topic", max=MAX_AGENDA_ITEM_LENGTH)
    async with database.transaction() as session:
        make_button = actions.ButtonMaker(session, caller.telegram_user_id, now)
        _, _, meeting, _ = await managed_meeting(session, caller, meeting_id)
        payload = {"meeting_id": meeting.id, "person_id": person_id, "topic": topic}
        await pending.ask(
            session,
            caller=caller,
            kind=ASK_DUE,
            payload=payload,
            now=now,
        )
        rows = tuple(
            [
                (
                    await make_button(
                        Text(DUE_CHOICE_TEXT[before], {"due": due}),
                        "paper.create",
                        **{**payload, "due_at": due.isoformat()},
                    ),
                )
                for before, due in due_choices(meeting.starts_at, now)
            ]
        )
        # Only a prompt with buttons says "or pick".
        return Reply(Text("paper.ask_due") if rows else Text("paper.ask_due_typed"), rows)


async def assign_with_typed_due(
    database: Database,
    caller: Caller,
    meeting_id: int,
    person_id: int,
    topic: str,
    typed_due: str,
    now: datetime,
    settings: ServiceSettings,
) -> Reply:
    parsed = parse_local_datetime(typed_due, now, settings.zone)
    if parsed.value is None:
        raise Refused(date_problem(parsed))
    return await assign(database, caller, meeting_id, person_id, topic, parsed.value, now, settings)


async def assign(
    database: Database,
    caller: Caller,
    meeting_id: int,
    person_id: int,
    topic: str,
    due_at: datetime,
    now: datetime,
    settings: ServiceSettings,
) -> Reply:
    async with database.transaction() as session:
        _, _, meeting, cell = await managed_meeting(session, caller, meeting_id)
        if meeting.status is MeetingStatus.CANCELLED:
            raise refused("rsvp.cancelled")
        if due_at > meeting.starts_at:
            raise refused("paper.due_after_meeting", when=meeting.starts_at)
        member = await session.get(Person, person_id)
        if member is None or member.id not in {
            m.person_id for m in await active_members(session, cell.id)
        }:
            raise refused("error.stale_button")
        secretary, _ = await require_person(session, caller)
        twin = await session.scalar(
            select(PaperAssignment).where(
                PaperAssignment.meeting_id == meeting.id,
                PaperAssignment.person_id == member.id,
                PaperAssignment.topic == topic,
            )
        )
        if twin is None:
            assignment = PaperAssignment(
                meeting_id=meeting.id,
                person_id=member.id,
                topic=topic,
                due_at=due_at,
                assigned_by_person_id=secretary.id,
                created_at=now,
            )
            session.add(assignment)
            await session.flush()
            await outbox.enqueue_message(
                session,
                key=f"paper-assigned:{assignment.id}",
                chat_id=member.telegram_user_id,
                text=Text(
                    "paper.assigned_notice",
                    {
                        "topic": topic,
                        "due": due_at,
                        "summary": summary(meeting, cell.name),
                    },
                ),
                lang=member.language or settings.default_language,
                now=now,
            )
        await pending.forget(session, caller=caller)
        return await _papers_view(
            session, caller, meeting, cell, now, Text("paper.assigned", {"name": member.full_name})
        )


async def papers_zip(
    database: Database, caller: Caller, meeting_id: int, store: FileStore
) -> Reply:
    """Every current paper of the meeting in one ZIP, named so they sort by assignment."""
    async with database.transaction() as session:
        _, _, meeting, cell = await managed_meeting(session, caller, meeting_id)
        assignments = await _assignments(session, meeting.id)
        current = await _current_submissions(session, [a.id for a, _ in assignments])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for number, (assignment, person) in enumerate(assignments, start=1):
            if assignment.id not in current:
                continue
            submission, stored = current[assignment.id]
            archive.writestr(
                f"{number:02d} - {safe_file_name(person.full_name)} - {submission.file_name}",
                store.get(stored.sha256),
            )
    name = f"tham-luan-{meeting.starts_at:%Y%m%d}-{meeting.id}.zip"
    return Reply(
        Text("paper.zip_caption", {"count": len(current), "cell": cell.name}),
        attachments=(Attachment(name, buffer.getvalue()),),
    )


# --- the member: submitting ---------------------------------------------------------------


async def _open_assignments(
    session: AsyncSession, person: Person, now: datetime
) -> list[tuple[PaperAssignment, Meeting]]:
    rows = await session.execute(
        select(PaperAssignment, Meeting)
        .join(Meeting, Meeting.id == PaperAssignment.meeting_id)
        .where(
            PaperAssignment.person_id == person.id,
            Meeting.status == MeetingStatus.SCHEDULED,
            Meeting.ends_at > now - SUBMISSION_GRACE,
        )
        .order_by(PaperAssignment.due_at)
    )
    return [(assignment, meeting) for assignment, meeting in rows]


async def my_papers(database: Database, caller: Caller, now: datetime) -> Reply:
    """/submit: the member's open papers, and how to send one."""
    async with database.transaction() as session:
        person, _ = await require_person(session, caller)
        open_ones = await _open_assignments(session, person, now)
        if not open_ones:
            return Reply(Text("paper.none_assigned"))
        current = await _current_submissions(session, [a.id for a, _ in open_ones])
        return Reply(
            Text(
                "paper.mine",
                {
                    "lines": [
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
                },
            )
        )


async def receive_paper(
    database: Database,
    caller: Caller,
    document: IncomingDocument,
    files: Files,
    now: datetime,
    settings: ServiceSettings,
) -> Reply:
    """A document in private chat: the paper for the member's only open assignment, or a
    question which one."""
    problem = problem_before_download(document.file_name, document.size, files.max_bytes)
    if problem is not None:
        raise _refuse_file(problem, files.max_bytes)
    async with database.transaction() as session:
        make_button = actions.ButtonMaker(session, caller.telegram_user_id, now)
        person, _ = await require_person(session, caller)
        open_ones = await _open_assignments(session, person, now)
        if not open_ones:
            raise refused("paper.none_assigned")
        if len(open_ones) > 1:
            rows = []
            for assignment, _meeting in open_ones:
                rows.append(
                    (
                        await make_button(
                            Text("paper.choose_button", {"topic": assignment.topic}),
                            "paper.submit",
                            assignment_id=assignment.id,
                            document=document.to_json(),
                        ),
                    )
                )
            return Reply(Text("paper.choose"), tuple(rows))
        assignment_id = open_ones[0][0].id
    return await submit(database, caller, assignment_id, document, files, now, settings)


async def submit(
    database: Database,
    caller: Caller,
    assignment_id: int,
    document: IncomingDocument,
    files: Files,
    now: datetime,
    settings: ServiceSettings,
) -> Reply:
    async with database.transaction() as session:
        person, _ = await require_person(session, caller)
        assignment = await session.get(PaperAssignment, assignment_id)
        if assignment is None or assignment.person_id != person.id:
            raise refused("error.stale_button")
    content = await _checked_content(document, files)
    sha256 = files.store.put(content)
    async with database.transaction() as session:
        assignment = await session.get(PaperAssignment, assignment_id, with_for_update=True)
        assert assignment is not None
        meeting = await session.get(Meeting, assignment.meeting_id)
        cell = await session.get(Cell, meeting.cell_id) if meeting else None
        assert meeting is not None and cell is not None
        file_id = await _stored_file(session, sha256, len(content), now)
        await session.execute(
            update(PaperSubmission)
            .where(
                PaperSubmission.assignment_id == assignment.id,
                PaperSubmission.replaced_at.is_(None),
            )
            .values(replaced_at=now)
            .execution_options(synchronize_session=False)
        )
        late = is_late(now, assignment.due_at)
        submission = PaperSubmission(
            assignment_id=assignment.id,
            file_id=file_id,
            file_name=safe_file_name(document.file_name),
            file_type=extension(document.file_name).lstrip("."),
            submitted_at=now,
            late=late,
            replaced_at=None,
        )
        session.add(submission)
        await session.flush()
        for manager in await cell_managers(session, cell.id):
            if manager.id == person.id:
                continue
            await outbox.enqueue_message(
                session,
                key=f"paper-received:{submission.id}:{manager.id}",
                chat_id=manager.telegram_user_id,
                text=Text(
                    "paper.received_notice",
                    {
                        "name": person.full_name,
                        "topic": assignment.topic,
                        "state": Text("paper.late") if late else Text("paper.on_time"),
                    },
                ),
                lang=manager.language or settings.default_language,
                now=now,
            )
        return Reply(
            Text(
                "paper.received",
                {
                    "file": submission.file_name,
                    "size": _kilobytes(len(content)),
                    "topic": assignment.topic,
                    "state": Text("paper.late") if late else Text("paper.on_time"),
                    "due": assignment.due_at,
                },
            ),
            notice=Text("paper.received_short"),
        )


def _kilobytes(size: int) -> str:
    return f"{max(1, round(size / 1024))} KB"


# --- meeting materials --------------------------------------------------------------------


async def ask_materials(
    database: Database, caller: Caller, meeting_id: int, now: datetime
) -> Reply:
    async with database.transaction() as session:
        _, _, meeting, _ = await managed_meeting(session, caller, meeting_id)
        if meeting.status is MeetingStatus.CANCELLED:
            raise refused("rsvp.cancelled")
        await pending.ask(
            session,
            caller=caller,
            kind=ASK_MATERIALS,
            payload={"meeting_id": meeting.id},
            now=now,
        )
        return Reply(Text("material.ask"))


def material_payload(
    sha256: str, file_name: str, meeting: Meeting, cell_name: str, lang: str
) -> dict[str, object]:
    return {
        "lang": lang,
        "stored": sha256,
        "filename": file_name,
        "mime": MIME_TYPES.get(extension(file_name), "application/octet-stream"),
        "caption": Text(
            "material.caption",
            {
                "kind": Text(KIND_TEXT[meeting.kind]),
                "when": meeting.starts_at,
                "cell": cell_name,
            },
        ).to_json(),
    }


async def add_material(
    database: Database,
    caller: Caller,
    meeting_id: int,
    document: IncomingDocument,
    files: Files,
    now: datetime,
    settings: ServiceSettings,
) -> Reply:
    """A document for everyone to study: sent now if the invitation is out, else with it."""
    async with database.transaction() as session:
        await managed_meeting(session, caller, meeting_id)
    content = await _checked_content(document, files)
    sha256 = files.store.put(content)
    async with database.transaction() as session:
        make_button = actions.ButtonMaker(session, caller.telegram_user_id, now)
        _, _, meeting, cell = await managed_meeting(session, caller, meeting_id)
        secretary, _ = await require_person(session, caller)
        material = MeetingMaterial(
            meeting_id=meeting.id,
            file_id=await _stored_file(session, sha256, len(content), now),
            file_name=safe_file_name(document.file_name),
            added_by_person_id=secretary.id,
            added_at=now,
        )
        session.add(material)
        await session.flush()
        if meeting.broadcast_at is not None:
            for membership in await active_members(session, cell.id):
                await send_material(
                    session,
                    material,
                    sha256,
                    meeting,
                    cell,
                    membership.person,
                    now,
                    settings.default_language,
                )
        done = await make_button(Text("agenda.done"), "meeting.card", meeting_id=meeting.id)
        return Reply(Text("material.added", {"file": material.file_name}), ((done,),))


async def send_material(
    session: AsyncSession,
    material: MeetingMaterial,
    sha256: str,
    meeting: Meeting,
    cell: Cell,
    person: Person,
    now: datetime,
    default_language: str,
) -> None:
    await outbox.enqueue(
        session,
        key=f"material:{material.id}:{person.id}",
        chat_id=person.telegram_user_id,
        method="sendDocument",
        payload=material_payload(
            sha256, material.file_name, meeting, cell.name, person.language or default_language
        ),
        due_at=now,
        now=now,
    )


async def send_materials_to(
    session: AsyncSession,
    person: Person,
    cell_id: int,
    now: datetime,
    default_language: str,
    meeting_id: int | None = None,
) -> None:
    """Materials of the cell's coming meetings (or one meeting) for a member: at the
    invitation, and for members who join later."""
    query = (
        select(MeetingMaterial, StoredFile.sha256, Meeting)
        .join(StoredFile, StoredFile.id == MeetingMaterial.file_id)
        .join(Meeting, Meeting.id == MeetingMaterial.meeting_id)
        .where(
            Meeting.cell_id == cell_id,
            Meeting.status == MeetingStatus.SCHEDULED,
            Meeting.ends_at > now,
        )
    )
    if meeting_id is not None:
        query = query.where(Meeting.id == meeting_id)
    else:
        query = query.where(Meeting.broadcast_at.is_not(None))
    cell = await session.get(Cell, cell_id)
    assert cell is not None
    for material, sha256, meeting in await session.execute(query):
        await send_material(session, material, sha256, meeting, cell, person, now, default_language)
