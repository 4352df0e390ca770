"""Meetings: scheduling before the cutoff, the agenda, the invitation, rescheduling, cancelling,
and the cell's plan for the month.

A meeting being scheduled is a draft carried in stored questions and button actions (never in
a process's memory); the meeting row is written only when the secretary confirms.

- ``common``: the draft, the cutoff and the one regular meeting a month, typed text cleaned,
  and the payloads the use cases share (a meeting, a cell, a draft).
- ``scheduling``: the /schedule dialogue (kind, day, time, place, theme, a late meeting
  confirmed) and the meeting it creates.
- ``card``: a meeting's card, where each of its use cases starts.
- ``agenda``: the agenda as shown, and its editor.
- ``invitations``: the invitation, its answer buttons and calendar file, the broadcast, and
  the notices of a change.
- ``changes``: rescheduling and cancelling.
- ``plan``: /meetings, the month's plan, and the cell's usual day, time and place.
"""
