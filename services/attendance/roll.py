"""The roll: one message with every expected member and a button each, prefilled from
check-ins and answers, tapped through by the secretary, then closed with the rate and the
quorum."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from domain.attendance import (
    RollFigures,
    RollStatus,
    checkin_opens,
    is_expected,
    prefilled,
    roll_figures,
)
from domain.meetings import MeetingStatus, Response
from domain.messages import N_, Button, Reply, Text
from services.access import managed_meeting
from services.actions import ButtonMaker
from services.attendance.absences import flag_repeated_absences
from services.cells.common import page_buttons
from services.errors import refused
from services.request import Request
from services.routes import button
from services.views import summary
from storage.models import Cell, Invitation, Meeting, Person
from storage.queries.attendance import invitees_of_meeting
from storage.repositories import active_members

ROLL_PAGE_SIZE = 20

STATUS_MARK = {
    RollStatus.UNDECIDED: "❔",
    RollStatus.PRESENT: "✅",
    RollStatus.EXCUSED: "🟡",
    RollStatus.UNEXCUSED: "❌",
}
STATUS_TEXT = {
    RollStatus.UNDECIDED: N_("roll.status.undecided"),
    RollStatus.PRESENT: N_("roll.status.present"),
    RollStatus.EXCUSED: N_("roll.status.excused"),
    RollStatus.UNEXCUSED: N_("roll.status.unexcused"),
}


@dataclass(frozen=True)
class RollPage:
    meeting_id: int
    page: int = 0


@dataclass(frozen=True)
class Tap:
    """The secretary's tap on a member of the roll, with the mark they saw on it."""

    invitation_id: int
    seen: str
    page: int


@dataclass(frozen=True)
class Closing:
    meeting_id: int
    confirmed: bool = False


@button("roll.open", RollPage)
async def open_roll(request: Request, shown: RollPage) -> Reply:
    """One message with every member and a button each, prefilled from check-ins and answers."""
    now = request.now
    async with request.transaction() as session:
        _, _, meeting, cell = await managed_meeting(session, request.caller, shown.meeting_id)
        if meeting.status is MeetingStatus.CANCELLED:
            raise refused("rsvp.cancelled")
        if meeting.roll_closed_at is not None:
            raise refused("roll.closed")
        if now < checkin_opens(meeting.starts_at):
            raise refused("roll.too_early", opens=checkin_opens(meeting.starts_at))
        if meeting.roll_opened_at is None:
            await _start_roll(session, meeting, cell, now)
        return await _roll_page(session, request, meeting, cell, shown.page)


async def _start_roll(session: AsyncSession, meeting: Meeting, cell: Cell, now: datetime) -> None:
    invited = {
        invitation.person_id: invitation
        for invitation, _ in await invitees_of_meeting(session, meeting.id)
    }
    for membership in await active_members(session, cell.id):
        invitation = invited.get(membership.person_id)
        if invitation is None:
            invitation = Invitation(
                meeting_id=meeting.id, person_id=membership.person_id, invited_at=now
            )
            session.add(invitation)
        invitation.exempted = not is_expected(membership.status)
        invitation.roll_status = prefilled(
            not invitation.exempted, invitation.checked_in_at is not None, invitation.response
        )
    meeting.roll_opened_at = now
    await session.flush()


async def _roll_page(
    session: AsyncSession, request: Request, meeting: Meeting, cell: Cell, page: int
) -> Reply:
    make_button = request.buttons(session)
    invitees = await invitees_of_meeting(session, meeting.id)
    expected = _expected(invitees)
    pages = max(1, -(-len(expected) // ROLL_PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = expected[page * ROLL_PAGE_SIZE : (page + 1) * ROLL_PAGE_SIZE]
    buttons: list[tuple[Button, ...]] = [
        (await _member_button(make_button, invitation, person, page),)
        for invitation, person in shown
    ]
    buttons.extend(await page_buttons(make_button, "roll.open", page, pages, meeting_id=meeting.id))
    buttons.append((await make_button(Text("roll.close"), "roll.close", meeting_id=meeting.id),))
    figures = roll_figures(i.roll_status for i, _ in expected if i.roll_status is not None)
    exempted = [p.full_name for i, p in invitees if i.exempted]
    return Reply(_roll_text(meeting, cell, page, pages, figures, exempted), tuple(buttons))


async def _member_button(
    make_button: ButtonMaker, invitation: Invitation, person: Person, page: int
) -> Button:
    assert invitation.roll_status is not None
    label = Text(
        "roll.member_button",
        {
            "mark": STATUS_MARK[invitation.roll_status],
            "name": person.full_name,
            "status": Text(_status_text(invitation)),
        },
    )
    return await make_button(
        label,
        "roll.cycle",
        invitation_id=invitation.id,
        seen=invitation.roll_status.value,
        page=page,
    )


def _roll_text(
    meeting: Meeting,
    cell: Cell,
    page: int,
    pages: int,
    figures: RollFigures,
    exempted: list[str],
) -> Text:
    return Text(
        "roll.page",
        {
            "summary": summary(meeting, cell.name),
            "page": page + 1,
            "pages": pages,
            "present": figures.present,
            "expected": figures.expected,
            "excused": figures.excused,
            "unexcused": figures.unexcused,
            "undecided": figures.undecided,
            "exempted": ", ".join(exempted) if exempted else "—",
        },
    )


def _expected(invitees: list[tuple[Invitation, Person]]) -> list[tuple[Invitation, Person]]:
    """The members the roll counts: on it when it was opened, and not exempted."""
    return [(i, p) for i, p in invitees if not i.exempted and i.roll_status is not None]


def _status_text(invitation: Invitation) -> str:
    """A member's mark; an undecided one shows what they answered, as a hint, not a mark."""
    if invitation.roll_status is RollStatus.UNDECIDED and invitation.response is Response.ATTEND:
        return N_("roll.status.undecided_attending")
    assert invitation.roll_status is not None
    return STATUS_TEXT[invitation.roll_status]


@button("roll.cycle", Tap)
async def cycle(request: Request, tap: Tap) -> Reply:
    async with request.transaction() as session:
        invitation = await session.get(Invitation, tap.invitation_id)
        if invitation is None:
            raise refused("error.stale_button")
        # Locked, like closing: a tap that lands as the roll closes waits, then is refused.
        _, _, meeting, cell = await managed_meeting(
            session, request.caller, invitation.meeting_id, for_update=True
        )
        if meeting.roll_closed_at is not None:
            raise refused("roll.closed")
        if invitation.roll_status is not None and invitation.roll_status.value == tap.seen:
            invitation.roll_status = invitation.roll_status.next()
        await session.flush()
        return await _roll_page(session, request, meeting, cell, tap.page)


@button("roll.close", Closing)
async def close_roll(request: Request, closing: Closing) -> Reply:
    """Freeze the roll, give the rate and quorum, and flag a third unexcused absence. Members
    still undecided are recorded absent without reason only once the secretary confirms it."""
    now, settings = request.now, request.settings
    async with request.transaction() as session:
        _, _, meeting, cell = await managed_meeting(
            session, request.caller, closing.meeting_id, for_update=True
        )
        if meeting.roll_closed_at is not None:
            raise refused("roll.closed")
        if meeting.roll_opened_at is None:
            raise refused("error.stale_button")
        if now < meeting.starts_at:
            raise refused("roll.not_started")
        expected = _expected(await invitees_of_meeting(session, meeting.id))
        undecided = [(i, p) for i, p in expected if i.roll_status is RollStatus.UNDECIDED]
        if undecided and not closing.confirmed:
            return await _confirm_undecided(
                request.buttons(session), meeting, [p for _, p in undecided]
            )
        for invitation, _ in undecided:
            invitation.roll_status = RollStatus.UNEXCUSED
        meeting.roll_closed_at = now
        figures = roll_figures(
            [i.roll_status for i, _ in expected if i.roll_status is not None], settings.quorum
        )
        await session.flush()
        unexcused = [p for i, p in expected if i.roll_status is RollStatus.UNEXCUSED]
        await flag_repeated_absences(session, meeting, cell, unexcused, now, settings)
        return Reply(_closing_text(meeting, cell, figures), notice=Text("roll.closed_notice"))


async def _confirm_undecided(
    make_button: ButtonMaker, meeting: Meeting, people: list[Person]
) -> Reply:
    confirm = await make_button(
        Text("roll.confirm_unexcused"), "roll.close", meeting_id=meeting.id, confirmed=True
    )
    back = await make_button(Text("common.back"), "roll.open", meeting_id=meeting.id)
    return Reply(
        Text(
            "roll.undecided",
            {
                "count": len(people),
                "names": [Text("roll.undecided_name", {"name": p.full_name}) for p in people],
            },
        ),
        ((confirm, back),),
    )


def _closing_text(meeting: Meeting, cell: Cell, figures: RollFigures) -> Text:
    warnings = []
    if not figures.quorum_met:
        warnings.append(Text("roll.no_quorum", {"needed": figures.quorum_needed}))
    if figures.below_norm:
        warnings.append(Text("roll.below_norm"))
    return Text(
        "roll.summary",
        {
            "summary": summary(meeting, cell.name),
            "present": figures.present,
            "expected": figures.expected,
            "percent": figures.percent,
            "excused": figures.excused,
            "unexcused": figures.unexcused,
            "quorum": Text("roll.quorum_met") if figures.quorum_met else Text("roll.quorum_missed"),
            "warnings": Text("roll.warnings", {"lines": warnings}) if warnings else "",
        },
    )
