"""Minutes (biên bản) and resolutions (nghị quyết): recorded in chat after the roll, exported as
a document; the resolution's tasks followed until they are done."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.attendance import RollFigures, RollStatus, roll_figures
from domain.dates import parse_local_datetime
from domain.meetings import REASON_TEXT, AbsenceReason, MeetingKind
from domain.messages import N_, Attachment, Button, Reply, Text
from domain.records import (
    AttendeeLine,
    ItemRecord,
    MinutesDocument,
    MinutesLabels,
    Opinion,
    TaskLine,
    VoteRecord,
)
from domain.resolutions import (
    ResolutionStatus,
    TaskStatus,
    VoteProblem,
    adopted,
    parse_vote,
    vote_problem,
)
from domain.roles import MemberStatus
from reports.minutes import TemplateProblem, minutes_docx
from services import actions, outbox, pending
from services.access import managed_meeting
from services.cells import managed_cell
from services.config import ServiceSettings
from services.errors import Refused, refused
from services.people import Caller, require_person
from services.views import KIND_TEXT, agenda_items, date_problem, item_title, summary
from storage.db import Database
from storage.models import (
    AgendaItem,
    Cell,
    Invitation,
    ItemOpinion,
    Meeting,
    Membership,
    Organisation,
    Person,
    Resolution,
    ResolutionComment,
    ResolutionTask,
)
from storage.repositories import active_members

ASK_FIELD = "minutes.field"
ASK_TASK = "resolution.task"
ASK_COMMENT = "resolution.comment"
ASK_PROGRESS = "task.progress"
ASK_OPINION = "minutes.opinion"
MAX_FIELD = 4000
MAX_SPEAKER = 200
MINUTES_HISTORY = 12

Render = Callable[[Text], str]

# What the secretary types, and where it goes.
MEETING_FIELDS = {"chair": N_("minutes.ask.chair"), "note_taker": N_("minutes.ask.note_taker")}
ITEM_FIELDS = {
    "report": N_("minutes.ask.report"),
    "conclusion": N_("minutes.ask.conclusion"),
}
RESOLUTION_FIELDS = {
    "resolution": N_("minutes.ask.resolution"),
    "vote": N_("minutes.ask.vote"),
    "comments_until": N_("minutes.ask.comments_until"),
}
ITEM_BUTTONS = {
    "report": N_("minutes.report_button"),
    "conclusion": N_("minutes.conclusion_button"),
}
RESOLUTION_STATUS_TEXT = {
    ResolutionStatus.DRAFT: N_("resolution.status.draft"),
    ResolutionStatus.COMMENTING: N_("resolution.status.commenting"),
    ResolutionStatus.ADOPTED: N_("resolution.status.adopted"),
    ResolutionStatus.REJECTED: N_("resolution.status.rejected"),
}
ROLL_TEXT = {
    RollStatus.PRESENT: N_("roll.status.present"),
    RollStatus.EXCUSED: N_("roll.status.excused"),
    RollStatus.UNEXCUSED: N_("roll.status.unexcused"),
}


async def _managed(
    session: AsyncSession, caller: Caller, meeting_id: int
) -> tuple[Person, Meeting, Cell]:
    """A meeting whose minutes the caller may write: their cell's, with the roll closed."""
    person, _, meeting, cell = await managed_meeting(session, caller, meeting_id, for_update=True)
    if meeting.roll_closed_at is None:
        raise refused("minutes.roll_first")
    return person, meeting, cell


async def _resolution(session: AsyncSession, meeting: Meeting, now: datetime) -> Resolution:
    found = await session.scalar(select(Resolution).where(Resolution.meeting_id == meeting.id))
    if found is None:
        found = Resolution(
            meeting_id=meeting.id, text="", status=ResolutionStatus.DRAFT, created_at=now
        )
        session.add(found)
        await session.flush()
    return found


async def _roll(session: AsyncSession, meeting_id: int) -> list[tuple[Invitation, Person]]:
    """The closed roll of the expected members (the exempted are not counted), by name."""
    rows = await session.execute(
        select(Invitation, Person)
        .join(Person, Person.id == Invitation.person_id)
        .where(
            Invitation.meeting_id == meeting_id,
            Invitation.roll_status.is_not(None),
            Invitation.exempted.is_(False),
        )
        .order_by(Person.full_name)
    )
    return [(invitation, person) for invitation, person in rows]


def _figures(roll: list[tuple[Invitation, Person]], settings: ServiceSettings) -> RollFigures:
    return roll_figures(
        [i.roll_status for i, _ in roll if i.roll_status is not None], settings.quorum
    )


def _no_quorum(figures: RollFigures, key: str) -> Text:
    """Why the meeting could adopt nothing: who was there against how many were needed."""
    return Text(
        key,
        {
            "present": figures.present,
            "expected": figures.expected,
            "needed": figures.quorum_needed,
        },
    )


# --- the minutes -----------------------------------------------------------------------------


async def editor(
    database: Database, caller: Caller, meeting_id: int, now: datetime, notice: Text | None = None
) -> Reply:
    async with database.transaction() as session:
        _, meeting, cell = await _managed(session, caller, meeting_id)
        await pending.forget(session, caller=caller)
        return await _editor(session, caller, meeting, cell, now, notice)


async def _editor(
    session: AsyncSession,
    caller: Caller,
    meeting: Meeting,
    cell: Cell,
    now: datetime,
    notice: Text | None,
) -> Reply:
    make_button = actions.ButtonMaker(session, caller.telegram_user_id, now)
    items = await agenda_items(session, meeting.id)
    resolution = await _resolution(session, meeting, now)
    lines = [
        Text(
            "minutes.item_line",
            {
                "number": number,
                "title": item_title(item),
                "mark": "✅" if item.conclusion else "…",
            },
        )
        for number, item in enumerate(items, start=1)
    ]
    rows: list[tuple[Button, ...]] = [
        (
            await make_button(
                Text("minutes.chair_button"), "minutes.ask", meeting_id=meeting.id, field="chair"
            ),
            await make_button(
                Text("minutes.note_taker_button"),
                "minutes.ask",
                meeting_id=meeting.id,
                field="note_taker",
            ),
        )
    ]
    for number, item in enumerate(items, start=1):
        rows.append(
            (
                await make_button(
                    Text("minutes.item_button", {"number": number, "title": item_title(item)}),
                    "minutes.item",
                    item_id=item.id,
                ),
            )
        )
    rows.append(
        (
            await make_button(
                Text("minutes.resolution_button"), "resolution.open", meeting_id=meeting.id
            ),
        )
    )
    last_row = [await make_button(Text("minutes.export"), "minutes.export", meeting_id=meeting.id)]
    if meeting.minutes_recorded_at is None:
        last_row.insert(
            0,
            await make_button(Text("minutes.finish"), "minutes.finish", meeting_id=meeting.id),
        )
    rows.append(tuple(last_row))
    return Reply(
        Text(
            "minutes.editor",
            {
                "summary": summary(meeting, cell.name),
                "chair": meeting.chair or "—",
                "note_taker": meeting.note_taker or "—",
                "items": lines or [Text("agenda.empty")],
                "resolution": Text(RESOLUTION_STATUS_TEXT[resolution.status]),
                "state": Text("minutes.state.recorded", {"when": meeting.minutes_recorded_at})
                if meeting.minutes_recorded_at
                else Text("minutes.state.open"),
            },
        ),
        tuple(rows),
        notice=notice,
    )


async def item_menu(database: Database, caller: Caller, item_id: int, now: datetime) -> Reply:
    async with database.transaction() as session:
        meeting, item = await _managed_item(session, caller, item_id)
        return await _item_menu(session, caller, meeting, item, now, None)


async def _item_menu(
    session: AsyncSession,
    caller: Caller,
    meeting: Meeting,
    item: AgendaItem,
    now: datetime,
    notice: Text | None,
) -> Reply:
    make_button = actions.ButtonMaker(session, caller.telegram_user_id, now)
    buttons = [
        await make_button(
            Text(label), "minutes.ask", meeting_id=meeting.id, field=name, item_id=item.id
        )
        for name, label in ITEM_BUTTONS.items()
    ]
    buttons.insert(
        1, await make_button(Text("minutes.opinions_button"), "minutes.opinion", item_id=item.id)
    )
    back = await make_button(Text("common.back"), "minutes.open", meeting_id=meeting.id)
    # What was typed at once before opinions were recorded one speaker at a time, then each.
    opinions = [Text("minutes.opinions_typed", {"text": item.opinions})] if item.opinions else []
    opinions += [
        Text("minutes.opinion_line", {"speaker": o.speaker, "text": o.text})
        for o in await _opinions(session, item.id)
    ]
    return Reply(
        Text(
            "minutes.item",
            {
                "title": item_title(item),
                "report": item.report or "—",
                "opinions": opinions or "—",
                "conclusion": item.conclusion or "—",
            },
        ),
        (tuple(buttons), (back,)),
        notice=notice,
    )


# --- opinions: who said what under an item ----------------------------------------------------


async def _opinions(session: AsyncSession, item_id: int) -> list[ItemOpinion]:
    return list(
        await session.scalars(
            select(ItemOpinion)
            .where(ItemOpinion.item_id == item_id)
            .order_by(ItemOpinion.created_at, ItemOpinion.id)
        )
    )


async def _managed_item(
    session: AsyncSession, caller: Caller, item_id: int
) -> tuple[Meeting, AgendaItem]:
    item = await session.get(AgendaItem, item_id)
    if item is None:
        raise refused("error.stale_button")
    _, meeting, _ = await _managed(session, caller, item.meeting_id)
    return meeting, item


async def ask_opinion(database: Database, caller: Caller, item_id: int, now: datetime) -> Reply:
    """Ask who spoke: a present member's button, or the name typed before the opinion."""
    async with database.transaction() as session:
        make_button = actions.ButtonMaker(session, caller.telegram_user_id, now)
        meeting, item = await _managed_item(session, caller, item_id)
        await pending.ask(
            session, caller=caller, kind=ASK_OPINION, payload={"item_id": item.id}, now=now
        )
        present = [
            person
            for invitation, person in await _roll(session, meeting.id)
            if invitation.roll_status is RollStatus.PRESENT
        ]
        buttons = [
            await make_button(
                Text("common.person_button", {"name": person.full_name}),
                "minutes.opinion_of",
                item_id=item.id,
                person_id=person.id,
            )
            for person in present
        ]
        rows = [tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]
        rows.append((await make_button(Text("common.back"), "minutes.item", item_id=item.id),))
        return Reply(
            Text("minutes.ask.opinions", {"title": item_title(item)}), tuple(rows)
        )


async def ask_opinion_of(
    database: Database, caller: Caller, item_id: int, person_id: int, now: datetime
) -> Reply:
    async with database.transaction() as session:
        _, item = await _managed_item(session, caller, item_id)
        speaker = await session.get(Person, person_id)
        if speaker is None:
            raise refused("error.stale_button")
        await pending.ask(
            session,
            caller=caller,
            kind=ASK_OPINION,
            payload={"item_id": item.id, "person_id": speaker.id},
            now=now,
        )
        return Reply(Text("minutes.ask.opinion_of", {"name": speaker.full_name}))


async def record_opinion(
    database: Database,
    caller: Caller,
    item_id: int,
    person_id: int | None,
    typed: str,
    now: datetime,
) -> Reply:
    """An opinion under the item: of the member picked, or ``Tên người phát biểu: nội dung``."""
    async with database.transaction() as session:
        meeting, item = await _managed_item(session, caller, item_id)
        if person_id is not None:
            person = await session.get(Person, person_id)
            if person is None:
                raise refused("error.stale_button")
            speaker, text = person.full_name, typed.strip()
        else:
            typed_speaker, colon, text = typed.partition(":")
            speaker, text = " ".join(typed_speaker.split()), text.strip()
            if not colon or not speaker or len(speaker) > MAX_SPEAKER:
                raise refused("minutes.opinion_format", max=MAX_SPEAKER)
        if not text or len(text) > MAX_FIELD:
            raise refused("minutes.bad_text", max=MAX_FIELD)
        session.add(
            ItemOpinion(
                item_id=item.id, person_id=person_id, speaker=speaker, text=text, created_at=now
            )
        )
        await pending.forget(session, caller=caller)
        await session.flush()
        return await _item_menu(
            session, caller, meeting, item, now, Text("minutes.opinion_saved", {"name": speaker})
        )


async def ask(
    database: Database,
    caller: Caller,
    meeting_id: int,
    field: str,
    now: datetime,
    item_id: int | None = None,
) -> Reply:
    """Ask the secretary to type one part of the minutes or of the resolution."""
    question = {**MEETING_FIELDS, **ITEM_FIELDS, **RESOLUTION_FIELDS}.get(field)
    if question is None:
        raise refused("error.stale_button")
    async with database.transaction() as session:
        await _managed(session, caller, meeting_id)
        await pending.ask(
            session,
            caller=caller,
            kind=ASK_FIELD,
            payload={"meeting_id": meeting_id, "field": field, "item_id": item_id},
            now=now,
        )
        return Reply(Text(question))


async def write(
    database: Database,
    caller: Caller,
    meeting_id: int,
    field: str,
    item_id: int | None,
    typed: str,
    now: datetime,
    settings: ServiceSettings,
) -> Reply:
    text = typed.strip()
    if not text or len(text) > MAX_FIELD:
        raise refused("minutes.bad_text", max=MAX_FIELD)
    if field == "vote":
        return await vote(database, caller, meeting_id, text, now, settings)
    if field == "comments_until":
        return await ask_comments(database, caller, meeting_id, text, now, settings)
    async with database.transaction() as session:
        _, meeting, cell = await _managed(session, caller, meeting_id)
        if field in MEETING_FIELDS:
            setattr(meeting, field, " ".join(text.split())[:200])
        elif field in ITEM_FIELDS:
            item = await session.get(AgendaItem, item_id) if item_id is not None else None
            if item is None or item.meeting_id != meeting.id:
                raise refused("error.stale_button")
            setattr(item, field, text)
        elif field == "resolution":
            resolution = await _resolution(session, meeting, now)
            if resolution.status in (ResolutionStatus.ADOPTED, ResolutionStatus.REJECTED):
                raise refused("resolution.decided")
            resolution.text = text
        else:
            raise refused("error.stale_button")
        await pending.forget(session, caller=caller)
        await session.flush()
        if field == "resolution":
            return await _resolution_view(
                session, caller, meeting, cell, now, settings, Text("agenda.saved")
            )
        return await _editor(session, caller, meeting, cell, now, Text("agenda.saved"))


async def finish(
    database: Database, caller: Caller, meeting_id: int, now: datetime, settings: ServiceSettings
) -> Reply:
    async with database.transaction() as session:
        _, meeting, cell = await _managed(session, caller, meeting_id)
        if not meeting.chair or not meeting.note_taker:
            raise refused("minutes.need_chair")
        if meeting.minutes_recorded_at is None:
            meeting.minutes_recorded_at = now
        await _number(session, meeting, settings)
        return await _editor(session, caller, meeting, cell, now, Text("minutes.finished"))


# --- the resolution ------------------------------------------------------------------------------


async def resolution_view(
    database: Database, caller: Caller, meeting_id: int, now: datetime, settings: ServiceSettings
) -> Reply:
    async with database.transaction() as session:
        _, meeting, cell = await _managed(session, caller, meeting_id)
        return await _resolution_view(session, caller, meeting, cell, now, settings, None)


async def _tasks(session: AsyncSession, resolution_id: int) -> list[tuple[ResolutionTask, str]]:
    rows = await session.execute(
        select(ResolutionTask, Person.full_name)
        .join(Person, Person.id == ResolutionTask.person_id)
        .where(ResolutionTask.resolution_id == resolution_id)
        .order_by(ResolutionTask.id)
    )
    return [(task, name) for task, name in rows]


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


async def _resolution_view(
    session: AsyncSession,
    caller: Caller,
    meeting: Meeting,
    cell: Cell,
    now: datetime,
    settings: ServiceSettings,
    notice: Text | None,
) -> Reply:
    make_button = actions.ButtonMaker(session, caller.telegram_user_id, now)
    resolution = await _resolution(session, meeting, now)
    tasks = await _tasks(session, resolution.id)
    figures = _figures(await _roll(session, meeting.id), settings)
    comments = (
        await session.execute(
            select(Person.full_name, ResolutionComment.text)
            .join(Person, Person.id == ResolutionComment.person_id)
            .where(ResolutionComment.resolution_id == resolution.id)
            .order_by(ResolutionComment.created_at, ResolutionComment.id)
        )
    ).all()
    decided = resolution.status in (ResolutionStatus.ADOPTED, ResolutionStatus.REJECTED)
    rows: list[tuple[Button, ...]] = []
    if not decided:
        rows.append(
            (
                await make_button(
                    Text("resolution.text_button"),
                    "minutes.ask",
                    meeting_id=meeting.id,
                    field="resolution",
                ),
                await make_button(
                    Text("resolution.task_button"), "resolution.task", meeting_id=meeting.id
                ),
            )
        )
        if (
            meeting.kind is MeetingKind.THEMATIC
            and resolution.status is ResolutionStatus.DRAFT
            and resolution.text
        ):
            rows.append(
                (
                    await make_button(
                        Text("resolution.comments_button"),
                        "minutes.ask",
                        meeting_id=meeting.id,
                        field="comments_until",
                    ),
                )
            )
        if resolution.text and figures.quorum_met:
            rows.append(
                (
                    await make_button(
                        Text("resolution.vote_button"),
                        "minutes.ask",
                        meeting_id=meeting.id,
                        field="vote",
                    ),
                )
            )
    rows.append(
        (await make_button(Text("resolution.back"), "minutes.open", meeting_id=meeting.id),)
    )
    vote_line: Text | str = ""
    if not decided and not figures.quorum_met:
        vote_line = _no_quorum(figures, N_("resolution.no_quorum"))
    if resolution.votes_for is not None:
        vote_line = Text(
            "resolution.vote_line",
            {
                "for": resolution.votes_for,
                "against": resolution.votes_against or 0,
                "abstain": resolution.votes_abstain or 0,
                "full": resolution.full_members or 0,
            },
        )
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
                "vote": vote_line,
            },
        ),
        tuple(rows),
        notice=notice,
    )


async def pick_task_member(
    database: Database, caller: Caller, meeting_id: int, now: datetime
) -> Reply:
    async with database.transaction() as session:
        make_button = actions.ButtonMaker(session, caller.telegram_user_id, now)
        _, meeting, cell = await _managed(session, caller, meeting_id)
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
        await _managed(session, caller, meeting_id)
        await pending.ask(
            session,
            caller=caller,
            kind=ASK_TASK,
            payload={"meeting_id": meeting_id, "person_id": person_id},
            now=now,
        )
        return Reply(Text("resolution.ask_task"))


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
    description, _, due_text = typed.partition(";")
    description = " ".join(description.split())
    if not description or len(description) > 300:
        raise refused("resolution.bad_task")
    due: date | None = None
    if due_text.strip():
        parsed = parse_local_datetime(due_text.strip() + " 17:00", now, settings.zone)
        if parsed.value is None:
            raise Refused(date_problem(parsed, N_("resolution.bad_task")))
        due = parsed.value.astimezone(settings.zone).date()
    async with database.transaction() as session:
        _, meeting, cell = await _managed(session, caller, meeting_id)
        resolution = await _resolution(session, meeting, now)
        if resolution.status in (ResolutionStatus.ADOPTED, ResolutionStatus.REJECTED):
            raise refused("resolution.decided")
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
        return await _resolution_view(
            session, caller, meeting, cell, now, settings, Text("agenda.saved")
        )


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
        _, meeting, cell = await _managed(session, caller, meeting_id)
        resolution = await _resolution(session, meeting, now)
        if resolution.status is not ResolutionStatus.DRAFT or not resolution.text:
            raise refused("resolution.decided")
        resolution.status = ResolutionStatus.COMMENTING
        resolution.comments_until = parsed.value
        for membership in await active_members(session, cell.id):
            member = membership.person
            comment = await actions.button(
                session,
                Text("resolution.comment_button"),
                "resolution.comment",
                {"resolution_id": resolution.id},
                telegram_user_id=member.telegram_user_id,
                now=now,
                lifetime=timedelta(days=60),
            )
            await outbox.enqueue_message(
                session,
                key=f"draft:{resolution.id}:{member.id}",
                chat_id=member.telegram_user_id,
                text=Text(
                    "resolution.draft_notice",
                    {
                        "summary": summary(meeting, cell.name),
                        "text": resolution.text,
                        "until": parsed.value,
                    },
                ),
                lang=member.language or settings.default_language,
                now=now,
                buttons=((comment,),),
            )
        await pending.forget(session, caller=caller)
        await session.flush()
        return await _resolution_view(
            session, caller, meeting, cell, now, settings, Text("resolution.sent_for_comments")
        )


async def ask_comment(
    database: Database, caller: Caller, resolution_id: int, now: datetime
) -> Reply:
    async with database.transaction() as session:
        await _commentable(session, caller, resolution_id, now)
        await pending.ask(
            session,
            caller=caller,
            kind=ASK_COMMENT,
            payload={"resolution_id": resolution_id},
            now=now,
        )
        return Reply(Text("resolution.ask_comment"))


async def _commentable(
    session: AsyncSession, caller: Caller, resolution_id: int, now: datetime
) -> tuple[Person, Resolution]:
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
    text = typed.strip()
    if not text or len(text) > MAX_FIELD:
        raise refused("minutes.bad_text", max=MAX_FIELD)
    async with database.transaction() as session:
        person, resolution = await _commentable(session, caller, resolution_id, now)
        session.add(
            ResolutionComment(
                resolution_id=resolution.id, person_id=person.id, text=text, created_at=now
            )
        )
        await pending.forget(session, caller=caller)
        return Reply(Text("resolution.comment_thanks"))


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
        _, meeting, cell = await _managed(session, caller, meeting_id)
        resolution = await _resolution(session, meeting, now)
        if resolution.status in (ResolutionStatus.ADOPTED, ResolutionStatus.REJECTED):
            raise refused("resolution.decided")
        full_ids = set(
            await session.scalars(
                select(Membership.person_id).where(
                    Membership.cell_id == cell.id,
                    Membership.left_at.is_(None),
                    Membership.status == MemberStatus.FULL,
                )
            )
        )
        present_full = int(
            await session.scalar(
                select(func.count(Invitation.id)).where(
                    Invitation.meeting_id == meeting.id,
                    Invitation.roll_status == RollStatus.PRESENT,
                    Invitation.person_id.in_(full_ids),
                )
            )
            or 0
        )
        figures = _figures(await _roll(session, meeting.id), settings)
        problem = vote_problem(counted, present_full, figures.quorum_met)
        if problem is VoteProblem.NO_QUORUM:
            raise Refused(_no_quorum(figures, N_("resolution.no_quorum")))
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
            for task, _name in await _tasks(session, resolution.id):
                await _announce_task(session, task, now, settings)
        await session.flush()
        needed = len(full_ids) // 2 + 1
        return await _resolution_view(
            session,
            caller,
            meeting,
            cell,
            now,
            settings,
            Text(
                N_("resolution.adopted") if passed else N_("resolution.rejected"),
                {"for": counted.votes_for, "full": len(full_ids), "needed": needed},
            ),
        )


async def _announce_task(
    session: AsyncSession, task: ResolutionTask, now: datetime, settings: ServiceSettings
) -> None:
    person = await session.get(Person, task.person_id)
    assert person is not None
    buttons = await task_buttons(session, task, person, now)
    await outbox.enqueue_message(
        session,
        key=f"task:{task.id}",
        chat_id=person.telegram_user_id,
        text=Text("task.assigned", {"task": task_line(task, person.full_name)}),
        lang=person.language or settings.default_language,
        now=now,
        buttons=buttons,
    )


async def task_buttons(
    session: AsyncSession, task: ResolutionTask, person: Person, now: datetime
) -> tuple[tuple[Button, ...], ...]:
    done = await actions.button(
        session,
        Text("task.done_button"),
        "task.done",
        {"task_id": task.id},
        telegram_user_id=person.telegram_user_id,
        now=now,
        lifetime=timedelta(days=400),
    )
    progress = await actions.button(
        session,
        Text("task.progress_button"),
        "task.progress",
        {"task_id": task.id},
        telegram_user_id=person.telegram_user_id,
        now=now,
        lifetime=timedelta(days=400),
    )
    return ((done, progress),)


# --- tasks, for the member responsible -------------------------------------------------------


async def _own_task(
    session: AsyncSession, caller: Caller, task_id: int
) -> tuple[Person, ResolutionTask]:
    person, _ = await require_person(session, caller)
    task = await session.get(ResolutionTask, task_id)
    if task is None or task.person_id != person.id:
        raise refused("error.stale_button")
    return person, task


async def my_tasks(database: Database, caller: Caller, now: datetime) -> Reply:
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
            rows.append(
                (
                    await make_button(
                        Text("task.done_for", {"description": task.description[:40]}),
                        "task.done",
                        task_id=task.id,
                    ),
                )
            )
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
        await pending.ask(
            session,
            caller=caller,
            kind=ASK_PROGRESS,
            payload={"task_id": task_id},
            now=now,
        )
        return Reply(Text("task.ask_progress"))


async def report_progress(
    database: Database, caller: Caller, task_id: int, typed: str, now: datetime
) -> Reply:
    text = " ".join(typed.split())
    if not text or len(text) > 500:
        raise refused("minutes.bad_text", max=500)
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


# --- /minutes: the cell's records, and the document ---------------------------------------------


async def history(
    database: Database, caller: Caller, now: datetime, cell_id: int | None = None
) -> Reply:
    async with database.transaction() as session:
        make_button = actions.ButtonMaker(session, caller.telegram_user_id, now)
        _, actor = await require_person(session, caller)
        cell = await managed_cell(session, caller, actor, cell_id, "minutes.cell", now)
        if isinstance(cell, Reply):
            return cell
        meetings = (
            await session.scalars(
                select(Meeting)
                .where(Meeting.cell_id == cell.id, Meeting.roll_closed_at.is_not(None))
                .order_by(Meeting.starts_at.desc())
                .limit(MINUTES_HISTORY)
            )
        ).all()
        if not meetings:
            return Reply(Text("minutes.none", {"cell": cell.name}))
        rows = []
        for meeting in meetings:
            rows.append(
                (
                    await make_button(
                        Text(
                            "minutes.history_button",
                            {
                                "when": meeting.starts_at,
                                "kind": Text(KIND_TEXT[meeting.kind]),
                                "mark": "✅" if meeting.minutes_recorded_at else "…",
                            },
                        ),
                        "minutes.open",
                        meeting_id=meeting.id,
                    ),
                )
            )
        return Reply(Text("minutes.history", {"cell": cell.name}), tuple(rows))


LABEL_KEYS = {
    "party_header": N_("minutes.label.party_header"),
    "time_and_place": N_("minutes.label.time_and_place"),
    "time": N_("minutes.label.time"),
    "place": N_("minutes.label.place"),
    "chair": N_("minutes.label.chair"),
    "note_taker": N_("minutes.label.note_taker"),
    "attendance": N_("minutes.label.attendance"),
    "expected": N_("minutes.label.expected"),
    "present": N_("minutes.label.present"),
    "excused": N_("minutes.label.excused"),
    "unexcused": N_("minutes.label.unexcused"),
    "rate": N_("minutes.label.rate"),
    "number": N_("minutes.label.number"),
    "name": N_("minutes.label.name"),
    "status": N_("minutes.label.status"),
    "reason": N_("minutes.label.reason"),
    "content": N_("minutes.label.content"),
    "report": N_("minutes.label.report"),
    "opinions": N_("minutes.label.opinions"),
    "conclusion": N_("minutes.label.conclusion"),
    "resolution": N_("minutes.label.resolution"),
    "tasks": N_("minutes.label.tasks"),
    "assignee": N_("minutes.label.assignee"),
    "due": N_("minutes.label.due"),
    "vote": N_("minutes.label.vote"),
    "votes_for": N_("minutes.label.votes_for"),
    "votes_against": N_("minutes.label.votes_against"),
    "votes_abstain": N_("minutes.label.votes_abstain"),
    "adopted": N_("minutes.label.adopted"),
    "not_adopted": N_("minutes.label.not_adopted"),
    "closing": N_("minutes.label.closing"),
    "signature_hint": N_("minutes.label.signature_hint"),
}
BLANK = "……"  # what is unknown is left to be written in by hand


async def _number(session: AsyncSession, meeting: Meeting, settings: ServiceSettings) -> int:
    """The minutes' number: once given it stays; else the cell's next one of the meeting's
    (local) year, counted with the cell locked so that two exports never share one."""
    if meeting.minutes_number is not None:
        return meeting.minutes_number
    await session.execute(select(Cell.id).where(Cell.id == meeting.cell_id).with_for_update())
    year = meeting.starts_at.astimezone(settings.zone).year
    start = datetime(year, 1, 1, tzinfo=settings.zone)
    end = datetime(year + 1, 1, 1, tzinfo=settings.zone)
    last = await session.scalar(
        select(func.max(Meeting.minutes_number)).where(
            Meeting.cell_id == meeting.cell_id,
            Meeting.starts_at >= start,
            Meeting.starts_at < end,
        )
    )
    meeting.minutes_number = (last or 0) + 1
    await session.flush()
    return meeting.minutes_number


def _approval(resolution: Resolution | None, meeting: Meeting, settings: ServiceSettings) -> Text:
    """When the minutes were approved (the vote, else their recording) and by how many; what
    is not known is left blank to be written in by hand."""
    vote = resolution if resolution is not None and resolution.votes_for is not None else None
    when = (vote.decided_at if vote is not None else None) or meeting.minutes_recorded_at
    local = when.astimezone(settings.zone) if when is not None else None
    return Text(
        "minutes.label.approval",
        {
            "hour": f"{local:%H}" if local else BLANK,
            "minute": f"{local:%M}" if local else BLANK,
            "agreed": vote.votes_for if vote is not None and vote.votes_for is not None else BLANK,
        },
    )


async def export(
    database: Database, caller: Caller, meeting_id: int, render: Render, settings: ServiceSettings
) -> Reply:
    """The minutes as a .docx, laid out as a cell's records are kept for inspection."""
    async with database.transaction() as session:
        _, meeting, cell = await _managed(session, caller, meeting_id)
        organisation = await session.get(Organisation, cell.organisation_id)
        assert organisation is not None
        resolution = await session.scalar(
            select(Resolution).where(Resolution.meeting_id == meeting.id)
        )
        roll = await _roll(session, meeting.id)
        items = await agenda_items(session, meeting.id)
        spoken = {item.id: await _opinions(session, item.id) for item in items}
        tasks = await _tasks(session, resolution.id) if resolution else []
        number = await _number(session, meeting, settings)
    figures = _figures(roll, settings)
    start = meeting.starts_at.astimezone(settings.zone)
    labels = MinutesLabels(
        **{
            field.name: render(Text(LABEL_KEYS[field.name]))
            for field in fields(MinutesLabels)
            if field.name in LABEL_KEYS
        },
        title=render(
            Text(
                N_("minutes.label.title_thematic")
                if meeting.kind is MeetingKind.THEMATIC
                else N_("minutes.label.title")
            )
        ),
        date_line=render(
            Text(
                "minutes.label.date_line",
                {
                    "place": " ".join(meeting.place.split()) or BLANK,
                    "day": f"{start.day:02d}",
                    "month": f"{start.month:02d}",
                    "year": start.year,
                },
            )
        ),
        number_line=render(Text("minutes.label.number_line", {"number": f"{number:02d}"})),
        approval=render(_approval(resolution, meeting, settings)),
    )
    vote_record = None
    if resolution is not None and resolution.votes_for is not None:
        vote_record = VoteRecord(
            resolution.votes_for,
            resolution.votes_against or 0,
            resolution.votes_abstain or 0,
            resolution.status is ResolutionStatus.ADOPTED,
        )
    document = MinutesDocument(
        labels=labels,
        organisation=organisation.name,
        cell=cell.name,
        subtitle=meeting.theme
        or render(
            Text(
                "minutes.subtitle",
                {
                    "kind": Text(KIND_TEXT[meeting.kind]),
                    "month": f"{start.month:02d}/{start.year}",
                },
            )
        ),
        starts_at=start,
        ends_at=meeting.ends_at.astimezone(settings.zone),
        place=meeting.place,
        chair=meeting.chair or "",
        note_taker=meeting.note_taker or "",
        expected=figures.expected,
        present=figures.present,
        excused=figures.excused,
        unexcused=figures.unexcused,
        rate_percent=figures.percent,
        quorum_note=(
            "" if figures.quorum_met else render(_no_quorum(figures, N_("minutes.no_quorum")))
        ),
        attendees=[
            AttendeeLine(
                person.full_name,
                render(Text(ROLL_TEXT[invitation.roll_status])),
                _reason(invitation, render),
            )
            for invitation, person in roll
            if invitation.roll_status is not None
        ],
        items=[
            ItemRecord(
                render(Text(i.title_key)) if i.title_key else i.title or "",
                i.report or "",
                i.opinions or "",
                i.conclusion or "",
                [Opinion(o.speaker, o.text) for o in spoken[i.id]],
            )
            for i in items
        ],
        resolution=resolution.text if resolution else "",
        tasks=[TaskLine(task.description, name, task.due_on) for task, name in tasks],
        vote=vote_record,
    )
    file_name = f"bien-ban-{start:%Y%m%d}-{meeting.id}.docx"
    try:
        content = minutes_docx(document, settings.minutes_template)
    except TemplateProblem as problem:
        raise refused("minutes.template_broken", problem=str(problem)) from problem
    return Reply(
        Text(N_("minutes.export_caption"), {"summary": summary(meeting, cell.name)}),
        attachments=(Attachment(file_name, content),),
    )


def _reason(invitation: Invitation, render: Render) -> str:
    if invitation.roll_status is not RollStatus.EXCUSED or invitation.reason is None:
        return ""
    reason = AbsenceReason(invitation.reason)
    if reason is AbsenceReason.OTHER and invitation.reason_note:
        return invitation.reason_note
    return render(Text(REASON_TEXT[reason]))
