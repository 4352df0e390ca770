"""The meeting's resolution (nghị quyết): its screen, the tasks it assigns, and the vote that
adopts or rejects it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.attendance import RollFigures, RollStatus
from domain.dates import parse_local_datetime
from domain.meetings import MeetingKind
from domain.messages import N_, Button, Reply, Text
from domain.resolutions import (
    ResolutionStatus,
    TaskStatus,
    VoteProblem,
    adopted,
    parse_vote,
    vote_problem,
)
from domain.roles import MemberStatus
from services import actions, pending
from services.config import ServiceSettings
from services.errors import Refused, refused
from services.minutes.access import (
    DECIDED,
    figures,
    managed_minutes,
    no_quorum,
    question,
    resolution_of,
    roll,
    tasks_of,
    undecided_resolution,
)
from services.minutes.tasks import announce_task, task_line
from services.people import Caller
from services.views import date_problem, summary
from storage.db import Database
from storage.models import (
    Cell,
    Invitation,
    Meeting,
    Membership,
    Person,
    Resolution,
    ResolutionComment,
    ResolutionTask,
)
from storage.repositories import active_members

ASK_TASK = "resolution.task"
MAX_TASK = 300

RESOLUTION_STATUS_TEXT = {
    ResolutionStatus.DRAFT: N_("resolution.status.draft"),
    ResolutionStatus.COMMENTING: N_("resolution.status.commenting"),
    ResolutionStatus.ADOPTED: N_("resolution.status.adopted"),
    ResolutionStatus.REJECTED: N_("resolution.status.rejected"),
}


async def resolution_view(
    database: Database, caller: Caller, meeting_id: int, now: datetime, settings: ServiceSettings
) -> Reply:
    async with database.transaction() as session:
        _, meeting, cell = await managed_minutes(session, caller, meeting_id)
        return await resolution_screen(session, caller, meeting, cell, now, settings, None)


async def resolution_screen(
    session: AsyncSession,
    caller: Caller,
    meeting: Meeting,
    cell: Cell,
    now: datetime,
    settings: ServiceSettings,
    notice: Text | None,
) -> Reply:
    """The resolution as it stands: its text, tasks, members' comments and the vote."""
    resolution = await resolution_of(session, meeting, now)
    tasks = await tasks_of(session, resolution.id)
    counted = figures(await roll(session, meeting.id), settings)
    comments = await _comments(session, resolution.id)
    make_button = actions.ButtonMaker(session, caller.telegram_user_id, now)
    return Reply(
        Text(
            "resolution.view",
            {
                "summary": summary(meeting, cell.name),
                "status": Text(RESOLUTION_STATUS_TEXT[resolution.status]),
                "text": resolution.text or "—",
                "tasks": [task_line(task, name) for task, name in tasks] or "—",
                "comments": [
                    Text("resolution.comment_line", {"name": name, "text": text})
                    for name, text in comments
                ]
                or "—",
                "vote": _vote_line(resolution, counted),
            },
        ),
        await _resolution_buttons(make_button, meeting, resolution, counted),
        notice=notice,
    )


async def _comments(session: AsyncSession, resolution_id: int) -> Sequence[tuple[str, str]]:
    """Each member's comment on the draft with their name, in the order they came."""
    rows = await session.execute(
        select(Person.full_name, ResolutionComment.text)
        .join(Person, Person.id == ResolutionComment.person_id)
        .where(ResolutionComment.resolution_id == resolution_id)
        .order_by(ResolutionComment.created_at, ResolutionComment.id)
    )
    return [(name, text) for name, text in rows]


def _vote_line(resolution: Resolution, counted: RollFigures) -> Text | str:
    """The vote once cast; before it, why there can be none when the quorum was not met."""
    if resolution.votes_for is not None:
        return Text(
            "resolution.vote_line",
            {
                "for": resolution.votes_for,
                "against": resolution.votes_against or 0,
                "abstain": resolution.votes_abstain or 0,
                "full": resolution.full_members or 0,
            },
        )
    if resolution.status not in DECIDED and not counted.quorum_met:
        return no_quorum(counted, N_("resolution.no_quorum"))
    return ""


async def _resolution_buttons(
    make_button: actions.ButtonMaker,
    meeting: Meeting,
    resolution: Resolution,
    counted: RollFigures,
) -> tuple[tuple[Button, ...], ...]:
    """Until it is decided: write the text, add a task, send the draft of a thematic meeting
    for comments, and (with a quorum) record the vote."""
    about = make_button.about(meeting_id=meeting.id)
    rows: list[tuple[Button, ...]] = []
    if resolution.status not in DECIDED:
        rows.append(
            (
                await about(Text("resolution.text_button"), "minutes.ask", field="resolution"),
                await about(Text("resolution.task_button"), "resolution.task"),
            )
        )
        if (
            meeting.kind is MeetingKind.THEMATIC
            and resolution.status is ResolutionStatus.DRAFT
            and resolution.text
        ):
            rows.append(
                (
                    await about(
                        Text("resolution.comments_button"), "minutes.ask", field="comments_until"
                    ),
                )
            )
        if resolution.text and counted.quorum_met:
            rows.append((await about(Text("resolution.vote_button"), "minutes.ask", field="vote"),))
    rows.append((await about(Text("resolution.back"), "minutes.open"),))
    return tuple(rows)


# --- tasks ---------------------------------------------------------------------------------


async def pick_task_member(
    database: Database, caller: Caller, meeting_id: int, now: datetime
) -> Reply:
    async with database.transaction() as session:
        make_button = actions.ButtonMaker(session, caller.telegram_user_id, now)
        _, meeting, cell = await managed_minutes(session, caller, meeting_id)
        buttons = [
            await make_button(
                Text("common.person_button", {"name": m.person.full_name}),
                "resolution.task_member",
                meeting_id=meeting.id,
                person_id=m.person_id,
            )
            for m in await active_members(session, cell.id)
        ]
        rows = tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))
        return Reply(Text("resolution.pick_member"), rows)


async def ask_task(
    database: Database, caller: Caller, meeting_id: int, person_id: int, now: datetime
) -> Reply:
    async with database.transaction() as session:
        await managed_minutes(session, caller, meeting_id)
        payload = {"meeting_id": meeting_id, "person_id": person_id}
        return await question(session, caller, ASK_TASK, payload, now, Text("resolution.ask_task"))


async def add_task(
    database: Database,
    caller: Caller,
    meeting_id: int,
    person_id: int,
    typed: str,
    now: datetime,
    settings: ServiceSettings,
) -> Reply:
    """`Mô tả nhiệm vụ; 31/12/2026`: the task, and after a semicolon an optional due day."""
    description, due = _typed_task(typed, now, settings)
    async with database.transaction() as session:
        _, meeting, cell = await managed_minutes(session, caller, meeting_id)
        resolution = await undecided_resolution(session, meeting, now)
        if await session.get(Person, person_id) is None:
            raise refused("error.stale_button")
        session.add(
            ResolutionTask(
                resolution_id=resolution.id,
                description=description,
                person_id=person_id,
                due_on=due,
                status=TaskStatus.OPEN,
                created_at=now,
            )
        )
        await pending.forget(session, caller=caller)
        await session.flush()
        return await resolution_screen(
            session, caller, meeting, cell, now, settings, Text("agenda.saved")
        )


def _typed_task(typed: str, now: datetime, settings: ServiceSettings) -> tuple[str, date | None]:
    description, _, due_text = typed.partition(";")
    description = " ".join(description.split())
    if not description or len(description) > MAX_TASK:
        raise refused("resolution.bad_task")
    if not due_text.strip():
        return description, None
    parsed = parse_local_datetime(due_text.strip() + " 17:00", now, settings.zone)
    if parsed.value is None:
        raise Refused(date_problem(parsed, N_("resolution.bad_task")))
    return description, parsed.value.astimezone(settings.zone).date()


# --- the vote ------------------------------------------------------------------------------


async def vote(
    database: Database,
    caller: Caller,
    meeting_id: int,
    typed: str,
    now: datetime,
    settings: ServiceSettings,
) -> Reply:
    """Record the vote; the resolution passes with more than half of the full members for it."""
    counted = parse_vote(typed)
    if counted is None:
        raise refused("resolution.bad_vote")
    async with database.transaction() as session:
        _, meeting, cell = await managed_minutes(session, caller, meeting_id)
        resolution = await undecided_resolution(session, meeting, now)
        full_ids = await _full_members(session, cell.id)
        present_full = await _present_among(session, meeting.id, full_ids)
        attended = figures(await roll(session, meeting.id), settings)
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
        resolution.decided_at = now
        await pending.forget(session, caller=caller)
        if passed:
            for task, _name in await tasks_of(session, resolution.id):
                await announce_task(session, task, now, settings)
        await session.flush()
        outcome = Text(
            N_("resolution.adopted") if passed else N_("resolution.rejected"),
            {"for": counted.votes_for, "full": len(full_ids), "needed": len(full_ids) // 2 + 1},
        )
        return await resolution_screen(session, caller, meeting, cell, now, settings, outcome)


async def _full_members(session: AsyncSession, cell_id: int) -> set[int]:
    """The cell's full (not probationary) members now: only they vote on a resolution."""
    return set(
        await session.scalars(
            select(Membership.person_id).where(
                Membership.cell_id == cell_id,
                Membership.left_at.is_(None),
                Membership.status == MemberStatus.FULL,
            )
        )
    )


async def _present_among(session: AsyncSession, meeting_id: int, person_ids: set[int]) -> int:
    return int(
        await session.scalar(
            select(func.count(Invitation.id)).where(
                Invitation.meeting_id == meeting_id,
                Invitation.roll_status == RollStatus.PRESENT,
                Invitation.person_id.in_(person_ids),
            )
        )
        or 0
    )
