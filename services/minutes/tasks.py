"""The tasks of an adopted resolution, followed until they are done: each announced to the
member responsible, who marks it done or reports progress; regular meetings review them."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.messages import N_, Reply, Text
from domain.resolutions import ResolutionStatus, TaskStatus
from services import actions, outbox, pending
from services.config import ServiceSettings
from services.errors import refused
from services.minutes.access import question
from services.people import Caller, require_person
from storage.db import Database
from storage.models import Meeting, Person, Resolution, ResolutionTask

ASK_PROGRESS = "task.progress"
MAX_PROGRESS = 500
# The buttons under an announced task are pressed whenever the work is done, months later.
TASK_BUTTON_LIFETIME = timedelta(days=400)


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
    await outbox.enqueue_message(
        session,
        key=f"task:{task.id}",
        chat_id=person.telegram_user_id,
        text=Text("task.assigned", {"task": task_line(task, person.full_name)}),
        lang=person.language or settings.default_language,
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


async def my_tasks(database: Database, caller: Caller, now: datetime) -> Reply:
    """/tasks: the caller's open tasks of adopted resolutions, soonest due first."""
    async with database.transaction() as session:
        make_button = actions.ButtonMaker(session, caller.telegram_user_id, now)
        person, _ = await require_person(session, caller)
        tasks = (
            await session.scalars(
                select(ResolutionTask)
                .join(Resolution, Resolution.id == ResolutionTask.resolution_id)
                .where(
                    ResolutionTask.person_id == person.id,
                    ResolutionTask.status == TaskStatus.OPEN,
                    Resolution.status == ResolutionStatus.ADOPTED,
                )
                .order_by(ResolutionTask.due_on, ResolutionTask.id)
            )
        ).all()
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


async def mark_done(database: Database, caller: Caller, task_id: int, now: datetime) -> Reply:
    async with database.transaction() as session:
        person, task = await _own_task(session, caller, task_id)
        if task.status is not TaskStatus.DONE:
            task.status = TaskStatus.DONE
            task.done_at = now
        return Reply(
            Text("task.marked_done", {"task": task_line(task, person.full_name)}),
            notice=Text("task.done_notice"),
        )


async def ask_progress(database: Database, caller: Caller, task_id: int, now: datetime) -> Reply:
    async with database.transaction() as session:
        await _own_task(session, caller, task_id)
        payload = {"task_id": task_id}
        return await question(
            session, caller, ASK_PROGRESS, payload, now, Text("task.ask_progress")
        )


async def report_progress(
    database: Database, caller: Caller, task_id: int, typed: str, now: datetime
) -> Reply:
    text = " ".join(typed.split())
    if not text or len(text) > MAX_PROGRESS:
        raise refused("minutes.bad_text", max=MAX_PROGRESS)
    async with database.transaction() as session:
        person, task = await _own_task(session, caller, task_id)
        task.progress = text
        await pending.forget(session, caller=caller)
        return Reply(Text("task.progress_saved", {"task": task_line(task, person.full_name)}))


async def review_lines(session: AsyncSession, meeting: Meeting) -> list[Text]:
    """The tasks a regular meeting reviews: every open task of the cell's adopted resolutions
    (they carry over until done), and those done in the month before."""
    rows = await session.execute(
        select(ResolutionTask, Person.full_name)
        .join(Person, Person.id == ResolutionTask.person_id)
        .join(Resolution, Resolution.id == ResolutionTask.resolution_id)
        .join(Meeting, Meeting.id == Resolution.meeting_id)
        .where(
            Meeting.cell_id == meeting.cell_id,
            Meeting.starts_at < meeting.starts_at,
            Resolution.status == ResolutionStatus.ADOPTED,
            (ResolutionTask.status == TaskStatus.OPEN)
            | (ResolutionTask.done_at >= meeting.starts_at - timedelta(days=31)),
        )
        .order_by(ResolutionTask.due_on, ResolutionTask.id)
    )
    return [task_line(task, name) for task, name in rows]
