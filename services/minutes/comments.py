"""Comments on a thematic meeting's draft resolution: the draft sent to every member until a
deadline, and each member's comment taken in."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from domain.dates import parse_local_datetime
from domain.messages import N_, Reply, Text
from domain.resolutions import ResolutionStatus
from services import actions, outbox, pending
from services.config import ServiceSettings
from services.errors import Refused, refused
from services.minutes.access import managed_minutes, question, resolution_of, typed_text
from services.minutes.resolution import resolution_screen
from services.people import Caller, require_person
from services.views import date_problem, summary
from storage.db import Database
from storage.models import Cell, Meeting, Person, Resolution, ResolutionComment
from storage.repositories import active_members

ASK_COMMENT = "resolution.comment"
# A member may open the draft and press "comment" any day until the deadline, weeks away.
COMMENT_BUTTON_LIFETIME = timedelta(days=60)


async def ask_comments(
    database: Database,
    caller: Caller,
    meeting_id: int,
    typed_until: str,
    now: datetime,
    settings: ServiceSettings,
) -> Reply:
    """Send a thematic meeting's draft resolution to every member for comments."""
    parsed = parse_local_datetime(typed_until, now, settings.zone)
    if parsed.value is None:
        raise Refused(date_problem(parsed, N_("resolution.bad_deadline")))
    async with database.transaction() as session:
        _, meeting, cell = await managed_minutes(session, caller, meeting_id)
        resolution = await resolution_of(session, meeting, now)
        if resolution.status is not ResolutionStatus.DRAFT or not resolution.text:
            raise refused("resolution.decided")
        resolution.status = ResolutionStatus.COMMENTING
        resolution.comments_until = parsed.value
        for membership in await active_members(session, cell.id):
            await _send_draft(
                session, membership.person, meeting, cell, resolution, parsed.value, now, settings
            )
        await pending.forget(session, caller=caller)
        await session.flush()
        return await resolution_screen(
            session, caller, meeting, cell, now, settings, Text("resolution.sent_for_comments")
        )


async def _send_draft(
    session: AsyncSession,
    member: Person,
    meeting: Meeting,
    cell: Cell,
    resolution: Resolution,
    until: datetime,
    now: datetime,
    settings: ServiceSettings,
) -> None:
    """The draft to one member, with a button to comment on it."""
    comment = await actions.button(
        session,
        Text("resolution.comment_button"),
        "resolution.comment",
        {"resolution_id": resolution.id},
        telegram_user_id=member.telegram_user_id,
        now=now,
        lifetime=COMMENT_BUTTON_LIFETIME,
    )
    await outbox.enqueue_message(
        session,
        key=f"draft:{resolution.id}:{member.id}",
        chat_id=member.telegram_user_id,
        text=Text(
            "resolution.draft_notice",
            {"summary": summary(meeting, cell.name), "text": resolution.text, "until": until},
        ),
        lang=member.language or settings.default_language,
        now=now,
        buttons=((comment,),),
    )


async def ask_comment(
    database: Database, caller: Caller, resolution_id: int, now: datetime
) -> Reply:
    async with database.transaction() as session:
        await _commentable(session, caller, resolution_id, now)
        payload = {"resolution_id": resolution_id}
        asked = Text("resolution.ask_comment")
        return await question(session, caller, ASK_COMMENT, payload, now, asked)


async def _commentable(
    session: AsyncSession, caller: Caller, resolution_id: int, now: datetime
) -> tuple[Person, Resolution]:
    """The draft, if it is the caller's cell's and still open for comments."""
    person, actor = await require_person(session, caller)
    resolution = await session.get(Resolution, resolution_id)
    meeting = await session.get(Meeting, resolution.meeting_id) if resolution else None
    if (
        resolution is None
        or meeting is None
        or meeting.cell_id not in {role.cell_id for role in actor.cell_roles}
    ):
        raise refused("rsvp.not_invited")
    if resolution.status is not ResolutionStatus.COMMENTING or (
        resolution.comments_until is not None and now > resolution.comments_until
    ):
        raise refused("resolution.comments_closed")
    return person, resolution


async def comment(
    database: Database, caller: Caller, resolution_id: int, typed: str, now: datetime
) -> Reply:
    text = typed_text(typed)
    async with database.transaction() as session:
        person, resolution = await _commentable(session, caller, resolution_id, now)
        session.add(
            ResolutionComment(
                resolution_id=resolution.id, person_id=person.id, text=text, created_at=now
            )
        )
        await pending.forget(session, caller=caller)
        return Reply(Text("resolution.comment_thanks"))
