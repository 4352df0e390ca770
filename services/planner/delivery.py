"""Secretaries after a broadcast: the members their invitation could not reach (most often:
they never opened a chat with the bot), once every invitation of it is settled."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from domain.invites import bot_link
from domain.messages import Text
from services import outbox
from services.planner.context import Planning
from services.views import KIND_TEXT
from storage.queries import outbox as queued
from storage.queries import planner as queries

# How far back the delivery of invitations is checked for a report to the secretary.
DELIVERY_LOOKBACK = timedelta(days=3)
SETTLED = (outbox.SENT, outbox.FAILED, outbox.WITHDRAWN)

# A broadcast of invitations: (meeting, version).
Broadcast = tuple[int, int]


def _unreached(outcomes: list[queued.Outcome]) -> dict[Broadcast, list[int]]:
    """Of the broadcasts whose invitations (keyed ``invite:meeting:version:person``) are
    all settled, the people Telegram refused them to (its 403: the member never opened the
    chat, or blocked the bot); broadcasts that reached everyone are left out."""
    broadcasts: dict[Broadcast, list[tuple[int, str, str | None]]] = defaultdict(list)
    for key, status, error in outcomes:
        _, meeting_part, version_part, person_part = key.split(":")
        broadcasts[(int(meeting_part), int(version_part))].append((int(person_part), status, error))
    unreached = {
        broadcast: [
            person
            for person, status, error in invitations
            if status == outbox.FAILED and (error or "").startswith("Forbidden")
        ]
        for broadcast, invitations in broadcasts.items()
        if all(status in SETTLED for _, status, _ in invitations)
    }
    return {broadcast: people for broadcast, people in unreached.items() if people}


async def delivery_reports(plan: Planning) -> None:
    """Members the invitation could not reach (most often: they never opened a chat with
    the bot) are listed to the secretaries once all invitations are settled."""
    unreached = _unreached(
        await queued.outcomes_since(plan.session, "invite:", plan.now - DELIVERY_LOOKBACK)
    )
    if not unreached:
        return
    meetings = await queries.meetings_by_id(
        plan.session, [meeting_id for meeting_id, _ in unreached]
    )
    names = await queries.names_of_people(
        plan.session, [p for people in unreached.values() for p in people]
    )
    managers = await plan.managers(meeting.cell_id for meeting in meetings.values())
    for (meeting_id, version), people in unreached.items():
        meeting = meetings[meeting_id]
        await plan.tell_managers(
            managers,
            meeting.cell_id,
            f"undeliverable:{meeting_id}:{version}",
            Text(
                "undeliverable",
                {
                    "kind": Text(KIND_TEXT[meeting.kind]),
                    "when": meeting.starts_at,
                    "names": ", ".join(sorted(names[p] for p in people)),
                    "link": bot_link(plan.bot_username),
                },
            ),
        )
