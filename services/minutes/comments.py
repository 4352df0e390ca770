"""Comments on a thematic meeting's draft resolution: the draft sent to every member until a
deadline, and each member's comment taken in."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from domain.dates import parse_local_datetime
from domain.messages import N_, Reply, Text
from domain.resolutions import ResolutionStatus
from services import actions, outbox, pending
from services.errors import Refused, refused
from services.minutes.access import (
    AboutMeeting,
    managed_minutes,
    question,
    resolution_of,
    typed_text,
)
from services.minutes.screens import resolution_screen
from services.people import Caller, require_person
from services.request import Request
from services.routes import answer, button
from services.views import date_problem, summary
from storage.models import Cell, Meeting, Person, Resolution, ResolutionComment
from storage.repositories import active_members

ASK_COMMENT = "resolution.comment"
# A member may open the draft and press "comment" any day until the deadline, weeks away.
COMMENT_BUTTON_LIFETIME = timedelta(days=60)


@dataclass(frozen=True)
class Deadline(AboutMeeting):
    """Until when the members may comment on the draft, as the secretary typed it."""

    text: str = field(kw_only=True)


async def ask_comments(request: Request, typed: Deadline) -> Reply:
    """Send a thematic meeting's draft resolution to every member for comments."""
    parsed = parse_local_datetime(typed.text, request.now, request.settings.zone)
    if parsed.value is None:
        raise Refused(date_problem(parsed, N_("resolution.bad_deadline")))
    async with request.transaction() as session:
        _, meeting, cell = await managed_minutes(session, request.caller, typed.meeting_id)
        resolution = await resolution_of(session, meeting, request.now)
        if resolution.status is not ResolutionStatus.DRAFT or not resolution.text:
            raise refused("resolution.decided")
        resolution.status = ResolutionStatus.COMMENTING
        resolution.comments_until = parsed.value
        for membership in await active_members(session, cell.id):
            await _send_draft(
                request, session, membership.person, meeting, cell, resolution, parsed.value
            )
        await pending.forget(session, caller=request.caller)
        await session.flush()
        sent = Text("resolution.sent_for_comments")
        return await resolution_screen(request, session, meeting, cell, sent)


async def _send_draft(
    request: Request,
    session: AsyncSession,
    member: Person,
    meeting: Meeting,
    cell: Cell,
    resolution: Resolution,
    until: datetime,
) -> None:
    """The draft to one member, with a button to comment on it."""
    comment = await actions.button(
        session,
        Text("resolution.comment_button"),
        "resolution.comment",
        {"resolution_id": resolution.id},
        telegram_user_id=member.telegram_user_id,
        now=request.now,
        lifetime=COMMENT_BUTTON_LIFETIME,
    )
    await outbox.message_person(
        session,
        member,
        key=f"draft:{resolution.id}:{member.id}",
        text=Text(
            "resolution.draft_notice",
            {"summary": summary(meeting, cell.name), "text": resolution.text, "until": until},
        ),
        default_language=request.settings.default_language,
        now=request.now,
        buttons=((comment,),),
    )


@dataclass(frozen=True)
class AboutDraft:
    resolution_id: int


@button("resolution.comment", AboutDraft)
async def ask_comment(request: Request, about: AboutDraft) -> Reply:
    async with request.transaction() as session:
        await _commentable(session, request.caller, about.resolution_id, request.now)
        return await question(request, session, ASK_COMMENT, about, Text("resolution.ask_comment"))


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


@dataclass(frozen=True)
class TypedComment(AboutDraft):
    text: str = field(kw_only=True)


@answer(ASK_COMMENT, TypedComment)
async def comment(request: Request, typed: TypedComment) -> Reply:
    text = typed_text(typed.text)
    async with request.transaction() as session:
        person, resolution = await _commentable(
            session, request.caller, typed.resolution_id, request.now
        )
        session.add(
            ResolutionComment(
                resolution_id=resolution.id, person_id=person.id, text=text, created_at=request.now
            )
        )
        await pending.forget(session, caller=request.caller)
        return Reply(Text("resolution.comment_thanks"))
