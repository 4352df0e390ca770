"""Meeting materials: documents the secretary adds for every member to study, sent with the
invitation, at once when it is out already, and to members who join later."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from domain.messages import Reply, Text
from domain.papers import MIME_TYPES, extension, safe_file_name
from services import outbox
from services.access import managed_meeting
from services.papers.documents import IncomingDocument, checked_content
from services.papers.following import OfMeeting, uncancelled_meeting
from services.people import require_person
from services.request import Request
from services.routes import button
from services.views import KIND_TEXT
from storage.models import Cell, Meeting, MeetingMaterial, Person
from storage.queries.papers import materials_of_coming_meetings, stored_file_id
from storage.repositories import active_members

ASK_MATERIALS = "materials.add"


@button("meeting.materials", OfMeeting)
async def ask_materials(request: Request, of: OfMeeting) -> Reply:
    async with request.transaction() as session:
        meeting, _ = await uncancelled_meeting(session, request, of.meeting_id)
        await request.ask(session, ASK_MATERIALS, {"meeting_id": meeting.id})
        return Reply(Text("material.ask"))


def _material_payload(
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


async def add_material(request: Request, of: OfMeeting, document: IncomingDocument) -> Reply:
    """A document for everyone to study: sent now if the invitation is out, else with it."""
    caller, now = request.caller, request.now
    async with request.transaction() as session:
        await managed_meeting(session, caller, of.meeting_id)
    content = await checked_content(document, request.files)
    sha256 = request.files.store.put(content)
    async with request.transaction() as session:
        make_button = request.buttons(session)
        _, _, meeting, cell = await managed_meeting(session, caller, of.meeting_id)
        secretary, _ = await require_person(session, caller)
        material = MeetingMaterial(
            meeting_id=meeting.id,
            file_id=await stored_file_id(session, sha256, len(content), now),
            file_name=safe_file_name(document.file_name),
            added_by_person_id=secretary.id,
            added_at=now,
        )
        session.add(material)
        await session.flush()
        if meeting.broadcast_at is not None:
            for membership in await active_members(session, cell.id):
                await _send_material(
                    session,
                    material,
                    sha256,
                    meeting,
                    cell,
                    membership.person,
                    now,
                    request.settings.default_language,
                )
        done = await make_button(Text("agenda.done"), "meeting.card", meeting_id=meeting.id)
        return Reply(Text("material.added", {"file": material.file_name}), ((done,),))


async def _send_material(
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
        payload=_material_payload(
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
    cell = await session.get(Cell, cell_id)
    assert cell is not None
    for material, sha256, meeting in await materials_of_coming_meetings(
        session, cell_id, now, meeting_id
    ):
        await _send_material(
            session, material, sha256, meeting, cell, person, now, default_language
        )
