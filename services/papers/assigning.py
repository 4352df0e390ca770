"""The secretary assigns a paper: to which member, on what topic, due when; the member hears
of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.dates import parse_local_datetime
from domain.meetings import MAX_AGENDA_ITEM_LENGTH
from domain.messages import N_, Reply, Text
from domain.papers import DEFAULT_DUE_BEFORE_MEETING, DUE_THE_DAY_BEFORE, due_choices
from services import outbox, pending
from services.access import managed_meeting
from services.errors import Refused, refused
from services.papers.following import OfMeeting, papers_screen, uncancelled_meeting
from services.people import require_person
from services.request import Request
from services.routes import answer, button
from services.views import date_problem, person_buttons, summary
from storage.models import Cell, Meeting, PaperAssignment, Person
from storage.queries.papers import assignment_on_topic
from storage.repositories import active_members

ASK_TOPIC = "paper.topic"
ASK_DUE = "paper.due"

DUE_CHOICE_TEXT = {
    DEFAULT_DUE_BEFORE_MEETING: N_("paper.due_default"),
    DUE_THE_DAY_BEFORE: N_("paper.due_day_before"),
}


@dataclass(frozen=True)
class Member:
    meeting_id: int
    person_id: int


@dataclass(frozen=True)
class Topic:
    """The topic typed for the member's paper."""

    meeting_id: int
    person_id: int
    text: str


@dataclass(frozen=True)
class TypedDue:
    """The due date and time typed rather than picked."""

    meeting_id: int
    person_id: int
    topic: str
    text: str


@dataclass(frozen=True)
class NewPaper:
    meeting_id: int
    person_id: int
    topic: str
    due_at: datetime


@button("paper.assign", OfMeeting)
async def pick_member(request: Request, of: OfMeeting) -> Reply:
    async with request.transaction() as session:
        make_button = request.buttons(session)
        meeting, cell = await uncancelled_meeting(session, request, of.meeting_id)
        members = await active_members(session, cell.id)
        rows = await person_buttons(
            make_button, (m.person for m in members), "paper.member", meeting_id=meeting.id
        )
        return Reply(Text("paper.pick_member"), rows)


@button("paper.member", Member)
async def ask_topic(request: Request, chosen: Member) -> Reply:
    async with request.transaction() as session:
        _, _, meeting, _ = await managed_meeting(session, request.caller, chosen.meeting_id)
        member = await session.get(Person, chosen.person_id)
        if member is None:
            raise refused("error.stale_button")
        await request.ask(
            session, ASK_TOPIC, {"meeting_id": meeting.id, "person_id": chosen.person_id}
        )
        return Reply(Text("paper.ask_topic", {"name": member.full_name}))


@answer(ASK_TOPIC, Topic)
async def ask_due(request: Request, typed: Topic) -> Reply:
    topic = " ".join(typed.text.split())
    if not topic or len(topic) > MAX_AGENDA_ITEM_LENGTH or topic.startswith("/"):
        raise refused("paper.bad_topic", max=MAX_AGENDA_ITEM_LENGTH)
    async with request.transaction() as session:
        make_button = request.buttons(session)
        _, _, meeting, _ = await managed_meeting(session, request.caller, typed.meeting_id)
        payload = {"meeting_id": meeting.id, "person_id": typed.person_id, "topic": topic}
        await request.ask(session, ASK_DUE, payload)
        rows = tuple(
            [
                (
                    await make_button(
                        Text(DUE_CHOICE_TEXT[before], {"due": due}),
                        "paper.create",
                        **{**payload, "due_at": due.isoformat()},
                    ),
                )
                for before, due in due_choices(meeting.starts_at, request.now)
            ]
        )
        # Only a prompt with buttons says "or pick".
        return Reply(Text("paper.ask_due") if rows else Text("paper.ask_due_typed"), rows)


@answer(ASK_DUE, TypedDue)
async def assign_with_typed_due(request: Request, typed: TypedDue) -> Reply:
    parsed = parse_local_datetime(typed.text, request.now, request.settings.zone)
    if parsed.value is None:
        raise Refused(date_problem(parsed))
    return await assign(
        request, NewPaper(typed.meeting_id, typed.person_id, typed.topic, parsed.value)
    )


@button("paper.create", NewPaper)
async def assign(request: Request, paper: NewPaper) -> Reply:
    async with request.transaction() as session:
        meeting, cell = await uncancelled_meeting(session, request, paper.meeting_id)
        if paper.due_at > meeting.starts_at:
            raise refused("paper.due_after_meeting", when=meeting.starts_at)
        member = await session.get(Person, paper.person_id)
        if member is None or member.id not in {
            m.person_id for m in await active_members(session, cell.id)
        }:
            raise refused("error.stale_button")
        secretary, _ = await require_person(session, request.caller)
        twin = await assignment_on_topic(session, meeting.id, member.id, paper.topic)
        if twin is None:
            assignment = PaperAssignment(
                meeting_id=meeting.id,
                person_id=member.id,
                topic=paper.topic,
                due_at=paper.due_at,
                assigned_by_person_id=secretary.id,
                created_at=request.now,
            )
            session.add(assignment)
            await session.flush()
            await outbox.message_person(
                session,
                member,
                key=f"paper-assigned:{assignment.id}",
                text=_assigned_notice(paper, meeting, cell),
                default_language=request.settings.default_language,
                now=request.now,
            )
        await pending.forget(session, caller=request.caller)
        assigned = Text("paper.assigned", {"name": member.full_name})
        return await papers_screen(session, request, meeting, cell, assigned)


def _assigned_notice(paper: NewPaper, meeting: Meeting, cell: Cell) -> Text:
    return Text(
        "paper.assigned_notice",
        {"topic": paper.topic, "due": paper.due_at, "summary": summary(meeting, cell.name)},
    )
