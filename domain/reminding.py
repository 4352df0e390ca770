"""Who among a meeting's invitees the bot writes to on its own, and with what.

Each rule reads only the invitee's own answer and check-in, so the planner's queries stay
plain and the rules can be read, and tested, here.
"""

from __future__ import annotations

from domain.calendar import NUDGE_OFFSET_MINUTES
from domain.meetings import Response


def is_reminded(response: Response | None) -> bool:
    """Reminders go to whoever has not said they will be absent: a member who excused
    themselves has answered, and reminding them would read as not having been heard."""
    return response is not Response.ABSENT


def is_nudged(response: Response | None, offset_minutes: int) -> bool:
    """The reminder a day before asks, with the answer buttons, whoever has not answered."""
    return response is None and offset_minutes == NUDGE_OFFSET_MINUTES


def gets_checkin_prompt(response: Response | None, checked_in: bool) -> bool:
    """When check-in opens, whoever may come and has not checked in yet gets the button."""
    return is_reminded(response) and not checked_in
