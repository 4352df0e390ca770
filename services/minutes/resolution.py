"""The meeting's resolution (nghị quyết): its screen, the tasks it assigns, and the vote that
adopts or rejects it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from domain.dates import parse_local_datetime
from domain.messages import N_, Reply, Text
from domain.resolutions import (
    ResolutionStatus,
    TaskStatus,
    VoteProblem,
    adopted,
    parse_vote,
    vote_problem,
)
from services import pending
from services.errors import Refused, refused
from services.minutes.access import (
    AboutMeeting,
    figures,
    managed_minutes,
    no_quorum,
    question,
    undecided_resolution,
)
from services.minutes.screens import resolution_screen
from services.minutes.tasks import announce_task
from services.request import Request
from services.routes import answer, button
from services.views import date_problem, person_buttons
from storage.models import Person, ResolutionTask
from storage.queries.minutes import closed_roll
from storage.queries.resolutions import (
    full_members_of_cell,
    present_count_among,
    tasks_of_resolution,
)
from storage.repositories import active_members

ASK_TASK = "resolution.task"
MAX_TASK = 300


@button("resolution.open", AboutMeeting)
async def resolution_view(request: Request, about: AboutMeeting) -> Reply:
    async with request.transaction() as session:
        _, meeting, cell = await managed_minutes(session, request.caller, about.meeting_id)
        return await resolution_screen(request, session, meeting, cell, None)


# --- tasks ---------------------------------------------------------------------------------


@button("resolution.task", AboutMeeting)
async def pick_task_member(request: Request, about: AboutMeeting) -> Reply:
    async with request.transaction() as session:
        make_button = request.buttons(session)
        _, meeting, cell = await managed_minutes(session, request.caller, about.meeting_id)
        members = await active_members(session, cell.id)
        rows = await person_buttons(
            make_button,
            (m.person for m in members),
            "resolution.task_member",
            meeting_id=meeting.id,
        )
        return Reply(Text("resolution.pick_member"), rows)


@dataclass(frozen=True)
class TaskMember(AboutMeeting):
    """The member a task is for, picked on the resolution's list of members."""

    person_id: int


@button("resolution.task_member", TaskMember)
async def ask_task(request: Request, picked: TaskMember) -> Reply:
    async with request.transaction() as session:
        await managed_minutes(session, request.caller, picked.meeting_id)
        return await question(request, session, ASK_TASK, picked, Text("resolution.ask_task"))


@dataclass(frozen=True)
class TypedTask(TaskMember):
    """The task as typed: what is to be done, and after a semicolon an optional due day."""

    text: str = field(kw_only=True)


@answer(ASK_TASK, TypedTask)
async def add_task(request: Request, typed: TypedTask) -> Reply:
    """`Mô tả nhiệm vụ; 31/12/2026`: the task, and after a semicolon an optional due day."""
    description, due = _typed_task(typed.text, request)
    async with request.transaction() as session:
        _, meeting, cell = await managed_minutes(session, request.caller, typed.meeting_id)
        resolution = await undecided_resolution(session, meeting, request.now)
        if await session.get(Person, typed.person_id) is None:
            raise refused("error.stale_button")
        session.add(
            ResolutionTask(
                resolution_id=resolution.id,
                description=description,
                person_id=typed.person_id,
                due_on=due,
                status=TaskStatus.OPEN,
                created_at=request.now,
            )
        )
        await pending.forget(session, caller=request.caller)
        await session.flush()
        return await resolution_screen(request, session, meeting, cell, Text("agenda.saved"))


def _typed_task(typed: str, request: Request) -> tuple[str, date | None]:
    description, _, due_text = typed.partition(";")
    description = " ".join(description.split())
    if not description or len(description) > MAX_TASK:
        raise refused("resolution.bad_task")
    if not due_text.strip():
        return description, None
    zone = request.settings.zone
    parsed = parse_local_datetime(due_text.strip() + " 17:00", request.now, zone)
    if parsed.value is None:
        raise Refused(date_problem(parsed, N_("resolution.bad_task")))
    return description, parsed.value.astimezone(zone).date()


# --- the vote ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TypedVote(AboutMeeting):
    """The vote as the secretary typed it (``for against abstain``)."""

    text: str = field(kw_only=True)


async def vote(request: Request, typed: TypedVote) -> Reply:
    """Record the vote; the resolution passes with more than half of the full members for it."""
    counted = parse_vote(typed.text)
    if counted is None:
        raise refused("resolution.bad_vote")
    settings = request.settings
    async with request.transaction() as session:
        _, meeting, cell = await managed_minutes(session, request.caller, typed.meeting_id)
        resolution = await undecided_resolution(session, meeting, request.now)
        full_ids = await full_members_of_cell(session, cell.id)
        present_full = await present_count_among(session, meeting.id, full_ids)
        attended = figures(await closed_roll(session, meeting.id), settings)
        problem = vote_problem(counted, present_full, attended.quorum_met)
        if problem is VoteProblem.NO_QUORUM:
            raise Refused(no_quorum(attended, N_("resolution.no_quorum")))
        if problem is VoteProblem.TOO_MANY:
            raise refused("resolution.too_many_votes", present=present_full)
        passed = adopted(counted, len(full_ids))
        resolution.votes_for, resolution.votes_against, resolution.votes_abstain = (
            counted.votes_for,
            counted.against,
            counted.abstain,
        )
        resolution.full_members = len(full_ids)
        resolution.status = ResolutionStatus.ADOPTED if passed else ResolutionStatus.REJECTED
        resolution.decided_at = request.now
        await pending.forget(session, caller=request.caller)
        if passed:
            for task, _name in await tasks_of_resolution(session, resolution.id):
                await announce_task(session, task, request.now, settings)
        await session.flush()
        outcome = Text(
            N_("resolution.adopted") if passed else N_("resolution.rejected"),
            {"for": counted.votes_for, "full": len(full_ids), "needed": len(full_ids) // 2 + 1},
        )
        return await resolution_screen(request, session, meeting, cell, outcome)
