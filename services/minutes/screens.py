"""The screens of the minutes as the secretary edits them: the editor (the whole minutes), one
agenda item's part, and the resolution. Each reads what it shows, then draws it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from domain.attendance import RollFigures
from domain.meetings import MeetingKind
from domain.messages import N_, Button, Reply, Text
from domain.resolutions import ResolutionStatus
from services.actions import ButtonMaker
from services.minutes.access import DECIDED, figures, no_quorum, resolution_of
from services.minutes.tasks import task_line
from services.request import Request
from services.views import agenda_items, item_title, summary
from storage.models import AgendaItem, Cell, ItemOpinion, Meeting, Resolution
from storage.queries.minutes import closed_roll, opinions_under_item
from storage.queries.resolutions import (
    AssignedTask,
    Comment,
    comments_on_resolution,
    tasks_of_resolution,
)

Rows = tuple[tuple[Button, ...], ...]

RESOLUTION_STATUS_TEXT = {
    ResolutionStatus.DRAFT: N_("resolution.status.draft"),
    ResolutionStatus.COMMENTING: N_("resolution.status.commenting"),
    ResolutionStatus.ADOPTED: N_("resolution.status.adopted"),
    ResolutionStatus.REJECTED: N_("resolution.status.rejected"),
}


# --- the editor ----------------------------------------------------------------------------


async def editor_screen(
    request: Request, session: AsyncSession, meeting: Meeting, cell: Cell, notice: Text | None
) -> Reply:
    """The minutes so far: who chairs and takes notes, each item done or not, the resolution."""
    items = await agenda_items(session, meeting.id)
    resolution = await resolution_of(session, meeting, request.now)
    return Reply(
        _editor_text(meeting, cell, items, resolution),
        await _editor_buttons(request.buttons(session), meeting, items),
        notice=notice,
    )


def _editor_text(
    meeting: Meeting, cell: Cell, items: list[AgendaItem], resolution: Resolution
) -> Text:
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
    return Text(
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
    )


async def _editor_buttons(
    make_button: ButtonMaker, meeting: Meeting, items: list[AgendaItem]
) -> Rows:
    about = make_button.about(meeting_id=meeting.id)
    rows: list[tuple[Button, ...]] = [
        (
            await about(Text("minutes.chair_button"), "minutes.ask", field="chair"),
            await about(Text("minutes.note_taker_button"), "minutes.ask", field="note_taker"),
        )
    ]
    rows += [
        (await make_button(_item_label(number, item), "minutes.item", item_id=item.id),)
        for number, item in enumerate(items, start=1)
    ]
    rows.append((await about(Text("minutes.resolution_button"), "resolution.open"),))
    last_row = [await about(Text("minutes.export"), "minutes.export")]
    if meeting.minutes_recorded_at is None:
        last_row.insert(0, await about(Text("minutes.finish"), "minutes.finish"))
    rows.append(tuple(last_row))
    return tuple(rows)


def _item_label(number: int, item: AgendaItem) -> Text:
    return Text("minutes.item_button", {"number": number, "title": item_title(item)})


# --- one agenda item -----------------------------------------------------------------------

ITEM_BUTTONS = {
    "report": N_("minutes.report_button"),
    "conclusion": N_("minutes.conclusion_button"),
}


async def item_screen(
    request: Request,
    session: AsyncSession,
    meeting: Meeting,
    item: AgendaItem,
    notice: Text | None,
) -> Reply:
    """One agenda item's part of the minutes: the report, the opinions, the conclusion."""
    spoken = await opinions_under_item(session, item.id)
    return Reply(
        _item_text(item, spoken),
        await _item_buttons(request.buttons(session), meeting, item),
        notice=notice,
    )


def _item_text(item: AgendaItem, spoken: list[ItemOpinion]) -> Text:
    # What was typed at once before opinions were recorded one speaker at a time, then each.
    opinions = [Text("minutes.opinions_typed", {"text": item.opinions})] if item.opinions else []
    opinions += [
        Text("minutes.opinion_line", {"speaker": o.speaker, "text": o.text}) for o in spoken
    ]
    return Text(
        "minutes.item",
        {
            "title": item_title(item),
            "report": item.report or "—",
            "opinions": opinions or "—",
            "conclusion": item.conclusion or "—",
        },
    )


async def _item_buttons(make_button: ButtonMaker, meeting: Meeting, item: AgendaItem) -> Rows:
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
    return (tuple(buttons), (back,))


# --- the resolution ------------------------------------------------------------------------


async def resolution_screen(
    request: Request, session: AsyncSession, meeting: Meeting, cell: Cell, notice: Text | None
) -> Reply:
    """The resolution as it stands: its text, tasks, members' comments and the vote."""
    resolution = await resolution_of(session, meeting, request.now)
    tasks = await tasks_of_resolution(session, resolution.id)
    counted = figures(await closed_roll(session, meeting.id), request.settings)
    comments = await comments_on_resolution(session, resolution.id)
    return Reply(
        _resolution_text(meeting, cell, resolution, tasks, comments, counted),
        await _resolution_buttons(request.buttons(session), meeting, resolution, counted),
        notice=notice,
    )


def _resolution_text(
    meeting: Meeting,
    cell: Cell,
    resolution: Resolution,
    tasks: list[AssignedTask],
    comments: list[Comment],
    counted: RollFigures,
) -> Text:
    return Text(
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
    )


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
    make_button: ButtonMaker, meeting: Meeting, resolution: Resolution, counted: RollFigures
) -> Rows:
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
