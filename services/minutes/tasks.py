"""The tasks of an adopted resolution, followed until they are done: each announced to the
member responsible, who marks it done or reports progress; regular meetings review them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from domain.messages import N_, Reply, Text
from domain.resolutions import TaskStatus
from services import actions, outbox, pending
from services.config import ServiceSettings
from services.errors import refused
from services.minutes.access import question
from services.people import Caller, require_person
from services.request import Request
from services.routes import answer, button
from storage.models import Meeting, Person, ResolutionTask
from storage.queries.resolutions import open_adopted_tasks_of_person, tasks_to_review

ASK_PROGRESS = "task.progress"
MAX_PROGRESS = 500
# The buttons under an announced task are pressed whenever the work is done, months later.
TASK_BUTTON_LIFETIME = timedelta(days=400)
# A regular meeting reviews the tasks done in the month before it.
REVIEWED_DONE = timedelta(days=31)


@dataclass(frozen=True)
class AboutTask:
    task_id: int


@dataclass(frozen=True)
class Progress(AboutTask):
    """How the work on the task goes, in the member's words."""

    text: str = field(kw_only=True)


def task_line(task: ResolutionTask, name: str) -> Text:
    return Text(
        "task.line",
        {
            "description": task.description,
            "name": name,
            "due": task.due_on if task.due_on else "—",
            "status": Text("task.done", {"when": task.done_at})
            if task.done_at is not None
            else Text("task.open", {"progress": task.progress or ""}),
        },
    )


async def announce_task(
    session: AsyncSession, task: ResolutionTask, now: datetime, settings: ServiceSettings
) -> None:
    """Tell the member responsible of their task, with buttons to mark it done or report."""
    person = await session.get(Person, task.person_id)
    assert person is not None
    buttons = [
        await actions.button(
            session,
            Text(label),
            kind,
            {"task_id": task.id},
            telegram_user_id=person.telegram_user_id,
            now=now,
            lifetime=TASK_BUTTON_LIFETIME,
        )
        for label, kind in (
            (N_("task.done_button"), "task.done"),
            (N_("task.progress_button"), "task.progress"),
        )
    ]
    await outbox.message_person(
        session,
        person,
        key=f"task:{task.id}",
        text=Text("task.assigned", {"task": task_line(task, person.full_name)}),
        default_language=settings.default_language,
        now=now,
        buttons=(tuple(buttons),),
    )


async def _own_task(
    session: AsyncSession, caller: Caller, task_id: int
) -> tuple[Person, ResolutionTask]:
    person, _ = await require_person(session, caller)
    task = await session.get(ResolutionTask, task_id)
    if task is None or task.person_id != person.id:
        raise refused("error.stale_button")
    return person, task


async def my_tasks(request: Request) -> Reply:
    """/tasks: the caller's open tasks of adopted resolutions, soonest due first."""
    async with request.transaction() as session:
        make_button = request.buttons(session)
        person, _ = await require_person(session, request.caller)
        tasks = await open_adopted_tasks_of_person(session, person.id)
        if not tasks:
            return Reply(Text("task.none"))
        rows = []
        for task in tasks:
            label = Text("task.done_for", {"description": task.description[:40]})
            rows.append((await make_button(label, "task.done", task_id=task.id),))
        return Reply(
            Text("task.mine", {"lines": [task_line(t, person.full_name) for t in tasks]}),
            tuple(rows),
        )


@button("task.done", AboutTask)
async def mark_done(request: Request, about: AboutTask) -> Reply:
    async with request.transaction() as session:
        person, task = await _own_task(session, request.caller, about.task_id)
        if task.status is not TaskStatus.DONE:
            task.status = TaskStatus.DONE
            task.done_at = request.now
        return Reply(
            Text("task.marked_done", {"task": task_line(task, person.full_name)}),
            notice=Text("task.done_notice"),
        )


@button("task.progress", AboutTask)
async def ask_progress(request: Request, about: AboutTask) -> Reply:
    async with request.transaction() as session:
        await _own_task(session, request.caller, about.task_id)
        return await question(request, session, ASK_PROGRESS, about, Text("task.ask_progress"))


@answer(ASK_PROGRESS, Progress)
async def report_progress(request: Request, typed: Progress) -> Reply:
    text = " ".join(typed.text.split())
    if not text or len(text) > MAX_PROGRESS:
        raise refused("minutes.bad_text", max=MAX_PROGRESS)
    async with request.transaction() as session:
        person, task = await _own_task(session, request.caller, typed.task_id)
        task.progress = text
        await pending.forget(session, caller=request.caller)
        return Reply(Text("task.progress_saved", {"task": task_line(task, person.full_name)}))


async def review_lines(session: AsyncSession, meeting: Meeting) -> list[Text]:
    """The tasks a regular meeting reviews: every open task of the cell's adopted resolutions
    (they carry over until done), and those done in the month before."""
    rows = await tasks_to_review(
        session, meeting.cell_id, meeting.starts_at, meeting.starts_at - REVIEWED_DONE
    )
    return [task_line(task, name) for task, name in rows]
