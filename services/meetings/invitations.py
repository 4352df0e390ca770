"""The invitation: its text, the answer buttons and calendar file, the broadcast to every
member (and the cell's group), and the notices of a change to the invited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.invites import deep_link, rsvp_payload
from domain.meetings import MeetingStatus, Response
from domain.messages import N_, Button, Reply, Text
from services import actions, outbox
from services.access import managed_meeting
from services.errors import refused
from services.meetings.agenda import agenda_lines
from services.meetings.card import card
from services.meetings.common import OfMeeting
from services.papers.materials import send_materials_to
from services.request import Request
from services.routes import button
from services.views import KIND_TEXT, MeetingHead, summary
from storage.models import Cell, Invitation, Meeting, Person
from storage.queries.meetings import invited_people
from storage.repositories import active_members


def invitation_text(meeting: MeetingHead, cell_name: str, agenda: list[Text]) -> Text:
    return Text("invitation.text", {"summary": summary(meeting, cell_name), "agenda": agenda})


RSVP_BUTTON_LIFETIME = timedelta(days=400)
RSVP_LABELS = {Response.ATTEND: N_("rsvp.attend"), Response.ABSENT: N_("rsvp.absent")}


async def rsvp_buttons(
    session: AsyncSession, meeting_id: int, telegram_user_id: int | None, now: datetime
) -> tuple[tuple[Button, ...], ...]:
    """Attend / absent. In a group the buttons are anyone's; the handler checks the presser.

    Each button's payload names both tokens (its ``screen``), so that a press draws the
    answered invitation with the same two buttons instead of storing two more."""
    tokens = {response: actions.new_token() for response in RSVP_LABELS}
    screen = [tokens[Response.ATTEND], tokens[Response.ABSENT]]
    for response, token in tokens.items():
        await actions.issue(
            session,
            "rsvp",
            {"meeting_id": meeting_id, "response": response.value, "screen": screen},
            telegram_user_id=telegram_user_id,
            now=now,
            lifetime=RSVP_BUTTON_LIFETIME,
            token=token,
        )
    return rsvp_keyboard(*screen)


def rsvp_keyboard(attend_token: str, absent_token: str) -> tuple[tuple[Button, ...], ...]:
    """The attend and absent buttons of already stored tokens."""
    return (
        (
            Button(Text(RSVP_LABELS[Response.ATTEND]), attend_token),
            Button(Text(RSVP_LABELS[Response.ABSENT]), absent_token),
        ),
    )


def answer_privately_button(bot_username: str, meeting_id: int) -> tuple[tuple[Button, ...], ...]:
    link = deep_link(bot_username, rsvp_payload(meeting_id))
    return ((Button(Text("invitation.answer_privately"), url=link),),)


def _calendar_payload(
    meeting: Meeting,
    cell_name: str,
    agenda: list[Text],
    lang: str,
    now: datetime,
    cancelled: bool = False,
) -> dict[str, Any]:
    return {
        "lang": lang,
        "calendar": {
            "uid": f"meeting-{meeting.id}@chibo",
            "sequence": meeting.version,
            "starts_at": meeting.starts_at.astimezone(UTC).isoformat(),
            "ends_at": meeting.ends_at.astimezone(UTC).isoformat(),
            "location": meeting.place,
            "cancelled": cancelled,
            "stamp": now.isoformat(),
        },
        "summary": Text(
            "ics.summary",
            {
                "kind": Text(KIND_TEXT[meeting.kind]),
                "cell": cell_name,
            },
        ).to_json(),
        "description": Text("ics.description", {"agenda": agenda}).to_json(),
        "caption": Text("invitation.ics_caption").to_json(),
        "filename": f"chibo-{meeting.starts_at:%Y%m%d}-{meeting.id}.ics",
    }


@dataclass(frozen=True)
class _Mailing:
    """One meeting's messages being queued, in one transaction: the calendar file of each is
    the meeting as it now stands."""

    session: AsyncSession
    meeting: Meeting
    cell: Cell
    agenda: list[Text]
    now: datetime
    default_language: str

    async def message(
        self,
        key: str,
        chat_id: int,
        text: Text,
        lang: str,
        buttons: tuple[tuple[Button, ...], ...] = (),
    ) -> None:
        await outbox.enqueue_message(
            self.session,
            key=key,
            chat_id=chat_id,
            text=text,
            lang=lang,
            now=self.now,
            buttons=buttons,
        )

    async def calendar(self, key: str, chat_id: int, lang: str) -> None:
        cancelled = self.meeting.status is MeetingStatus.CANCELLED
        await outbox.enqueue(
            self.session,
            key=key,
            chat_id=chat_id,
            method="sendDocument",
            payload=_calendar_payload(
                self.meeting, self.cell.name, self.agenda, lang, self.now, cancelled=cancelled
            ),
            due_at=self.now,
            now=self.now,
        )


@button("meeting.broadcast", OfMeeting)
async def send_invitations(request: Request, about: OfMeeting) -> Reply:
    """The secretary's "send invitations": the invitation with the agenda, RSVP buttons and a
    calendar file to every member, and to the cell's group when it has one: there, a button
    opens the private chat, since an answer and its reason are nobody else's business."""
    caller, now, default_language = request.caller, request.now, request.settings.default_language
    async with request.transaction() as session:
        _, _, meeting, cell = await managed_meeting(
            session, caller, about.meeting_id, for_update=True
        )
        if meeting.status is MeetingStatus.CANCELLED:
            raise refused("rsvp.cancelled")
        if meeting.broadcast_at is not None:
            raise refused("broadcast.already")
        if meeting.starts_at <= now:
            raise refused("broadcast.started")
        members = await active_members(session, cell.id)
        if not members:
            raise refused("broadcast.no_members")
        agenda = await agenda_lines(session, meeting.id)
        mailing = _Mailing(session, meeting, cell, agenda, now, default_language)
        text = invitation_text(meeting, cell.name, agenda)
        for membership in members:
            await _invite(mailing, membership.person, text)
        if cell.group_chat_id is not None:
            await _invite_group(mailing, cell.group_chat_id, text, request.bot_username)
        meeting.broadcast_at = now
        await session.flush()
        return _sent(await card(session, caller, meeting, cell, now, None), len(members), cell)


def _sent(meeting_card: Reply, count: int, cell: Cell) -> Reply:
    """The meeting's card, headed by how many were invited (and the group)."""
    text = Text(
        "broadcast.done",
        {
            "count": count,
            "group": Text("broadcast.and_group") if cell.group_chat_id else "",
            "card": meeting_card.text,
        },
    )
    return Reply(text, meeting_card.buttons)


async def _invite(mailing: _Mailing, person: Person, text: Text) -> None:
    """A member's invitation, the meeting's materials, and the calendar file."""
    session, meeting, now = mailing.session, mailing.meeting, mailing.now
    session.add(Invitation(meeting_id=meeting.id, person_id=person.id, invited_at=now))
    lang = person.language or mailing.default_language
    await mailing.message(
        f"invite:{meeting.id}:{meeting.version}:{person.id}",
        person.telegram_user_id,
        text,
        lang,
        await rsvp_buttons(session, meeting.id, person.telegram_user_id, now),
    )
    await send_materials_to(
        session, person, mailing.cell.id, now, mailing.default_language, meeting_id=meeting.id
    )
    await mailing.calendar(
        f"invite-ics:{meeting.id}:{meeting.version}:{person.id}", person.telegram_user_id, lang
    )


async def _invite_group(mailing: _Mailing, chat_id: int, text: Text, bot_username: str) -> None:
    meeting = mailing.meeting
    await mailing.message(
        f"invite-group:{meeting.id}:{meeting.version}",
        chat_id,
        text,
        mailing.default_language,
        answer_privately_button(bot_username, meeting.id),
    )
    await mailing.calendar(
        f"invite-group-ics:{meeting.id}:{meeting.version}", chat_id, mailing.default_language
    )


async def notify_invitees(
    session: AsyncSession,
    meeting: Meeting,
    cell: Cell,
    key: str,
    text: Text,
    now: datetime,
    default_language: str,
    ask_again: bool = False,
) -> None:
    """Tell everyone invited (and the group) what changed, with the calendar file as it now
    stands, once per change; ``ask_again`` attaches the answer buttons (a new time needs a
    new answer)."""
    invitees = await invited_people(session, meeting.id)
    mailing = _Mailing(
        session, meeting, cell, await agenda_lines(session, meeting.id), now, default_language
    )
    for person in invitees:
        lang = person.language or default_language
        buttons = (
            await rsvp_buttons(session, meeting.id, person.telegram_user_id, now)
            if ask_again
            else ()
        )
        await mailing.message(f"{key}:{person.id}", person.telegram_user_id, text, lang, buttons)
        await mailing.calendar(f"{key}-ics:{person.id}", person.telegram_user_id, lang)
    if cell.group_chat_id is not None and meeting.broadcast_at is not None:
        await mailing.message(f"{key}:group", cell.group_chat_id, text, default_language)


async def withdraw_reminders(session: AsyncSession, meeting_id: int) -> None:
    """Reminders queued for the old time (or a cancelled meeting) never go out."""
    await outbox.withdraw(session, prefix=f"reminder:{meeting_id}:")
