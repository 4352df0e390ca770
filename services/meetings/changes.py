"""A meeting still ahead moved to a new time, or cancelled: the invited are told, reminders for
the old time withdrawn, and a new time asks everyone again."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.calendar import Month
from domain.meetings import DEFAULT_DURATION, MeetingKind, MeetingStatus
from domain.messages import Reply, Text
from services import actions, outbox
from services.access import managed_meeting
from services.config import ServiceSettings
from services.errors import refused
from services.meetings.card import card
from services.meetings.common import Draft, existing_regular, is_late
from services.meetings.invitations import notify_invitees, withdraw_reminders
from services.meetings.scheduling import Step, ask_when
from services.people import Caller
from services.views import KIND_TEXT, summary
from storage.db import Database
from storage.models import Cell, Invitation, Meeting


async def ask_new_time(
    database: Database, caller: Caller, meeting_id: int, now: datetime, settings: ServiceSettings
) -> Reply:
    async with database.transaction() as session:
        _, _, meeting, cell = await managed_meeting(session, caller, meeting_id)
        _require_ahead(meeting, now)
        draft = Draft(cell.id, meeting.kind, meeting_id=meeting.id, place=meeting.place)
        return await ask_when(Step(session, caller, cell, now, settings), draft, None)


def _require_ahead(meeting: Meeting, now: datetime) -> None:
    """Only a meeting still ahead can be moved or cancelled (an old card's buttons included)."""
    if meeting.status is MeetingStatus.CANCELLED:
        raise refused("rsvp.cancelled")
    if meeting.starts_at <= now:
        raise refused("meeting.past")


async def reschedule(
    database: Database,
    caller: Caller,
    draft: Draft,
    now: datetime,
    settings: ServiceSettings,
    default_language: str,
) -> Reply:
    async with database.transaction() as session:
        assert draft.meeting_id is not None and draft.starts_at is not None
        _, _, meeting, cell = await managed_meeting(
            session, caller, draft.meeting_id, for_update=True
        )
        _require_ahead(meeting, now)
        if draft.starts_at <= now:
            raise refused("date.past")
        late = await is_late(session, cell, meeting.kind, draft.starts_at, settings.zone)
        if meeting.kind is MeetingKind.REGULAR:
            # The dialogue checked both; a change since makes the confirmation stale.
            month = Month.of(draft.starts_at, settings.zone)
            if await existing_regular(session, cell.id, month, settings.zone, meeting.id):
                raise refused("error.stale_button")
            if late and not draft.late_ok:
                raise refused("error.stale_button")
        old_start = meeting.starts_at
        if old_start == draft.starts_at:
            return await card(session, caller, meeting, cell, now, None)
        meeting.starts_at = draft.starts_at
        meeting.ends_at = draft.starts_at + DEFAULT_DURATION
        meeting.late = late
        meeting.version += 1
        await withdraw_reminders(session, meeting.id)
        await _ask_everyone_again(session, meeting.id)
        await notify_invitees(
            session,
            meeting,
            cell,
            f"moved:{meeting.id}:{meeting.version}",
            _moved_notice(meeting, cell, old_start),
            now,
            default_language,
            ask_again=True,
        )
        return await card(session, caller, meeting, cell, now, Text("reschedule.done"))


async def _ask_everyone_again(session: AsyncSession, meeting_id: int) -> None:
    """A new time is a new question: whoever could not come then may come now."""
    await session.execute(
        update(Invitation)
        .where(Invitation.meeting_id == meeting_id)
        .values(response=None, reason=None, reason_note=None, responded_at=None)
        .execution_options(synchronize_session=False)
    )
    await session.flush()


def _moved_notice(meeting: Meeting, cell: Cell, old_start: datetime) -> Text:
    return Text(
        "meeting.moved",
        {
            "kind": Text(KIND_TEXT[meeting.kind]),
            "cell": cell.name,
            "old": old_start,
            "new": meeting.starts_at,
            "place": meeting.place,
        },
    )


async def ask_cancel(database: Database, caller: Caller, meeting_id: int, now: datetime) -> Reply:
    async with database.transaction() as session:
        make_button = actions.ButtonMaker(session, caller.telegram_user_id, now)
        _, _, meeting, cell = await managed_meeting(session, caller, meeting_id)
        _require_ahead(meeting, now)
        yes = await make_button(
            Text("meeting.cancel_confirm_button"), "meeting.cancel", meeting_id=meeting.id
        )
        no = await make_button(Text("common.back"), "meeting.card", meeting_id=meeting.id)
        return Reply(
            Text("meeting.cancel_confirm", {"summary": summary(meeting, cell.name)}), ((yes, no),)
        )


async def cancel(
    database: Database, caller: Caller, meeting_id: int, now: datetime, default_language: str
) -> Reply:
    async with database.transaction() as session:
        _, _, meeting, cell = await managed_meeting(session, caller, meeting_id, for_update=True)
        if meeting.status is MeetingStatus.CANCELLED:
            return await card(session, caller, meeting, cell, now, None)
        _require_ahead(meeting, now)
        meeting.status = MeetingStatus.CANCELLED
        meeting.cancelled_at = now
        await withdraw_reminders(session, meeting.id)
        # Invitations still waiting (a flood wait, a retry) would arrive after the cancellation.
        await outbox.withdraw(session, prefix=f"invite:{meeting.id}:")
        await outbox.withdraw(session, prefix=f"invite-ics:{meeting.id}:")
        await session.flush()
        notice = Text(
            "meeting.cancelled_notice",
            {"kind": Text(KIND_TEXT[meeting.kind]), "cell": cell.name, "when": meeting.starts_at},
        )
        await notify_invitees(
            session, meeting, cell, f"cancelled:{meeting.id}", notice, now, default_language
        )
        return await card(session, caller, meeting, cell, now, Text("meeting.cancelled_done"))
